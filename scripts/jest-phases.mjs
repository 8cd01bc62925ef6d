// The jest part of `npm test`, in two phases:
//  1. `quiet` (unit tests and load-free end-to-end files, 2 workers) and `paced` (the Prometheus
//     tests, which wait on 1 s scrapes and drive only 50-100 requests/s) side by side: the paced
//     files mostly wait, so running them beside the unit tests saves their ~170 s of waiting;
//  2. `load` (everything that starts a service under load), alone and one file at a time, so
//     no other test measures against it.
// Exits with the first failing phase's code; Ctrl-C or a kill of this script stops the jest runs
// it started. Usage: node scripts/jest-phases.mjs
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const jestBin = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
const running = new Set();

function jest(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [jestBin, ...args], { cwd: root, stdio: 'inherit' });
    running.add(child);
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of running) child.kill(signal);
    process.exitCode = 130;
  });
}

const [quiet, paced] = await Promise.all([
  jest(['--selectProjects', 'quiet', '--maxWorkers', '2']),
  jest(['--selectProjects', 'paced', '--maxWorkers', '2']),
]);
const first = quiet || paced;
process.exitCode = first || process.exitCode || (await jest(['--selectProjects', 'load']));
