/**
 * Slopes of post-GC series whose samples are not independent: least squares with a standard error
 * inflated for the lag-1 autocorrelation of the residuals, the same for the base of a sawtooth
 * (a bounded structure that fills and is cleared), and the resets that mark such a sawtooth.
 * The sequential procedure (./sequential.ts) tests these slopes at each look. Pure.
 */

/** Least-squares line whose standard error allows for lag-1 autocorrelation. */
export interface AutocorrelatedFit {
  /** Whether there were enough distinct x values for a slope and its error (n ≥ 4). */
  estimable: boolean;
  /** Points fitted. */
  n: number;
  /** Least-squares slope. */
  slope: number;
  /** Standard error of the slope, inflated for autocorrelation. */
  se: number;
  /** Lag-1 autocorrelation of the residuals, bias-corrected and clamped to [0, 0.95]. */
  rho: number;
  /** Effective degrees of freedom for the slope's t interval. */
  df: number;
  /** Σ(x − x̄)² of the points fitted (how much the design pins the slope down). */
  sxx: number;
}

/**
 * Least squares with an autocorrelation-aware standard error.
 *
 * @param x - requests served at each sample (increasing)
 * @param y - value at each sample, same length
 * @returns the slope, its inflated standard error, residual autocorrelation and degrees of freedom
 */
export function autocorrelatedFit(
  x: readonly number[],
  y: readonly number[],
  pooledRho?: number,
): AutocorrelatedFit {
  const line = lineFit(x, y);
  const n = Math.min(x.length, y.length);
  if (!line) return { estimable: false, n, slope: 0, se: Infinity, rho: 0, df: 1, sxx: 0 };
  const rho = pooledRho ?? residualAutocorrelation([line.residuals]);
  const inflation = (1 + rho) / (1 - rho);
  const se = Math.sqrt(line.ss / (n - 2) / line.sxx) * Math.sqrt(inflation);
  // The variance estimate from autocorrelated residuals carries fewer degrees of freedom
  // (Bartlett): about (n − 2)(1 − ρ²)/(1 + ρ²).
  const df = Math.max(2, ((n - 2) * (1 - rho * rho)) / (1 + rho * rho));
  return { estimable: true, n, slope: line.slope, se, rho, df, sxx: line.sxx };
}

/** {@link autocorrelatedFit}'s result with a covariate held fixed, and the covariate's own t. */
export interface CovariateFit extends AutocorrelatedFit {
  /** The covariate's coefficient over its standard error (allowing for autocorrelation). */
  covariateT: number;
}

/**
 * Least squares of y on x with a covariate z held fixed (Frisch-Waugh: x and y each less their
 * own line on z, then the slope of the one rest on the other), the standard error allowing for
 * the residuals' lag-1 autocorrelation as {@link autocorrelatedFit} does, with one more parameter
 * spent.
 *
 * @param x - requests served at each sample
 * @param y - value at each sample
 * @param z - the covariate at each sample
 * @returns the slope of y on x with z held fixed (not estimable below 6 points)
 */
export function covariateFit(x: readonly number[], y: readonly number[], z: readonly number[]): CovariateFit {
  const n = Math.min(x.length, y.length, z.length);
  const none = { estimable: false, n, slope: 0, se: Infinity, rho: 0, df: 1, sxx: 0, covariateT: 0 };
  if (n < 6) return none;
  const xs = x.slice(0, n);
  const zs = z.slice(0, n);
  const rest = (on: readonly number[], v: readonly number[]): number[] | null =>
    lineFit(on, v)?.residuals ?? null;
  const xr = rest(zs, xs);
  const yr = rest(zs, y.slice(0, n));
  if (!xr || !yr) return none;
  const rf = restFit(xr, yr);
  if (!rf) return none;
  const { slope, residuals, ss, sxx } = rf;
  const rho = residualAutocorrelation([residuals]);
  const inflation = Math.sqrt((1 + rho) / (1 - rho));
  const se = Math.sqrt(ss / (n - 3) / sxx) * inflation;
  const df = Math.max(2, ((n - 3) * (1 - rho * rho)) / (1 + rho * rho));
  // The covariate's coefficient the same way round (x taken out of z and y): same residuals.
  const zx = rest(xs, zs);
  const yx = rest(xs, y.slice(0, n));
  let covariateT = 0;
  const szz = zx ? zx.reduce((a, v) => a + v * v, 0) : 0;
  if (zx && yx && szz > 0) {
    const gamma = zx.reduce((a, v, i) => a + v * (yx[i] as number), 0) / szz;
    covariateT = gamma / (Math.sqrt(ss / (n - 3) / szz) * inflation);
  }
  return { estimable: true, n, slope, se, rho, df, sxx, covariateT };
}

