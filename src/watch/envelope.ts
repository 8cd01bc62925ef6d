/**
 * The lower envelope of a scrape-time memory series. Heap read at scrape time is a sawtooth: live
 * memory plus the garbage allocated since the last collection, dropping at each GC. Its minimum
 * over a stretch that holds a collection is the post-GC floor plus a little, and a leak raises
 * that floor; the peaks only say how much garbage the traffic makes. So the points are cut into
 * consecutive blocks, each block's lowest point is kept, and the trend is fitted on those.
 *
 * The block length is read from the data: short blocks miss collections (their minima ride the
 * sawtooth and scatter by up to its height), long enough ones catch one each (their minima scatter
 * only as the floor does). Among block lengths that leave enough blocks, the shortest whose minima
 * scatter (median absolute deviation around a straight line) is within 1.5× of the least
 * scatter is chosen: as many points as possible, no sawtooth left in them. Pure.
 */
import { olsFit } from '../analysis';

/** The envelope: which points were kept, and what the choice rested on. */
export interface LowerEnvelope {
  /** Indices (into the input) of each block's lowest point, in order. */
  indices: number[];
  /** Points per block. */
  block: number;
  /** Finite points the blocks were cut from. */
  points: number;
  /** Median absolute deviation of the kept points around their least-squares line. */
  scatter: number;
  /** The same for the raw points (the sawtooth's own scatter), for comparison. */
  rawScatter: number;
}

/** Scatter within this factor of the least counts as "no sawtooth left". */
const SCATTER_SLACK = 1.5;

/**
 * Chooses the block length and returns each block's lowest point.
 *
 * @param x - x of each point (time or requests), ascending
 * @param y - values; non-finite ones are skipped
 * @param minBlocks - fewest blocks to keep (the analysis' minimum samples)
 * @returns the envelope, or null when there are fewer than 2 × minBlocks finite points
 */
export function lowerEnvelope(
  x: readonly number[],
  y: readonly number[],
  minBlocks: number,
): LowerEnvelope | null {
  const finite: number[] = [];
  for (let i = 0; i < y.length; i++) {
    if (Number.isFinite(y[i]) && Number.isFinite(x[i])) finite.push(i);
  }
  const n = finite.length;
  const longest = Math.floor(n / Math.max(1, minBlocks));
  if (longest < 2) return null;
  const candidates: number[] = [];
  for (let b = 2; b <= longest; b = Math.max(b + 1, Math.round(b * 1.25))) candidates.push(b);
  const tried = candidates.map((block) => {
    const indices = blockMinima(finite, y, block);
    return { block, indices, scatter: scatterOf(indices, x, y) };
  });
  const least = Math.min(...tried.map((t) => t.scatter));
  const chosen =
    tried.find((t) => t.scatter <= least * SCATTER_SLACK) ?? (tried[0] as (typeof tried)[number]);
  return {
    indices: chosen.indices,
    block: chosen.block,
    points: n,
    scatter: chosen.scatter,
    rawScatter: scatterOf(finite, x, y),
  };
}

/** The lowest point of each block of `block` consecutive points (a short last block joins the one before). */
function blockMinima(finite: readonly number[], y: readonly number[], block: number): number[] {
  const out: number[] = [];
  const blocks = Math.floor(finite.length / block);
  for (let b = 0; b < blocks; b++) {
    const end = b === blocks - 1 ? finite.length : (b + 1) * block;
    let best = finite[b * block] as number;
    for (let k = b * block + 1; k < end; k++) {
      const i = finite[k] as number;
      if ((y[i] as number) < (y[best] as number)) best = i;
    }
    out.push(best);
  }
  return out;
}

function scatterOf(indices: readonly number[], x: readonly number[], y: readonly number[]): number {
  const xs = indices.map((i) => x[i] as number);
  const ys = indices.map((i) => y[i] as number);
  const fit = olsFit(xs, ys, 0.95);
  const residuals = xs.map((xi, k) => Math.abs((ys[k] as number) - (fit.intercept + fit.slope * xi)));
  residuals.sort((a, b) => a - b);
  return residuals[Math.floor(residuals.length / 2)] ?? 0;
}
