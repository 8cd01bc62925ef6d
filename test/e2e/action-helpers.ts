/**
 * Runs the committed, bundled Action (dist-action/index.js) the way the runner does: inputs as
 * INPUT_* variables, outputs and the job summary in temporary GITHUB_OUTPUT / GITHUB_STEP_SUMMARY
 * files, workflow commands (annotations, failure) on stdout. The artifact service is absent (no
 * ACTIONS_RUNTIME_TOKEN), so the upload step is skipped and says so.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './helpers';

export const ACTION = path.join(ROOT, 'dist-action', 'index.js');

/** Temporary folders of the runs so far, removed by {@link removeActionRuns}. */
const runDirs: string[] = [];

/** Removes every run's temporary folder (outputs, summary, PATH wrapper). */
export function removeActionRuns(): void {
  for (const dir of runDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** What one run of the Action produced. */
export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** Lines of `node` invocations that went through the PATH wrapper (the target's starts). */
  pathNodeCalls: string[];
  dir: string;
}

/** Parses a GITHUB_OUTPUT file (`name<<delimiter` blocks, as @actions/core writes them). */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i] ?? '');
    if (!m) continue;
    const [, name, delimiter] = m;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] as string);
    out[name as string] = value.join('\n');
  }
  return out;
}

/**
 * Runs the bundled Action with the given inputs, bounded by `timeoutMs`. PATH starts with a folder
 * whose `node` logs its arguments and execs the real Node: the target must be started through it.
 */
export function runAction(
  inputs: Record<string, string>,
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<ActionRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-action-'));
  runDirs.push(dir);
  const outputFile = path.join(dir, 'output');
  const summaryFile = path.join(dir, 'summary.md');
  const marker = path.join(dir, 'path-node.log');
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(outputFile, '');
  fs.writeFileSync(summaryFile, '');
  fs.writeFileSync(
    path.join(bin, 'node'),
    `#!/bin/sh\necho "$*" >> '${marker}'\nexec '${process.execPath}' "$@"\n`,
    { mode: 0o755 },
  );
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // A clean slate: no inherited inputs, runner variables or artifact credentials.
    if (k.startsWith('INPUT_') || k.startsWith('GITHUB_') || k.startsWith('ACTIONS_')) continue;
    env[k] = v;
  }
  Object.assign(env, {
    PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`,
    GITHUB_WORKSPACE: ROOT,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_ACTIONS: 'true',
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
    ...options.env,
  });
  const timeoutMs = options.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    // The action's own Node is this process's, by absolute path, as the runner starts actions.
    const child = spawn(process.execPath, [ACTION], {
      cwd: options.cwd ?? ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the action did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout,
        stderr,
        outputs: parseOutputFile(fs.readFileSync(outputFile, 'utf8')),
        summary: fs.readFileSync(summaryFile, 'utf8'),
        pathNodeCalls: fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8').trim().split('\n') : [],
        dir,
      });
    });
  });
}

/** The workflow-command lines of a level (`::error ...::message`). */
export function commandLines(stdout: string, level: 'error' | 'warning'): string[] {
  return stdout.split('\n').filter((l) => l.startsWith(`::${level} `) || l.startsWith(`::${level}::`));
}
