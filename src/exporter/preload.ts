/**
 * Entry point of `leakcheck/exporter`: requiring it (or preloading it with
 * `node --require leakcheck/exporter`) starts the exporter with settings from the environment
 * (see {@link exporterOptionsFromEnv}), and exports the API for more control. It runs inside
 * other people's services, so a failure to start is one line on stderr, never a crash.
 */
import { isMainThread } from 'node:worker_threads';
import { exporterOptionsFromEnv, startExporter } from './index';

export {
  EXPORTER_METRICS,
  exporterOptionsFromEnv,
  startExporter,
  type Exporter,
  type ExporterOptions,
  type ExporterStats,
} from './index';

// Preloads also run in worker threads (loader hooks): only the main thread serves HTTP.
if (isMainThread) {
  try {
    const exporter = startExporter(exporterOptionsFromEnv(process.env));
    exporter.ready.catch((err: unknown) => {
      process.stderr.write(
        `leakcheck exporter: cannot serve metrics: ${err instanceof Error ? err.message : String(err)}\n`,
      );
    });
  } catch (err) {
    process.stderr.write(
      `leakcheck exporter: not started: ${err instanceof Error ? err.message : String(err)}\n`,
    );
  }
}