/**
 * Throughput over the `windowMs` before each sample (units of x per ms), from the samples' own x
 * and clock, linear between samples; while the window reaches back past the first sample, over
 * the time since it.
 *
 * @param x - requests served at each sample (increasing)
 * @param clock - time of each sample (ms, increasing)
 * @param windowMs - how far back each figure looks
 * @returns one figure per sample (NaN where no time has passed since the first)
 */
export function recentThroughput(x: readonly number[], clock: readonly number[], windowMs: number): number[] {
  const n = Math.min(x.length, clock.length);
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < n; i++) {
    const t = (clock[i] as number) - windowMs;
    while (j + 1 < i && (clock[j + 1] as number) <= t) j++;
    let from = x[0] as number;
    let at = clock[0] as number;
    if ((clock[j] as number) <= t && j < i) {
      const t0 = clock[j] as number;
      const t1 = clock[j + 1] as number;
      const f = t1 > t0 ? (t - t0) / (t1 - t0) : 0;
      from = (x[j] as number) + f * ((x[j + 1] as number) - (x[j] as number));
      at = t;
    }
    const ms = (clock[i] as number) - at;
    out.push(ms > 0 ? ((x[i] as number) - from) / ms : NaN);
  }
  return out;
}

/** Least squares through the origin of y's rest on x's rest (Frisch-Waugh's last step); null when x's rest is flat. */
function restFit(
  xr: readonly number[],
  yr: readonly number[],
): { slope: number; residuals: number[]; ss: number; sxx: number } | null {
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < xr.length; i++) {
    sxx += (xr[i] as number) ** 2;
    sxy += (xr[i] as number) * (yr[i] as number);
  }
  if (!(sxx > 0)) return null;
  const slope = sxy / sxx;
  const residuals = yr.map((v, i) => v - slope * (xr[i] as number));
  return { slope, residuals, ss: residuals.reduce((a, e) => a + e * e, 0), sxx };
}

/** Plain least squares: slope, residuals, their sum of squares and Σ(x − x̄)²; null below 4 points. */
function lineFit(
  x: readonly number[],
  y: readonly number[],
): { slope: number; residuals: number[]; ss: number; sxx: number } | null {
  const n = Math.min(x.length, y.length);
  if (n < 4) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] as number;
    my += y[i] as number;
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - mx;
    sxx += dx * dx;
    sxy += dx * ((y[i] as number) - my);
  }
  if (!(sxx > 0)) return null;
  const slope = sxy / sxx;
  const residuals: number[] = [];
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const e = (y[i] as number) - my - slope * ((x[i] as number) - mx);
    residuals.push(e);
    ss += e * e;
  }
  return { slope, residuals, ss, sxx };
}

/**
 * Lag-1 autocorrelation pooled over residual runs, on the cautious side: the estimate is biased
 * low by about (1 + 3ρ)/n for short series (Marriott & Pope), and too low an estimate makes
 * intervals too narrow, so the bias correction plus one standard error ((1 − ρ²)/n)^½ is used.
 * Clamped to [0, 0.95].
 */
