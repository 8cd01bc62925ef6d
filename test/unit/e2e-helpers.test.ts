/**
 * The end-to-end tests' failure explanation (test/e2e/helpers.ts `explainOnFailure`): a failed
 * expectation's message carries the run's verdict, looks and series, and the run's folder is
 * kept outside the jest run's temporary folder; a passing one keeps nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { explainOnFailure, type CliRun } from '../e2e/helpers';

function fakeRun(dir: string): CliRun {
  const look = {
    look: 1,
    samples: 30,
    alpha: 0.008,
    from: 7190,
    to: 12483,
    slope: 8.91,
    low: 3.5,
    high: 14.2,
    earlySlope: 40.5,
    settled: true,
    resets: { total: 0, recent: 0 },
    decision: 'leak',
  };
  const report = {
    verdict: 'leak',
    status: 'completed',
    processes: [{ pid: 42, metrics: [{ metric: 'heapUsed', verdict: 'leak' }] }],
    sequential: {
      rule: 'sequential-leak',
      reason: 'heap grows 9 B/request',
      stopReason: 'leak',
      pid: 42,
      timeToVerdictMs: 7000,
      looks: [look],
    },
  };
  const samples = [0, 1].map((i) => ({
    pid: 42,
    phase: 'measure',
    requests: 1000 * (i + 1),
    heapUsed: 2048 * (i + 1) + 1024,
    spaces: { code_space: 1024 },
  }));
  fs.writeFileSync(path.join(dir, 'report.json'), JSON.stringify(report));
  fs.writeFileSync(path.join(dir, 'samples.json'), JSON.stringify(samples));
  return { code: 1, stdout: '', stderr: '', outDir: dir, report: report as unknown as CliRun['report'] };
}

describe('explainOnFailure', () => {
  let dir: string;
  let kept: string;
  const before = process.env.LEAKCHECK_TEST_ARTIFACTS;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'explain-run-'));
    kept = fs.mkdtempSync(path.join(os.tmpdir(), 'explain-kept-'));
    process.env.LEAKCHECK_TEST_ARTIFACTS = kept;
  });
  afterEach(() => {
    if (before === undefined) delete process.env.LEAKCHECK_TEST_ARTIFACTS;
    else process.env.LEAKCHECK_TEST_ARTIFACTS = before;
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(kept, { recursive: true, force: true });
  });

  test('a failed expectation says what the run decided and keeps its folder', async () => {
    const run = fakeRun(dir);
    const failure = await explainOnFailure(run, 'shop clean/replay', () => {
      expect(run.report?.verdict).toBe('pass');
    }).then(
      () => null,
      (err: unknown) => err as Error,
    );
    expect(failure).toBeInstanceOf(Error);
    const message = failure?.message ?? '';
    expect(message).toContain('verdict leak');
    expect(message).toContain('sequential: sequential-leak (leak) after 7000 ms');
    expect(message).toMatch(/look 1: 30 samples, requests 7190-12483, slope 8\.91 \(3\.50 to 14\.20\)/);
    // heap less code space, in KiB
    expect(message).toContain('1000:2.0 2000:4.0');
    const folders = fs.readdirSync(kept);
    expect(folders).toHaveLength(1);
    expect(folders[0]).toMatch(/^shop_clean_replay-/);
    expect(message).toContain(path.join(kept, folders[0] as string));
    expect(fs.existsSync(path.join(kept, folders[0] as string, 'report.json'))).toBe(true);
  });

  test('passing expectations keep nothing', async () => {
    const run = fakeRun(dir);
    await explainOnFailure(run, 'ok', () => {
      expect(run.report?.verdict).toBe('leak');
    });
    expect(fs.readdirSync(kept)).toEqual([]);
  });
});
