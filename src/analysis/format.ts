/**
 * Number formatting for the human-readable reasons the analysis writes ("312 B", "4.1 MB",
 * "2 h 15 min", "p<0.001"). Decimal units (1 KB = 1000 B) so a reader can multiply in their head.
 */
import type { Axis } from './axis';
import type { MetricUnit } from './metrics';

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'] as const;

/**
 * Formats a number with thousands separators and at most `decimals` decimals, trailing zeros
 * dropped unless `keepZeros` ("13,200", "0.25", "4.0"). Independent of the host locale.
 *
 * @param value - number to format
 * @param decimals - maximum decimals to keep (default 0)
 * @param keepZeros - keep trailing zeros so numbers side by side line up (default false)
 * @returns the text
 */
export function formatNumber(value: number, decimals = 0, keepZeros = false): string {
  if (!Number.isFinite(value)) return String(value);
  const fixed = Math.abs(value).toFixed(decimals);
  const [whole = '0', fraction = ''] = fixed.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const trimmed = keepZeros ? fraction : fraction.replace(/0+$/, '');
  const text = trimmed.length > 0 ? `${grouped}.${trimmed}` : grouped;
  return value < 0 && Number(fixed) !== 0 ? `-${text}` : text;
}

/**
 * Formats a number for a reason: no decimals from 100, one from 1, two significant digits below
 * 1, trailing zeros dropped ("312", "4.5", "0.2", "0.0021").
 *
 * @param value - number to format
 * @returns the text
 */
export function formatSignificant(value: number): string {
  return formatNumber(value, magnitudeDecimals(Math.abs(value)));
}

/** Index into BYTE_UNITS for a magnitude, chosen so the scaled value is below 1000 once rounded. */
function byteScale(abs: number): number {
  let k = 0;
  while (k < BYTE_UNITS.length - 1 && Math.round((abs / 1000 ** k) * 10) / 10 >= 1000) k++;
  return k;
}

/** Decimals for a magnitude: none from 100, one from 1, two significant digits below 1. */
function magnitudeDecimals(abs: number): number {
  if (abs >= 100 || abs === 0) return 0;
  if (abs >= 1) return 1;
  return Math.min(12, 1 - Math.floor(Math.log10(abs)));
}

/**
 * Formats a byte count with a decimal unit: "312 B", "0.2 B", "24.6 KB", "4.1 MB", "262 KB".
 *
 * @param bytes - byte count (may be negative or fractional, e.g. a per-request rate)
 * @returns the text
 */
export function formatBytes(bytes: number): string {
  const k = byteScale(Math.abs(bytes));
  const scaled = bytes / 1000 ** k;
  return `${formatNumber(scaled, magnitudeDecimals(Math.abs(scaled)))} ${BYTE_UNITS[k] ?? 'B'}`;
}

/**
 * Formats a duration in seconds with its two largest units: "45 s", "12 min 30 s", "2 h 15 min",
 * "3 d 4 h".
 *
 * @param seconds - duration, ≥ 0
 * @returns the text
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'unknown';
  if (seconds < 1) return 'less than 1 s';
  const pair = (big: number, bigUnit: string, small: number, smallUnit: string): string =>
    small > 0 ? `${big} ${bigUnit} ${small} ${smallUnit}` : `${big} ${bigUnit}`;
  if (seconds < 59.5) return `${Math.round(seconds)} s`;
  if (seconds < 3600 - 0.5) {
    const s = Math.round(seconds);
    return pair(Math.floor(s / 60), 'min', s % 60, 's');
  }
  if (seconds < 86400 - 30) {
    const m = Math.round(seconds / 60);
    return pair(Math.floor(m / 60), 'h', m % 60, 'min');
  }
  const h = Math.round(seconds / 3600);
  return pair(Math.floor(h / 24), 'd', h % 24, 'h');
}

/**
 * Formats a p-value the way the reasons quote it: "p<0.001", "p=0.023", "p=0.41".
 *
 * @param p - probability in [0, 1]
 * @returns the text
 */
export function formatPValue(p: number): string {
  if (p < 0.001) return 'p<0.001';
  if (p < 0.1) return `p=${p.toFixed(3)}`;
  return `p=${p.toFixed(2)}`;
}

/**
 * Formats a confidence level as a percentage: 0.95 → "95%", 0.995 → "99.5%".
 *
 * @param confidence - level in (0, 1)
 * @returns the text
 */
export function formatConfidence(confidence: number): string {
  return `${formatNumber(confidence * 100, 1)}%`;
}

/**
 * Formats an amount of a metric: bytes with a unit ("4.1 MB"), counts as a number ("210").
 *
 * @param value - amount
 * @param unit - the metric's unit
 * @returns the text
 */
