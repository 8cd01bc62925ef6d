/**
 * Runs detections in a fresh worker thread and collects the outcomes. The worker is always
 * terminated, and a deadline bounds the wait.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LeakDetection } from '../../src/inprocess';
import type { CaseName } from './cases';
import type { WorkerJob, WorkerOutcome } from './detect-worker';

type WorkerMessage = { type: 'outcome'; outcome: WorkerOutcome } | { type: 'done' };

/**
 * Runs the jobs, in order, in one fresh worker thread.
 *
 * @param jobs - cases and options
 * @param deadlineMs - give up (and terminate the worker) after this long
 * @returns one outcome per job, in order
 */
export async function runInWorker(
  jobs: readonly WorkerJob[],
  deadlineMs = 110_000,
): Promise<WorkerOutcome[]> {
  // The worker loads TypeScript through tsx's CommonJS hook, as the benchmark does.
  const tsx = require.resolve('tsx/cjs/api');
  const script = path.join(__dirname, 'detect-worker.ts');
  const bootstrap = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(script)});`;
  const worker = new Worker(bootstrap, { eval: true, workerData: jobs });
  const outcomes: WorkerOutcome[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${outcomes.length}/${jobs.length} detections within ${deadlineMs} ms`)),
        deadlineMs,
      );
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'outcome') outcomes.push(message.outcome);
        else resolve();
      });
      worker.on('error', reject);
      worker.on('exit', (code) =>
        reject(new Error(`worker exited (${code}) after ${outcomes.length} detections`)),
      );
    });
  } finally {
    if (timer) clearTimeout(timer);
    await worker.terminate();
  }
  return outcomes;
}

/**
 * Runs one case in a worker and returns its detection.
 *
 * @param name - the case
 * @param job - options over the case's own
 * @returns the detection
 * @throws Error with the message when detectLeak rejected
 */
export async function detectInWorker(
  name: CaseName,
  job: Omit<WorkerJob, 'name'> = {},
): Promise<LeakDetection> {
  const [outcome] = await runInWorker([{ name, ...job }]);
  if (!outcome) throw new Error(`${name}: no outcome`);
  if (!outcome.ok) throw new Error(outcome.error);
  return outcome.detection;
}
