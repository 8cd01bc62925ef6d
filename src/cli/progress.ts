/** The live progress bar: requests served and the latest post-GC heap, on stderr. */
import { SingleBar, Presets } from 'cli-progress';
import type { RunProgress } from '../sampling/run';
import { formatBytes, formatNumber, formatSignificant } from '../analysis/format';

/** A progress display; `update` is called by the run loop, `stop` when it ends. */
export interface ProgressDisplay {
  update(p: RunProgress): void;
  stop(): void;
}

/** What the progress says while attribution runs in a new process of the service. */
export const ATTRIBUTION_LINE =
  'attribution: the service runs again in a new process, with the allocation profiler';

/** A bar over the planned samples when stderr is a terminal; nothing otherwise. */
export function createProgress(enabled: boolean, samples: number, lines = false): ProgressDisplay {
  if (!enabled && lines) {
    // One stderr line per look, for logs that are not terminals.
    let seen = 0;
    let attributing = false;
    return {
      update(p) {
        if (p.phase === 'attribution') {
          if (!attributing) process.stderr.write(`leakcheck: ${ATTRIBUTION_LINE}\n`);
          attributing = true;
          return;
        }
        const look = p.evidence?.looks.at(-1);
        if (!look || look.look <= seen) return;
        seen = look.look;
        process.stderr.write(`leakcheck: ${formatNumber(p.completed)} requests${evidenceText(p)}\n`);
      },
      stop: () => undefined,
    };
  }
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar(
    {
      format:
        ' {phase} |{bar}| {value}/{total} samples | {requests} requests | heap after GC {heap}{evidence}',
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
      if (p.phase === 'attribution') {
        // The measured run is over: its bar stays, the line says what runs now.
        if (started) bar.update({ phase: 'attribution', evidence: ` | ${ATTRIBUTION_LINE}` });
        return;
      }
      const payload = {
        phase: p.phase.padEnd(8),
        requests: formatNumber(p.completed),
        heap: p.heapUsed === undefined ? '-' : formatBytes(p.heapUsed),
        evidence: evidenceText(p),
      };
      // Sequential runs go on past the minimum window's samples: the bar's end moves with them.
      const total = Math.max(samples, p.samples);
      if (!started) {
        bar.start(total, p.samples, payload);
        started = true;
      } else {
        if (total !== bar.getTotal()) bar.setTotal(total);
        bar.update(p.samples, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/**
 * The verdict forming, for the progress line: the latest look's recent slope and interval against
 * the threshold (" | 14 B/req [9.1–19] vs 2 B/req: leak"), empty before the first look.
 *
 * @param p - progress from the run loop
 * @returns the text, with a leading separator
 */
export function evidenceText(p: RunProgress): string {
  const n = (v: number): string => (Number.isFinite(v) ? formatSignificant(v) : '?');
  // A count whose looks called the leak before the heap decided: its own look, per 1,000 requests.
  const count = p.evidence?.processes.find((q) => q.pid === p.evidence?.pid)?.count;
  const counted = count?.result.decided;
  if (count && counted)
    return ` | look ${counted.look}: ${count.metric} ${n(counted.slope * 1000)}/1k req [${n(counted.low * 1000)}–${n(counted.high * 1000)}] vs ${n(count.threshold * 1000)}: leak`;
  const look = p.evidence?.looks.at(-1);
  if (!look || p.threshold === undefined) return '';
  const state =
    look.decision === 'leak'
      ? 'leak'
      : look.decision === 'pass'
        ? 'pass'
        : look.settled
          ? 'measuring'
          : 'warming up';
  return ` | look ${look.look}: ${n(look.slope)} B/req [${n(look.low)}–${n(look.high)}] vs ${n(p.threshold)}: ${state}`;
}
