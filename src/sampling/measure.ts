/**
 * The measured window of a run: a post-GC sample every K requests (K from ./evidence.ts's
 * `sampleStep`), the sequential looks after each sample until one decides or the budget is spent
 * (or the fixed window's samples), and the probes called at their points: at the start, after
 * each sample, once the verdict is known (the load still running) and at the end. A run given
 * its verdict (`RunOptions.givenVerdict`: attribution in a new process) has no window: the probes
 * get the verdict after the warm-up. The run loop (./run.ts) starts and stops the target and the
 * traffic around it.
 */
import { findExhaustion } from '../analysis/exhaustion';
import type { AgentConnection } from '../target/channel';
import type { TrafficDriver } from '../traffic/driver';
import { sampleStep, weighEvidence, type Evidence } from './evidence';
import type { ProbeContext, RunVerdict, VerdictContext } from './probes';
import type { RunOptions, RunResult, SequentialOutcome, StopReason } from './run';
import type { Sample } from './samples';
import { delay, errorText, RunEnded } from './wait';

/** Longest wait for a sequential sample's requests, in sample spacings. */
const STALL_SPACINGS = 10;

/** The run loop's live parts the measured window works with. */
export interface WindowContext {
  options: RunOptions;
  driver: TrafficDriver;
  /** The agents still connected. */
  agents(): AgentConnection[];
  /** Every sample of the run so far (the window appends through `sample`). */
  samples: Sample[];
  /** Takes one measured sample of every live agent. */
  sample(): Promise<void>;
  /** Races a wait against the run ending early. */
  race<T>(p: Promise<T>): Promise<T>;
  /** Milliseconds since the run started. */
  elapsed(): number;
  /** The latest look, for progress; `report` asks for a progress update now. */
  evidence(e: Evidence | undefined, report: boolean): void;
  /** Requests per second during the warm-up (the spacing before the second sample). */
  warmRate: number;
  /** Filled as the window goes: probes, sequential outcome, sampleEvery, measureEndMs. */
  result: RunResult;
}

/**
 * Runs the measured window to its end, filling `ctx.result`'s `probes`, `sequential`,
 * `sampleEvery` and `timings.measureEndMs`. A probe that throws is recorded as `{ error }`; the
 * run ending early ({@link RunEnded}) goes through.
 *
 * @param ctx - the run's live parts
 */
