/** The run loop's pure parts: sample spacing, look plan, combining processes, heap exhaustion. */
import {
  COUNT_ALPHA_SHARE,
  dataHeap,
  planLooks,
  sampleStep,
  weighEvidence,
} from '../../src/sampling/evidence';
import { outOfDescriptors, outOfMemory } from '../../src/sampling/run';
import type { Sample } from '../../src/sampling/samples';
import { evidenceText } from '../../src/cli/progress';

function sample(pid: number, requests: number, heapUsed: number, code = 0): Sample {
  return {
    pid,
    requests,
    heapUsed,
    spaces: { code_space: code },
    phase: 'measure',
    t: 0,
    loadCompleted: requests,
  } as unknown as Sample;
}

const settings = { threshold: 2, alpha: 0.025, schedule: planLooks(6000, 60_000, 207), minRequests: 10_000 };

describe('sampleStep', () => {
  it('spaces sequential samples by time at the measured rate', () => {
    expect(sampleStep({ rate: 5000, spacingMs: 200, samples: 30, index: 3 })).toBe(1000);
  });
  it('spreads a request bound over the samples', () => {
    expect(sampleStep({ rate: 5000, requestBound: 29_000, samples: 30, index: 3 })).toBe(1000);
  });
  it('spreads the time left of a fixed window over the samples left', () => {
    expect(sampleStep({ rate: 1000, windowMs: 10_000, spentMs: 5000, samples: 11, index: 6 })).toBe(1000);
  });
  it('never asks for fewer than one request', () => {
    expect(sampleStep({ rate: 0, spacingMs: 200, samples: 30, index: 1 })).toBe(1);
  });
});

describe('planLooks', () => {
  it('looks first when the minimum window is full and reaches the budget', () => {
    const plan = planLooks(6000, 60_000, 207);
    expect(plan[0]).toBe(30);
    expect(plan.at(-1)).toBeGreaterThanOrEqual(Math.ceil(60_000 / 207) + 1);
  });
});

