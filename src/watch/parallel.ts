/**
 * A fleet's instances analysed on several cores: the instances are cut into contiguous shares of
 * about {@link SHARE_POINTS} points, each worker thread takes the next share when it has answered
 * the last (so a worker on a busier core simply takes fewer), runs the same {@link analyseInstance}
 * as the main thread on it, and the results are put back in input order. Shares travel packed
 * (./packed: one transferred Float64Array), since cloning plain arrays cost the sending thread
 * more than the workers saved. The analysis is deterministic, so the verdicts, rates and reasons
 * are those of one thread.
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
import { packInstances } from './packed';
import type { WorkerRequest } from './worker';

/**
 * Below this many points in all, one thread: starting a worker and copying the series costs tens
 * of milliseconds, about what 10 series of 1,000 points take to analyse (bench/results-watch.md).
 */
export const PARALLEL_FROM_POINTS = 200_000;

/**
 * Points per share: about 250 series of 1,000 points, a quarter of a second of analysis, so 10,000
 * series make 40 shares and the last one finishing late costs little.
 */
export const SHARE_POINTS = 250_000;

/** Options of {@link analyseInstances}. */
export interface ParallelOptions {
  /** Worker threads; default: the available cores (at most 8) when the fleet is large, else 1. */
  workers?: number;
  /** Points per share handed to a worker (default {@link SHARE_POINTS}). */
  sharePoints?: number;
}

/**
 * Analyses every instance, in worker threads when the fleet is large enough to gain from them.
 *
 * @param inputs - the instances
 * @param options - analysis options (the same for all)
 * @param parallel - number of workers and points per share
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
  const shares = split(
    inputs,
    Math.max(workers, Math.ceil(points / (parallel.sharePoints ?? SHARE_POINTS))),
    points,
  );
  const results = await inWorkers(shares, options, workers);
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

/** Runs the shares on `count` workers, each taking the next share when it answers. */
function inWorkers(
  shares: InstanceInput[][],
  options: WatchAnalysisOptions,
  count: number,
): Promise<InstanceAnalysis[][]> {
  const file = path.join(__dirname, 'worker.js');
  const results: InstanceAnalysis[][] = new Array<InstanceAnalysis[]>(shares.length);
  const workers: Worker[] = [];
  let next = 0;
  let answered = 0;
  let failed = false;
  // Workers ended on purpose (no share left, or all answered): their exit is no failure.
  const retired = new Set<Worker>();
  const retire = (worker: Worker): void => {
    retired.add(worker);
    void worker.terminate();
  };
  return new Promise((resolve, reject) => {
    const fail = (error: Error): void => {
      if (failed) return;
      failed = true;
      for (const w of workers) retire(w);
      reject(error);
    };
    const send = (worker: Worker): boolean => {
      const index = next++;
      const share = shares[index];
      if (!share) return false;
      // Packed when sent, not all up front: the first worker starts while the rest are packed.
      const request: WorkerRequest = { share: packInstances(share), options };
      worker.postMessage(request, [request.share.values.buffer]);
      worker.once('message', (analyses: InstanceAnalysis[]) => {
        results[index] = analyses;
        answered++;
        if (answered === shares.length) {
          for (const w of workers) retire(w);
          resolve(results);
        } else if (!failed && !send(worker)) {
          retire(worker);
        }
      });
      return true;
    };
    for (let k = 0; k < count; k++) {
      const worker = new Worker(file);
      workers.push(worker);
      worker.once('error', fail);
      worker.once('exit', (code) => {
        if (!retired.has(worker)) fail(new Error(`watch analysis worker exited (${code}) without an answer`));
      });
      if (!send(worker)) retire(worker);
    }
  });
}
