import {
  REQUESTS,
  RULES,
  belowThreshold,
  decide,
  linearGrowth,
  noTrend,
  plateau,
  tooFewSamples,
  undecided,
  type MannKendall,
  type OlsFit,
  type PlateauFit,
  type RuleContext,
  type TheilSenFit,
} from '../../src/analysis';

interface ContextOverrides extends Partial<
  Omit<RuleContext, 'ols' | 'theilSen' | 'mannKendall' | 'plateau'>
> {
  ols?: Partial<OlsFit>;
  theilSen?: Partial<TheilSenFit>;
  mannKendall?: Partial<MannKendall>;
  plateau?: Partial<PlateauFit>;
}

/** A heap context over 3,000..105,000 requests, flat unless overridden. */
function context(over: ContextOverrides = {}): RuleContext {
  const { ols, theilSen, mannKendall, plateau: shape, ...rest } = over;
  return {
    metric: 'heapUsed',
    unit: 'bytes',
    axis: REQUESTS,
    label: 'heap',
    threshold: { perUnit: 2, minGrowth: 262_144 },
    confidence: 0.95,
    minSamples: 8,
    samples: 35,
    distinctX: 35,
    xFirst: 3000,
    xLast: 105_000,
    ...rest,
    ols: {
      estimable: true,
      slope: 0,
      intercept: 6e6,
      low: -0.5,
      high: 0.5,
      stdErr: 0.25,
      rSquared: 0.01,
      n: 35,
      confidence: 0.95,
      ...ols,
    },
    theilSen: {
      estimable: true,
      slope: 0,
      intercept: 6e6,
      low: -0.5,
      high: 0.5,
      n: 35,
      pairs: 595,
      subsampled: false,
      confidence: 0.95,
      ...theilSen,
    },
    mannKendall: { n: 35, s: 3, variance: 4958, z: 0.03, pValue: 0.98, tau: 0.01, ...mannKendall },
    plateau: {
      applicable: false,
      earlySlope: 0,
      lateSlope: 0,
      lateLow: 0,
      lateHigh: 0,
      ratio: null,
      earlySamples: 0,
      lateSamples: 0,
      earlyEndX: 0,
      lateStartX: 0,
      rise: 0,
      ...shape,
    },
  };
}

const leaking: ContextOverrides = {
  xFirst: 0,
  xLast: 13_200,
  theilSen: { slope: 312, low: 298, high: 327 },
  ols: { slope: 311, low: 297, high: 325 },
  mannKendall: { s: 500, z: 7, pValue: 1e-9, tau: 0.9 },
};

const filledCache: ContextOverrides = {
  plateau: {
    applicable: true,
    earlySlope: 10,
    lateSlope: 0.2,
    lateLow: -0.6,
    lateHigh: 1.1,
    ratio: 0.02,
    earlySamples: 18,
    lateSamples: 18,
    earlyEndX: 54_000,
    lateStartX: 54_000,
    rise: 1_100_000,
  },
};

describe('rule order', () => {
  it('runs too-few-samples, plateau, linear-growth, below-threshold, no-trend, undecided', () => {
    expect(RULES).toEqual([tooFewSamples, plateau, linearGrowth, belowThreshold, noTrend, undecided]);
  });

  it('lets too-few-samples overrule a leak-shaped fit', () => {
    expect(decide(context({ ...leaking, samples: 5 })).rule).toBe('too-few-samples');
  });

  it('lets plateau overrule a whole-run slope inflated by early growth', () => {
    const ctx = context({ ...leaking, ...filledCache });
    expect(linearGrowth(ctx)?.verdict).toBe('leak');
    expect(decide(ctx)).toMatchObject({ verdict: 'pass', rule: 'plateau' });
  });
});

describe('too-few-samples', () => {
  it('is inconclusive below minSamples', () => {
    const result = tooFewSamples(context({ samples: 5 }));
    expect(result).toEqual({
      verdict: 'inconclusive',
      rule: 'too-few-samples',
      reason: 'only 5 heap samples (need at least 8); run longer or sample more often',
    });
  });

  it('is inconclusive when no requests were served between samples', () => {
    const result = tooFewSamples(context({ xFirst: 3000, xLast: 3000, distinctX: 1 }));
    expect(result?.verdict).toBe('inconclusive');
    expect(result?.reason).toContain('no requests completed between samples');
  });

  it('is inconclusive with fewer than 3 distinct request counts', () => {
    expect(tooFewSamples(context({ distinctX: 2 }))?.reason).toContain('only 2 distinct request counts');
  });

  it('does not decide with enough samples', () => {
    expect(tooFewSamples(context())).toBeNull();
  });
});

