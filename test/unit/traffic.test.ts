import { compileTemplate, TemplateError } from '../../src/traffic/template';
import { compileScenario, defaultScenario, ScenarioError } from '../../src/traffic/scenario';
import { seededRandom } from '../../src/random';
import { Pacer, rateFunction, type PacerClock } from '../../src/traffic/pacer';

describe('templates', () => {
  const ctx = { random: seededRandom(7), user: 'user-42', seq: 9 };

  test('substitutes user, seq, int and uuid', () => {
    expect(compileTemplate('/u/{{user}}/{{seq}}')(ctx)).toBe('/u/user-42/9');
    const n = Number(compileTemplate('{{int 5 7}}')(ctx));
    expect(n).toBeGreaterThanOrEqual(5);
    expect(n).toBeLessThanOrEqual(7);
    expect(compileTemplate('{{uuid}}')(ctx)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(compileTemplate('plain')(ctx)).toBe('plain');
  });

  test('int covers its whole range, bounds included', () => {
    const t = compileTemplate('{{int 1 3}}');
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(t(ctx));
    expect([...seen].sort()).toEqual(['1', '2', '3']);
  });

  test('unknown or malformed placeholders say what is expected', () => {
    expect(() => compileTemplate('{{usr}}')).toThrow(TemplateError);
    expect(() => compileTemplate('{{usr}}')).toThrow(/expected \{\{user\}\}/);
    expect(() => compileTemplate('{{int 9 1}}')).toThrow(/A <= B/);
    expect(() => compileTemplate('/a/{{user')).toThrow(/unclosed/);
  });
});

describe('scenarios', () => {
  test('weights set the endpoint mix', () => {
    const source = compileScenario({
      users: 100,
      seed: 3,
      requests: [
        { name: 'a', method: 'GET', path: '/a', weight: 3 },
        { name: 'b', method: 'post', path: '/b', weight: 1, body: { id: '{{seq}}' } },
      ],
    });
    const counts: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < 20_000; i++) {
      const r = source.next();
      counts[r.endpoint] = (counts[r.endpoint] ?? 0) + 1;
      if (r.endpoint === 'b') {
        expect(r.method).toBe('POST');
        expect(r.headers['content-type']).toBe('application/json');
        expect(JSON.parse(r.body ?? '')).toHaveProperty('id');
      }
    }
    expect((counts.a ?? 0) / 20_000).toBeCloseTo(0.75, 1);
    expect(source.mix()).toEqual([
      { endpoint: 'a', share: 0.75 },
      { endpoint: 'b', share: 0.25 },
    ]);
  });

  test('the default draws distinct users from the pool', () => {
    const source = compileScenario(defaultScenario(15_000, 1));
    const users = new Set<string>();
    for (let i = 0; i < 20_000; i++) users.add(source.next().headers.authorization ?? '');
    // 20k draws from 15k users: about 15000 * (1 - e^-1.33) = 11,050 distinct.
    expect(users.size).toBeGreaterThan(10_500);
    expect(users.size).toBeLessThan(11_600);
    expect([...users][0]).toMatch(/^Bearer user-\d+$/);
  });

  test('the same seed replays the same traffic', () => {
    const a = compileScenario(defaultScenario(1000, 5));
    const b = compileScenario(defaultScenario(1000, 5));
    for (let i = 0; i < 50; i++) expect(a.next()).toEqual(b.next());
  });

  test('errors name the field', () => {
    expect(() =>
      compileScenario({ users: 1, seed: 1, requests: [{ method: 'GET', path: '/x/{{nope}}', weight: 1 }] }),
    ).toThrow(
      new ScenarioError(
        'traffic.requests[0].path',
        '{{nope}}: expected {{user}}, {{int A B}}, {{uuid}} or {{seq}}',
      ),
    );
  });
});

/** A manual clock: timers fire only when the test advances time. */
class FakeClock implements PacerClock {
  t = 0;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private nextId = 1;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== handle);
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (let guard = 0; guard < 1_000_000; guard++) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
}

describe('pacer', () => {
  test('spreads a constant rate evenly within the second (no burst at its start)', () => {
    const clock = new FakeClock();
    const pacer = new Pacer(rateFunction({ kind: 'constant', rps: 100 }), clock);
    const starts: number[] = [];
    // 10 eager callers that re-queue as soon as they are released, like busy connections.
    const loop = (): void =>
      pacer.acquire(() => {
        starts.push(clock.now());
        if (starts.length < 300) loop();
      });
    for (let i = 0; i < 10; i++) loop();
    clock.advance(3000);
    pacer.stop();
    const firstSecond = starts.filter((t) => t < 1000);
    expect(firstSecond.length).toBeGreaterThanOrEqual(99);
    expect(firstSecond.length).toBeLessThanOrEqual(101);
    // autocannon's own limiter would send all 100 in the first few milliseconds.
    expect(starts.filter((t) => t < 100).length).toBeLessThanOrEqual(11);
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] as number));
    expect(Math.max(...gaps)).toBeLessThanOrEqual(11);
  });

  test('follows a ramp', () => {
    const clock = new FakeClock();
    const pacer = new Pacer(rateFunction({ kind: 'ramp', from: 10, to: 110, seconds: 2 }), clock);
    const starts: number[] = [];
    const loop = (): void =>
      pacer.acquire(() => {
        starts.push(clock.now());
        if (clock.now() < 3000) loop();
      });
    for (let i = 0; i < 20; i++) loop();
    clock.advance(3000);
    pacer.stop();
    const inFirst = starts.filter((t) => t < 1000).length;
    const inThird = starts.filter((t) => t >= 2000 && t < 3000).length;
    expect(inFirst).toBeGreaterThan(25);
    expect(inFirst).toBeLessThan(45);
    expect(inThird).toBeGreaterThan(100);
    expect(inThird).toBeLessThan(120);
  });

  test('stop drops queued callers', () => {
    const clock = new FakeClock();
    const pacer = new Pacer(() => 1, clock);
    let ran = 0;
    pacer.acquire(() => ran++);
    pacer.acquire(() => ran++);
    pacer.stop();
    clock.advance(5000);
    expect(ran).toBe(1);
  });
});
