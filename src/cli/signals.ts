/**
 * One way every long command (run, compare, bisect) ends on a signal. SIGINT (Ctrl-C), SIGTERM
 * (a CI cancel) and SIGHUP (the terminal closed) all stop the run in order: the target's tree is
 * stopped, the partial report written, temporary folders and worktrees removed. A second signal,
 * or an orderly stop that takes longer than {@link FORCE_AFTER_MS}, forces the exit, and the
 * forced exit still runs every registered cleanup (src/cleanup.ts) before it leaves.
 */
import { runForcedCleanup } from '../cleanup';
import { EXIT } from '../outcome';

/** Signals that stop a command. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** An orderly stop gets this long before the exit is forced (a target that ignores SIGTERM takes the grace period). */
export const FORCE_AFTER_MS = 30_000;

/** What {@link handleStopSignals} returns. */
export interface StopSignals {
  /** Aborted on the first signal. */
  signal: AbortSignal;
  /** Removes the handlers (the command finished). */
  dispose(): void;
}

/**
 * Installs the handlers for one command.
 *
 * @param what - what an orderly stop does, for the message (e.g. "writing the partial report")
 * @param exit - how to leave on a forced exit (tests pass a fake)
 * @returns the abort signal to pass down, and how to remove the handlers
 */
export function handleStopSignals(
  what: string,
  exit: (code: number) => void = (code) => process.exit(code),
): StopSignals {
  const controller = new AbortController();
  let count = 0;
  let watchdog: NodeJS.Timeout | undefined;
  const force = (why: string): void => {
    say(`leakcheck: ${why}: stopping the target's processes and removing temporary files now\n`);
    runForcedCleanup();
    exit(EXIT.interrupted);
  };
  const onSignal = (name: NodeJS.Signals): void => {
    count++;
    if (count === 1) {
      say(`\nleakcheck: ${name}: stopping the target and ${what} (again to force)\n`);
      controller.abort();
      watchdog = setTimeout(() => force('the orderly stop took too long'), FORCE_AFTER_MS);
      watchdog.unref();
    } else {
      force(`${name} again`);
    }
  };
  // A closed terminal makes every later write fail (EIO, EPIPE): that must not crash the cleanup.
  const ignore = (): void => undefined;
  process.stdout.on('error', ignore);
  process.stderr.on('error', ignore);
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  return {
    signal: controller.signal,
    dispose() {
      if (watchdog) clearTimeout(watchdog);
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
      process.stdout.off('error', ignore);
      process.stderr.off('error', ignore);
    },
  };
}

function say(text: string): void {
  try {
    process.stderr.write(text);
  } catch {
    // no terminal any more
  }
}
