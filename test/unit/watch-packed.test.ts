/**
 * A fleet share packed for a worker thread comes back as it went: every number bit for bit
 * (NaN, ±Infinity, −0), labels, limits, and a request counter that is absent, null or present.
 */
import type { InstanceInput } from '../../src/watch';
import { packInstances, unpackInstances } from '../../src/watch/packed';

describe('packInstances / unpackInstances', () => {
  it('round-trips instances exactly, in order', () => {
    const inputs: InstanceInput[] = [
      { labels: { instance: 'a:1' }, t: [1, 2, 3], v: [1.5, Number.NaN, -0] },
      {
        labels: { instance: 'b:1', job: 'api' },
        t: [10, 20],
        v: [Infinity, -Infinity],
        requests: { t: [10, 20, 30], v: [0, 5e-324, Number.MAX_VALUE] },
        limit: 2e9,
      },
      { labels: {}, t: [], v: [], requests: null, limit: null },
      { labels: { instance: 'c:1' }, t: [0.1 + 0.2], v: [123456789.12345679] },
    ];
    const packed = packInstances(inputs);
    expect(packed.values).toHaveLength(3 + 3 + 2 + 2 + 3 + 3 + 1 + 1);
    const back = unpackInstances(packed);
    expect(back).toEqual(inputs);
    expect(Object.is(back[0]?.v[2], -0)).toBe(true);
    expect('requests' in (back[0] as InstanceInput)).toBe(false);
    expect(back[2]?.requests).toBeNull();
    expect(back[2]?.limit).toBeNull();
  });
});
