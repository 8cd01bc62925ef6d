/**
 * Exact order statistics of the pairwise slopes (y_j − y_i)/(x_j − x_i) without materialising and
 * sorting all n(n−1)/2 of them: the Theil-Sen median and Sen's interval ends need only a handful.
 *
 * The method is the classic one for slope selection (Cole, Salowe, Steiger and Szemerédi 1989;
 * Matoušek 1991; Dillencourt, Mount and Netanyahu 1992): a pair i < j (by x) has slope below θ
 * exactly when sorting the points by u = y − θ·x swaps them, so the number of slopes below θ is
 * an inversion count (a merge sort, O(n log n)), and the pairs with slopes between θa and θb are
 * the pairs that the orders at θa and at θb disagree on. A random sample of slopes picks a bracket
 * [θa, θb] that holds the wanted ranks; only the pairs inside it are enumerated and selected from.
 *
 * The answers are bit-for-bit the values a full sort of the computed slopes would give:
 * - every enumerated slope is computed with the same expression, orientation (lower x first) and
 *   rounding as the O(n²) path;
 * - the orders by u are only trusted away from the bracket ends: a pair can be misplaced only if
 *   its slope lies within a rounding bound δ(θ) of θ, so the bracket is widened by 2δ and every
 *   selected value is checked to lie at least δ inside; at θ = 0 the order by u is the order by y,
 *   which is exact, and that is where quantised series (post-GC gauges that stay flat between
 *   collections, counts) pile up their ties;
 * - the count of enumerated pairs must equal the difference of the two inversion counts, which
 *   proves the two orders agree on every pair outside the bracket.
 * Any check that fails returns null and the caller falls back to sorting all slopes.
 */

import { xorshift32 } from '../random';

/** Points sorted by (x, y), with what the rounding bound needs. */
interface Prepared {
  n: number;
  x: Float64Array;
  y: Float64Array;
  /** Index of each point's group of equal x (ascending). */
  group: Int32Array;
  /** Pairs with distinct x: the number of slopes. */
  pairs: number;
  /** Largest |x| and |y|. */
  xMax: number;
  yMax: number;
  /** Smallest positive gap between consecutive distinct x. */
  dxMin: number;
  /** Orders already computed for this series, by θ and tie rule. */
  orders: Map<string, Order>;
}

/** An order of the points and the number of pairs (by x) it swaps. */
interface Order {
  perm: Int32Array;
  inversions: number;
  /** Whether two points of distinct x have equal keys (null: not known). */
  tied: boolean | null;
}

/**
 * Every order is made here, so all have one shape: orders of two shapes (with and without
 * `tied`) and a −0 count made V8 drop its optimised insertion sort dozens of times per 1,000
 * series, running it unoptimised in between.
 */
function makeOrder(perm: Int32Array, inversions: number, tied: boolean | null): Order {
  return { perm, inversions, tied };
}

/** Unit roundoff of binary64. */
const UNIT_ROUNDOFF = 2 ** -53;
/** Values outside [1e-100, 1e100] (other than 0) could underflow or overflow a slope: not handled. */
const SMALLEST = 1e-100;
const LARGEST = 1e100;
/** Number of slopes sampled to place the bracket, per point (capped by the number of pairs). */
const SAMPLE_PER_POINT = 2;
/** Widths of the bracket in standard errors of a sample quantile, tried in turn. */
const BRACKET_Z = [2, 6, 12] as const;
/** Length of the insertion-sorted runs the merge sort of an order starts from. */
const RUN = 8;
/** Below this many candidates a plain sort beats selection. */
const SORT_BELOW = 64;

/**
 * The slopes at the given 0-based ranks in the sorted list of all slopes between points with
 * distinct x, or null when this method cannot certify the answer (the caller then sorts).
 *
 * @param x - predictor, ascending (required: the orientation of each pair must be lower x first)
 * @param y - response, same length, finite
 * @param ranks - 0-based ranks into the sorted slopes, each in [0, pairs)
 * @returns the slope at each rank (same order as `ranks`), or null
 */
export function selectSlopes(
  x: readonly number[],
  y: readonly number[],
  ranks: readonly number[],
): number[] | null {
  beginCall();
  const points = prepare(x, y);
  if (!points || points.pairs === 0) return null;
  const wanted = [...new Set(ranks)].sort((a, b) => a - b);
  const first = wanted[0];
  const last = wanted[wanted.length - 1];
  if (first === undefined || last === undefined || first < 0 || last >= points.pairs) return null;
  const sample = sampleSlopes(points);
  const placed: number[] = [];
  const found = new Map<number, number>();
  // First, a narrow bracket per cluster of adjacent ranks (Sen's low end, the median, the high
  // end), placed by one exact count; any cluster it does not settle goes to one wide bracket.
  // The cluster nearest the middle goes first, its probe read off the sample alone; the others'
  // probes are read off the sample relative to that probe's exact count, which places them
  // about √(distance · pairs / m) ranks from their cluster instead of pairs / (2√m).
  let rest: number[] = [];
  const groups = clusters(wanted).sort(
    (a, b) => Math.abs(centre(a) - points.pairs / 2) - Math.abs(centre(b) - points.pairs / 2),
  );
  let anchor: Anchor | null = null;
  for (const cluster of groups) {
    const probe = probeRanks(sample.length, points.pairs, cluster, anchor);
    placeRanks(sample, placed, probe);
    const got = probedBracket(points, sample, cluster, probe, anchor);
    anchor ??= got.anchor;
    if (got.result === null) return null;
    if (got.result === 'retry') rest.push(...cluster);
    else for (const [r, v] of got.result) found.set(r, v);
  }
  rest.sort((a, b) => a - b);
  for (const z of BRACKET_Z) {
    if (rest.length === 0) break;
    const ends = bracketRanks(
      sample.length,
      points.pairs,
      rest[0] as number,
      rest[rest.length - 1] as number,
      z,
    );
    placeRanks(sample, placed, [ends.a, ends.b]);
    const bracket = bracketFor(sample, ends, points);
    const got = selectInBracket(points, bracket.low, bracket.high, rest);
    if (got === null) return null;
    if (got === 'retry') continue;
    for (const [r, v] of got) found.set(r, v);
    rest = [];
  }
  if (rest.length > 0 || ranks.some((r) => !found.has(r))) return null;
  return ranks.map((r) => found.get(r) as number);
}

