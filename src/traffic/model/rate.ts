/**
 * The log's arrival rate over time, in bounded memory (buckets double in width when the span
 * outgrows them), and its compression into a pacer shape: a day of traffic replayed in a minute,
 * at the run's own mean rate.
 */
import type { RateSpec } from '../pacer';

/** Buckets kept at most; past this the bucket width doubles. */
const MAX_BUCKETS = 2048;
/** Timestamps further than this from the first one are outliers (a broken clock), not traffic. */
const MAX_SPAN_MS = 366 * 24 * 3600 * 1000;

/** Requests per time bucket, as written to traffic.json. */
export interface RateModel {
  /** Start of the first bucket (ISO 8601). */
  start: string;
  bucketSeconds: number;
  counts: number[];
  /** Mean and peak requests per second over the log's span. */
  meanRps: number;
  peakRps: number;
}

/** Accumulates arrival times into buckets. */
export class RateBuckets {
  private bucketMs = 1000;
  private origin: number | null = null;
  private counts: number[] = [];
  private first: number | null = null;
  /** Timestamps dropped as outliers. */
  outliers = 0;

  /** Records a request at `timeMs` (epoch milliseconds). */
  add(timeMs: number): void {
    if (!Number.isFinite(timeMs)) return;
    if (this.first === null) this.first = timeMs;
    if (Math.abs(timeMs - this.first) > MAX_SPAN_MS) {
      this.outliers++;
      return;
    }
    if (this.origin === null) this.origin = Math.floor(timeMs / this.bucketMs);
    let i = Math.floor(timeMs / this.bucketMs) - this.origin;
    while (i < 0) {
      // An earlier request (logs are only roughly ordered): grow the front.
      const grow = Math.min(-i, MAX_BUCKETS);
      this.counts = [...new Array<number>(grow).fill(0), ...this.counts];
      this.origin -= grow;
      i += grow;
      while (this.counts.length > MAX_BUCKETS) {
        this.coarsen();
        i = Math.floor(timeMs / this.bucketMs) - this.origin;
      }
    }
    while (i >= MAX_BUCKETS) {
      this.coarsen();
      i = Math.floor(timeMs / this.bucketMs) - this.origin;
    }
    while (this.counts.length <= i) this.counts.push(0);
    this.counts[i] = (this.counts[i] as number) + 1;
  }

  /** The model, or null when no request had a time. */
  toModel(): RateModel | null {
    if (this.origin === null || this.counts.length === 0) return null;
    const seconds = this.bucketMs / 1000;
    const total = this.counts.reduce((a, b) => a + b, 0);
    const span = this.counts.length * seconds;
    return {
      start: new Date(this.origin * this.bucketMs).toISOString(),
      bucketSeconds: seconds,
      counts: [...this.counts],
      meanRps: round2(total / span),
      peakRps: round2(Math.max(...this.counts) / seconds),
    };
  }

  private coarsen(): void {
    const origin = this.origin as number;
    const newOrigin = Math.floor(origin / 2);
    const merged: number[] = [];
    this.counts.forEach((n, i) => {
      const j = Math.floor((origin + i) / 2) - newOrigin;
      merged[j] = (merged[j] ?? 0) + n;
    });
    for (let j = 0; j < merged.length; j++) merged[j] ??= 0;
    this.counts = merged;
    this.origin = newOrigin;
    this.bucketMs *= 2;
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/**
 * The log's rate curve squeezed into `seconds` of load, in `steps` steps, scaled so its mean is
 * `meanRps`. Quiet stretches keep a floor of 5% of the mean so samples keep coming.
 */
export function compressRate(rate: RateModel, seconds: number, meanRps: number, steps = 60): RateSpec {
  const n = Math.max(1, Math.min(steps, rate.counts.length));
  const sums = new Array<number>(n).fill(0);
  rate.counts.forEach((c, i) => {
    const j = Math.min(n - 1, Math.floor((i * n) / rate.counts.length));
    sums[j] = (sums[j] as number) + c;
  });
  const mean = sums.reduce((a, b) => a + b, 0) / n;
  const rps = sums.map((s) => (mean > 0 ? Math.max(0.05, s / mean) * meanRps : meanRps));
  return { kind: 'shape', rps: rps.map((r) => Math.round(r * 100) / 100), secondsPerStep: seconds / n };
}