describe('plateau', () => {
  it('passes growth that stopped, citing the numbers', () => {
    const result = plateau(context(filledCache));
    expect(result?.verdict).toBe('pass');
    expect(result?.reason).toBe(
      'heap rose 1.1 MB, at 10 B/request over the first 51,000 requests, then flattened to ' +
        '0.2 B/request (95% CI -0.6 to 1.1) over the last 51,000 requests, below the 2 B/request threshold ' +
        'and 0.02× the early rate: looks like a cache that filled and stopped or one-time initialisation',
    );
  });

  it('does not pass when the late upper bound reaches the threshold (the floor)', () => {
    expect(plateau(context({ plateau: { ...filledCache.plateau, lateHigh: 2.1 } }))).toBeNull();
  });

  it('does not pass when growth merely slowed (the ratio)', () => {
    const slowed = { ...filledCache.plateau, earlySlope: 2.5, lateSlope: 1, lateHigh: 1.8, ratio: 0.4 };
    expect(plateau(context({ plateau: slowed }))).toBeNull();
  });

  it('does not pass a late window too noisy to call flat', () => {
    // A noisy leak whose late estimate fell far below zero by chance: the interval is below the
    // threshold but wide, so it says nothing about flatness.
    const noisy = { ...filledCache.plateau, lateSlope: -120, lateLow: -240, lateHigh: 1.5, ratio: -12 };
    expect(plateau(context({ plateau: noisy }))).toBeNull();
  });

  it('does not decide without early growth above the threshold', () => {
    expect(plateau(context({ plateau: { ...filledCache.plateau, earlySlope: 1.9, ratio: 0.1 } }))).toBeNull();
    expect(plateau(context({ plateau: { ...filledCache.plateau, earlySlope: -3, ratio: null } }))).toBeNull();
    expect(plateau(context())).toBeNull();
  });
});

describe('linear-growth', () => {
  it('calls a leak with estimate, interval, significance and growth in the reason', () => {
    expect(linearGrowth(context(leaking))).toEqual({
      verdict: 'leak',
      rule: 'linear-growth',
      reason:
        'heap grew 312 B/request (95% CI 298–327), above the 2 B/request threshold; ' +
        'trend significant (Mann-Kendall p<0.001); 4.1 MB over 13,200 requests',
    });
  });

  it('needs the least-squares lower bound above the threshold too', () => {
    expect(linearGrowth(context({ ...leaking, ols: { slope: 40, low: 1.5, high: 80 } }))).toBeNull();
  });

  it('needs a significant Mann-Kendall trend', () => {
    expect(linearGrowth(context({ ...leaking, mannKendall: { pValue: 0.06 } }))).toBeNull();
  });

  it('needs the fitted growth to reach minGrowth', () => {
    // 312 B/request × 800 requests = 250 KB < 262,144 B.
    expect(linearGrowth(context({ ...leaking, xLast: 800 }))).toBeNull();
    expect(linearGrowth(context({ ...leaking, xLast: 841 }))?.verdict).toBe('leak');
  });

  it('quotes count metrics per 1,000 requests', () => {
    const result = linearGrowth(
      context({
        metric: 'handles',
        unit: 'count',
        label: 'handles',
        threshold: { perUnit: 0.0001, minGrowth: 10 },
        theilSen: { slope: 0.002, low: 0.0019, high: 0.0021 },
        ols: { slope: 0.002, low: 0.0019, high: 0.0021 },
        mannKendall: { pValue: 1e-12 },
      }),
    );
    expect(result?.reason).toBe(
      'handles grew 2.0 per 1,000 requests (95% CI 1.9–2.1), above the 0.1 per 1,000 requests threshold; ' +
        'trend significant (Mann-Kendall p<0.001); 204 over 102,000 requests',
    );
  });
});