/**
 * Pairs i < j with y[j] < y[i] (strictly): the inversions of y, counted by the same merge sort
 * that orders points here (the order by u = y − 0·x of points at x = 0, 1, 2, ...), and the sizes
 * of the groups of equal values (2 or more; neighbours in that order), in ascending value order.
 * Mann-Kendall's S is pairs − tied − 2 × the first, its variance needs the second.
 *
 * @param y - values in time order, finite
 * @returns the number of decreasing pairs and the tie group sizes, O(n log n)
 */
export function decreasingPairsAndTies(y: readonly number[]): { decreasing: number; ties: number[] } {
  const n = y.length;
  beginCall();
  const group = int32(n);
  const xs = float64(n);
  const ys = float64(n);
  for (let i = 0; i < n; i++) {
    group[i] = i;
    xs[i] = i;
    ys[i] = y[i] as number;
  }
  const points: Prepared = {
    n,
    x: xs,
    y: ys,
    group,
    pairs: (n * (n - 1)) / 2,
    // Only the order at θ = 0 is computed, which needs no rounding bound.
    xMax: n,
    yMax: 0,
    dxMin: 1,
    orders: new Map(),
  };
  const order = computeOrder(points, 0, false);
  const ties: number[] = [];
  let run = 1;
  for (let k = 1; k <= n; k++) {
    if (k < n && ys[order.perm[k] as number] === ys[order.perm[k - 1] as number]) {
      run++;
    } else {
      if (run > 1) ties.push(run);
      run = 1;
    }
  }
  return { decreasing: order.inversions, ties };
}

/**
 * The median of y − slope·x (the Theil-Sen intercept) exactly as simple-statistics' `median`
 * computes it: the same Floyd-Rivest selection, step for step (its `quickselect`), and the same
 * interpolation, on a scratch array instead of two fresh ones.
 *
 * @param x - predictor
 * @param y - response, same length (at least 1)
 * @param slope - the fitted slope
 * @returns the median residual
 */
export function medianResidual(x: readonly number[], y: readonly number[], slope: number): number {
  const n = x.length;
  if (residuals.length < n) residuals = new Float64Array(Math.max(n, 1024));
  const values = residuals;
  for (let i = 0; i < n; i++) values[i] = (y[i] as number) - slope * (x[i] as number);
  const idx = (n - 1) * 0.5;
  const lower = Math.floor(idx);
  floydRivest(values, lower, 0, n - 1);
  if (idx % 1 === 0) return values[idx] as number;
  floydRivest(values, lower + 1, lower + 1, n - 1);
  const below = values[lower] as number;
  return below + (idx - lower) * ((values[lower + 1] as number) - below);
}

/** medianResidual's scratch array. */
let residuals = new Float64Array(0);

/** Sorted ranks grouped where neighbours are at most 2 apart (a rank and the one above it). */
function clusters(sorted: readonly number[]): number[][] {
  const out: number[][] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r - (last[last.length - 1] as number) <= 2) last.push(r);
    else out.push([r]);
  }
  return out;
}

/** A probe: its sample rank, its value and its order (with the exact number of slopes below). */
interface Anchor {
  at: number;
  theta: number;
  order: Order;
}

/** Middle of a cluster of ranks, as a rank (the centre of [first, last + 1)). */
function centre(cluster: readonly number[]): number {
  return ((cluster[0] as number) + (cluster[cluster.length - 1] as number) + 1) / 2;
}

/**
 * Sample ranks a cluster's probe reads: the estimate of the cluster's slope, and ±√m around it
 * for the local density. The estimate is the cluster's quantile of the sample, or, given an
 * anchor (an earlier probe's sample rank and exact count), that rank moved by the cluster's
 * distance from the count, scaled to the sample.
 */
function probeRanks(
  m: number,
  pairs: number,
  cluster: readonly number[],
  anchor: Anchor | null,
): [number, number, number] {
  const estimate = anchor
    ? anchor.at + ((centre(cluster) - anchor.order.inversions) * m) / pairs
    : (centre(cluster) / pairs) * m;
  const at = Math.min(m - 1, Math.max(0, Math.round(estimate)));
  const h = Math.max(4, Math.round(Math.sqrt(m)));
  return [at, Math.max(0, at - h), Math.min(m - 1, at + h)];
}

/** Ranks the probed bracket aims to hold beyond its cluster on the far side, at least. */
const PROBE_MARGIN = 400;

/**
 * A narrow bracket for one cluster of ranks: count exactly how many slopes lie below the sample's
 * estimate θ₀, step from θ₀ towards the cluster by the local density of the sample (slopes per
 * unit of slope) with a margin, and select in [θ₀, θ₁] (or [θ₁, θ₀]). 'retry' when the density
 * cannot be read (ties) or the bracket missed; the caller then uses a wide bracket.
 */
function probedBracket(
  p: Prepared,
  sample: Float64Array,
  cluster: readonly number[],
  [at, lo, hi]: readonly [number, number, number],
  anchor: Anchor | null,
): { result: Map<number, number> | 'retry' | null; anchor: Anchor | null } {
  const m = sample.length;
  if (m < 64) return { result: 'retry', anchor: null };
  const theta0 = sample[at] as number;
  const width = (sample[hi] as number) - (sample[lo] as number);
  const density = (((hi - lo) / m) * p.pairs) / width;
  if (!(Number.isFinite(density) && density > 0) || !Number.isFinite(theta0)) {
    return { result: 'retry', anchor: null };
  }
  // The probe's order is one end of the bracket: selectInBracket trusts only values at least δ
  // inside it, and a rank that lands closer sends the cluster to the wide bracket.
  // From an earlier probe's order, a count-only insertion sort reaches this one in about as many
  // steps as slopes lie between them, well under a merge sort's n log n for Sen's interval ends.
  const probe = orderFrom(p, theta0, anchor);
  const self = { at, theta: theta0, order: probe };
  // A probe inside the cluster (its value repeated among the slopes, as on a quantised gauge)
  // splits it: the ranks below the probe are reached downwards, the others upwards. At 0 the
  // slopes equal to 0 are counted exactly (the order at 0 that swaps ties): ranks among them are
  // 0, and the ranks above start past them instead of enumerating them.
  const ties = theta0 === 0 ? tiesAtZero(p, probe) : probe;
  const found = new Map<number, number>();
  for (const r of cluster) if (r >= probe.inversions && r < ties.inversions) found.set(r, 0);
  const below = cluster.filter((r) => r < probe.inversions);
  const above = cluster.filter((r) => r >= ties.inversions);
  for (const [part, from] of [
    [below, probe],
    [above, ties],
  ] as const) {
    if (part.length === 0) continue;
    const got = fromProbe(p, from, theta0, density, part);
    if (got === null || got === 'retry') return { result: got, anchor: self };
    for (const [r, v] of got) found.set(r, v);
  }
  return { result: found, anchor: self };
}

