/**
 * Text from values of unknown shape: a report.json section written by an older or newer leakcheck
 * (traffic fidelity) or a setting of any type is still shown, field by field, without a schema.
 */
import { formatNumber, formatSignificant } from '../analysis/format';
import type { TitledTable } from './view';

/**
 * Whether a value is a plain object.
 *
 * @param value - any value
 * @returns true for a non-null, non-array object
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(v: unknown): v is string | number | boolean | null {
  return v === null || ['string', 'number', 'boolean'].includes(typeof v);
}

function scalarText(v: string | number | boolean | null): string {
  if (typeof v === 'number') return Number.isInteger(v) ? formatNumber(v) : formatSignificant(v);
  return v === null ? '–' : String(v);
}

/**
 * Tables from an object of unknown shape: its scalar fields as one key/value table, each array of
 * objects as a table of their scalar fields, nested objects recursively (bounded depth).
 *
 * @param title - title of the first table; nested tables add their key to it
 * @param value - the object
 * @param depth - nesting level (callers leave it out)
 * @returns the tables, the scalar fields first
 */
export function looseTables(title: string, value: Record<string, unknown>, depth = 0): TitledTable[] {
  const tables: TitledTable[] = [];
  const scalars: string[][] = [];
  for (const [key, v] of Object.entries(value)) {
    if (isScalar(v)) scalars.push([key, scalarText(v)]);
    else if (Array.isArray(v) && v.every(isScalar)) scalars.push([key, v.map(scalarText).join(', ')]);
    else if (Array.isArray(v)) {
      const items = v.filter(isRecord);
      const columns = [...new Set(items.flatMap((i) => Object.keys(i).filter((k) => isScalar(i[k]))))];
      if (columns.length > 0)
        tables.push({
          title: `${title}: ${key}`,
          headers: columns,
          rows: items.map((i) => columns.map((c) => (isScalar(i[c]) ? scalarText(i[c]) : ''))),
        });
    } else if (isRecord(v) && depth < 2) tables.push(...looseTables(`${title}: ${key}`, v, depth + 1));
  }
  if (scalars.length > 0) tables.unshift({ title, headers: ['field', 'value'], rows: scalars });
  return tables;
}

/**
 * A value in words: "seconds: 2, requests: –", nested objects in braces, arrays joined by "; ".
 *
 * @param value - any value
 * @param depth - nesting level (callers leave it out)
 * @returns the text
 */
export function valueText(value: unknown, depth = 0): string {
  if (isScalar(value)) return scalarText(value);
  if (value === undefined) return '–';
  if (depth > 3) return JSON.stringify(value) ?? '';
  if (Array.isArray(value)) return value.map((v) => valueText(v, depth + 1)).join('; ');
  if (isRecord(value)) {
    const inner = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}: ${valueText(v, depth + 1)}`)
      .join(', ');
    return depth > 0 ? `{${inner}}` : inner;
  }
  return String(value);
}