export function residualAutocorrelation(runs: readonly (readonly number[])[]): number {
  let ss = 0;
  let lag = 0;
  let n = 0;
  for (const e of runs) {
    for (let i = 0; i < e.length; i++) {
      ss += (e[i] as number) ** 2;
      if (i > 0) lag += (e[i] as number) * (e[i - 1] as number);
    }
    n += e.length;
  }
  if (!(ss > 0) || n < 2) return 0;
  const raw = lag / ss;
  const corrected = raw + (1 + 3 * Math.max(0, raw)) / n;
  const upper = corrected + 2 * Math.sqrt(Math.max(0, 1 - corrected * corrected) / n);
  return Math.min(0.95, Math.max(0, upper));
}

/** Resets a cyclic series needs before its slope is estimable (two whole cycles and a third begun). */
export const MIN_CYCLES = 3;
/** Growth is still settling while the recent rate is shown to be under this share of the early one. */
export const SETTLED_RATIO = 0.5;

/**
 * Slope of a sawtooth's base: every sample from the first reset on is fitted as
 * y = b·x + f(s), where s is the requests since the first sample of its cycle and f the ramp a
 * bounded structure climbs between resets (the same in every cycle), and b is the growth that
 * lifts the whole sawtooth. f is a level per band of s ({@link RAMP_BANDS} bands holding as many
 * samples each), not a line: a structure keyed by user fills fast and then slower as users come
 * back, and a Map doubles its table on the way, so a line left the rest of the curve in the
 * residuals, correlated within each cycle (lag-1 autocorrelation 0.89-0.95 on
 * fixtures/shop-sawtooth, whose runs passed only near the 60 s budget; 0.00-0.11 with the
 * bands, and a standard error a quarter as large, bench/results-sequential-quiet.md, session 12).
 * Residuals still carry each cycle's unknown phase (the reset fell somewhere between two samples);
 * the standard error allows for their autocorrelation as {@link autocorrelatedFit} does.
 *
 * @param x - requests at each sample
 * @param y - value at each sample
 * @param resets - indices of the samples right after each reset, increasing
 * @returns the fit of b (not estimable before {@link MIN_CYCLES} resets)
 */
export function cycleRampFit(
  x: readonly number[],
  y: readonly number[],
  resets: readonly number[],
): AutocorrelatedFit {
  const none = { estimable: false, n: 0, slope: 0, se: Infinity, rho: 0, df: 1, sxx: 0 };
  if (resets.length < MIN_CYCLES) return none;
  const xs: number[] = [];
  const ys: number[] = [];
  const ramp: number[] = [];
  for (let c = 0; c < resets.length; c++) {
    const from = resets[c] as number;
    const to = c + 1 < resets.length ? (resets[c + 1] as number) : Math.min(x.length, y.length);
    for (let i = from; i < to; i++) {
      xs.push(x[i] as number);
      ys.push(y[i] as number);
      ramp.push((x[i] as number) - (x[from] as number));
    }
  }
  const n = xs.length;
  const bands = rampBands(ramp);
  // Frisch-Waugh: take each band's level out of x and y, then fit y's rest on x's rest.
  const xr = withoutBandLevels(xs, bands);
  const yr = withoutBandLevels(ys, bands);
  const params = RAMP_BANDS + 1;
  if (n < 8 || n <= params + 2) return { ...none, n };
  const rf = restFit(xr, yr);
  if (!rf) return { ...none, n };
  const { slope, residuals, ss, sxx } = rf;
  const rho = residualAutocorrelation([residuals]);
  const se = Math.sqrt(ss / (n - params) / sxx) * Math.sqrt((1 + rho) / (1 - rho));
  const df = Math.max(2, ((n - params) * (1 - rho * rho)) / (1 + rho * rho));
  return { estimable: true, n, slope, se, rho, df, sxx };
}

/** Bands of the ramp (requests since a cycle's first sample) a sawtooth's curve is levelled in. */
export const RAMP_BANDS = 6;

/** The band of each ramp position: RAMP_BANDS bands split at the ramp's quantiles. */
function rampBands(ramp: readonly number[]): number[] {
  const sorted = [...ramp].sort((a, b) => a - b);
  const edges: number[] = [];
  for (let j = 1; j < RAMP_BANDS; j++)
    edges.push(sorted[Math.floor((j * sorted.length) / RAMP_BANDS)] as number);
  return ramp.map((r) => edges.filter((e) => r >= e).length);
}

