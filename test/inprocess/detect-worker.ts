/**
 * Runs inside a worker thread (see run-in-worker.ts): runs detectLeak on the requested cases, one
 * after another, and posts each detection back. A worker has its own small V8 heap, so a forced
 * full GC costs milliseconds; in jest's main heap (≈200 MB, ts-jest's type checker) each one
 * costs 0.1 s or more, which would make a suite of detections take minutes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { detectLeak, type DetectLeakOptions, type LeakDetection } from '../../src/inprocess';
import { CASES, type CaseName } from './cases';

/** One detection to run. */
export interface WorkerJob {
  /** The case to detect. */
  name: CaseName;
  /** detectLeak options, over the case's own. */
  options?: DetectLeakOptions;
}

/** What the worker posts back per job, in order. */
export type WorkerOutcome =
  { name: CaseName; ok: true; detection: LeakDetection } | { name: CaseName; ok: false; error: string };

async function main(jobs: readonly WorkerJob[]): Promise<void> {
  for (const job of jobs) {
    const testCase = CASES[job.name];
    let outcome: WorkerOutcome;
    try {
      const detection = await detectLeak(testCase.make(), { ...testCase.options, ...job.options });
      outcome = { name: job.name, ok: true, detection };
    } catch (error) {
      outcome = { name: job.name, ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    parentPort?.postMessage({ type: 'outcome', outcome });
  }
  parentPort?.postMessage({ type: 'done' });
}

void main(workerData as WorkerJob[]);
