/**
 * Which points a watch fit uses: for a per-request fit, the memory series matched with the request
 * counter, the latest process only; for scrape-time values, their lower envelope (./envelope.ts),
 * with a note on what that data can resolve. Pure.
 */
import { formatAmount, METRICS, type MetricName } from '../analysis';
import { lowerEnvelope } from './envelope';
import type { Sampling } from './sources';

/** Which points a fit used, and how much that data can resolve. */
export interface FitData {
  /** How the values were sampled. */
  sampling: Sampling;
  /** Fitted as sampled, or on the lower envelope (each block's lowest point). */
  method: 'as-sampled' | 'lower-envelope';
  /** Finite points available. */
  points: number;
  /** Points fitted. */
  fitted: number;
  /** Points per block of the envelope; null when fitted as sampled. */
  block: number | null;
  /** Median absolute deviation of the fitted points around their line; null when fitted as sampled. */
  scatter: number | null;
  /** The same for all points (the sawtooth); null when fitted as sampled. */
  rawScatter: number | null;
  /**
   * Growth per unit of the basis (hour or request) that the floor's scatter hides over the fitted
   * span: scatter / span. Null when fitted as sampled.
   */
  resolution: number | null;
  /** One sentence on the data, appended to the fit's reason for scrape-time values. */
  note: string;
}

/**
 * The points a fit uses: all of them for post-GC values; for scrape-time values, the lower
 * envelope, with a note saying what was fitted and what it can resolve.
 *
 * @param x - hours or requests at each point
 * @param y - the values
 * @param options - the metric (its unit), the fewest points, how the values were sampled
 * @param per - the unit of x in the note ("h", "request")
 * @returns the points to fit, how many were skipped, and what the data can resolve
 */
export function fitPoints(
  x: readonly number[],
  y: readonly number[],
  options: { metric: MetricName; minSamples: number; sampling?: Sampling },
  per: string,
): { x: readonly number[]; y: readonly number[]; skipped: number; data: FitData } {
  const sampling = options.sampling ?? 'post-gc';
  let finite = 0;
  for (const v of y) if (Number.isFinite(v)) finite++;
  // As sampled, the fit reads the caller's arrays (analyseMetric copies what it keeps).
  const asSampled = (
    note: string,
  ): { x: readonly number[]; y: readonly number[]; skipped: number; data: FitData } => ({
    x,
    y,
    skipped: 0,
    data: {
      sampling,
      method: 'as-sampled',
      points: finite,
      fitted: finite,
      block: null,
      scatter: null,
      rawScatter: null,
      resolution: null,
      note,
    },
  });
  if (sampling === 'post-gc') return asSampled('');
  const envelope = lowerEnvelope(x, y, options.minSamples);
  if (!envelope) {
    return asSampled(
      `scrape-time values fitted as sampled (${finite} points, too few for a lower envelope of ` +
        `${options.minSamples} blocks): they include garbage awaiting collection, so the interval is ` +
        'wider and the estimate less certain than on post-GC values',
    );
  }
  const ex = envelope.indices.map((i) => x[i] as number);
  const ey = envelope.indices.map((i) => y[i] as number);
  const span = (ex[ex.length - 1] as number) - (ex[0] as number);
  const resolution = span > 0 ? envelope.scatter / span : null;
  const unit = METRICS[options.metric].unit;
  const note =
    `fitted on the lower envelope of scrape-time values: ${ex.length} block minima (${envelope.block} ` +
    `points each) of ${envelope.points} points; the floor scatters ${formatAmount(envelope.scatter, unit)} ` +
    `around its trend (the sawtooth ${formatAmount(envelope.rawScatter, unit)})` +
    (resolution !== null
      ? `, so growth below about ${formatAmount(resolution, unit)}/${per} is within that scatter over this range`
      : '') +
    `; post-GC values (leakcheck's exporter) give ${envelope.points} points without the sawtooth`;
  return {
    x: ex,
    y: ey,
    skipped: y.length - finite,
    data: {
      sampling,
      method: 'lower-envelope',
      points: envelope.points,
      fitted: ex.length,
      block: envelope.block,
      scatter: envelope.scatter,
      rawScatter: envelope.rawScatter,
      resolution,
      note,
    },
  };
}

/**
 * A reason with the data's note appended, when there is one.
 *
 * @param reason - the rule's reason
 * @param data - the points a fit used
 * @returns the reason
 */
export function withDataNote(reason: string, data: FitData): string {
  return data.note === '' ? reason : `${reason} (${data.note})`;
}

/** The points of a per-request fit: the memory series on the request counter's grid. */
export interface CounterRun {
  /** Requests served at each point, and the memory value and time there. */
  x: number[];
  y: number[];
  times: number[];
  /** Counter resets (restarts) seen; only the points after the last one are kept. */
  resets: number;
  /** Points dropped because they came before the last reset. */
  beforeReset: number;
  /** Memory points with no counter value at the same time. */
  unmatched: number;
}

/**
 * The memory points matched with the request counter at the same time, in time order. A counter
 * that goes down is a restart, and the memory before it belonged to another process: only the
 * latest run is kept.
 *
 * @param input - the memory series (t, v)
 * @param counter - the request counter on the same time grid
 * @returns the latest process's points and what was dropped
 */
export function latestRun(
  input: { t: readonly number[]; v: readonly number[] },
  counter: { t: readonly number[]; v: readonly number[] },
): CounterRun {
  const served = new Map<number, number>();
  counter.t.forEach((t, i) => {
    const v = counter.v[i];
    if (v !== undefined && Number.isFinite(v)) served.set(t, v);
  });
  const order = input.t.map((_, i) => i).sort((a, b) => (input.t[a] as number) - (input.t[b] as number));
  let x: number[] = [];
  let y: number[] = [];
  let times: number[] = [];
  let resets = 0;
  let beforeReset = 0;
  let unmatched = 0;
  let previous = -Infinity;
  for (const i of order) {
    const t = input.t[i] as number;
    const requests = served.get(t);
    if (requests === undefined) {
      unmatched++;
      continue;
    }
    if (requests < previous) {
      resets++;
      beforeReset += x.length;
      x = [];
      y = [];
      times = [];
    }
    previous = requests;
    x.push(requests);
    y.push(input.v[i] as number);
    times.push(t);
  }
  return { x, y, times, resets, beforeReset, unmatched };
}