/** v less the mean of its band. */
function withoutBandLevels(v: readonly number[], bands: readonly number[]): number[] {
  const sum = new Array<number>(RAMP_BANDS).fill(0);
  const count = new Array<number>(RAMP_BANDS).fill(0);
  v.forEach((value, i) => {
    const b = bands[i] as number;
    sum[b] = (sum[b] as number) + value;
    count[b] = (count[b] as number) + 1;
  });
  return v.map((value, i) => {
    const b = bands[i] as number;
    return value - (sum[b] as number) / Math.max(1, count[b] as number);
  });
}

/**
 * A series has stopped cycling when the stretch since its last reset is longer than this many
 * times its longest cycle (the first counted from the axis' origin, the process's start).
 */
export const CYCLES_ENDED_AFTER = 3;

/**
 * Whether the series stopped cycling: the stretch since its last reset is longer than
 * {@link CYCLES_ENDED_AFTER} times the longest cycle seen. A periodic structure resets again within
 * a cycle or so; a drop that never comes back (V8 flushing start-up code's bytecode, once:
 * shop-leak16 dropped 141 KiB at 12,333 requests, 2.2 s after its start, and then grew 16
 * B/request for 440,000 requests without another drop) is not a period, and treating what follows as a ramp would hold a leak's
 * verdict until the budget.
 *
 * @param x - the axis at each sample (requests since the process started), increasing
 * @param resets - indices of the samples right after each reset, increasing ({@link findResets})
 * @returns true when the last reset is stale
 */
export function cyclingStopped(x: readonly number[], resets: readonly number[]): boolean {
  const last = resets.at(-1);
  if (last === undefined || x.length === 0) return false;
  let longest = Math.max(0, x[resets[0] as number] as number);
  for (let i = 1; i < resets.length; i++)
    longest = Math.max(longest, (x[resets[i] as number] as number) - (x[resets[i - 1] as number] as number));
  return (x[x.length - 1] as number) - (x[last] as number) > CYCLES_ENDED_AFTER * longest;
}

/** A drop between consecutive samples this many robust standard deviations below zero is a reset... */
export const RESET_SIGMAS = 8;
/** ...when it also gives back at least this share of the growth since the previous reset. */
export const RESET_SHARE = 0.5;

/**
 * The steps of a series between consecutive samples, their median (the usual step) and a robust
 * standard deviation of them (1.4826 × their median absolute deviation, never 0).
 *
 * @param y - the series
 * @returns the steps, their median and spread
 */
export function steps(y: readonly number[]): { d: number[]; median: number; sigma: number } {
  const d: number[] = [];
  for (let i = 1; i < y.length; i++) d.push((y[i] as number) - (y[i - 1] as number));
  if (d.length === 0) return { d, median: 0, sigma: Number.MIN_VALUE };
  const middle = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;
  const median = middle(d);
  const mad = middle(d.map((v) => Math.abs(v - median)));
  return { d, median, sigma: 1.4826 * Math.max(mad, Number.MIN_VALUE) };
}

/**
 * Finds resets: drops between consecutive samples far beyond the usual sample-to-sample change
 * ({@link RESET_SIGMAS} times 1.4826 × the median absolute deviation of the successive
 * differences). A leak's series never drops like that; a bounded structure that is cleared does.
 *
 * @param y - the series
 * @returns indices of the samples right after each drop, increasing
 */
export function findResets(y: readonly number[]): number[] {
  const { d, sigma } = steps(y);
  if (d.length < 3) return [];
  const limit = -RESET_SIGMAS * sigma;
  const out: number[] = [];
  let low = y[0] as number;
  for (let i = 0; i < d.length; i++) {
    const before = y[i] as number;
    low = Math.min(low, before);
    const drop = -(d[i] as number);
    // A reset gives back most of what the structure gained since the last one; a leak's
    // occasional dip (a cache trimmed, code flushed) gives back little of its growth.
    // ...and it lasts: a one-sample dip that the next sample takes back is an outlier.
    const after = i + 2 < y.length ? (y[i + 2] as number) : (y[i + 1] as number);
    const lasts = after - (y[i + 1] as number) < RESET_SHARE * drop;
    if ((d[i] as number) < limit && drop >= RESET_SHARE * (before - low) && lasts) {
      out.push(i + 1);
      low = y[i + 1] as number;
    }
  }
  return out;
}

