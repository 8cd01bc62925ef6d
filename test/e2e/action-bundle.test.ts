/**
 * The committed Action bundle (dist-action/) must be what `npm run build:action` makes from the
 * sources now: the Action runs the bundle, not src/, so a stale bundle would ship old behaviour.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import { readInputs } from '../../src/action/inputs';
import { ROOT } from './helpers';

const COMMITTED = path.join(ROOT, 'dist-action');

test('dist-action/ is up to date with the sources (else: npm run build:action, and commit it)', () => {
  const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-bundle-'));
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-action.mjs'), fresh], {
      cwd: ROOT,
      timeout: 120_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const names = fs.readdirSync(fresh).sort();
    expect(names).toEqual(expect.arrayContaining(['index.js', 'agent.cjs', 'profiler.cjs']));
    expect(fs.readdirSync(COMMITTED).sort()).toEqual(names);
    const stale = names.filter(
      (n) => !fs.readFileSync(path.join(fresh, n)).equals(fs.readFileSync(path.join(COMMITTED, n))),
    );
    expect(stale).toEqual([]);
  } finally {
    fs.rmSync(fresh, { recursive: true, force: true });
  }
});

test('action.yml runs the committed bundle on node24 and declares exactly the inputs the code reads', () => {
  const yml = YAML.parse(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, unknown>;
    outputs: Record<string, unknown>;
    runs: { using: string; main: string };
  };
  expect(yml.runs).toEqual({ using: 'node24', main: 'dist-action/index.js' });
  expect(fs.existsSync(path.join(COMMITTED, 'index.js'))).toBe(true);
  const read: string[] = [];
  readInputs((name) => {
    read.push(name);
    return '';
  }, ROOT);
  expect(Object.keys(yml.inputs).sort()).toEqual([...new Set(read)].sort());
  expect(Object.keys(yml.outputs).sort()).toEqual([
    'bytes-per-request',
    'html-report-path',
    'report-path',
    'verdict',
  ]);
});
