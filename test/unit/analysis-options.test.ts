import {
  DEFAULT_CONFIDENCE,
  DEFAULT_MIN_SAMPLES,
  METRICS,
  METRIC_NAMES,
  defaultAnalysisOptions,
  isGating,
  isMetricName,
  mergeAnalysisOptions,
  metricInfo,
  thresholdFor,
} from '../../src/analysis';

describe('metric catalogue', () => {
  it('lists every metric with its unit, gating and default thresholds', () => {
    expect(METRIC_NAMES).toEqual([
      'heapUsed',
      'external',
      'arrayBuffers',
      'rss',
      'handles',
      'sockets',
      'fds',
    ]);
    expect(Object.keys(METRICS).sort()).toEqual([...METRIC_NAMES].sort());
    const gating = METRIC_NAMES.filter((m) => METRICS[m].gatingByDefault);
    expect(gating).toEqual(['heapUsed', 'external', 'handles', 'sockets', 'fds']);
    expect(METRICS.heapUsed).toMatchObject({
      unit: 'bytes',
      threshold: { perUnit: 2, minGrowth: 1_048_576 },
    });
    expect(METRICS.external.threshold).toEqual({ perUnit: 2, minGrowth: 262_144 });
    expect(METRICS.rss).toMatchObject({
      unit: 'bytes',
      threshold: { perUnit: 8, minGrowth: 4 * 1024 * 1024 },
    });
    expect(METRICS.arrayBuffers.threshold).toEqual({ perUnit: 8, minGrowth: 4 * 1024 * 1024 });
    for (const m of ['handles', 'sockets', 'fds'] as const) {
      expect(METRICS[m]).toMatchObject({ unit: 'count', threshold: { perUnit: 0.0001, minGrowth: 10 } });
    }
  });

  it('recognises metric names and hands out copies', () => {
    expect(isMetricName('heapUsed')).toBe(true);
    expect(isMetricName('heap')).toBe(false);
    const info = metricInfo('heapUsed');
    info.threshold.perUnit = 99;
    expect(METRICS.heapUsed.threshold.perUnit).toBe(2);
  });
});

describe('analysis options', () => {
  it('defaults to 95% confidence, 8 samples and the catalogue', () => {
    const options = defaultAnalysisOptions();
    expect(options.confidence).toBe(0.95);
    expect(DEFAULT_CONFIDENCE).toBe(0.95);
    expect(options.minSamples).toBe(8);
    expect(DEFAULT_MIN_SAMPLES).toBe(8);
    expect(options.thresholds.fds).toEqual({ perUnit: 0.0001, minGrowth: 10 });
    expect(options.gating?.rss).toBe(false);
  });

  it('merges partial thresholds field by field and leaves the base alone', () => {
    const base = defaultAnalysisOptions();
    const merged = mergeAnalysisOptions(
      { confidence: 0.99, thresholds: { heapUsed: { perUnit: 10 } } },
      base,
    );
    expect(merged.confidence).toBe(0.99);
    expect(merged.thresholds.heapUsed).toEqual({ perUnit: 10, minGrowth: 1_048_576 });
    expect(base.thresholds.heapUsed).toEqual({ perUnit: 2, minGrowth: 1_048_576 });
  });

  it('falls back to the catalogue for metrics the options leave out', () => {
    const sparse = { confidence: 0.95, minSamples: 8, thresholds: {} };
    expect(thresholdFor('sockets', sparse)).toEqual({ perUnit: 0.0001, minGrowth: 10 });
    expect(isGating('sockets', sparse)).toBe(true);
    expect(isGating('arrayBuffers', sparse)).toBe(false);
    expect(isGating('arrayBuffers', mergeAnalysisOptions({ gating: { arrayBuffers: true } }))).toBe(true);
  });

  it('rejects unusable options', () => {
    expect(() => mergeAnalysisOptions({ confidence: 1 })).toThrow(/confidence/);
    expect(() => mergeAnalysisOptions({ minSamples: 2 })).toThrow(/minSamples/);
    expect(() => mergeAnalysisOptions({ minSamples: 8.5 })).toThrow(/minSamples/);
    expect(() => mergeAnalysisOptions({ thresholds: { heapUsed: { perUnit: -1 } } })).toThrow(/perUnit/);
    const unknown = { thresholds: { heap: { perUnit: 1 } } } as unknown as Parameters<
      typeof mergeAnalysisOptions
    >[0];
    expect(() => mergeAnalysisOptions(unknown)).toThrow(/unknown metric "heap"/);
  });
});