export function formatAmount(value: number, unit: MetricUnit): string {
  return unit === 'bytes' ? formatBytes(value) : formatSignificant(value);
}

/**
 * Formats a rate per unit of the axis: "312 B/request", "5.2 MB/h"; counts in the axis' count
 * scale, since a handle leak is a small fraction per request ("2 per 1,000 requests").
 *
 * @param perUnit - growth per unit of the axis
 * @param unit - the metric's unit
 * @param axis - what growth is measured against (its words and count scale)
 * @returns the text
 */
export function formatRate(perUnit: number, unit: MetricUnit, axis: Axis): string {
  if (unit === 'bytes') return `${formatBytes(perUnit)}${axis.bytesRate}`;
  return `${formatSignificant(perUnit * axis.countScale)}${axis.countRate}`;
}

/**
 * Formats a rate with its confidence interval, all three numbers in one scale and with one number
 * of decimals: "312.9 B/request (95% CI 312.6–313.3)", "12 B/request (95% CI -30 to 54)",
 * "2.0 per 1,000 requests (95% CI 1.9–2.1)", "5.2 MB/h (95% CI 4.9–5.5)".
 *
 * @param estimate - point estimate per unit of the axis
 * @param low - lower bound
 * @param high - upper bound
 * @param unit - the metric's unit
 * @param confidence - confidence level of the interval
 * @param axis - what growth is measured against (its words and count scale)
 * @returns the text
 */
export function formatRateWithInterval(
  estimate: number,
  low: number,
  high: number,
  unit: MetricUnit,
  confidence: number,
  axis: Axis,
): string {
  return rateLine(rateWithIntervalParts({ estimate, low, high, confidence }, unit, axis));
}

/** A rate with its interval and the interval's confidence level, all from one fit. */
export interface RateEstimate {
  /** Point estimate per unit of the axis. */
  estimate: number;
  /** Bounds of its interval. */
  low: number;
  high: number;
  /** Confidence level of the interval (0.95). */
  confidence: number;
}

/** A rate with its interval in parts, so a narrow column can leave out what its heading says. */
export interface RateParts {
  /** The estimate with the byte unit ("312.9 B") or the count in the axis' count scale ("2.0"). */
  estimate: string;
  /** What it is per: "/request", " per 1,000 requests", "/h". */
  per: string;
  /** The interval's bounds in the estimate's scale: "312.6–313.3", "-30 to 54". */
  interval: string;
  /** The interval's confidence level: "95%". */
  confidence: string;
}

/**
 * The parts joined as {@link formatRateWithInterval} writes them.
 *
 * @param r - the parts
 * @returns "312.9 B/request (95% CI 312.6–313.3)"
 */
export function rateLine(r: RateParts): string {
  return `${r.estimate}${r.per} (${r.confidence} CI ${r.interval})`;
}

/**
 * The parts of {@link formatRateWithInterval}: all three numbers in one scale and with one number
 * of decimals.
 *
 * @param rate - the estimate per unit of the axis, its interval and the interval's confidence
 * @param unit - the metric's unit
 * @param axis - what growth is measured against (its words and count scale)
 * @returns the parts
 */
export function rateWithIntervalParts(rate: RateEstimate, unit: MetricUnit, axis: Axis): RateParts {
  const { estimate, low, high, confidence } = rate;
  // Counts are quoted in the axis' count scale; bytes in the unit of the largest of the three numbers.
  const maxAbs = Math.max(Math.abs(estimate), Math.abs(low), Math.abs(high));
  const k = unit === 'bytes' ? byteScale(maxAbs) : 0;
  const factor = unit === 'bytes' ? 1 / 1000 ** k : axis.countScale;
  // As many decimals as the interval supports (the first significant digit of its half-width), so
  // a tight interval shows "313.3 (313.0–313.6)" and a wide one "12 (-30 to 54)". The 1e-9 keeps
  // a half-width of 0.1 that arrives as 0.0999… at one decimal.
  const halfWidth = ((high - low) * factor) / 2;
  const decimals =
    halfWidth > 0
      ? Math.min(12, Math.max(0, -Math.floor(Math.log10(halfWidth) + 1e-9)))
      : magnitudeDecimals(maxAbs * factor);
  const text = (v: number): string => formatNumber(v * factor, decimals, true);
  // An en dash next to a minus sign misreads, hence "to" when a bound is negative.
  return {
    estimate: unit === 'bytes' ? `${text(estimate)} ${BYTE_UNITS[k] ?? 'B'}` : text(estimate),
    per: unit === 'bytes' ? axis.bytesRate : axis.countRate,
    interval: low < 0 || high < 0 ? `${text(low)} to ${text(high)}` : `${text(low)}–${text(high)}`,
    confidence: formatConfidence(confidence),
  };
}
