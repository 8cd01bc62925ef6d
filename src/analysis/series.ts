/** Paired (x, y) series: validation, cleaning and bounds-checked indexing shared by the fits. */

/**
 * Throws unless x and y are equally long arrays of finite numbers and confidence is in (0, 1).
 * The fits refuse bad input instead of returning NaN; {@link cleanSeries} is the place that
 * drops (and counts) unusable samples.
 *
 * @param x - predictor values
 * @param y - response values
 * @param confidence - confidence level
 */
export function checkSeries(x: readonly number[], y: readonly number[], confidence: number): void {
  if (x.length !== y.length) {
    throw new RangeError(`x and y differ in length (${x.length} vs ${y.length})`);
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) {
      throw new RangeError(`non-finite value at index ${i}; drop such samples before fitting`);
    }
  }
}

/** A series ready for fitting: finite pairs sorted by x, and how many pairs were dropped. */
export interface CleanSeries {
  /** Predictor values, ascending. */
  x: number[];
  /** Response values, in the order of `x`. */
  y: number[];
  /** Pairs dropped because x or y was not a finite number. */
  skipped: number;
}

/**
 * Drops pairs where either value is not finite (counting them) and sorts the rest by x, keeping
 * the original order among equal x. The trend tests read y in x order.
 *
 * @param x - predictor values
 * @param y - response values, same length as `x`
 * @returns the cleaned series
 */
export function cleanSeries(x: readonly number[], y: readonly number[]): CleanSeries {
  if (x.length !== y.length) {
    throw new RangeError(`x and y differ in length (${x.length} vs ${y.length})`);
  }
  if (finiteAscending(x, y)) return { x: [...x], y: [...y], skipped: 0 };
  const pairs: [number, number][] = [];
  let skipped = 0;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    const yi = y[i];
    if (xi === undefined || yi === undefined || !Number.isFinite(xi) || !Number.isFinite(yi)) {
      skipped++;
    } else {
      pairs.push([xi, yi]);
    }
  }
  pairs.sort((a, b) => a[0] - b[0]); // Array.prototype.sort is stable
  return { x: pairs.map((p) => p[0]), y: pairs.map((p) => p[1]), skipped };
}

/** True when every pair is finite and x never decreases: the stable sort would change nothing. */
function finiteAscending(x: readonly number[], y: readonly number[]): boolean {
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    const yi = y[i];
    if (xi === undefined || yi === undefined || !Number.isFinite(xi) || !Number.isFinite(yi)) return false;
    if (i > 0 && xi < (x[i - 1] as number)) return false;
  }
  return true;
}

/**
 * Reads `values[i]`, throwing if it is out of range. Keeps loops readable under
 * noUncheckedIndexedAccess without scattering non-null assertions.
 *
 * @param values - array to read
 * @param i - index
 * @returns the element
 */
export function at(values: ArrayLike<number>, i: number): number {
  const v = values[i];
  if (v === undefined) throw new RangeError(`index ${i} out of range (length ${values.length})`);
  return v;
}
