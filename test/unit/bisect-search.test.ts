/**
 * The bisect search with a fake measurer: a known first bad commit must be found within the
 * budget, skipped and unsure commits widen the answer to a range, the boundary is measured again
 * before a commit is named, and a bad revision that does not leak ends the search at once. Then
 * bisect.json built from a search's result.
 */
import {
  defaultBudget,
  searchFirstBad,
  type Candidate,
  type Measurement,
  type Measurer,
} from '../../src/bisect/search';
import { bisectOutcome, buildBisectReport } from '../../src/bisect/build';

function commits(n: number): Candidate[] {
  return Array.from({ length: n }, (_, i) => ({
    sha: `c${String(i).padStart(2, '0')}`.padEnd(40, '0'),
    subject: `commit ${i}`,
    author: 'a',
    date: '2026-01-01T00:00:00Z',
  }));
}

/** Leaks from `firstBad` on; `override` replaces the verdict of given commits (by index, attempt). */
function fake(
  firstBad: number,
  override: (index: number, attempt: number) => Measurement['verdict'] | undefined = () => undefined,
): { measure: Measurer; calls: Array<[number, number]> } {
  const calls: Array<[number, number]> = [];
  const measure: Measurer = (c, attempt) => {
    const index = Number(c.sha.slice(1, 3));
    calls.push([index, attempt]);
    const verdict = override(index, attempt) ?? (index >= firstBad ? 'leak' : 'pass');
    return Promise.resolve({ verdict, reason: verdict, runs: attempt * 2 });
  };
  return { measure, calls };
}

test('finds the first bad commit at every position among 20 within ⌈log2 20⌉ + 3 steps', async () => {
  for (let first = 0; first < 20; first++) {
    const { measure, calls } = fake(first);
    const r = await searchFirstBad(commits(20), measure);
    expect(r.outcome).toBe('found');
    expect(r.firstBad).toBe(first);
    expect(r.lastGood).toBe(first - 1);
    expect(calls.length).toBeLessThanOrEqual(Math.ceil(Math.log2(20)) + 3);
    // The bad revision is measured first, and the named commit twice (confirmed).
    expect(calls[0]).toEqual([19, 1]);
    expect(calls.filter(([i]) => i === first).length).toBeGreaterThanOrEqual(2);
    if (first > 0) expect(calls.filter(([i]) => i === first - 1).length).toBe(2);
  }
  expect(defaultBudget(20)).toBe(8);
});

test('a bad revision that does not leak ends the search after one step', async () => {
  const { measure, calls } = fake(99);
  const r = await searchFirstBad(commits(20), measure);
  expect(r.outcome).toBe('bad-clean');
  expect(calls).toEqual([[19, 1]]);
});

test('an inconclusive verdict is measured again, not guessed', async () => {
  // Commit 9 (the first bisect step) is unsure on its first attempt, a leak on the second.
  const { measure, calls } = fake(7, (i, a) => (i === 9 && a === 1 ? 'inconclusive' : undefined));
  const r = await searchFirstBad(commits(20), measure, { maxSteps: 20 });
  expect(r.outcome).toBe('found');
  expect(r.firstBad).toBe(7);
  expect(calls.slice(1, 3)).toEqual([
    [9, 1],
    [9, 2],
  ]);
  expect(r.steps[2]?.role).toBe('remeasure');
});

test('a commit that stays unsure is set aside and the answer widens to a range', async () => {
  const { measure } = fake(7, (i) => (i === 7 ? 'inconclusive' : undefined));
  const r = await searchFirstBad(commits(20), measure, { maxSteps: 30 });
  expect(r.outcome).toBe('range');
  expect(r.unsure).toEqual([7]);
  expect([r.lastGood, r.firstBad]).toEqual([6, 8]);
});

test('commits that fail to install or start are skipped, and the range names them', async () => {
  const { measure } = fake(10, (i) => (i === 9 || i === 10 ? 'skip' : undefined));
  const r = await searchFirstBad(commits(20), measure, { maxSteps: 30 });
  expect(r.outcome).toBe('range');
  expect(r.skipped).toEqual([9, 10]);
  expect([r.lastGood, r.firstBad]).toEqual([8, 11]);
});

test('a skipped neighbour of the middle is replaced by the next open commit', async () => {
  const { measure } = fake(4, (i) => (i === 9 ? 'skip' : undefined));
  const r = await searchFirstBad(commits(20), measure, { maxSteps: 30 });
  expect(r.outcome).toBe('found');
  expect(r.firstBad).toBe(4);
});

