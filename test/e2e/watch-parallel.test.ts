/**
 * The fleet analysis in worker threads (the built dist/, as `watch` runs it) gives exactly the
 * single-threaded results: verdicts, rates, intervals, reasons, in input order. Needs dist/.
 */
import * as path from 'node:path';
import { ROOT } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const built = require(path.join(ROOT, 'dist', 'watch')) as typeof import('../../src/watch');

function fleet(count: number): Array<{ labels: Record<string, string>; t: number[]; v: number[] }> {
  return Array.from({ length: count }, (_, i) => {
    let s = (i + 1) * 2654435761;
    const next = (): number => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return (s >>> 0) / 4294967296;
    };
    const t = Array.from({ length: 300 }, (_, k) => 1_700_000_000 + k * 30);
    // Every third instance leaks 5 MB/h; the rest are flat noise.
    const v = t.map((_, k) => 80e6 + (i % 3 === 0 ? (5e6 * k * 30) / 3600 : 0) + 1e6 * next());
    return { labels: { instance: `i-${i}` }, t, v };
  });
}

describe('analyseInstances', () => {
  it('gives the single-threaded results from 2 worker threads, in order', async () => {
    const inputs = fleet(30);
    const options = built.defaultWatchOptions('heapUsed');
    const single = inputs.map((input) => built.analyseInstance(input, options));
    const parallel = await built.analyseInstances(inputs, options, { workers: 2 });
    expect(parallel.map((a) => a.name)).toEqual(single.map((a) => a.name));
    expect(parallel).toEqual(single);
    expect(single.filter((a) => a.verdict === 'leak')).toHaveLength(10);
    // More shares than workers: each worker takes the next share when it answers (9 shares of
    // about 1,000 points here), and the results still come back in input order.
    const queued = await built.analyseInstances(inputs, options, { workers: 2, sharePoints: 1000 });
    expect(queued).toEqual(single);
  }, 60_000);
});