describe('below-threshold', () => {
  it('passes when the robust upper bound is below the threshold', () => {
    const result = belowThreshold(context({ theilSen: { slope: 0.2, low: -0.1, high: 0.5 } }));
    expect(result).toEqual({
      verdict: 'pass',
      rule: 'below-threshold',
      reason: 'heap grows 0.2 B/request (95% CI -0.1 to 0.5), below the 2 B/request threshold',
    });
  });

  it('passes when growth at the upper bound stays under minGrowth, and says how long a run would tell', () => {
    // 3.5 B/request × 30,000 requests = 105 KB.
    const result = belowThreshold(context({ xLast: 33_000, theilSen: { slope: 3, low: 2.5, high: 3.5 } }));
    expect(result?.verdict).toBe('pass');
    expect(result?.reason).toContain('105 KB over 30,000 requests, below the 262 KB minimum growth');
    expect(result?.reason).toContain('a window of about 87,382 requests would show whether it keeps growing');
  });

  it('never passes on a low estimate whose upper bound is above the threshold', () => {
    expect(belowThreshold(context({ theilSen: { slope: 0.5, low: -40, high: 41 } }))).toBeNull();
  });
});

describe('no-trend', () => {
  const handles: ContextOverrides = {
    metric: 'handles',
    unit: 'count',
    label: 'handles',
    threshold: { perUnit: 0.0001, minGrowth: 10 },
    // Sen's interval jumped to a ±1/3,000 slope; least squares sees nothing.
    theilSen: { slope: 0, low: 0, high: 0.00033 },
    ols: { slope: 0.000001, low: -0.000004, high: 0.000006 },
    mannKendall: { pValue: 0.6 },
  };

  it('passes coarse counts where only Sen\u2019s interval crosses the threshold', () => {
    expect(belowThreshold(context(handles))).toBeNull();
    const result = noTrend(context(handles));
    expect(result?.verdict).toBe('pass');
    expect(result?.reason).toContain('no significant trend (Mann-Kendall p=0.60)');
  });

  it('falls through when the trend is significant, or the interval excludes 0, or reaches the threshold', () => {
    expect(noTrend(context({ ...handles, mannKendall: { pValue: 0.01 } }))).toBeNull();
    expect(noTrend(context({ ...handles, ols: { slope: 0.00005, low: 0.00001, high: 0.00009 } }))).toBeNull();
    expect(noTrend(context({ ...handles, ols: { slope: 0, low: -0.0002, high: 0.0002 } }))).toBeNull();
  });
});

describe('undecided', () => {
  it('says how much longer a run would decide an interval straddling the threshold', () => {
    const result = undecided(
      context({ theilSen: { slope: 12, low: -30, high: 54 }, ols: { low: -28, high: 50 } }),
    );
    expect(result.verdict).toBe('inconclusive');
    // Half-width 42, 10 from the threshold → window × (42/10)^(2/3) = 2.6×.
    expect(result.reason).toBe(
      'heap grows 12 B/request (95% CI -30 to 54), which cannot be told apart from the 2 B/request ' +
        'threshold; a window about 2.6× as long (~266,000 requests) would likely decide',
    );
  });

  it('asks for a longer window when the rate is clear but growth is under minGrowth', () => {
    const result = undecided(
      context({ ...leaking, xLast: 800, theilSen: { slope: 312, low: 298, high: 400 } }),
    );
    expect(result.reason).toContain('under the 262 KB minimum growth');
    expect(result.reason).toContain('a window of about 841 requests');
  });

  it('reports disagreement between the robust and least-squares fits', () => {
    const result = undecided(context({ ...leaking, ols: { slope: 40, low: 1.5, high: 80 } }));
    expect(result.reason).toContain('robust and least-squares fits disagree');
  });
});

describe('a noisy leak is never passed', () => {
  it('returns leak or inconclusive whenever both upper bounds and growth at the bound are above the limits', () => {
    for (const slope of [-60, -20, -5, 0, 1, 1.9, 3, 10, 40]) {
      for (const halfWidth of [5, 20, 80]) {
        const high = slope + halfWidth;
        if (high < 2 || high * 102_000 < 262_144) continue;
        const ctx = context({
          theilSen: { slope, low: slope - halfWidth, high },
          ols: { slope, low: slope - halfWidth * 1.05, high: slope + halfWidth * 1.05 },
          mannKendall: { pValue: 0.3 },
        });
        expect(decide(ctx).verdict).not.toBe('pass');
      }
    }
  });
});
