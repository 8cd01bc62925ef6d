/**
 * The probe contract: measurements that ride along a run without changing the run loop
 * (allocation profiles, heap snapshots), called at fixed points of the measured window
 * (./measure.ts). What a probe sees, and the verdict it is told once the evidence has decided.
 */
import type { AgentConnection } from '../target/channel';

/** A verdict as probes see it: what was called and the heap growth estimate behind it. */
export interface RunVerdict {
  verdict: 'leak' | 'pass' | 'inconclusive';
  /** Heap bytes per request of the busiest process, when estimable. */
  perRequest: number | null;
  /**
   * When a staircase decided it (a store enlarged in steps): requests from the verdict until the
   * store's next enlargement is due (twice the last complete stretch less the stretch since the last jump; at
   * least 0). Between two enlargements the store's storage does not change, so a comparison of
   * snapshots taken within one stretch cannot see it.
   */
  nextStep?: number;
}

/** What a probe sees once the verdict is known: the load is still running. */
export interface VerdictContext extends ProbeContext {
  verdict: RunVerdict;
  /**
   * Resolves once `requests` more responses completed or `maxMs` passed, whichever is first (the
   * same traffic keeps running while a probe waits).
   */
  serve(requests: number, maxMs: number): Promise<void>;
  /** Responses completed since the verdict was handed to the probes (the traffic never pauses). */
  served(): number;
}

/** What a probe sees: the live agents, and how far the measured window has got. */
export interface ProbeContext {
  agents: AgentConnection[];
  /** Index of the measured sample just taken (0 = baseline). */
  sampleIndex: number;
  /** Samples planned in the measured window. */
  samples: number;
}

/**
 * A measurement that plugs into the run loop without changing it: called when the measured
 * window starts, after each measured sample, and when it ends (before the load stops). Whatever
 * `measureEnd` returns is kept in `RunResult.probes[name]`. A probe that throws is recorded as
 * `{ error }` and never ends the run.
 */
export interface RunProbe {
  name: string;
  measureStart?(ctx: ProbeContext): Promise<void>;
  afterSample?(ctx: ProbeContext): Promise<void>;
  measureEnd?(ctx: ProbeContext): Promise<unknown>;
  /**
   * Called once when the verdict is known, before `measureEnd` and before the load stops (same
   * process, same traffic): work that only a leak justifies (heap snapshots, retainer paths) waits
   * for this instead of slowing down every run.
   */
  afterVerdict?(ctx: VerdictContext): Promise<void>;
}
