/**
 * An inline SVG line chart of one metric over requests served: the samples coloured by phase, the
 * fitted line over the measured window, and the warm-up and cool-down shaded. No scripts, no
 * external resources, so the HTML report opens offline under a strict CSP. Pure.
 */
import { formatAmount, formatNumber } from '../analysis/format';
import type { MetricUnit } from '../analysis/metrics';
import { escapeHtml } from './escape';

/** One sample to plot. */
export interface PlotPoint {
  /** Requests served. */
  x: number;
  /** Metric value. */
  y: number;
  /** Run phase: 'warmup', 'measure' or 'cooldown' (anything else is drawn as measured). */
  phase: string;
}

/** What to draw. */
export interface SvgChartInput {
  /** Accessible title, e.g. "heapUsed of process 1234". */
  title: string;
  /** Axis label of the values, e.g. "heap after GC". */
  yLabel: string;
  /** Unit of the values, for tick labels. */
  unit: MetricUnit;
  /** Samples of every phase. */
  points: readonly PlotPoint[];
  /** Fitted line y = intercept + slope·x over [fromX, toX] (the measured window), when estimable. */
  fit?: { intercept: number; slope: number; fromX: number; toX: number };
  /** Draws the fitted line as a leak (class `fit fit-leak`). */
  leak?: boolean;
  /** Extra attributes' values for the <svg> (data-metric etc.); escaped. */
  data?: Record<string, string>;
}

const WIDTH = 720;
const HEIGHT = 250;
const MARGIN = { right: 18, top: 16, bottom: 40 };
/** Pixels per character of an 11px tick label, to make room for the longest one. */
const CHAR_WIDTH = 6.6;
/** Bands narrower than this many pixels are widened so a short cool-down is still visible. */
const MIN_BAND = 6;

/**
 * "Nice" tick values (1, 2 or 5 × 10^k apart) covering [min, max].
 *
 * @param min - lowest value
 * @param max - highest value, > min
 * @param count - ticks wanted, roughly
 * @returns tick values in ascending order
 */
export function niceTicks(min: number, max: number, count: number): number[] {
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag) || 1;
  const ticks: number[] = [];
  // Bounded: at most count·5 ticks for any step chosen above.
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9 && ticks.length < count * 5; v += step) {
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return ticks;
}

/**
 * Tick labels in the metric's unit ("12 MB"); when rounding makes two alike (a flat series that
 * moves by a few bytes), exact numbers instead ("2,196,034 B").
 */
function tickLabels(ticks: readonly number[], unit: MetricUnit): string[] {
  const short = ticks.map((v) => formatAmount(v, unit));
  if (new Set(short).size === short.length) return short;
  const step = ticks.length > 1 ? Math.abs((ticks[1] as number) - (ticks[0] as number)) : 1;
  const decimals = Math.min(6, Math.max(0, -Math.floor(Math.log10(step))));
  return ticks.map((v) => `${formatNumber(v, decimals)}${unit === 'bytes' ? ' B' : ''}`);
}

/**
 * Renders the chart as an <svg> element string. Points get classes `pt pt-<phase>`, the fitted
 * line class `fit`, the phase bands `band band-warmup` / `band band-cooldown`, so a page and a
 * test can find them.
 *
 * @param input - samples, fit and labels
 * @returns the SVG markup, or an empty string when there are no points
 */