/**
 * The order at θ (ties kept in x order): cached, or reached from the anchor's order by a
 * count-only insertion sort, or merge-sorted when there is no anchor or the insertion sort gives
 * up. Every way gives the same order and count.
 */
function orderFrom(p: Prepared, theta: number, anchor: Anchor | null): Order {
  const cached = p.orders.get(`${theta}|false`);
  if (cached) return cached;
  if (anchor && anchor.theta !== theta) {
    const moved = walk(p, anchor.order, theta, theta > anchor.theta);
    if (moved) return moved;
  }
  return orderAt(p, theta, false);
}

/**
 * The order at 0 that swaps ties (counts the slopes ≤ 0), from the one that keeps them (counts
 * the slopes < 0): the same order when no two points of distinct x have equal y, else reached by
 * moving only the tied pairs, or merge-sorted.
 */
function tiesAtZero(p: Prepared, kept: Order): Order {
  const cached = p.orders.get('0|true');
  if (cached) return cached;
  if (kept.tied !== false) {
    const moved = reorder(p, kept, 0, true, true, false);
    if (moved) return moved.order;
  }
  return orderAt(p, 0, true);
}

/**
 * The ranks of `part` (all on one side of the probe) from a bracket with the probe's side known:
 * walked towards first when far, and given a second bracket from the end the first reached when
 * it stopped short of them (the density read again from exact counts).
 */
function fromProbe(
  p: Prepared,
  probe: Order,
  theta0: number,
  density: number,
  part: readonly number[],
): Map<number, number> | 'retry' | null {
  const first = part[0] as number;
  const last = part[part.length - 1] as number;
  const up = probe.inversions <= first;
  // Far from the ranks, first walk most of the way without recording slopes (a count-only
  // insertion sort), then read the density again from the two exact counts: the slopes recorded
  // and selected from are then only those near the ranks.
  const walked = walkTowards(p, probe, theta0, density, first, last);
  let from = walked ?? { order: probe, theta: theta0, density };
  let tight = walked !== null;
  for (let attempt = 0; attempt < 2; attempt++) {
    const start = from.order.inversions;
    const need = up ? last - start + 1 : start - first;
    const margin = tight
      ? Math.max(WALKED_MARGIN, WALKED_MARGIN_SHARE * need)
      : Math.max(PROBE_MARGIN, 0.5 * need);
    let low: number;
    let high: number;
    let known: { lower?: Order; upper?: Order };
    if (up) {
      low = from.theta;
      high = from.theta + (need + margin) / from.density;
      high += 2 * roundingBound(high, p);
      known = { lower: from.order };
    } else {
      high = from.theta;
      low = from.theta - (need + margin) / from.density;
      low -= 2 * roundingBound(low, p);
      // At exactly 0 the order that keeps ties unswapped counts the slopes < 0, and every rank
      // wanted here is below that count: the slopes equal to 0 are not in this bracket.
      known = { upper: from.order };
    }
    if (!(low < high)) return 'retry';
    const got = selectInBracket(p, low, high, part, known);
    if (got !== 'retry') return got;
    // Short of the ranks: the far end's order (reached by insertion sort, kept by reorder) is
    // exact, so the next bracket starts there, with the density between the two exact counts.
    const end = up ? high : low;
    const reached = p.orders.get(`${end}|${up}`);
    if (!reached || (up ? reached.inversions > first : reached.inversions <= last)) return 'retry';
    const counted = Math.abs(reached.inversions - start);
    const secant = counted / Math.abs(end - from.theta);
    if (!(counted > 0 && Number.isFinite(secant)) || end === 0 || end > 0 !== from.theta > 0) return 'retry';
    from = { order: reached, theta: end, density: secant };
    tight = true;
  }
  return 'retry';
}

/** A cluster at least this many ranks from the probe is first walked towards (walkTowards). */
const WALK_FROM = 1000;
/** Share of the distance the first walk covers: short of the cluster unless the density is off
 * by ~3× its sampling error (a 2√m-sample estimate: ~10%). */
const WALK_SHARE = 0.7;
/** Share of the rest of the way each further walk covers, the density then read from two exact
 * counts (far closer than the sample's); and how many walks at most. */
const WALK_ON_SHARE = 0.8;
const WALKS = 4;
/** Margin after a walk, in ranks and as a share of the rest of the way. */
const WALKED_MARGIN = 200;
const WALKED_MARGIN_SHARE = 0.25;

/**
 * The order at a θ most of the way from the probe to the cluster, reached by count-only
 * insertion sorts (each further one with the density between the last two exact counts, while
 * the cluster is still at least WALK_FROM ranks away), and that density; null when the cluster
 * is near, the probe is at 0 (whose tie rule differs), or the first walk overshot or failed (the
 * caller then brackets from the probe). A later walk that overshoots or fails is dropped.
 */
function walkTowards(
  p: Prepared,
  probe: Order,
  theta0: number,
  density: number,
  first: number,
  last: number,
): { order: Order; theta: number; density: number } | null {
  const up = probe.inversions <= first;
  if (theta0 === 0) return null;
  let at: { order: Order; theta: number; density: number } | null = null;
  let from = { order: probe, theta: theta0, density };
  for (let k = 0; k < WALKS; k++) {
    const below = from.order.inversions;
    const distance = up ? first - below : below - last - 1;
    if (distance < WALK_FROM) break;
    const step = ((k === 0 ? WALK_SHARE : WALK_ON_SHARE) * distance) / from.density;
    const theta = up ? from.theta + step : from.theta - step;
    // Never across 0: brackets split there, and the order at 0 has its own tie rule.
    if (!Number.isFinite(theta) || theta === 0 || theta > 0 !== theta0 > 0) break;
    const walked = walk(p, from.order, theta, up);
    if (!walked) break;
    const reached = walked.inversions;
    if (up ? reached > first : reached <= last) break;
    const counted = Math.abs(reached - below);
    const secant = counted / Math.abs(theta - from.theta);
    from = { order: walked, theta, density: counted > 0 && Number.isFinite(secant) ? secant : from.density };
    at = from;
  }
  return at;
}

