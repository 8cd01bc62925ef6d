/** The live progress bar: requests served and the latest post-GC heap, on stderr. */
import { SingleBar, Presets } from 'cli-progress';
import type { RunProgress } from '../sampling/run';
import { formatBytes, formatNumber } from '../analysis/format';

/** A progress display; `update` is called by the run loop, `stop` when it ends. */
export interface ProgressDisplay {
  update(p: RunProgress): void;
  stop(): void;
}

/** A bar over the planned samples when stderr is a terminal; nothing otherwise. */
export function createProgress(enabled: boolean, samples: number): ProgressDisplay {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar(
    {
      format: ' {phase} |{bar}| {value}/{total} samples | {requests} requests | heap after GC {heap}',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      barsize: 24,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      const payload = {
        phase: p.phase.padEnd(8),
        requests: formatNumber(p.completed),
        heap: p.heapUsed === undefined ? '-' : formatBytes(p.heapUsed),
      };
      if (!started) {
        bar.start(samples, p.samples, payload);
        started = true;
      } else bar.update(p.samples, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
