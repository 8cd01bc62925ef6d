/** How the CLI ends on a leakcheck error: one line on stderr, the error's exit code, no stack trace. */
import { LeakcheckError } from '../errors';
import { EXIT, type ExitCode } from '../outcome';

/**
 * True for errors that are the user's input, not leakcheck's bug (exit code 2).
 *
 * @param err - anything thrown
 * @returns whether it is a LeakcheckError whose exit code is the usage code
 */
export function isUsageError(err: unknown): err is LeakcheckError {
  return err instanceof LeakcheckError && err.exitCode === EXIT.usage;
}

/**
 * Prints a leakcheck error as one line and sets its exit code; anything else is rethrown.
 *
 * @param err - anything thrown
 * @param prefix - what the line starts with ("leakcheck", "leakcheck watch")
 * @returns the exit code set
 */
export function reportError(err: unknown, prefix = 'leakcheck'): ExitCode {
  if (!(err instanceof LeakcheckError)) throw err;
  process.stderr.write(`${prefix}: ${err.message}\n`);
  process.exitCode = err.exitCode;
  return err.exitCode;
}
