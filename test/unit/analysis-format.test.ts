import {
  REQUESTS,
  formatBytes,
  formatConfidence,
  formatDuration,
  formatNumber,
  formatPValue,
  formatRate,
  formatRateWithInterval,
  formatSignificant,
  projectTimeToLimit,
} from '../../src/analysis';

describe('format', () => {
  it('formats bytes with decimal units', () => {
    expect(formatBytes(312)).toBe('312 B');
    expect(formatBytes(0.2)).toBe('0.2 B');
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(24_576)).toBe('24.6 KB');
    expect(formatBytes(262_144)).toBe('262 KB');
    expect(formatBytes(4_118_400)).toBe('4.1 MB');
    expect(formatBytes(999_960)).toBe('1 MB');
    expect(formatBytes(-24_576)).toBe('-24.6 KB');
    expect(formatBytes(4.2e9)).toBe('4.2 GB');
  });

  it('formats numbers with thousands separators regardless of locale', () => {
    expect(formatNumber(13_200)).toBe('13,200');
    expect(formatNumber(1_234_567.891, 2)).toBe('1,234,567.89');
    expect(formatNumber(-0.001, 1)).toBe('0');
    expect(formatNumber(4, 1, true)).toBe('4.0');
    expect(formatSignificant(0.00213)).toBe('0.0021');
    expect(formatSignificant(4.56)).toBe('4.6');
  });

  it('formats durations with their two largest units', () => {
    expect(formatDuration(0.4)).toBe('less than 1 s');
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(750)).toBe('12 min 30 s');
    expect(formatDuration(8100)).toBe('2 h 15 min');
    expect(formatDuration(7200)).toBe('2 h');
    expect(formatDuration(3 * 86400 + 4 * 3600 + 100)).toBe('3 d 4 h');
    expect(formatDuration(-1)).toBe('unknown');
  });

  it('formats p-values, confidence and rates', () => {
    expect(formatPValue(0.0004)).toBe('p<0.001');
    expect(formatPValue(0.0234)).toBe('p=0.023');
    expect(formatPValue(0.41)).toBe('p=0.41');
    expect(formatConfidence(0.95)).toBe('95%');
    expect(formatConfidence(0.995)).toBe('99.5%');
    expect(formatRate(312, 'bytes', REQUESTS)).toBe('312 B/request');
    expect(formatRate(0.002, 'count', REQUESTS)).toBe('2 per 1,000 requests');
  });

  it('formats a rate and its interval in one scale', () => {
    expect(formatRateWithInterval(312, 298, 327, 'bytes', 0.95, REQUESTS)).toBe(
      '312 B/request (95% CI 298–327)',
    );
    expect(formatRateWithInterval(313.31, 313.02, 313.63, 'bytes', 0.95, REQUESTS)).toBe(
      '313.3 B/request (95% CI 313.0–313.6)',
    );
    expect(formatRateWithInterval(12, -30, 54, 'bytes', 0.9, REQUESTS)).toBe(
      '12 B/request (90% CI -30 to 54)',
    );
    expect(formatRateWithInterval(1500, 1200, 1800, 'bytes', 0.95, REQUESTS)).toBe(
      '1.5 KB/request (95% CI 1.2–1.8)',
    );
    expect(formatRateWithInterval(0, 0, 0, 'count', 0.95, REQUESTS)).toBe(
      '0 per 1,000 requests (95% CI 0–0)',
    );
  });
});

describe('projectTimeToLimit', () => {
  it('projects requests and time to the limit', () => {
    // (4 GB − 100 MB) / 312 B = 12,499,999.99… → 12,500,000 requests; at 1,200/s: 10,417 s.
    const p = projectTimeToLimit({
      current: 100e6,
      limit: 4e9,
      bytesPerRequest: 312,
      requestsPerSecond: 1200,
    });
    expect(p.requestsToLimit).toBe(12_500_000);
    expect(p.secondsToLimit).toBeCloseTo(12_500_000 / 1200, 6);
    expect(p.text).toBe(
      'at 312 B/request, 100 MB reaches the 4 GB limit after about 12,500,000 requests (2 h 54 min at 1,200 requests/s)',
    );
  });

  it('returns null when not growing', () => {
    for (const bytesPerRequest of [0, -5]) {
      const p = projectTimeToLimit({ current: 1e6, limit: 2e6, bytesPerRequest, requestsPerSecond: 100 });
      expect(p).toEqual({
        secondsToLimit: null,
        requestsToLimit: null,
        text: 'not growing, so no limit is reached',
      });
    }
  });

  it('gives requests but no time without a request rate', () => {
    const p = projectTimeToLimit({ current: 0, limit: 1000, bytesPerRequest: 10, requestsPerSecond: 0 });
    expect(p).toMatchObject({ requestsToLimit: 100, secondsToLimit: null });
  });

  it('reports zero when already at the limit', () => {
    const p = projectTimeToLimit({ current: 5e9, limit: 4e9, bytesPerRequest: 10, requestsPerSecond: 10 });
    expect(p).toMatchObject({ requestsToLimit: 0, secondsToLimit: 0 });
    expect(p.text).toContain('at or above');
  });

  it('rejects non-finite input', () => {
    expect(() =>
      projectTimeToLimit({ current: Number.NaN, limit: 1, bytesPerRequest: 1, requestsPerSecond: 1 }),
    ).toThrow(RangeError);
  });
});