/**
 * A rise between consecutive samples this many robust standard deviations above the usual step is
 * a jump. Lower than {@link RESET_SIGMAS}: a jump found where there is none costs only half the
 * look's alpha for each of its two tests, while a reset found where there is none makes the series
 * cyclic; at 8 a dictionary's doubling (320-440 KB at 8,000 entries over steps of ~90 KB) went
 * unseen in a recent half of 9 samples in 6 of 20 seeded series.
 */
export const JUMP_SIGMAS = 5;

/**
 * Finds jumps: rises between consecutive samples far beyond the usual sample-to-sample change
 * (the same measure as {@link findResets}, upwards, at {@link JUMP_SIGMAS}) that last (the next
 * step gives back less than {@link RESET_SHARE} of the jump beyond the usual step). A store that
 * keeps growing enlarges its table now and then: a plain object or a `Map` used as a dictionary
 * doubles its backing store, and the copy lands in one sample as a jump.
 *
 * @param y - the series
 * @returns indices of the samples right after each jump, increasing
 */
export function findJumps(y: readonly number[]): number[] {
  const { d, median, sigma } = steps(y);
  if (d.length < 3) return [];
  const limit = median + JUMP_SIGMAS * sigma;
  const out: number[] = [];
  for (let i = 0; i < d.length; i++) {
    const jump = (d[i] as number) - median;
    const next = i + 1 < d.length ? (d[i + 1] as number) - median : 0;
    if ((d[i] as number) > limit && -next < RESET_SHARE * jump) out.push(i + 1);
  }
  return out;
}

/**
 * Slope of the growth between jumps: every stretch between two jumps gets its own level, and the
 * slope is the one they share (least squares with a level per stretch; the residuals'
 * autocorrelation is pooled within the stretches, and the standard error allows for it as
 * {@link autocorrelatedFit} does). The jumps themselves are left out, so for a store that keeps
 * growing this understates the growth; it can only make a leak look smaller, never make one.
 *
 * @param x - requests at each sample
 * @param y - value at each sample
 * @param jumps - indices of the samples right after each jump, increasing
 * @returns the fit (not estimable with fewer than 3 degrees of freedom left)
 */
export function betweenJumpsFit(
  x: readonly number[],
  y: readonly number[],
  jumps: readonly number[],
): AutocorrelatedFit {
  const n = Math.min(x.length, y.length);
  const none = { estimable: false, n, slope: 0, se: Infinity, rho: 0, df: 1, sxx: 0 };
  const bounds = [0, ...jumps.filter((j) => j > 0 && j < n), n];
  const xr: number[] = [];
  const yr: number[] = [];
  const stretches: [number, number][] = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const from = bounds[k] as number;
    const to = bounds[k + 1] as number;
    if (to <= from) continue;
    let mx = 0;
    let my = 0;
    for (let i = from; i < to; i++) {
      mx += x[i] as number;
      my += y[i] as number;
    }
    mx /= to - from;
    my /= to - from;
    stretches.push([xr.length, xr.length + to - from]);
    for (let i = from; i < to; i++) {
      xr.push((x[i] as number) - mx);
      yr.push((y[i] as number) - my);
    }
  }
  const params = stretches.length + 1;
  if (n - params < 3) return none;
  const rf = restFit(xr, yr);
  if (!rf) return none;
  const { slope, residuals, ss, sxx } = rf;
  const rho = residualAutocorrelation(stretches.map(([a, b]) => residuals.slice(a, b)));
  const se = Math.sqrt(ss / (n - params) / sxx) * Math.sqrt((1 + rho) / (1 - rho));
  const df = Math.max(2, ((n - params) * (1 - rho * rho)) / (1 + rho * rho));
  return { estimable: true, n, slope, se, rho, df, sxx };
}
