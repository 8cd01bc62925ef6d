/**
 * The configuration's JSON schema for editors, generated from the zod schema (one schema, one
 * place): scripts/build-package.mjs writes it to dist/config.schema.json on every build, and the
 * package ships it.
 */
import { z } from 'zod';
import { configSchema } from './schema';

/** Where the schema sits in an installed package, as `$schema` in a JSON config names it. */
export const CONFIG_SCHEMA_REF = './node_modules/leakcheck/dist/config.schema.json';

/** The JSON schema (draft 2020-12) of a config file as written: fields with defaults are optional. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input' }) as Record<string, unknown>;
  const properties = schema.properties as Record<string, unknown>;
  return dropFormats({
    ...schema,
    title: 'leakcheck configuration',
    description: 'leakcheck.config.json, leakcheck.config.yaml or the "leakcheck" key of package.json.',
    // `$schema` names this file for editors; the loader ignores it.
    properties: { $schema: { type: 'string' }, ...properties },
  }) as Record<string, unknown>;
}

/** zod names its own checks as formats ("starts_with"); editors know only JSON schema's formats. */
function dropFormats(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(dropFormats);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'format' && typeof value === 'string' && !STANDARD_FORMATS.has(value)) continue;
    out[key] = dropFormats(value);
  }
  return out;
}

const STANDARD_FORMATS = new Set(['uri', 'url', 'email', 'date-time', 'date', 'time', 'uuid', 'regex']);
