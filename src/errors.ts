/**
 * The one error base class: every error leakcheck raises on purpose carries its exit code and a
 * one-line message, so the CLI's handler prints `leakcheck: <message>` and exits with the code
 * without knowing the error's class. Anything else that escapes is a bug (stack trace, code 3).
 */
import { EXIT, type ExitCode } from './outcome';

/** An error leakcheck means to raise: one line for the user and the exit code to end with. */
export class LeakcheckError extends Error {
  /** The exit code the command ends with (2 unless the subclass says otherwise). */
  readonly exitCode: ExitCode;

  /**
   * @param message - one line naming the file, line, field or flag and what was expected
   * @param exitCode - the exit code (default 2, bad input)
   */
  constructor(message: string, exitCode: ExitCode = EXIT.usage) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** The command line or config asked for something impossible (exit code 2). */
export class UsageError extends LeakcheckError {}
