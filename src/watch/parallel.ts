/**
 * A fleet's instances analysed on several cores: the instances are split into one contiguous
 * share per worker thread (by points, so shares take about as long), each worker runs the same
 * {@link analyseInstance} as the main thread, and the results come back in input order. The
 * analysis is deterministic, so the verdicts, rates and reasons are those of one thread.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  analyseInstance,
  type InstanceAnalysis,
  type InstanceInput,
  type WatchAnalysisOptions,
} from './analyse';
import type { WorkerRequest } from './worker';

/**
 * Below this many points in all, one thread: starting a worker and copying the series costs tens
 * of milliseconds, about what 10 series of 1,000 points take to analyse (bench/results-watch.md).
 */
export const PARALLEL_FROM_POINTS = 200_000;

/** Options of {@link analyseInstances}. */
export interface ParallelOptions {
  /** Worker threads; default: the available cores (at most 8) when the fleet is large, else 1. */
  workers?: number;
}

/**
 * Analyses every instance, in worker threads when the fleet is large enough to gain from them.
 *
 * @param inputs - the instances
 * @param options - analysis options (the same for all)
 * @param parallel - number of workers
 * @returns the analyses, in input order
 * @throws Error when a worker fails (its error)
 */
export async function analyseInstances(
  inputs: readonly InstanceInput[],
  options: WatchAnalysisOptions,
  parallel: ParallelOptions = {},
): Promise<InstanceAnalysis[]> {
  const points = inputs.reduce((sum, input) => sum + input.v.length, 0);
  // Workers load the built worker.js; run from source (tsx, ts-jest) the analysis stays on one
  // thread, with the same results.
  const built = path.extname(__filename) === '.js';
  const workers = !built
    ? 1
    : Math.min(
        inputs.length,
        parallel.workers ?? (points >= PARALLEL_FROM_POINTS ? Math.min(os.availableParallelism(), 8) : 1),
      );
  if (workers <= 1) return inputs.map((input) => analyseInstance(input, options));
  const shares = split(inputs, workers, points);
  const results = await Promise.all(shares.map((share) => inWorker(share, options)));
  return results.flat();
}

/** Contiguous shares of about equal points, in order. */
function split(inputs: readonly InstanceInput[], parts: number, points: number): InstanceInput[][] {
  const shares: InstanceInput[][] = [[]];
  let filled = 0;
  for (const input of inputs) {
    const current = shares[shares.length - 1] as InstanceInput[];
    if (current.length > 0 && filled >= (points * shares.length) / parts && shares.length < parts) {
      shares.push([input]);
    } else {
      current.push(input);
    }
    filled += input.v.length;
  }
  return shares;
}

function inWorker(inputs: InstanceInput[], options: WatchAnalysisOptions): Promise<InstanceAnalysis[]> {
  const file = path.join(__dirname, 'worker.js');
  return new Promise((resolve, reject) => {
    const worker = new Worker(file);
    let answered = false;
    worker.once('message', (analyses: InstanceAnalysis[]) => {
      answered = true;
      resolve(analyses);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`watch analysis worker exited (${code}) without an answer`));
    });
    const request: WorkerRequest = { inputs, options };
    worker.postMessage(request);
  });
}