export async function measureWindow(ctx: WindowContext): Promise<void> {
  const { options, driver: d, result } = ctx;
  const startCount = d.stats.completed;
  const seq = options.sequential;
  const requestBound = seq ? undefined : options.measure.requests;
  // K from the throughput so far; re-estimated after every sample, because sampling itself
  // slows the service down.
  const measureStart = performance.now();
  const windowMs = options.measure.seconds * 1000;
  const spacingMs = seq ? seq.minWindowMs / Math.max(1, options.samples - 1) : undefined;
  const nextStep = (i: number): number => {
    const spent = performance.now() - measureStart;
    const done = d.stats.completed - startCount;
    const rate = i > 1 && spent > 0 ? done / (spent / 1000) : ctx.warmRate;
    return sampleStep({
      rate,
      spacingMs,
      requestBound,
      windowMs,
      spentMs: spent,
      samples: options.samples,
      index: i,
    });
  };
  // Sequential: the budget; time-bounded fixed windows stop at 1.5x their length if
  // throughput collapses.
  const hardStop = seq ? seq.maxMs : requestBound ? Infinity : windowMs * 1.5;
  const probes = options.probes ?? [];
  let taken = 0;
  const probeCtx = (sampleIndex: number): ProbeContext => ({
    agents: ctx.agents(),
    sampleIndex,
    samples: seq ? Math.max(taken, sampleIndex + 1) : options.samples,
  });
  // A probe's own failure is its result; the run ending early is not a probe's to swallow.
  const attempt = (p: Promise<unknown>): Promise<{ value: unknown } | { error: string }> =>
    ctx.race(p).then(
      (value) => ({ value }),
      (err: unknown) => {
        if (err instanceof RunEnded) throw err;
        return { error: errorText(err) };
      },
    );
  const runProbes = async (step: 'measureStart' | 'afterSample', index: number): Promise<void> => {
    for (const probe of probes) {
      const fn = probe[step];
      if (!fn) continue;
      const r = await attempt(fn.call(probe, probeCtx(index)));
      if ('error' in r) result.probes[probe.name] = { error: r.error };
    }
  };
  // The probes' part once a verdict is known: afterVerdict (the load still running), then measureEnd.
  const handOver = async (verdict: RunVerdict | null): Promise<void> => {
    if (verdict) {
      const atVerdict = d.stats.completed;
      const vctx: VerdictContext = {
        ...probeCtx(Math.max(0, taken - 1)),
        verdict,
        serve: (requests, maxMs) =>
          ctx.race(Promise.race([d.whenCompleted(d.stats.completed + requests), delay(maxMs)])),
        served: () => d.stats.completed - atVerdict,
      };
      for (const probe of probes.filter((p) => p.afterVerdict)) {
        const r = await attempt(probe.afterVerdict?.(vctx) ?? Promise.resolve());
        if ('error' in r) result.probes[probe.name] = { error: r.error };
      }
    }
    for (const probe of probes) {
      if (!probe.measureEnd || result.probes[probe.name]) continue;
      const r = await attempt(probe.measureEnd(probeCtx(Math.max(0, taken - 1))));
      result.probes[probe.name] = 'error' in r ? { error: r.error } : r.value;
    }
  };
  await runProbes('measureStart', 0);
  if (options.givenVerdict) {
    // A run for the probes alone: no measured window, the verdict is the one given.
    await handOver(options.givenVerdict);
    result.timings.measureEndMs = Math.round(ctx.elapsed());
    return;
  }
  await ctx.sample();
  taken = 1;
  await runProbes('afterSample', 0);
  let goal = startCount;
  let stopReason: StopReason = seq ? 'max-duration' : 'fixed-window';
  let evidence: Evidence | undefined;
  // When a leak was called (ms since the run started, and measured ms): its estimate may still be
  // refined, for at most as long again as the measurement took to call it. When probes take the
  // traffic after the verdict (attribution), only while the growth is still slowing down (the
  // estimate carries warm-up growth). In the measured process attribution changes the heap's
  // course (snapshots, inlining off and every function deoptimised), so refining must come first;
  // in a new process attribution waits for it. Refining every leak
  // first delayed the incident's attribution past 15 s in 3 runs of 10 (its estimate is right but
  // wide; its growth does not slow down), while shop-leak16, called during its warm-up, was
  // estimated 19.6-21.8 B/request (truth 16.1) without it.
  let decidedAt: { runMs: number; measuredMs: number } | null = null;
  const servedAfter = probes.some((p) => p.afterVerdict);
  /** The sequential outcome as of now. */
  const outcomeNow = (e: Evidence, stop: StopReason, verdictMs: number): SequentialOutcome => ({
    evidence: e,
    stopReason: stop,
    timeToVerdictMs: Math.round(verdictMs),
    measuredMs: Math.round(performance.now() - measureStart),
    measuredRequests: d.stats.completed - startCount,
    spacingMs: Math.round(spacingMs ?? 0),
  });
  for (let i = 1; seq || i < options.samples; i++) {
    const left = hardStop - (performance.now() - measureStart);
    if (left <= 0) break;
    if (seq?.maxRequests !== undefined && d.stats.completed - startCount >= seq.maxRequests) {
      stopReason = 'max-requests';
      break;
    }
    let step = nextStep(i);
    if (seq?.maxRequests !== undefined)
      step = Math.min(step, Math.max(1, startCount + seq.maxRequests - d.stats.completed));
    goal = Math.max(goal, d.stats.completed) + step;
    // Sequential: a service that stopped answering is still sampled now and then (at ten times the
    // spacing), so a resource that ran out is seen before the budget.
    const wait = seq && spacingMs !== undefined ? Math.min(left, STALL_SPACINGS * spacingMs) : left;
    await ctx.race(Promise.race([d.whenCompleted(goal), delay(Math.min(wait, 2 ** 31 - 1))]));
    await ctx.sample();
    taken = i + 1;
    await runProbes('afterSample', i);
    if (seq) {
      evidence = weighEvidence(ctx.samples, seq, false);
      ctx.evidence(evidence, true);
      if (evidence.verdict === 'leak' && !decidedAt) {
        decidedAt = { runMs: ctx.elapsed(), measuredMs: performance.now() - measureStart };
        // Kept now, so a target that dies while the estimate is refined still has its leak called.
        result.sequential = outcomeNow(evidence, 'leak', decidedAt.runMs);
      }
      const refineLeft = decidedAt ? 2 * decidedAt.measuredMs - (performance.now() - measureStart) : 0;
      const refine = evidence.refining && (!servedAfter || evidence.warming);
      if (evidence.verdict === 'leak' && refine && refineLeft > 0) continue;
      if (evidence.verdict === 'leak' || evidence.verdict === 'pass') {
        stopReason = evidence.verdict;
        break;
      }
      // A resource that ran out (a pool drained: an endpoint failing, or the service no longer
      // answering) will not come back by waiting for the budget; the report calls it.
      const timeline = d.stats.timeline;
      if (
        options.exhaustion !== false &&
        performance.now() - measureStart >= seq.minWindowMs &&
        timeline &&
        findExhaustion(timeline, d.loadSeconds)
      ) {
        stopReason = 'resource-exhausted';
        break;
      }
    }
  }
  // The budget can end a refinement: the leak stands.
  if (decidedAt) stopReason = 'leak';
  if (seq) {
    if (stopReason !== 'leak' && stopReason !== 'pass') evidence = weighEvidence(ctx.samples, seq, true);
    ctx.evidence(evidence, false);
    result.sequential = outcomeNow(
      evidence ?? weighEvidence(ctx.samples, seq, true),
      stopReason,
      decidedAt ? decidedAt.runMs : ctx.elapsed(),
    );
  }
  const measured = ctx.samples.filter((s) => s.phase === 'measure').length;
  result.sampleEvery = Math.round((d.stats.completed - startCount) / Math.max(1, measured - 1));
  result.timings.measureEndMs = Math.round(ctx.elapsed());
  const outcome = result.sequential;
  let verdict: RunVerdict | null = null;
  if (probes.some((p) => p.afterVerdict) && (outcome || options.judge)) {
    // Sequential: the heap verdict just reached; the caller's judge adds the other metrics
    // (and judges the heap of a fixed window).
    const stairs = outcome?.evidence.looks.at(-1)?.staircase;
    const heap: RunVerdict | null = outcome
      ? {
          verdict: outcome.evidence.verdict === 'undecided' ? 'inconclusive' : outcome.evidence.verdict,
          perRequest: outcome.evidence.looks.at(-1)?.slope ?? null,
          ...(stairs ? { nextStep: Math.max(0, Math.round(2 * stairs.lastStretch - stairs.open)) } : {}),
        }
      : null;
    verdict = options.judge ? options.judge(ctx.samples, heap) : (heap as RunVerdict);
  }
  await handOver(verdict);
}
