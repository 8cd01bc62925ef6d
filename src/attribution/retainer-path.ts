/**
 * Retainer paths in words: a holder's name, a path shortened to its ends, and the one line a
 * developer can search their code for. Pure functions over the steps HeapGraph.pathTo returns.
 */

/** One step of a retainer path, from the root towards the object. */
export interface RetainerStep {
  /** The holder's kind and name, e.g. "EventEmitter", "(closure) auth", "(context)". */
  holder: string;
  /** How it holds the next one: property name, `[index]`, context variable, internal slot. */
  edge: string;
  /** Edge kind as V8 names it (property, element, context, internal, hidden, shortcut). */
  edgeType: string;
}

/**
 * A holder in a few words: "EventEmitter", "(closure) auth", "(context)", "(array)".
 *
 * @param type - V8's node type ("object", "closure", "hidden"...)
 * @param name - the node's name (constructor, function name, system name)
 * @returns the words a retainer path shows for it
 */
export function holderName(type: string, name: string): string {
  switch (type) {
    case 'closure':
      return `(closure) ${name || '(anonymous)'}`;
    case 'hidden':
      return name === 'system / Context' ? '(context)' : name || '(system)';
    case 'array':
      return name && name !== '(object elements)' ? name : '(array)';
    case 'string':
    case 'concatenated string':
    case 'sliced string':
      return '(string)';
    default:
      return name || `(${type})`;
  }
}

/**
 * Shortens a path to `maxSteps`, keeping both ends (the root side says which subsystem, the
 * object side says which variable).
 *
 * @param steps - root side first
 * @param maxSteps - longest path kept
 * @returns the path, with one "elided" step standing for the middle when it was too long
 */
export function trimPath(steps: readonly RetainerStep[], maxSteps: number): RetainerStep[] {
  if (steps.length <= maxSteps) return [...steps];
  const head = Math.ceil(maxSteps / 3);
  return [
    ...steps.slice(0, head),
    { holder: '…', edge: `${steps.length - maxSteps} more`, edgeType: 'elided' },
    ...steps.slice(steps.length - (maxSteps - head)),
  ];
}

/**
 * A retainer path in words a developer can search for, from the nearest named variable down to
 * the object: "Map retained by bus._events['config-changed'][123] (closure context).session".
 * Without a variable on the path, the holders are listed from the object outwards.
 *
 * @param name - the held object's group name
 * @param steps - root side first, as {@link HeapGraph.pathTo} returns them
 * @returns one line
 */
export function describePath(name: string, steps: readonly RetainerStep[]): string {
  if (steps.length === 0) return `${name} (a GC root)`;
  const accessor = (s: RetainerStep): string | null => {
    if (s.edgeType === 'property')
      return /^[A-Za-z_$][\w$]*$/.test(s.edge) ? `.${s.edge}` : `[${quote(s.edge)}]`;
    if (s.edgeType === 'element') return `[${s.edge}]`;
    if (s.edgeType === 'context') return `.${s.edge}`;
    if (s.edgeType === 'internal' && s.edge === 'context' && s.holder.startsWith('(closure)'))
      return ' (closure context)';
    if (s.edgeType === 'internal' && s.edge === 'table') return ' (entries)';
    if (s.edgeType === 'internal' && /^\d+$/.test(s.edge)) return `[${s.edge}]`;
    if (s.edgeType === 'internal' || s.edgeType === 'hidden') return ` (${s.edgeType} ${s.edge})`;
    return null;
  };
  // Walk back from the object while every hop reads as an accessor; the expression starts at the
  // nearest variable that has at least one property or index after it.
  let start = -1;
  let sawAccess = false;
  for (let i = steps.length - 1; i >= 0; i--) {
    const s = steps[i] as RetainerStep;
    if (accessor(s) === null) break;
    if (s.edgeType === 'property' && isGlobal(s.holder)) {
      // A global variable: the expression starts at globalThis.
      start = i;
      break;
    }
    if (s.edgeType === 'context') {
      if (sawAccess || i === 0) {
        start = i;
        break;
      }
      start = i;
    } else if (s.edgeType === 'property' || s.edgeType === 'element') sawAccess = true;
  }
  if (start < 0) {
    const holders = [...steps]
      .reverse()
      .map((s) => `${s.holder}${accessor(s) ?? ` (${s.edgeType} ${s.edge})`}`);
    const shown = collapse(holders);
    return `${name} retained by ${shown.slice(0, 8).join(' ← ')}${shown.length > 8 ? ' ← …' : ''}`;
  }
  const first = steps[start] as RetainerStep;
  const head =
    isGlobal(first.holder) && first.edgeType === 'property'
      ? `globalThis${accessor(first) ?? ''}`
      : first.edge;
  const parts = [head, ...steps.slice(start + 1).map((s) => accessor(s) ?? '')];
  return `${name} retained by ${collapse(parts).join('')}`;
}

/** The global object, as V8 names it in Node ("global") and in browsers ("Window"). */
function isGlobal(holder: string): boolean {
  return holder === 'global' || holder === 'Window' || holder.startsWith('Window /');
}

/** Runs of the same accessor (a linked list's `.next.next...`) become one with a count. */
function collapse(parts: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < parts.length;) {
    let j = i;
    while (j < parts.length && parts[j] === parts[i]) j++;
    const run = j - i;
    if (run > 3) out.push(`${parts[i] as string}…(×${run})`);
    else out.push(...parts.slice(i, j));
    i = j;
  }
  return out;
}

function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
