/**
 * False-alarm rate of the whole sequential procedure under optional stopping, for two look plans:
 * the plan before session 14 (30 samples in the minimum window, 290 at the budget) and the default
 * since (18 and 171). Seeded synthetic post-GC series with a true slope exactly at the threshold
 * (the worst case of the null hypothesis) and AR(1) noise; every planned look is taken. Pure
 * arithmetic, no processes: the rate is the share of series any look calls a leak.
 *
 * A second part takes the default plan over sawtooths a timer clears (a structure a service
 * empties every few seconds: each reset falls somewhere between two samples, and the slope of the
 * sawtooth's base is fitted with the ramp modelled): a true slope at the threshold under a steep,
 * a middling and a shallow ramp (false leaks, the worst case), and a bounded one (slope 0) under a
 * steep and a shallow ramp (false leaks and how many end inconclusive at the budget).
 *
 * Usage: RUNS=1000 npx tsx bench/false-alarm.ts
 */
import { lookSchedule, sequentialTest } from '../src/analysis/sequential';
import { sequentialSeries, timedSawtooth } from '../test/unit/analysis-synthetic';
const runs = Number(process.env.RUNS ?? 1000);
for (const [first, last, step] of [
  [30, 290, 400],
  [18, 171, 680],
] as const) {
  const sched = lookSchedule(first, last);
  for (const rho of [0, 0.3, 0.5, 0.8]) {
    const out = { leak: 0, pass: 0, inconclusive: 0 };
    for (let s = 0; s < runs; s++) {
      const { x, y } = sequentialSeries(s * 9973 + 1, last, { slope: 2, rho, step });
      out[sequentialTest(x, y, sched, { threshold: 2, alpha: 0.025 }, true).verdict]++;
    }
    console.log(
      `schedule ${first}..${last} (${sched.length} looks) rho ${rho}: leak ${out.leak}/${runs} = ${((100 * out.leak) / runs).toFixed(1)}%`,
    );
  }
}

const plan = lookSchedule(18, 171);
for (const shape of [
  { slope: 2, rampPerRequest: 330, periodMs: 4000, rate: 7, lagMs: 3 },
  { slope: 2, rampPerRequest: 100, periodMs: 3000, rate: 3, lagMs: 5, sd: 40_000 },
  { slope: 2, rampPerRequest: 30, periodMs: 3000, rate: 10, lagMs: 5 },
  { slope: 0, rampPerRequest: 330, periodMs: 4000, rate: 7, lagMs: 3 },
  { slope: 0, rampPerRequest: 30, periodMs: 3000, rate: 10, lagMs: 5 },
  // A store that expires entries (a session store, a TTL cache): each callback removes only the
  // entries older than expiryMs, so its first drop comes at expiry + period and gives back less.
  { slope: 2, rampPerRequest: 300, periodMs: 1500, rate: 1.7, lagMs: 3, expiryMs: 1500 },
  { slope: 0, rampPerRequest: 300, periodMs: 1500, rate: 1.7, lagMs: 3, expiryMs: 1500 },
  { slope: 0, rampPerRequest: 300, periodMs: 1000, rate: 1.7, lagMs: 3, expiryMs: 2000 },
]) {
  const out = { leak: 0, pass: 0, inconclusive: 0 };
  for (let s = 0; s < runs; s++) {
    const { x, y } = timedSawtooth(s * 7919 + 3, 171, shape);
    out[sequentialTest(x, y, plan, { threshold: 2, alpha: 0.025 }, true).verdict]++;
  }
  console.log(
    `timer sawtooth, slope ${shape.slope} B/request, ramp ${shape.rampPerRequest} B/request, every ${shape.periodMs} ms at ${shape.rate} requests/ms${'expiryMs' in shape ? `, entries expire after ${shape.expiryMs} ms` : ''}: leak ${((100 * out.leak) / runs).toFixed(1)}%, pass ${((100 * out.pass) / runs).toFixed(1)}%, inconclusive ${((100 * out.inconclusive) / runs).toFixed(1)}%`,
  );
}
