/**
 * The Action's inputs, read through a getter (the toolkit's `getInput` in the Action, a map in
 * tests) and checked: a bad value is one line naming the input and what was expected.
 */
import * as path from 'node:path';
import { UsageError } from '../errors';

/** Everything the Action was asked to do. */
export interface ActionInputs {
  /** check: measure and gate; comment: post the sticky comment from a downloaded report folder. */
  mode: 'check' | 'comment';
  /** The command starting the service (through the shell), or undefined for the config's. */
  command?: string;
  /** Config file, relative to the working directory. */
  config?: string;
  /** Absolute working directory. */
  workingDirectory: string;
  threshold?: number;
  minGrowth?: number;
  warmup?: number;
  duration?: number;
  failOn: 'leak' | 'inconclusive' | 'never';
  compare: 'none' | 'base';
  /** The base ref for compare (default: origin/<the pull request's base branch>). */
  baseRef?: string;
  pairs?: number;
  maxPairs?: number;
  /** Install command for the base checkout ("none" for none). */
  install?: string;
  /** Absolute report folder. */
  reportDir: string;
  uploadArtifact: boolean;
  artifactName: string;
  comment: boolean;
  githubToken?: string;
}

/** Reads one input: the trimmed value, "" when unset. */
export type InputGetter = (name: string) => string;

function choice<T extends string>(get: InputGetter, name: string, choices: readonly T[], fallback: T): T {
  const raw = get(name).trim();
  if (raw === '') return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new UsageError(`input '${name}': expected one of ${choices.join(', ')}, got '${raw}'`);
  }
  return raw as T;
}

function number(
  get: InputGetter,
  name: string,
  check: (n: number) => boolean,
  what: string,
): number | undefined {
  const raw = get(name).trim();
  if (raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || !check(n))
    throw new UsageError(`input '${name}': expected ${what}, got '${raw}'`);
  return n;
}

function flag(get: InputGetter, name: string, fallback: boolean): boolean {
  const raw = get(name).trim().toLowerCase();
  if (raw === '') return fallback;
  if (['true', 'yes', '1', 'on'].includes(raw)) return true;
  if (['false', 'no', '0', 'off'].includes(raw)) return false;
  throw new UsageError(`input '${name}': expected true or false, got '${raw}'`);
}

/**
 * Reads and checks every input.
 *
 * @param get - the input getter
 * @param workspace - folder relative paths start from (GITHUB_WORKSPACE, or the process's cwd)
 * @returns the inputs
 * @throws UsageError naming the first bad input
 */
export function readInputs(get: InputGetter, workspace: string): ActionInputs {
  const workingDirectory = path.resolve(workspace, get('working-directory').trim() || '.');
  const optional = (name: string): string | undefined => get(name).trim() || undefined;
  return {
    mode: choice(get, 'mode', ['check', 'comment'] as const, 'check'),
    command: optional('command'),
    config: optional('config'),
    workingDirectory,
    threshold: number(get, 'threshold', (n) => n >= 0, 'bytes per request, 0 or above'),
    minGrowth: number(get, 'min-growth', (n) => n >= 0, 'bytes, 0 or above'),
    warmup: number(get, 'warmup', (n) => n >= 0, 'seconds, 0 or above'),
    duration: number(get, 'duration', (n) => n > 0, 'seconds above 0'),
    failOn: choice(get, 'fail-on', ['leak', 'inconclusive', 'never'] as const, 'leak'),
    compare: choice(get, 'compare', ['none', 'base'] as const, 'none'),
    baseRef: optional('base-ref'),
    pairs: number(get, 'pairs', (n) => Number.isInteger(n) && n >= 2, 'a whole number, 2 or more'),
    maxPairs: number(get, 'max-pairs', (n) => Number.isInteger(n) && n >= 2, 'a whole number, 2 or more'),
    install: optional('install'),
    reportDir: path.resolve(workingDirectory, get('report-dir').trim() || '.leakcheck'),
    uploadArtifact: flag(get, 'upload-artifact', true),
    artifactName: optional('artifact-name') ?? 'leakcheck-report',
    comment: flag(get, 'comment', false),
    githubToken: optional('github-token'),
  };
}

/**
 * The configuration overrides the inputs carry, in the config's shape (inputs win over the file,
 * as flags do on the command line).
 *
 * @param inputs - the checked inputs
 * @returns a partial configuration
 */
export function overridesFromInputs(inputs: ActionInputs): Record<string, unknown> {
  const thresholds =
    inputs.threshold !== undefined || inputs.minGrowth !== undefined
      ? Object.fromEntries(
          ['heapUsed', 'external'].map((m) => [
            m,
            { perRequest: inputs.threshold, minGrowth: inputs.minGrowth },
          ]),
        )
      : undefined;
  return {
    out: inputs.reportDir,
    run: { warmupSeconds: inputs.warmup, durationSeconds: inputs.duration },
    analysis: { thresholds },
  };
}