/** Number of slopes (pairs with distinct x), or null if x is not ascending. */
function prepare(x: readonly number[], y: readonly number[]): Prepared | null {
  const n = x.length;
  const idx = int32(n);
  let xMax = 0;
  let yMax = 0;
  let equalX = false;
  for (let i = 0; i < n; i++) {
    const xi = x[i] as number;
    const yi = y[i] as number;
    if (i > 0) {
      const previous = x[i - 1] as number;
      if (xi < previous) return null;
      if (xi === previous) equalX = true;
    }
    const ax = Math.abs(xi);
    const ay = Math.abs(yi);
    if ((ax !== 0 && (ax < SMALLEST || ax > LARGEST)) || (ay !== 0 && (ay < SMALLEST || ay > LARGEST))) {
      return null;
    }
    if (ax > xMax) xMax = ax;
    if (ay > yMax) yMax = ay;
    idx[i] = i;
  }
  // x is ascending already; within a run of equal x, order by y: then no order by u ever swaps
  // two of them. Runs are short (usually 1), so sorting only them is linear in practice.
  for (let start = 0; equalX && start < n;) {
    let end = start + 1;
    while (end < n && x[end] === x[start]) end++;
    if (end - start > 1) {
      const run = Array.from(idx.subarray(start, end)).sort(
        (a, b) => (y[a] as number) - (y[b] as number) || a - b,
      );
      for (let k = 0; k < run.length; k++) idx[start + k] = run[k] as number;
    }
    start = end;
  }
  const xs = float64(n);
  const ys = float64(n);
  const group = int32(n);
  let g = 0;
  let run = 1;
  let equalPairs = 0;
  let dxMin = Infinity;
  for (let k = 0; k < n; k++) {
    const i = idx[k] as number;
    xs[k] = x[i] as number;
    ys[k] = y[i] as number;
    if (k > 0) {
      const dx = (xs[k] as number) - (xs[k - 1] as number);
      if (dx !== 0) {
        g++;
        equalPairs += (run * (run - 1)) / 2;
        run = 1;
        if (dx < dxMin) dxMin = dx;
      } else {
        run++;
      }
    }
    group[k] = g;
  }
  equalPairs += (run * (run - 1)) / 2;
  return {
    n,
    x: xs,
    y: ys,
    group,
    pairs: (n * (n - 1)) / 2 - equalPairs,
    xMax,
    yMax,
    dxMin,
    orders: new Map(),
  };
}

/**
 * Bound on how far a slope can be from θ and still be misplaced by the order by u = y − θ·x:
 * the rounding of u_i and u_j, divided by the smallest x gap, plus the rounding of the slope.
 * Generous by a factor of 16.
 */
function roundingBound(theta: number, p: Prepared): number {
  if (theta === 0 || !Number.isFinite(theta)) return 0;
  const a = Math.abs(theta);
  return 16 * UNIT_ROUNDOFF * ((2 * p.yMax + 4 * a * p.xMax) / p.dxMin + a);
}

/** A random sample of slopes between points with distinct x (unsorted: see placeRanks). */
function sampleSlopes(p: Prepared): Float64Array {
  const m = Math.min(p.pairs, SAMPLE_PER_POINT * p.n);
  const out = float64(m);
  // Seeded: the sample (and so the work done) is the same on every run.
  const random = xorshift32(p.n * 7919 + m, 0x2545f491);
  const { n, x: xs, y: ys } = p;
  let k = 0;
  // Bounded: with at least one pair of distinct x, a draw succeeds with probability ≥ 2/n², and
  // the cap stops the loop; a short sample only widens the bracket.
  for (let attempt = 0; attempt < m * 64 && k < m; attempt++) {
    const a = (random() * n) >>> 0;
    const b = (random() * n) >>> 0;
    const i = a < b ? a : b;
    const j = a < b ? b : a;
    const dx = (xs[j] as number) - (xs[i] as number);
    if (dx !== 0) out[k++] = ((ys[j] as number) - (ys[i] as number)) / dx;
  }
  return out.subarray(0, k);
}

/**
 * Puts the values of the given ranks of `sample` in place (a partial sort: selection). `placed`
 * (ascending) holds the ranks already in place, each with no larger value left of it and no
 * smaller one right: a new rank is selected only between its placed neighbours.
 */
function placeRanks(sample: Float64Array, placed: number[], ranks: readonly number[]): void {
  for (const r of ranks) {
    if (r < 0 || r >= sample.length) continue;
    let i = 0;
    while (i < placed.length && (placed[i] as number) < r) i++;
    if (placed[i] === r) continue;
    const left = i > 0 ? (placed[i - 1] as number) + 1 : 0;
    const right = i < placed.length ? (placed[i] as number) - 1 : sample.length - 1;
    floydRivest(sample, r, left, right);
    placed.splice(i, 0, r);
  }
}

/** Sample ranks (a, b) bracketing ranks [first, last] of all slopes, z standard errors wide. */
function bracketRanks(
  m: number,
  pairs: number,
  first: number,
  last: number,
  z: number,
): { a: number; b: number } {
  const qLow = first / pairs;
  const qHigh = (last + 1) / pairs;
  return {
    a: Math.floor(m * qLow - z * Math.sqrt(m * qLow * (1 - qLow))) - 1,
    b: Math.ceil(m * qHigh + z * Math.sqrt(m * qHigh * (1 - qHigh))) + 1,
  };
}

/** The bracket at sample ranks (a, b), widened by twice the rounding bound (±∞ off the ends). */
function bracketFor(
  sample: Float64Array,
  ends: { a: number; b: number },
  p: Prepared,
): { low: number; high: number } {
  const m = sample.length;
  const low = ends.a < 0 || m === 0 ? -Infinity : (sample[ends.a] as number);
  const high = ends.b >= m || m === 0 ? Infinity : (sample[ends.b] as number);
  return {
    low: low === 0 ? 0 : low - 2 * roundingBound(low, p),
    high: high === 0 ? 0 : high + 2 * roundingBound(high, p),
  };
}

