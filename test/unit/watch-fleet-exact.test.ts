/**
 * The fleet analysis' fast paths give the straightforward paths' numbers on a small seeded fleet
 * of the four shapes bench/watch.ts uses (leak, flat noise, GC steps, a cache that fills): already
 * sorted finite points skip cleanSeries' sort, distinct x are counted on the sorted axis, and the
 * slope selection reuses its scratch arrays from series to series (lengths change between
 * series, so a stale slot would show). Straightforward: the same points shuffled (cleanSeries
 * sorts them back), and Theil-Sen on descending x (it then sorts every slope).
 */
import { analyseMetric, HOURS, theilSen } from '../../src/analysis';
import { xorshift32 } from '../../src/random';

function series(i: number): { x: number[]; y: number[] } {
  const uniform = xorshift32(i * 2654435761, 0);
  const normal = (): number =>
    Math.sqrt(-2 * Math.log(Math.max(uniform(), 1e-300))) * Math.cos(2 * Math.PI * uniform());
  const n = 120 + 20 * (i % 5);
  const base = 80e6 + 100e6 * uniform();
  let level = base;
  const x: number[] = [];
  const y: number[] = [];
  for (let k = 0; k < n; k++) {
    const hours = (k * 6) / n;
    x.push(hours);
    const shape = i % 4;
    if (shape === 0) y.push(base + 8e6 * hours + 1e6 * normal());
    else if (shape === 1) y.push(base + 1e6 * normal());
    else if (shape === 2) {
      if (uniform() < 1 / 15) level = base + Math.round(2e6 * normal());
      y.push(level);
    } else y.push(base + 60e6 * Math.min(hours / 1.5, 1) + 0.5e6 * normal());
  }
  return { x, y };
}

function shuffled(x: number[], y: number[], seed: number): { x: number[]; y: number[] } {
  const random = xorshift32(seed, 0x1234567);
  const order = x.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return { x: order.map((i) => x[i] as number), y: order.map((i) => y[i] as number) };
}

describe('fleet analysis fast paths', () => {
  const fleet = Array.from({ length: 24 }, (_, i) => series(i));

  it('give the same analysis as the points shuffled (sorted back by cleanSeries)', () => {
    const verdicts = new Set<string>();
    fleet.forEach((s, i) => {
      const fast = analyseMetric({ metric: 'heapUsed', ...s }, { axis: HOURS });
      const slow = analyseMetric({ metric: 'heapUsed', ...shuffled(s.x, s.y, i + 1) }, { axis: HOURS });
      expect(fast).toEqual(slow);
      verdicts.add(`${i % 4}:${fast.verdict}`);
    });
    // The shapes are told apart, so the comparison covers leaks and passes.
    expect(verdicts).toContain('0:leak');
    expect(verdicts).toContain('1:pass');
    expect(verdicts).toContain('2:pass');
  });

  it('give the Theil-Sen fit that sorting every slope gives', () => {
    for (const s of fleet) {
      const fast = theilSen(s.x, s.y, 0.95);
      const sorted = theilSen([...s.x].reverse(), [...s.y].reverse(), 0.95);
      expect([fast.slope, fast.low, fast.high]).toEqual([sorted.slope, sorted.low, sorted.high]);
    }
  });
});
