/**
 * Finding, reading and validating the configuration. Every problem becomes one ConfigError line
 * naming the file and the field, and what was expected.
 */
import * as path from 'node:path';
import { cosmiconfig } from 'cosmiconfig';
import type { z } from 'zod';
import { configSchema, type Config } from './schema';

/** Bad configuration: the message is the one line the user sees. */
export class ConfigError extends Error {}

/** A loaded configuration and where it came from. */
export interface LoadedConfig {
  config: Config;
  /** The file it came from, or null when only defaults and flags were used. */
  file: string | null;
  /** Folder that relative paths in the config are resolved against. */
  baseDir: string;
}

const SEARCH_PLACES = [
  'package.json',
  'leakcheck.config.json',
  'leakcheck.config.yaml',
  'leakcheck.config.yml',
  'leakcheck.config.mjs',
  'leakcheck.config.cjs',
  'leakcheck.config.js',
];

/** Formats the first schema issue as `<source>: <field>: <what was expected>`. */
export function describeIssue(source: string, error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return `${source}: invalid configuration`;
  const field = issue.path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `'${k}'`).join(', ');
    return `${source}: ${field ? field + ': ' : ''}unknown field ${keys}`;
  }
  return `${source}: ${field || '(top level)'}: ${issue.message}`;
}

/** Deep merge of plain objects; arrays and scalars in `over` replace those in `base`. */
export function mergeConfig(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] = isPlainObject(v) && isPlainObject(b) ? mergeConfig(b, v) : v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function oneLine(message: string): string {
  return message
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}

/**
 * Loads the config from `explicitFile`, or searches `cwd` for one, merges `overrides` (from CLI
 * flags) on top and validates. Throws {@link ConfigError}.
 */
export async function loadConfig(options: {
  cwd: string;
  explicitFile?: string;
  overrides?: Record<string, unknown>;
}): Promise<LoadedConfig> {
  const explorer = cosmiconfig('leakcheck', { searchPlaces: SEARCH_PLACES });
  let raw: unknown = {};
  let file: string | null = null;
  try {
    const found = options.explicitFile
      ? await explorer.load(path.resolve(options.cwd, options.explicitFile))
      : await explorer.search(options.cwd);
    if (found) {
      file = found.filepath;
      raw = found.config ?? {};
      if (typeof raw === 'object' && raw !== null && 'default' in raw && found.filepath.endsWith('.mjs')) {
        raw = (raw as { default: unknown }).default;
      }
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const where = options.explicitFile ?? options.cwd;
    if (e.code === 'ENOENT') throw new ConfigError(`${where}: config file not found`);
    throw new ConfigError(`${where}: could not read the config: ${oneLine(e.message ?? String(err))}`);
  }
  const source = file ? path.relative(options.cwd, file) || file : 'configuration';
  if (!isPlainObject(raw)) throw new ConfigError(`${source}: expected an object at the top level`);
  const fileCheck = configSchema.safeParse(raw);
  if (!fileCheck.success) throw new ConfigError(describeIssue(source, fileCheck.error));
  const merged = mergeConfig(raw, options.overrides ?? {});
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(describeIssue('command line', parsed.error));
  return { config: parsed.data, file, baseDir: file ? path.dirname(file) : options.cwd };
}
