/**
 * A worker thread of {@link analyseInstances}: analyses the instances it is sent, each exactly as
 * on the main thread, and posts the analyses back. One message in, one out.
 */
import { parentPort } from 'node:worker_threads';
import { analyseInstance, type InstanceInput, type WatchAnalysisOptions } from './analyse';

/** What the main thread sends. */
export interface WorkerRequest {
  inputs: InstanceInput[];
  options: WatchAnalysisOptions;
}

parentPort?.once('message', (request: WorkerRequest) => {
  parentPort?.postMessage(request.inputs.map((input) => analyseInstance(input, request.options)));
});