/**
 * Selects the wanted ranks among the slopes in [low, high]. 'retry' when the bracket missed a
 * rank or a value came too close to an end; null when a consistency check failed.
 */
function selectInBracket(
  p: Prepared,
  low: number,
  high: number,
  wanted: readonly number[],
  known: { lower?: Order; upper?: Order } = {},
): Map<number, number> | 'retry' | null {
  const found = new Map<number, number>();
  // One end known (a probe) and no split at 0: reach the other end by insertion sort, which
  // also yields the pairs in between, in O(n + pairs).
  let between: Float64Array | null = null;
  let lower = known.lower;
  let upper = known.upper;
  if (
    !(low < 0 && high > 0) &&
    Number.isFinite(low) &&
    Number.isFinite(high) &&
    (lower === undefined) !== (upper === undefined)
  ) {
    const moved = lower ? reorder(p, lower, high, true, true) : reorder(p, upper as Order, low, false, false);
    if (moved) {
      between = moved.slopes;
      if (lower) upper = moved.order;
      else lower = moved.order;
    }
  }
  // Across 0 with one end known: insertion sorts from that end to 0 and from 0 on to the other
  // end give both orders at 0 and the slopes on each side, with no merge sort.
  if (
    low < 0 &&
    high > 0 &&
    Number.isFinite(low) &&
    Number.isFinite(high) &&
    (lower === undefined) !== (upper === undefined)
  ) {
    const across = acrossZero(p, low, high, wanted, lower ? { lower } : { upper: upper as Order });
    if (across !== undefined) return across;
  }
  lower ??= orderAt(p, low, false);
  upper ??= orderAt(p, high, true);
  const first = wanted[0] as number;
  const last = wanted[wanted.length - 1] as number;
  if (first < lower.inversions || last >= upper.inversions) return 'retry';
  const trustLow = low === 0 ? 0 : low + roundingBound(low, p);
  const trustHigh = high === 0 ? 0 : high - roundingBound(high, p);

  // Split at 0 when the bracket spans it: the counts at 0 are exact, and ties at 0 (flat
  // stretches) are answered without enumerating them.
  const segments: Array<{ from: Order; to: Order; lo: number; hi: number }> = [];
  if (low < 0 && high > 0) {
    const belowZero = orderAt(p, 0, false);
    const upToZero = orderAt(p, 0, true);
    for (const r of wanted) {
      if (r >= belowZero.inversions && r < upToZero.inversions) found.set(r, 0);
    }
    segments.push({ from: lower, to: belowZero, lo: trustLow, hi: 0 });
    segments.push({ from: upToZero, to: upper, lo: 0, hi: trustHigh });
  } else {
    segments.push({ from: lower, to: upper, lo: trustLow, hi: trustHigh });
  }
  for (const segment of segments) {
    const start = segment.from.inversions;
    const end = segment.to.inversions;
    if (!wanted.some((r) => r >= start && r < end && !found.has(r))) continue;
    const slopes = between ?? pairsBetween(p, segment.from.perm, segment.to.perm);
    if (!slopes || slopes.length !== end - start) return null;
    const got = selectSegment(slopes, start, wanted, found, segment.lo, segment.hi);
    if (got !== undefined) return got;
  }
  return found;
}

/**
 * Selects the wanted ranks in [start, start + slopes.length) that are not found yet from the
 * slopes of that segment, into `found`; 'retry' when a value lies closer to an end than the
 * rounding allows (an exact end, 0 or ±∞, is fine), else undefined.
 */
function selectSegment(
  slopes: Float64Array,
  start: number,
  wanted: readonly number[],
  found: Map<number, number>,
  lo: number,
  hi: number,
): 'retry' | undefined {
  const local = wanted.filter((r) => r >= start && r < start + slopes.length && !found.has(r));
  if (local.length === 0) return undefined;
  const values = selectRanks(
    slopes,
    local.map((r) => r - start),
  );
  for (let i = 0; i < local.length; i++) {
    const v = values[i] as number;
    const okLow = lo === 0 ? v >= 0 : v >= lo;
    const okHigh = hi === 0 ? v <= 0 : v <= hi;
    if (!okLow || !okHigh) return 'retry';
    found.set(local[i] as number, v);
  }
  return undefined;
}

/**
 * {@link selectInBracket} for a bracket across 0 with one end known: an insertion sort from the
 * known end to 0 (its slopes are one side's), the order at 0 with the other tie rule (the same
 * order when no two points of distinct x have equal y), and an insertion sort on to the far end
 * (the other side's slopes). Undefined when an insertion sort gives up (the caller merge-sorts).
 */
function acrossZero(
  p: Prepared,
  low: number,
  high: number,
  wanted: readonly number[],
  known: { lower: Order } | { upper: Order },
): Map<number, number> | 'retry' | null | undefined {
  const found = new Map<number, number>();
  const first = wanted[0] as number;
  const last = wanted[wanted.length - 1] as number;
  const trustLow = low + roundingBound(low, p);
  const trustHigh = high - roundingBound(high, p);
  const up = 'lower' in known;
  const near = up ? known.lower : known.upper;
  // Leg 1: the known end to 0, with the tie rule of that side (ties at 0 stay on the far side).
  const toZero = reorder(p, near, 0, !up, up);
  if (!toZero) return undefined;
  const nearStart = up ? near.inversions : toZero.order.inversions;
  if (up ? first < nearStart : last >= near.inversions) return 'retry';
  const leg1 = selectSegment(toZero.slopes, nearStart, wanted, found, up ? trustLow : 0, up ? 0 : trustHigh);
  if (leg1 !== undefined) return leg1;
  const other = orderAt(p, 0, up);
  const [belowZero, upToZero] = up ? [toZero.order, other] : [other, toZero.order];
  for (const r of wanted) {
    if (r >= belowZero.inversions && r < upToZero.inversions) found.set(r, 0);
  }
  // Every rank settled on the near side or among the slopes equal to 0 (a quantised series'
  // median): the far side holds none of them.
  if (wanted.every((r) => found.has(r))) return found;
  // Leg 2: 0 on to the far end.
  const toFar = reorder(p, other, up ? high : low, up, up);
  if (!toFar) return undefined;
  if (up ? last >= toFar.order.inversions : first < toFar.order.inversions) return 'retry';
  const farStart = up ? upToZero.inversions : toFar.order.inversions;
  const leg2 = selectSegment(toFar.slopes, farStart, wanted, found, up ? 0 : trustLow, up ? trustHigh : 0);
  if (leg2 !== undefined) return leg2;
  return wanted.every((r) => found.has(r)) ? found : 'retry';
}

