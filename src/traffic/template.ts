/**
 * Request templates: `{{user}}`, `{{int A B}}`, `{{uuid}}`, `{{seq}}` inside paths, header values
 * and bodies. Templates are compiled once into a list of parts, so rendering a request is a few
 * string concatenations on the load generator's hot path.
 */
import { randomInt, randomUuid, type Random } from '../random';
import { LeakcheckError } from '../errors';

/** Per-request values shared by every template of one request (one user per request). */
export interface TemplateContext {
  random: Random;
  /** The identity drawn for this request. */
  user: string;
  /** Sequence number of this request across the run. */
  seq: number;
}

type Part = string | ((ctx: TemplateContext) => string);

/** A compiled template. */
export type Template = (ctx: TemplateContext) => string;

/** Thrown for a template the compiler does not understand; the message says what is expected. */
export class TemplateError extends LeakcheckError {}

const EXPECTED = 'expected {{user}}, {{int A B}}, {{uuid}} or {{seq}}';

function compileExpression(expr: string): (ctx: TemplateContext) => string {
  const words = expr.trim().split(/\s+/);
  const [name, ...args] = words;
  switch (name) {
    case 'user':
      if (args.length === 0) return (ctx) => ctx.user;
      break;
    case 'seq':
      if (args.length === 0) return (ctx) => String(ctx.seq);
      break;
    case 'uuid':
      if (args.length === 0) return (ctx) => randomUuid(ctx.random);
      break;
    case 'int': {
      const [a, b] = args.map(Number);
      if (args.length === 2 && Number.isInteger(a) && Number.isInteger(b) && (a as number) <= (b as number)) {
        const min = a as number;
        const max = b as number;
        return (ctx) => String(randomInt(ctx.random, min, max));
      }
      throw new TemplateError(`{{${expr}}}: expected {{int A B}} with integers A <= B`);
    }
  }
  throw new TemplateError(`{{${expr}}}: ${EXPECTED}`);
}

/** Compiles a template string. Throws {@link TemplateError} on an unknown or malformed placeholder. */
export function compileTemplate(source: string): Template {
  const parts: Part[] = [];
  let rest = source;
  for (;;) {
    const open = rest.indexOf('{{');
    if (open < 0) break;
    const close = rest.indexOf('}}', open + 2);
    if (close < 0) throw new TemplateError(`unclosed '{{' in "${source}"`);
    if (open > 0) parts.push(rest.slice(0, open));
    parts.push(compileExpression(rest.slice(open + 2, close)));
    rest = rest.slice(close + 2);
  }
  if (rest) parts.push(rest);
  if (parts.every((p) => typeof p === 'string')) {
    const constant = parts.join('');
    return () => constant;
  }
  return (ctx) => {
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(ctx);
    return out;
  };
}
