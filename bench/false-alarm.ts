/**
 * False-alarm rate of the whole sequential procedure under optional stopping, for two look plans:
 * the plan before session 14 (30 samples in the minimum window, 290 at the budget) and the default
 * since (18 and 171). Seeded synthetic post-GC series with a true slope exactly at the threshold
 * (the worst case of the null hypothesis) and AR(1) noise; every planned look is taken. Pure
 * arithmetic, no processes: the rate is the share of series any look calls a leak.
 *
 * Usage: RUNS=1000 npx tsx bench/false-alarm.ts
 */
import { lookSchedule, sequentialTest } from '../src/analysis/sequential';
import { sequentialSeries } from '../test/unit/analysis-synthetic';
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
