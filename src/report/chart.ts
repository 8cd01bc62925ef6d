/** A small text chart of one series (heap over requests) for the terminal. */

const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/**
 * Renders y over x as a bar chart `width` columns wide and `height` rows tall, each column the
 * mean of the points that fall in it. Returns the lines, top first, without axis labels.
 */
export function barChart(x: readonly number[], y: readonly number[], width = 56, height = 6): string[] {
  if (x.length === 0) return [];
  const xmin = Math.min(...x);
  const xmax = Math.max(...x);
  const ymin = Math.min(...y);
  const ymax = Math.max(...y);
  const sums = new Array<number>(width).fill(0);
  const counts = new Array<number>(width).fill(0);
  for (let i = 0; i < x.length; i++) {
    const col =
      xmax > xmin ? Math.min(width - 1, Math.floor((((x[i] as number) - xmin) / (xmax - xmin)) * width)) : 0;
    sums[col] = (sums[col] as number) + (y[i] as number);
    counts[col] = (counts[col] as number) + 1;
  }
  // Empty columns repeat their left neighbour so the chart reads as a line, not a comb.
  const cols: number[] = [];
  let prev = y[0] as number;
  for (let c = 0; c < width; c++) {
    const n = counts[c] as number;
    prev = n > 0 ? (sums[c] as number) / n : prev;
    cols.push(prev);
  }
  const range = ymax - ymin || 1;
  const lines: string[] = [];
  for (let row = height - 1; row >= 0; row--) {
    let line = '';
    for (const v of cols) {
      // Height in eighths of a row; the lowest value still shows a sliver.
      const eighths = Math.max(1, Math.round(((v - ymin) / range) * (height * 8 - 1)) + 1);
      const filled = eighths - row * 8;
      line += filled >= 8 ? BLOCKS[7] : filled > 0 ? BLOCKS[filled - 1] : ' ';
    }
    lines.push(line);
  }
  return lines;
}
