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
 * A third part takes stores whose size follows throughput: entries that expire (checked every
 * 50 ms, as per-entry timers or a frequent prune remove them), a slope at the threshold and a
 * bounded one, with the throughput wandering ±20% (or held steady), and series with no such store
 * at all under the same wandering throughput (the throughput check must cost them nothing). Each
 * series carries its samples' clock, as a run's does; THROUGHPUT=off leaves it out (no
 * throughput check, as before session 22). PART=sawtooth runs the second and third parts only.
 *
 * Usage: RUNS=1000 npx tsx bench/false-alarm.ts
 */
import { lookSchedule, sequentialTest } from '../src/analysis/sequential';
import { sequentialSeries, timedSawtooth } from '../test/unit/analysis-synthetic';
const runs = Number(process.env.RUNS ?? 1000);
for (const [first, last, step] of process.env.PART === 'sawtooth'
  ? []
  : ([
      [30, 290, 400],
      [18, 171, 680],
    ] as const)) {
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
  // Stores whose size follows throughput (entries expire continuously), and none at all.
  { slope: 2, rampPerRequest: 100, periodMs: 50, rate: 1.7, lagMs: 1, expiryMs: 2000 },
  { slope: 0, rampPerRequest: 300, periodMs: 50, rate: 1.7, lagMs: 1, expiryMs: 2000 },
  { slope: 0, rampPerRequest: 300, periodMs: 50, rate: 1.7, lagMs: 1, expiryMs: 2000, wander: 0 },
  { slope: 0, rampPerRequest: 300, periodMs: 50, rate: 1.7, lagMs: 1, expiryMs: 5000 },
  { slope: 4, rampPerRequest: 100, periodMs: 50, rate: 1.7, lagMs: 1, expiryMs: 2000 },
  { slope: 2, rampPerRequest: 0, periodMs: 50, rate: 1.7, lagMs: 1 },
  { slope: 0, rampPerRequest: 0, periodMs: 50, rate: 1.7, lagMs: 1 },
  { slope: 4, rampPerRequest: 0, periodMs: 50, rate: 1.7, lagMs: 1 },
]) {
  const out = { leak: 0, pass: 0, inconclusive: 0 };
  for (let s = 0; s < runs; s++) {
    const { x, y, clock } = timedSawtooth(s * 7919 + 3, 171, shape);
    const options = { threshold: 2, alpha: 0.025, ...(process.env.THROUGHPUT === 'off' ? {} : { clock }) };
    out[sequentialTest(x, y, plan, options, true).verdict]++;
  }
  console.log(
    `timer sawtooth, slope ${shape.slope} B/request, ramp ${shape.rampPerRequest} B/request, every ${shape.periodMs} ms at ${shape.rate} requests/ms${'wander' in shape ? ` held steady` : ''}${'expiryMs' in shape ? `, entries expire after ${shape.expiryMs} ms` : ''}: leak ${((100 * out.leak) / runs).toFixed(1)}%, pass ${((100 * out.pass) / runs).toFixed(1)}%, inconclusive ${((100 * out.inconclusive) / runs).toFixed(1)}%`,
  );
}