/**
 * {@link reorder} counting only, with ties kept in x order (the order counting slopes < θ): the
 * walks between probes, most of the insertion sorts' steps, with less work per step. Two points
 * of equal x never pass each other here: prepare put them in y order, and at any θ their keys
 * y − θ·x (the same θ·x subtracted, rounding being monotone) are in that order or equal, when
 * the x order keeps them.
 */
function walk(p: Prepared, from: Order, theta: number, up: boolean): Order | null {
  const n = p.n;
  ensure(n);
  const xs = p.x;
  const ys = p.y;
  const perm = int32(n);
  perm.set(from.perm);
  const key = keysB;
  for (let t = 0; t < n; t++) {
    const i = perm[t] as number;
    key[t] = (ys[i] as number) - theta * (xs[i] as number);
  }
  const budget = 64 * n;
  let count = 0;
  for (let t = 1; t < n; t++) {
    const ke = key[t] as number;
    const e = perm[t] as number;
    let u = t - 1;
    while (u >= 0) {
      const kf = key[u] as number;
      if (ke > kf) break;
      const f = perm[u] as number;
      if (ke === kf && e > f) break;
      // e passes f: swapped (e > f) going up, unswapped (e < f) going down; the other way means
      // the orders disagree beyond rounding.
      if (e > f !== up) return null;
      perm[u + 1] = f;
      key[u + 1] = kf;
      u--;
    }
    if (u < t - 1) {
      perm[u + 1] = e;
      key[u + 1] = ke;
      count += t - 1 - u;
      if (count > budget) return null;
    }
  }
  const group = p.group;
  let tied = false;
  for (let t = 1; t < n && !tied; t++) {
    tied = key[t] === key[t - 1] && group[perm[t] as number] !== group[perm[t - 1] as number];
  }
  const order = makeOrder(perm, up ? from.inversions + count : from.inversions - count, tied);
  p.orders.set(`${theta}|false`, order);
  return order;
}

/**
 * The order at θ reached from a known order by insertion sort, and the slopes of the pairs it
 * moves past each other (only counted unless `record`): O(n + pairs). Going up in θ (`up`), pairs may only become swapped
 * relative to x order; going down, only unswapped. A pair moving the other way means the two
 * orders disagree beyond rounding: null (the caller then merge-sorts). Null too past a budget.
 */
function reorder(
  p: Prepared,
  from: Order,
  theta: number,
  tiesSwap: boolean,
  up: boolean,
  record = true,
): { order: Order; slopes: Float64Array } | null {
  const n = p.n;
  ensure(n);
  const xs = p.x;
  const ys = p.y;
  const group = p.group;
  const perm = int32(n);
  perm.set(from.perm);
  const key = keysB;
  for (let t = 0; t < n; t++) {
    const i = perm[t] as number;
    key[t] = (ys[i] as number) - theta * (xs[i] as number);
  }
  const budget = 64 * n;
  let count = 0;
  let buf = slopeBuf;
  for (let t = 1; t < n; t++) {
    const ke = key[t] as number;
    // Most points do not move: a key above its left neighbour's stays where it is.
    if (ke > (key[t - 1] as number)) continue;
    const e = perm[t] as number;
    const ge = group[e] as number;
    const xe = xs[e] as number;
    const ye = ys[e] as number;
    if (record && count + t > buf.length) {
      const grown = new Float64Array(Math.max(1024, 2 * buf.length, count + t));
      grown.set(buf.subarray(0, count));
      slopeBuf = buf = grown;
    }
    let u = t - 1;
    while (u >= 0) {
      const f = perm[u] as number;
      const kf = key[u] as number;
      const gf = group[f] as number;
      // The merge sort's total order: key, then (tiesSwap) later x group first, then x order.
      if (!(ke < kf || (ke === kf && (tiesSwap && ge !== gf ? ge > gf : e < f)))) break;
      // e passes f: the pair becomes swapped (e > f) or unswapped (e < f) relative to x order;
      // the other way, or two points of equal x, means the orders disagree beyond rounding.
      if (e > f !== up || ge === gf) return null;
      // Lower x first, as the O(n²) path orients each pair: f below e going up, e below f down.
      if (record) {
        buf[count] = up
          ? (ye - (ys[f] as number)) / (xe - (xs[f] as number))
          : ((ys[f] as number) - ye) / ((xs[f] as number) - xe);
      }
      count++;
      perm[u + 1] = f;
      key[u + 1] = kf;
      u--;
    }
    perm[u + 1] = e;
    key[u + 1] = ke;
    if (count > budget) return null;
  }
  // Equal keys are neighbours in the order reached (so the order at 0 stands for its twin).
  let tied = false;
  for (let t = 1; t < n && !tied; t++) {
    tied = key[t] === key[t - 1] && group[perm[t] as number] !== group[perm[t - 1] as number];
  }
  const order = makeOrder(perm, up ? from.inversions + count : from.inversions - count, tied);
  p.orders.set(`${theta}|${tiesSwap}`, order);
  return { order, slopes: record ? buf.subarray(0, count) : buf.subarray(0, 0) };
}

// Scratch buffers reused across calls: a fleet analysis calls this 10,000s of times, and fresh
// typed arrays per call would dominate the garbage. Not reentrant (nothing here awaits).
let keys = new Float64Array(0);
let keysB = new Float64Array(0);
let bufA = new Int32Array(0);
let bufB = new Int32Array(0);
let bufC = new Int32Array(0);
let bufD = new Int32Array(0);
let rankOf = new Int32Array(0);
let slopeBuf = new Float64Array(0);

// Arrays that live only during one selectSlopes (or decreasingPairs) call: the points, the
// sample and each order's permutation. Handed out in turn from slots kept between calls, since
// fresh typed arrays (off-heap buffers) per call were ~10% of a fleet analysis in the garbage
// collector. Every user fills what it takes before reading it.
const intSlots: Int32Array[] = [];
const floatSlots: Float64Array[] = [];
let intsTaken = 0;
let floatsTaken = 0;