export function svgChart(input: SvgChartInput): string {
  const pts = [...input.points]
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y))
    .sort((a, b) => a.x - b.x);
  if (pts.length === 0) return '';
  const measured = pts.filter((p) => p.phase !== 'warmup' && p.phase !== 'cooldown');
  // The x axis starts at 0 requests: the warm-up covers everything before the first measured sample.
  const xMin = 0;
  let xMax = Math.max(...pts.map((p) => p.x));
  if (xMax <= xMin) xMax = xMin + 1;
  const fit = input.fit;
  const fitYs = fit ? [fit.fromX, fit.toX].map((x) => fit.intercept + fit.slope * x) : [];
  let yMin = Math.min(...pts.map((p) => p.y), ...fitYs);
  let yMax = Math.max(...pts.map((p) => p.y), ...fitYs);
  if (yMax - yMin < 1e-9 * Math.max(1, Math.abs(yMax))) {
    const pad = Math.max(1, Math.abs(yMax) * 0.05);
    yMin -= pad;
    yMax += pad;
  } else {
    const pad = (yMax - yMin) * 0.06;
    yMin = yMin >= 0 && yMin - pad < 0 ? 0 : yMin - pad;
    yMax += pad;
  }
  const yTicks = niceTicks(yMin, yMax, 5);
  const yLabels = tickLabels(yTicks, input.unit);
  // The plot starts right of the longest tick label and the rotated axis label.
  const M = {
    ...MARGIN,
    left: Math.round(Math.max(60, 30 + CHAR_WIDTH * Math.max(...yLabels.map((l) => l.length)))),
  };
  const plotW = WIDTH - M.left - M.right;
  const plotH = HEIGHT - M.top - M.bottom;
  const sx = (x: number): number => M.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const sy = (y: number): number => M.top + (1 - (y - yMin) / (yMax - yMin)) * plotH;
  const f = (v: number): string => (Math.round(v * 10) / 10).toString();

  const out: string[] = [];
  const data = Object.entries(input.data ?? {})
    .map(([k, v]) => ` data-${k.replace(/[^a-z0-9-]/gi, '')}="${escapeHtml(v)}"`)
    .join('');
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeHtml(input.title)}" data-samples="${pts.length}"${data}>`,
  );
  out.push(`<title>${escapeHtml(input.title)}</title>`);

  // Phase bands.
  const firstMeasured = measured[0];
  const lastMeasured = measured.at(-1);
  const bands: Array<{ phase: string; label: string; from: number; to: number }> = [];
  if (firstMeasured && pts.some((p) => p.phase === 'warmup'))
    bands.push({ phase: 'warmup', label: 'warm-up', from: xMin, to: firstMeasured.x });
  if (lastMeasured && pts.some((p) => p.phase === 'cooldown'))
    bands.push({ phase: 'cooldown', label: 'cool-down', from: lastMeasured.x, to: xMax });
  for (const b of bands) {
    let x0 = sx(b.from);
    let x1 = sx(b.to);
    if (x1 - x0 < MIN_BAND) {
      if (b.phase === 'cooldown') x1 = Math.min(M.left + plotW, x0 + MIN_BAND);
      x0 = Math.min(x0, x1 - MIN_BAND);
    }
    out.push(
      `<rect class="band band-${b.phase}" x="${f(x0)}" y="${M.top}" width="${f(x1 - x0)}" height="${plotH}"><title>${b.label}</title></rect>`,
    );
    const anchor = b.phase === 'cooldown' ? 'end' : 'start';
    const tx = b.phase === 'cooldown' ? x1 - 3 : x0 + 3;
    out.push(
      `<text class="band-label" x="${f(tx)}" y="${M.top + 12}" text-anchor="${anchor}">${b.label}</text>`,
    );
  }

  // Axes, grid and ticks.
  yTicks.forEach((v, i) => {
    const y = sy(v);
    out.push(`<line class="grid" x1="${M.left}" x2="${M.left + plotW}" y1="${f(y)}" y2="${f(y)}"/>`);
    out.push(
      `<text class="tick" x="${M.left - 6}" y="${f(y + 4)}" text-anchor="end">${escapeHtml(yLabels[i] ?? '')}</text>`,
    );
  });
  for (const v of niceTicks(xMin, xMax, 6)) {
    const x = sx(v);
    out.push(
      `<line class="tickmark" x1="${f(x)}" x2="${f(x)}" y1="${M.top + plotH}" y2="${M.top + plotH + 4}"/>`,
    );
    out.push(
      `<text class="tick" x="${f(x)}" y="${M.top + plotH + 16}" text-anchor="middle">${escapeHtml(formatNumber(v))}</text>`,
    );
  }
  out.push(
    `<rect class="frame" x="${M.left}" y="${M.top}" width="${plotW}" height="${plotH}"/>`,
    `<text class="axis-label" x="${M.left + plotW / 2}" y="${HEIGHT - 6}" text-anchor="middle">requests served</text>`,
    `<text class="axis-label" x="14" y="${M.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 14 ${M.top + plotH / 2})">${escapeHtml(input.yLabel)}</text>`,
  );

  // Samples: a thin line through them, then a dot per sample.
  out.push(`<polyline class="samples" points="${pts.map((p) => `${f(sx(p.x))},${f(sy(p.y))}`).join(' ')}"/>`);
  if (fit) {
    const { intercept, slope, fromX, toX } = fit;
    out.push(
      `<line class="fit${input.leak ? ' fit-leak' : ''}" x1="${f(sx(fromX))}" y1="${f(sy(intercept + slope * fromX))}" x2="${f(sx(toX))}" y2="${f(sy(intercept + slope * toX))}"><title>fitted line</title></line>`,
    );
  }
  for (const p of pts) {
    const phase = p.phase === 'warmup' || p.phase === 'cooldown' ? p.phase : 'measure';
    out.push(
      `<circle class="pt pt-${phase}" cx="${f(sx(p.x))}" cy="${f(sy(p.y))}" r="2.6"><title>${escapeHtml(
        `${formatNumber(p.x)} requests: ${formatAmount(p.y, input.unit)} (${phase})`,
      )}</title></circle>`,
    );
  }
  out.push('</svg>');
  return out.join('');
}
