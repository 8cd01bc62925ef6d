/**
 * Finding, reading and validating the configuration. Every problem becomes one ConfigError line
 * naming the file and the field, and what was expected.
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import { configSchema } from './schema';
import type { Config } from './types';
import { LeakcheckError } from '../errors';

/** Bad configuration: the message is the one line the user sees. */
export class ConfigError extends LeakcheckError {}

/** A loaded configuration and where it came from. */
export interface LoadedConfig {
  config: Config;
  /** The file it came from, or null when only defaults and flags were used. */
  file: string | null;
  /** Folder that relative paths in the config are resolved against. */
  baseDir: string;
}

/** File names searched in each folder, first hit wins (package.json only with a "leakcheck" key). */
export const CONFIG_FILE_NAMES: readonly string[] = [
  'package.json',
  'leakcheck.config.json',
  'leakcheck.config.yaml',
  'leakcheck.config.yml',
  'leakcheck.config.mjs',
  'leakcheck.config.cjs',
  'leakcheck.config.js',
];

/**
 * Walks up from `cwd` to the nearest folder holding `.git` (or the filesystem root), checking
 * {@link CONFIG_FILE_NAMES} in each folder; the first hit wins. A monorepo package finds its own
 * config before the root's, and the search never leaves the repository.
 *
 * @returns the config file's absolute path, or null when there is none
 */
export function findConfigFile(cwd: string): string | null {
  let dir = path.resolve(cwd);
  for (;;) {
    for (const name of CONFIG_FILE_NAMES) {
      const file = path.join(dir, name);
      if (!fs.existsSync(file)) continue;
      if (name !== 'package.json' || packageJsonHasConfig(file)) return file;
    }
    const parent = path.dirname(dir);
    if (fs.existsSync(path.join(dir, '.git')) || parent === dir) return null;
    dir = parent;
  }
}

function packageJsonHasConfig(file: string): boolean {
  try {
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return isPlainObject(pkg) && pkg.leakcheck !== undefined;
  } catch {
    return false; // a broken package.json is not ours to report
  }
}

/** Reads one config file by its extension (package.json: its "leakcheck" key). */
async function readConfigFile(file: string): Promise<unknown> {
  const base = path.basename(file);
  const ext = path.extname(file);
  if (ext === '.json') {
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return base === 'package.json' && isPlainObject(data) ? data.leakcheck : data;
  }
  if (ext === '.yaml' || ext === '.yml') {
    const lineCounter = new LineCounter();
    const doc = parseDocument(fs.readFileSync(file, 'utf8'), { lineCounter, prettyErrors: false });
    const first = doc.errors[0];
    if (first) throw new Error(`line ${lineCounter.linePos(first.pos[0]).line}: ${first.message}`);
    return doc.toJS() as unknown;
  }
  if (ext === '.cjs' || ext === '.js') {
    try {
      return unwrapDefault(createRequire(file)(file));
    } catch (err) {
      // A .js file in an ES-module package: Node 20 refuses require(); import() loads it.
      if ((err as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM') throw err;
    }
  }
  if (ext === '.mjs' || ext === '.js') return unwrapDefault(await import(pathToFileURL(file).href));
  throw new Error('expected a .json, .yaml, .yml, .mjs, .cjs or .js file');
}

function unwrapDefault(mod: unknown): unknown {
  return isPlainObject(mod) && 'default' in mod ? mod.default : mod;
}

/** JSON configs may name their schema for editors; it is not a setting. */
function withoutSchemaKey(raw: unknown): unknown {
  if (!isPlainObject(raw) || !('$schema' in raw)) return raw;
  const rest: Record<string, unknown> = { ...raw };
  delete rest.$schema;
  return rest;
}

/** The part of a schema error that {@link describeIssue} reads (zod's errors have this shape). */
export interface ConfigIssues {
  issues: readonly {
    code: string;
    path: readonly PropertyKey[];
    message: string;
    keys?: readonly string[];
  }[];
}

/**
 * The configuration schema as the library publishes it: the same validator, typed without zod (zod
 * is bundled into leakcheck, so its types are not installed with it).
 */
export interface ConfigSchema {
  /** The configuration with defaults filled in; throws on invalid input. */
  parse(data: unknown): Config;
  /** Like parse, returning the issues instead of throwing. */
  safeParse(data: unknown): { success: true; data: Config } | { success: false; error: ConfigIssues };
}

/** {@link ConfigSchema}: validates a configuration as written (exported as `configSchema`). */
export const publicConfigSchema: ConfigSchema = configSchema;

/** Formats the first schema issue as `<source>: <field>: <what was expected>`. */
export function describeIssue(source: string, error: ConfigIssues): string {
  const issue = error.issues[0];
  if (!issue) return `${source}: invalid configuration`;
  const field = issue.path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue.keys ?? []).map((k) => `'${k}'`).join(', ');
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
 * Loads the config from `explicitFile`, or searches from `cwd` up for one ({@link findConfigFile}), merges `overrides` (from CLI
 * flags) on top and validates. Throws {@link ConfigError}.
 */
export async function loadConfig(options: {
  cwd: string;
  explicitFile?: string;
  overrides?: Record<string, unknown>;
}): Promise<LoadedConfig> {
  let raw: unknown = {};
  let file: string | null = null;
  try {
    file = options.explicitFile
      ? path.resolve(options.cwd, options.explicitFile)
      : findConfigFile(options.cwd);
    if (file) raw = withoutSchemaKey((await readConfigFile(file)) ?? {});
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const where = file ? path.relative(options.cwd, file) || file : options.cwd;
    if (e.code === 'ENOENT' && file && !fs.existsSync(file))
      throw new ConfigError(`${where}: config file not found`);
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
