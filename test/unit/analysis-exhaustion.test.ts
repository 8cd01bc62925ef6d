import {
  EXHAUSTED_FAILED_SHARE,
  findExhaustion,
  HEALTHY_START,
  type EndpointTimeline,
  type ResponseTimeline,
} from '../../src/analysis/exhaustion';

/** An endpoint's counts: `answered` and `failed` per second, and how it began. */
function endpoint(answered: number[], failed: number[], answeredFirst: number): EndpointTimeline {
  return { answered, failed, answeredFirst, hasFailed: failed.some((n) => n > 0) };
}

function timeline(endpoints: Record<string, EndpointTimeline>, unanswered: number[] = []): ResponseTimeline {
  const all = Object.values(endpoints);
  return {
    endpoints,
    unanswered,
    answeredFirst: all.reduce((s, e) => s + e.answeredFirst, 0),
    hasFailed: all.some((e) => e.hasFailed) || unanswered.some((n) => n > 0),
  };
}

const steady = (n: number, seconds: number): number[] => new Array<number>(seconds).fill(n);

describe('findExhaustion', () => {
  it('calls an endpoint that answered at first and then failed for good (a drained pool)', () => {
    const users = endpoint([40, ...steady(0, 9)], [30, ...steady(10, 9)], 11);
    const health = endpoint(steady(300, 10), steady(0, 10), 3000);
    const e = findExhaustion(timeline({ 'GET /users/{id}': users, 'GET /health': health }), 10);
    expect(e?.kind).toBe('endpoint');
    expect(e?.endpoint).toBe('GET /users/{id}');
    expect(e?.answeredFirst).toBe(11);
    // The late stretch: the last half of the load's seconds, the last (cut short) left out.
    expect(e?.late).toEqual({ fromSecond: 4, toSecond: 9, responses: 50, failed: 50, unanswered: 0 });
    expect(e?.reason).toMatch(
      /^GET \/users\/\{id\} answered its first 11 requests and then failed 100% of 50/,
    );
  });

  it('does not call a route that failed from its first requests (missing data, a wrong route)', () => {
    const broken = endpoint(steady(1, 10), steady(30, 10), HEALTHY_START - 1);
    expect(findExhaustion(timeline({ 'GET /orders/{id}': broken }), 10)).toBeNull();
  });

  it('does not call an endpoint that still answers more than a tenth of its late requests', () => {
    const share = EXHAUSTED_FAILED_SHARE - 0.05;
    const flaky = endpoint(
      steady(Math.round(100 * (1 - share)), 10),
      steady(Math.round(100 * share), 10),
      50,
    );
    expect(findExhaustion(timeline({ 'GET /search': flaky }), 10)).toBeNull();
  });

  it('does not call a short burst of failures that recovered', () => {
    const blip = endpoint(steady(100, 10), [0, 0, 0, 100, 100, 0, 0, 0, 0, 0], 300);
    expect(findExhaustion(timeline({ 'GET /items': blip }), 10)).toBeNull();
  });

  it('does not judge a load too short for a late stretch', () => {
    const users = endpoint([40, 0, 0], [0, 10, 10], 40);
    expect(findExhaustion(timeline({ 'GET /users/{id}': users }), 3)).toBeNull();
  });

  it('calls a service that stopped answering, its requests timing out (a pool without a time-out)', () => {
    const all = endpoint([80, ...steady(0, 9), 10, ...steady(0, 9)], steady(0, 20), 80);
    const e = findExhaustion(timeline({ 'GET /': all }, [...steady(0, 10), 10]), 20.4);
    expect(e?.kind).toBe('service');
    expect(e?.rate).toEqual({ best: 80, late: 1 });
    expect(e?.late.unanswered).toBe(10);
    expect(e?.reason).toMatch(
      /^the service answered its first 80 requests, up to 80 requests a second and then stopped/,
    );
  });

  it('counts the seconds the load ran, not only those in which something happened', () => {
    // Nothing answered after second 11: the counts stop there, the load does not.
    const all = endpoint([80, ...steady(0, 9), 10], steady(0, 11), 80);
    const t = timeline({ 'GET /': all }, [...steady(0, 10), 10]);
    expect(findExhaustion(t, 11)).toBeNull();
    expect(findExhaustion(t, 20)?.kind).toBe('service');
  });

  it('does not call a service that slowed down but answers (a busy machine) or that never timed out', () => {
    const slower = endpoint([...steady(4000, 10), ...steady(1000, 10)], steady(0, 20), 4000);
    expect(findExhaustion(timeline({ 'GET /': slower }, steady(0, 20)), 20)).toBeNull();
    const quiet = endpoint([4000, ...steady(0, 19)], steady(0, 20), 4000);
    expect(findExhaustion(timeline({ 'GET /': quiet }, steady(0, 20)), 20)).toBeNull();
  });

  it('does not call a service whose first requests already failed', () => {
    const all = endpoint([10, ...steady(0, 19)], steady(0, 20), 10);
    expect(findExhaustion(timeline({ 'GET /': all }, [0, ...steady(5, 19)]), 20)).toBeNull();
  });
});
