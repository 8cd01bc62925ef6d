/** Prometheus durations ("6h", "1h30m") and byte sizes ("512MiB", "2GB") as flags give them. */

const DURATION_UNITS: ReadonlyArray<[string, number]> = [
  ['y', 365 * 86400],
  ['w', 7 * 86400],
  ['d', 86400],
  ['h', 3600],
  ['m', 60],
  ['s', 1],
  ['ms', 0.001],
];

// Prometheus' own grammar: units largest first, each at most once ("1h30m", not "30m1h").
const DURATION_PATTERN = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/**
 * Parses a Prometheus duration ("30s", "5m", "6h", "1h30m", "2d") into seconds.
 *
 * @param text - the duration as written
 * @returns seconds (> 0), or null when the text is not a Prometheus duration
 */
export function parseDuration(text: string): number | null {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match || text.trim() === '') return null;
  let seconds = 0;
  DURATION_UNITS.forEach(([, factor], i) => {
    const part = match[i + 1];
    if (part !== undefined) seconds += Number(part) * factor;
  });
  return seconds > 0 ? seconds : null;
}

/**
 * Writes seconds as a Prometheus duration, largest units first ("1h30m", "90s" → "1m30s").
 * Sub-second remainders are written in ms.
 *
 * @param seconds - duration, > 0
 * @returns the duration text
 */
export function formatPromDuration(seconds: number): string {
  let ms = Math.round(seconds * 1000);
  let out = '';
  for (const [unit, factor] of DURATION_UNITS) {
    const size = Math.round(factor * 1000);
    const count = Math.floor(ms / size);
    if (count > 0) {
      out += `${count}${unit}`;
      ms -= count * size;
    }
  }
  return out === '' ? '0s' : out;
}

const BYTE_SUFFIXES: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  k: 1e3,
  m: 1e6,
  g: 1e9,
  ki: 1024,
  mi: 1024 ** 2,
  gi: 1024 ** 3,
};

/**
 * Parses a byte size: a plain number ("1048576", "2e9") or a number with a unit, decimal (KB, MB,
 * GB, TB; K, M, G as Kubernetes writes them) or binary (KiB, MiB, GiB, TiB; Ki, Mi, Gi).
 * Case-insensitive.
 *
 * @param text - the size as written
 * @returns bytes (finite, ≥ 0), or null when the text is not a size
 */
export function parseBytes(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!match) return null;
  const factor = BYTE_SUFFIXES[(match[2] ?? '').toLowerCase()];
  if (factor === undefined) return null;
  const bytes = Number(match[1]) * factor;
  return Number.isFinite(bytes) && bytes >= 0 ? bytes : null;
}

/**
 * A byte size as {@link parseBytes} reads it back, in the largest binary unit that divides it:
 * "1MiB", "256KiB", "1000".
 *
 * @param bytes - a whole number of bytes
 * @returns the text
 */
export function formatBinaryBytes(bytes: number): string {
  for (const [unit, factor] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}
