/**
 * A worker thread of {@link analyseInstances}: analyses each share it is sent, each instance
 * exactly as on the main thread, and posts the analyses back, one answer per share, until the
 * main thread ends it.
 */
import { parentPort } from 'node:worker_threads';
import { analyseInstance, type WatchAnalysisOptions } from './analyse';
import { unpackInstances, type PackedInstances } from './packed';

/** What the main thread sends: one share of the fleet (its buffer transferred). */
export interface WorkerRequest {
  share: PackedInstances;
  options: WatchAnalysisOptions;
}

parentPort?.on('message', (request: WorkerRequest) => {
  const inputs = unpackInstances(request.share);
  parentPort?.postMessage(inputs.map((input) => analyseInstance(input, request.options)));
});