describe('weighEvidence', () => {
  const leaking = (pid: number, perRequest: number): Sample[] =>
    Array.from({ length: 40 }, (_, i) =>
      sample(pid, (i + 1) * 500, 8e6 + perRequest * (i + 1) * 500 + (i % 2) * 3000),
    );

  it('tests the heap without code space', () => {
    expect(dataHeap(sample(1, 0, 10_000, 4000))).toBe(6000);
  });

  it('calls a leak when the busiest process leaks, and ignores a wrapper that serves nothing', () => {
    const wrapper = Array.from({ length: 40 }, () => sample(99, 0, 5e6));
    const e = weighEvidence([...wrapper, ...leaking(7, 300)], settings, false);
    expect(e.verdict).toBe('leak');
    expect(e.pid).toBe(7);
    expect(e.processes.map((p) => p.pid)).toEqual([7]);
  });

  it('takes no look before the minimum requests, and says inconclusive at the budget', () => {
    const few = leaking(7, 300).map((s) => ({ ...s, requests: s.requests / 10 }));
    expect(weighEvidence(few, settings, false).verdict).toBe('undecided');
    const final = weighEvidence(few, settings, true);
    expect(final.verdict).toBe('inconclusive');
    expect(final.looks).toEqual([]);
  });

  it('passes only when every serving process passes', () => {
    const flat = (pid: number): Sample[] =>
      Array.from({ length: 40 }, (_, i) => sample(pid, (i + 1) * 500, 8e6 + (i % 2) * 1000));
    expect(weighEvidence([...flat(1), ...flat(2)], settings, false).verdict).toBe('pass');
    expect(weighEvidence([...flat(1), ...leaking(2, 300)], settings, false).verdict).toBe('leak');
  });

  describe('counts', () => {
    // A heap that scatters by megabytes: its interval straddles the threshold for a long while.
    const scatter = (i: number): number => ((i * 7919) % 13) - 6;
    const withFds = (fds: (requests: number) => number): Sample[] =>
      Array.from({ length: 40 }, (_, i) => {
        const requests = (i + 1) * 500;
        return { ...sample(7, requests, 8e6 + scatter(i) * 4e5), fds: fds(requests) };
      });
    const counts = { ...settings, counts: [{ metric: 'fds' as const, threshold: 0.0001, minGrowth: 10 }] };

    it('calls a leak on descriptors that keep growing while the heap is undecided', () => {
      const series = withFds((r) => 24 + Math.floor(r / 100));
      expect(weighEvidence(series, settings, false).verdict).toBe('undecided');
      const e = weighEvidence(series, counts, false);
      expect(e.verdict).toBe('leak');
      expect(e.metric).toBe('fds');
      expect(e.refining).toBe(false);
      const count = e.processes[0]?.count;
      expect(count?.metric).toBe('fds');
      expect(count?.alpha).toBeCloseTo(settings.alpha * COUNT_ALPHA_SHARE, 12);
      expect(count?.result.decided?.slope).toBeCloseTo(0.01, 3);
      expect(count?.growth).toBeGreaterThanOrEqual(10);
      expect(
        evidenceText({ phase: 'measure', completed: 20_000, samples: 40, evidence: e, threshold: 2 }),
      ).toMatch(/look 1: fds 10\/1k req \[[\d.]+–[\d.]+\] vs 0\.1: leak/);
    });

    it('leaves a pool that filled and stopped, and growth under minGrowth, to the heap', () => {
      const pool = withFds((r) => 24 + Math.min(8, Math.floor(r / 400)));
      expect(weighEvidence(pool, counts, false).verdict).toBe('undecided');
      // One more every 1,000 requests is ten times the threshold, but the recent halves of both
      // looks this series reaches (7,000 and 9,000 requests) add only 7 and 9.
      const slow = withFds((r) => 24 + Math.floor(r / 1000));
      expect(weighEvidence(slow, counts, false).processes[0]?.count).toBeUndefined();
      expect(
        weighEvidence(
          slow,
          { ...counts, counts: [{ metric: 'fds', threshold: 0.0001, minGrowth: 5 }] },
          false,
        ).metric,
      ).toBe('fds');
    });

    it('never passes on a count: flat descriptors leave an undecided heap undecided', () => {
      expect(
        weighEvidence(
          withFds(() => 24),
          counts,
          false,
        ).verdict,
      ).toBe('undecided');
    });

    it('keeps testing a count after a look it would have passed: a leak that starts later is called', () => {
      // Flat for the first look (30 samples, 15,000 requests), then one more every 100 requests.
      const late = Array.from({ length: 60 }, (_, i) => {
        const requests = (i + 1) * 500;
        const fds = 24 + Math.max(0, Math.floor((requests - 15_000) / 100));
        return { ...sample(7, requests, 8e6 + scatter(i) * 4e5), fds };
      });
      const e = weighEvidence(late, counts, false);
      expect(e.metric).toBe('fds');
      expect(e.processes[0]?.count?.result.decided?.look).toBeGreaterThan(1);
      expect(e.processes[0]?.count?.result.looks[0]?.decision).toBe('pass');
    });

    it('names the heap when the heap leaks too', () => {
      const both = leaking(7, 300).map((s) => ({ ...s, fds: 24 + Math.floor(s.requests / 100) }));
      const e = weighEvidence(both, counts, false);
      expect(e.metric).toBe('heapUsed');
      expect(e.processes[0]?.count).toBeUndefined();
    });
  });

  it('shows the forming verdict in the progress line', () => {
    const e = weighEvidence(leaking(7, 300), settings, false);
    expect(
      evidenceText({ phase: 'measure', completed: 20_000, samples: 40, evidence: e, threshold: 2 }),
    ).toMatch(/look 1: 300 B\/req \[\d+–\d+\] vs 2: leak/);
  });
});

describe('outOfDescriptors', () => {
  test('EMFILE in the last lines of a target that failed; not a clean exit, not other errors', () => {
    const emfile = ["[Error: EMFILE: too many open files, open '/dev/null'] {"];
    expect(outOfDescriptors({ code: 1, signal: null }, emfile)).toMatch(/EMFILE/);
    expect(outOfDescriptors({ code: 1, signal: null }, ['Error: accept: Too many open files'])).toMatch(
      /EMFILE/,
    );
    expect(outOfDescriptors({ code: 0, signal: null }, emfile)).toBeNull();
    expect(outOfDescriptors({ code: 1, signal: null }, ['Error: listen EADDRINUSE'])).toBeNull();
  });
});

describe('outOfMemory', () => {
  it("recognises V8's heap exhaustion and an unexplained SIGKILL", () => {
    expect(
      outOfMemory({ code: 134, signal: null }, ['FATAL ERROR: ... JavaScript heap out of memory']),
    ).toMatch(/heap out of memory/);
    expect(outOfMemory({ code: null, signal: 'SIGKILL' }, [])).toMatch(/OOM killer/);
    expect(outOfMemory({ code: 1, signal: null }, ['Error: listen EADDRINUSE'])).toBeNull();
  });
});