/** Starts a call: every slot is free again (nothing from the previous call is still read). */
function beginCall(): void {
  intsTaken = 0;
  floatsTaken = 0;
}

/** n int32s from the next free slot (contents undefined). */
function int32(n: number): Int32Array {
  let slot = intSlots[intsTaken];
  if (!slot || slot.length < n) {
    slot = new Int32Array(Math.max(n, 1024));
    intSlots[intsTaken] = slot;
  }
  intsTaken++;
  return slot.subarray(0, n);
}

/** n float64s from the next free slot (contents undefined). */
function float64(n: number): Float64Array {
  let slot = floatSlots[floatsTaken];
  if (!slot || slot.length < n) {
    slot = new Float64Array(Math.max(n, 1024));
    floatSlots[floatsTaken] = slot;
  }
  floatsTaken++;
  return slot.subarray(0, n);
}

function ensure(n: number): void {
  if (keys.length >= n) return;
  keys = new Float64Array(n);
  keysB = new Float64Array(n);
  bufA = new Int32Array(n);
  bufB = new Int32Array(n);
  bufC = new Int32Array(n);
  bufD = new Int32Array(n);
  rankOf = new Int32Array(n);
}

/**
 * The points ordered by u = y − θ·x (ascending) and how many pairs that order swaps relative to
 * the x order. Equal u: `tiesSwap` false keeps x order (counts slopes < θ), true swaps points of
 * different x (counts slopes ≤ θ); points of equal x are never swapped.
 */
function orderAt(p: Prepared, theta: number, tiesSwap: boolean): Order {
  // Brackets of neighbouring ranks share ends (θ = 0 above all, for flat series): count once.
  const key = `${theta}|${tiesSwap}`;
  const cached = p.orders.get(key);
  if (cached) return cached;
  // Without equal keys between points of distinct x the tie rule changes nothing: the order
  // with the other rule is this one (at θ = 0, a series with no two equal values).
  const twin = p.orders.get(`${theta}|${!tiesSwap}`);
  if (twin && twin.tied === false) {
    p.orders.set(key, twin);
    return twin;
  }
  const order = computeOrder(p, theta, tiesSwap);
  p.orders.set(key, order);
  return order;
}

function computeOrder(p: Prepared, theta: number, tiesSwap: boolean): Order {
  const n = p.n;
  ensure(n);
  const perm = int32(n);
  if (theta === -Infinity) {
    for (let i = 0; i < n; i++) perm[i] = i;
    return makeOrder(perm, 0, null);
  }
  if (theta === Infinity) {
    // Every pair of distinct x swapped: groups in descending x, each in its own order.
    let k = 0;
    let end = n;
    while (end > 0) {
      let start = end - 1;
      while (start > 0 && p.group[start - 1] === p.group[end - 1]) start--;
      for (let i = start; i < end; i++) perm[k++] = i;
      end = start;
    }
    return makeOrder(perm, p.pairs, null);
  }
  // Keys travel with their indices (no indirection in the merge loop); locals, not module slots.
  const xs = p.x;
  const ys = p.y;
  const group = p.group;
  let src = bufA;
  let dst = bufB;
  let srcKey = keys;
  let dstKey = keysB;
  for (let i = 0; i < n; i++) {
    src[i] = i;
    srcKey[i] = (ys[i] as number) - theta * (xs[i] as number);
  }
  let inversions = 0;
  // Order: key ascending; equal keys with tiesSwap: later group first (same group: x order).
  // Runs of RUN by insertion sort (each shift is one swapped pair), then bottom-up merges
  // (taking from the right run before k left elements swaps k pairs).
  for (let lo = 0; lo < n; lo += RUN) {
    const hi = Math.min(lo + RUN, n);
    for (let t = lo + 1; t < hi; t++) {
      const b = src[t] as number;
      const kb = srcKey[t] as number;
      let u = t - 1;
      while (u >= lo) {
        const ka = srcKey[u] as number;
        if (!(kb < ka || (tiesSwap && kb === ka && group[src[u] as number] !== group[b]))) break;
        src[u + 1] = src[u] as number;
        srcKey[u + 1] = ka;
        u--;
      }
      inversions += t - 1 - u;
      src[u + 1] = b;
      srcKey[u + 1] = kb;
    }
  }
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        const ka = srcKey[i] as number;
        const kb = srcKey[j] as number;
        if (kb < ka || (tiesSwap && kb === ka && group[src[i] as number] !== group[src[j] as number])) {
          dst[k] = src[j] as number;
          dstKey[k++] = kb;
          j++;
          inversions += mid - i;
        } else {
          dst[k] = src[i] as number;
          dstKey[k++] = ka;
          i++;
        }
      }
      while (i < mid) {
        dst[k] = src[i] as number;
        dstKey[k++] = srcKey[i++] as number;
      }
      while (j < hi) {
        dst[k] = src[j] as number;
        dstKey[k++] = srcKey[j++] as number;
      }
    }
    const t = src;
    src = dst;
    dst = t;
    const tk = srcKey;
    srcKey = dstKey;
    dstKey = tk;
  }
  perm.set(src.subarray(0, n));
  // Equal keys are neighbours in the sorted order.
  let tied = false;
  for (let t = 1; t < n && !tied; t++) {
    tied = srcKey[t] === srcKey[t - 1] && group[src[t] as number] !== group[src[t - 1] as number];
  }
  return makeOrder(perm, inversions, tied);
}

/**
 * Slopes of the pairs that two orders place differently: the inversions of the sequence "rank
 * in `to`" read in `from` order, enumerated by a merge sort in O(n log n + pairs). Null if a pair
 * of equal x turns up (it cannot when the orders are consistent).
 */
