/**
 * How the run loop waits: every wait is raced against the run ending early (the target's exit,
 * the deadline, the user's Ctrl-C), which rejects with {@link RunEnded}; pauses never keep the
 * process alive on their own.
 */
import type { RunStatus } from './run';

/** The run ended early: how, and why in one line. Only the run loop raises it. */
export class RunEnded extends Error {
  constructor(
    readonly status: RunStatus,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A wait that never keeps the process alive on its own.
 *
 * @param ms - how long
 * @returns resolves after `ms`
 */
export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/**
 * The message of anything thrown, for a one-line record.
 *
 * @param err - what was thrown
 * @returns its message
 */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
