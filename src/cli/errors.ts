/** How the CLI ends on bad input: one line on stderr, exit code 2, no stack trace. */
import { ConfigError } from '../config/load';
import { UsageError, EXIT } from '../pipeline';
import { ScenarioError } from '../traffic/scenario';

/** True for errors that are the user's input, not leakcheck's bug. */
export function isUsageError(err: unknown): err is Error {
  return err instanceof ConfigError || err instanceof UsageError || err instanceof ScenarioError;
}

/** Prints a usage error and sets exit code 2; anything else is rethrown. */
export function reportUsageError(err: unknown): void {
  if (!isUsageError(err)) throw err;
  process.stderr.write(`leakcheck: ${err.message}\n`);
  process.exitCode = EXIT.usage;
}
