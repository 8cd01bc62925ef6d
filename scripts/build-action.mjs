// Bundles the GitHub Action (src/action/index.ts and everything it imports, @actions/* included)
// into one CommonJS file, and copies the agent beside it: the target preloads agent.cjs by path,
// resolved from the bundle's own folder. Usage: node scripts/build-action.mjs [out-dir]
// (default dist-action/, which is committed; a test rebuilds into a temp folder and compares).
import * as fs from 'node:fs';
import * as path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.resolve(process.argv[2] ?? path.join(root, 'dist-action'));

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['src/action/index.ts'],
  outfile: path.join(out, 'index.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  // The runner starts actions on node24; Node 20 is the oldest the project supports (and tests on).
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
  legalComments: 'external',
  charset: 'utf8',
  logLevel: 'warning',
});
for (const file of ['agent.cjs', 'profiler.cjs']) {
  fs.copyFileSync(path.join(root, 'src', 'agent', file), path.join(out, file));
}
