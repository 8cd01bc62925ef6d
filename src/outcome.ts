/**
 * How a check ends, in one place: the order of verdicts, how verdicts combine, which ones fail
 * under `failOn`, and the exit code of every command. `run`, `compare`, `watch`, the Action and
 * the analysis' own metric combination all read it from here.
 */
import type { Verdict } from './analysis/rules';

/** Exit codes shared by every command. */
export const EXIT = { pass: 0, leak: 1, usage: 2, infrastructure: 3, interrupted: 130 } as const;

/** One of the exit codes in {@link EXIT}. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit-code table as help text and docs print it, in code order. */
export const EXIT_CODES: ReadonlyArray<{ code: ExitCode; name: keyof typeof EXIT; meaning: string }> = [
  { code: EXIT.pass, name: 'pass', meaning: 'no leak (or a verdict that --fail-on lets pass)' },
  { code: EXIT.leak, name: 'leak', meaning: 'a leak (or inconclusive, with --fail-on inconclusive)' },
  { code: EXIT.usage, name: 'usage', meaning: 'bad input: config, flag, scenario, log, report or path' },
  {
    code: EXIT.infrastructure,
    name: 'infrastructure',
    meaning: 'no verdict: the service, git or a backend failed',
  },
  { code: EXIT.interrupted, name: 'interrupted', meaning: 'interrupted (Ctrl-C or SIGTERM)' },
];

/** Which verdicts fail a check: a leak (default), a leak or inconclusive, or none. */
export type FailOn = 'leak' | 'inconclusive' | 'never';

/** The values {@link FailOn} takes. */
export const FAIL_ON: readonly FailOn[] = ['leak', 'inconclusive', 'never'];

/** A verdict, or no verdict because the measurement failed. */
export type Outcome = Verdict | 'error';

/** How serious each verdict is: a leak outranks inconclusive, which outranks a pass. */
export const VERDICT_SEVERITY: Readonly<Record<Verdict, number>> = { pass: 0, inconclusive: 1, leak: 2 };

/**
 * Combines verdicts (of metrics, processes or instances): leak if any leaks, else inconclusive if
 * any is, else pass.
 *
 * @param verdicts - the verdicts to combine
 * @param none - the verdict when there are none (default inconclusive: nothing was judged)
 * @returns the combined verdict
 */
export function combineVerdicts(verdicts: Iterable<Verdict>, none: Verdict = 'inconclusive'): Verdict {
  let worst: Verdict | null = null;
  for (const v of verdicts) if (worst === null || VERDICT_SEVERITY[v] > VERDICT_SEVERITY[worst]) worst = v;
  return worst ?? none;
}

/**
 * Whether a verdict fails the check under `failOn`.
 *
 * @param verdict - the check's verdict
 * @param failOn - which verdicts fail
 * @returns true when the check fails
 */
export function failsOn(verdict: Verdict, failOn: FailOn): boolean {
  if (failOn === 'never') return false;
  return verdict === 'leak' || (verdict === 'inconclusive' && failOn === 'inconclusive');
}

/**
 * The exit code of a finished check: interrupted, no verdict (infrastructure), or pass/leak as
 * `failOn` decides.
 *
 * @param outcome - the verdict, or 'error' when the measurement failed
 * @param failOn - which verdicts fail
 * @param aborted - whether the check was interrupted (that wins over everything)
 * @returns the exit code
 */
export function exitCodeFor(outcome: Outcome, failOn: FailOn, aborted = false): ExitCode {
  if (aborted) return EXIT.interrupted;
  if (outcome === 'error') return EXIT.infrastructure;
  return failsOn(outcome, failOn) ? EXIT.leak : EXIT.pass;
}