function pairsBetween(p: Prepared, from: Int32Array, to: Int32Array): Float64Array | null {
  const n = p.n;
  ensure(n);
  for (let i = 0; i < n; i++) rankOf[to[i] as number] = i;
  let src = bufC;
  let dst = bufD;
  for (let i = 0; i < n; i++) src[i] = from[i] as number;
  let count = 0;
  const xs = p.x;
  const ys = p.y;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        const a = src[i] as number;
        const b = src[j] as number;
        if ((rankOf[b] as number) < (rankOf[a] as number)) {
          // b jumps ahead of every remaining left element: each is a pair the orders disagree on.
          const need = count + (mid - i);
          if (need > slopeBuf.length) {
            const grown = new Float64Array(Math.max(need, slopeBuf.length * 2, 1024));
            grown.set(slopeBuf.subarray(0, count));
            slopeBuf = grown;
          }
          const xb = xs[b] as number;
          const yb = ys[b] as number;
          for (let t = i; t < mid; t++) {
            const a2 = src[t] as number;
            // Lower x first, exactly as the O(n²) path orients each pair.
            const xa = xs[a2] as number;
            const ya = ys[a2] as number;
            const dx = a2 < b ? xb - xa : xa - xb;
            if (dx === 0) return null;
            slopeBuf[count++] = a2 < b ? (yb - ya) / dx : (ya - yb) / dx;
          }
          dst[k++] = b;
          j++;
        } else {
          dst[k++] = a;
          i++;
        }
      }
      while (i < mid) dst[k++] = src[i++] as number;
      while (j < hi) dst[k++] = src[j++] as number;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  return slopeBuf.subarray(0, count);
}

/**
 * Values at the given 0-based ranks of `values` (reordered in place): a plain sort for short
 * arrays, else selection (selectInto).
 */
function selectRanks(values: Float64Array, ranks: readonly number[]): number[] {
  if (values.length <= SORT_BELOW) {
    sortNumbers(values, 0, values.length);
    return ranks.map((r) => values[r] as number);
  }
  const sorted = [...new Set(ranks)].sort((a, b) => a - b);
  selectInto(values, 0, values.length, sorted, 0, sorted.length);
  return ranks.map((r) => values[r] as number);
}

/**
 * Rearranges values[lo, hi) so that each of wanted[from, to) (sorted ranks inside the range)
 * holds the value a full sort would put there. Ranks are placed in ascending order, each in what
 * is right of the previous one: a rank right after the previous one is the minimum of that part
 * (one scan), any other is found by Floyd-Rivest selection.
 */
function selectInto(
  values: Float64Array,
  lo: number,
  hi: number,
  wanted: readonly number[],
  from: number,
  to: number,
): void {
  let left = lo;
  let previous = -1;
  for (let w = from; w < to; w++) {
    const r = wanted[w] as number;
    if (r === previous) continue;
    if (r === previous + 1 && previous >= lo) {
      // Everything right of `previous` is ≥ its value: rank r is their minimum.
      let at = r;
      let min = values[r] as number;
      for (let t = r + 1; t < hi; t++) {
        const v = values[t] as number;
        if (v < min) {
          min = v;
          at = t;
        }
      }
      values[at] = values[r] as number;
      values[r] = min;
    } else {
      floydRivest(values, r, left, hi - 1);
    }
    previous = r;
    left = r + 1;
  }
}

/** From this many values Floyd-Rivest first selects from a sample (their published cut-off). */
const FLOYD_RIVEST_SAMPLE_FROM = 600;

/**
 * Puts the value of rank k of values[left, right] (inclusive) at k, smaller ones left of it and
 * larger ones right: Floyd and Rivest's SELECT (CACM 1975, Algorithm 489). The pivot is the rank
 * picked recursively from a sample around where k falls, so one partition pass nearly settles k:
 * about n + min(k, n − k) comparisons where quickselect's median-of-three makes ~3.4n.
 */
function floydRivest(values: Float64Array, k: number, left: number, right: number): void {
  while (right > left) {
    if (right - left > FLOYD_RIVEST_SAMPLE_FROM) {
      const n = right - left + 1;
      const m = k - left + 1;
      const z = Math.log(n);
      const s = 0.5 * Math.exp((2 * z) / 3);
      const sd = 0.5 * Math.sqrt((z * s * (n - s)) / n) * (m - n / 2 < 0 ? -1 : 1);
      const newLeft = Math.max(left, Math.floor(k - (m * s) / n + sd));
      const newRight = Math.min(right, Math.floor(k + ((n - m) * s) / n + sd));
      floydRivest(values, k, newLeft, newRight);
    }
    const t = values[k] as number;
    let i = left;
    let j = right;
    swapAt(values, left, k);
    if ((values[right] as number) > t) swapAt(values, left, right);
    while (i < j) {
      swapAt(values, i, j);
      i++;
      j--;
      while ((values[i] as number) < t) i++;
      while ((values[j] as number) > t) j--;
    }
    if (values[left] === t) swapAt(values, left, j);
    else {
      j++;
      swapAt(values, j, right);
    }
    if (j <= k) left = j + 1;
    if (k <= j) right = j - 1;
  }
}

function swapAt(values: Float64Array, a: number, b: number): void {
  const t = values[a] as number;
  values[a] = values[b] as number;
  values[b] = t;
}

/**
 * Sorts values[lo, hi) ascending: quicksort with insertion sort for short runs. Several times
 * faster than Float64Array.prototype.sort on V8 11, which this file exists to be fast for. The
 * values are finite and never -0 here, so any correct sort gives the same array.
 */
export function sortNumbers(values: Float64Array, lo: number, hi: number): void {
  // Recursion only into the smaller side keeps the depth below log2(n).
  while (hi - lo > 16) {
    const pivot = medianOfThree(
      values[lo] as number,
      values[(lo + hi) >>> 1] as number,
      values[hi - 1] as number,
    );
    let i = lo;
    let j = hi - 1;
    while (i <= j) {
      while ((values[i] as number) < pivot) i++;
      while ((values[j] as number) > pivot) j--;
      if (i <= j) {
        const t = values[i] as number;
        values[i] = values[j] as number;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (j + 1 - lo < hi - i) {
      sortNumbers(values, lo, j + 1);
      lo = i;
    } else {
      sortNumbers(values, i, hi);
      hi = j + 1;
    }
  }
  for (let i = lo + 1; i < hi; i++) {
    const v = values[i] as number;
    let j = i - 1;
    while (j >= lo && (values[j] as number) > v) {
      values[j + 1] = values[j] as number;
      j--;
    }
    values[j + 1] = v;
  }
}

function medianOfThree(a: number, b: number, c: number): number {
  if (a < b) return b < c ? b : a < c ? c : a;
  return a < c ? a : b < c ? c : b;
}
