// The jest part of `npm test`, in two phases:
//  1. `quiet` (unit tests and load-free end-to-end files, 2 workers) and `paced` (the Prometheus
//     tests, which wait on 1 s scrapes and drive only 50-100 requests/s) side by side: the paced
//     files mostly wait, so running them beside the unit tests saves most of their ~170 s. The
//     quiet run is started under `nice -n 10` (where `nice` exists): the paced services, their
//     Prometheus and their load get the CPU first whenever they need it, so the unit tests use
//     what is left instead of starving the scrapes and the GCs the paced tests wait for (beside
//     un-niced unit tests, on a machine also running other builds, watch.test.ts once timed out
//     waiting for post-GC points).
//  2. `load` (everything that starts a service under load), alone and one file at a time, so
//     no other test measures against it.
// Exits with the first failing phase's code; Ctrl-C or a kill of this script stops the jest runs
// it started. Usage: node scripts/jest-phases.mjs
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const jestBin = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
const running = new Set();

/** `nice` lowers a command's CPU priority on Linux and macOS; elsewhere the run is not niced. */
const NICE = process.platform !== 'win32' && fs.existsSync('/usr/bin/nice') ? '/usr/bin/nice' : null;

function jest(args, { niced = false } = {}) {
  return new Promise((resolve) => {
    const command = [process.execPath, jestBin, ...args];
    const [file, ...rest] = niced && NICE ? [NICE, '-n', '10', ...command] : command;
    const child = spawn(file, rest, { cwd: root, stdio: 'inherit' });
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
  jest(['--selectProjects', 'quiet', '--maxWorkers', '2'], { niced: true }),
  jest(['--selectProjects', 'paced', '--maxWorkers', '2']),
]);
const first = quiet || paced;
process.exitCode = first || process.exitCode || (await jest(['--selectProjects', 'load']));