test('a confirmation that contradicts the first verdict moves the boundary', async () => {
  // Commit 5 looks bad once (noise) but is clean when measured again; the truth is 6.
  const { measure } = fake(6, (i, a) => (i === 5 && a === 1 ? 'leak' : undefined));
  const r = await searchFirstBad(commits(20), measure, { maxSteps: 30 });
  expect(r.outcome).toBe('found');
  expect(r.firstBad).toBe(6);
});

test('the budget stops the search and the smallest range is named', async () => {
  const { measure, calls } = fake(13);
  const r = await searchFirstBad(commits(20), measure, { maxSteps: 3 });
  expect(calls).toHaveLength(3);
  expect(r.budgetSpent).toBe(true);
  expect(r.outcome).toBe('range');
  expect(r.lastGood).toBeLessThan(13);
  expect(r.firstBad).toBeGreaterThanOrEqual(13);
  expect(r.firstBad - r.lastGood).toBeLessThanOrEqual(5);
});

test('a bad revision that cannot be measured, or stays unsure, names nothing', async () => {
  expect((await searchFirstBad(commits(5), fake(0, () => 'skip').measure)).outcome).toBe('bad-unmeasurable');
  expect((await searchFirstBad(commits(5), fake(0, () => 'inconclusive').measure)).outcome).toBe(
    'bad-unsure',
  );
});

test('one commit in the range: it is the bad revision, confirmed', async () => {
  const { measure, calls } = fake(0);
  const r = await searchFirstBad(commits(1), measure);
  expect(r.outcome).toBe('found');
  expect(r.firstBad).toBe(0);
  expect(calls).toEqual([
    [0, 1],
    [0, 2],
  ]);
});

test('an aborted search stops between steps', async () => {
  const controller = new AbortController();
  const { measure } = fake(3);
  const r = await searchFirstBad(commits(20), measure, {
    signal: controller.signal,
    onStep: () => controller.abort(),
  });
  expect(r.outcome).toBe('aborted');
  expect(r.steps).toHaveLength(1);
});

describe('bisect.json from a search (build.ts, pure)', () => {
  const range = commits(20);
  const facts = {
    commits: range,
    stepExtras: new Map(),
    dependencies: undefined,
    badReports: [],
    good: { ref: 'v1', sha: 'g'.repeat(40) },
    bad: { ref: 'HEAD', sha: range[19]?.sha ?? '' },
    firstParent: true,
    baseline: [],
    maxSteps: 8,
    perRun: { runs: 2, warmupSeconds: 1, durationSeconds: 5, samples: 30 },
    warnings: [],
    timings: { installMs: 0, measureMs: 0, totalMs: 0 },
  };

  test('a found commit is named with its range, a leak exit code and a one-line summary', async () => {
    const search = await searchFirstBad(range, fake(7).measure);
    const o = bisectOutcome(range, facts.good.sha, search, false, undefined);
    expect(o.outcome).toBe('found');
    expect(o.range).toEqual({ lastGood: range[6]?.sha, firstBad: range[7]?.sha, commits: [range[7]] });
    const report = buildBisectReport({ ...facts, ...o, search });
    expect(report.firstBad).toEqual(range[7]);
    expect(report.exitCode).toBe(1);
    expect(report.summary).toBe(`FIRST LEAKING COMMIT: ${range[7]?.sha.slice(0, 12)} commit 7`);
    expect(report.steps.map((s) => s.position)).toEqual(search.steps.map((s) => s.index + 1));
  });

  test('a bad revision that cannot be measured is an error naming why', async () => {
    const search = await searchFirstBad(range, fake(0, () => 'skip').measure);
    const o = bisectOutcome(range, facts.good.sha, search, false, undefined);
    expect(o).toMatchObject({ outcome: 'error', range: null });
    expect(o.failure?.message).toBe('the bad revision could not be measured: skip');
    const report = buildBisectReport({ ...facts, ...o, search });
    expect(report.summary).toBe('no result: the bad revision could not be measured: skip');
    expect(report.exitCode).not.toBe(1);
  });

  test('an interrupted bisect is aborted whatever the search found', () => {
    expect(bisectOutcome(range, facts.good.sha, null, true, undefined)).toMatchObject({
      outcome: 'aborted',
      range: null,
    });
  });
});
