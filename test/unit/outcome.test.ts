import { EXIT, EXIT_CODES, combineVerdicts, exitCodeFor, failsOn } from '../../src/outcome';
import { LeakcheckError, UsageError } from '../../src/errors';
import { ConfigError } from '../../src/config/load';
import { GitError } from '../../src/compare/git';
import { PrometheusError } from '../../src/watch/prometheus';
import { ScenarioError } from '../../src/traffic/scenario';
import { ReportFormatError } from '../../src/report/validate';
import { ImportError } from '../../src/traffic/import/import';

describe('outcome', () => {
  it('has one row per exit code, in code order', () => {
    expect(EXIT_CODES.map((r) => r.code)).toEqual([0, 1, 2, 3, 130]);
    for (const row of EXIT_CODES) expect(EXIT[row.name]).toBe(row.code);
  });

  it('combines verdicts: leak over inconclusive over pass', () => {
    expect(combineVerdicts(['pass', 'inconclusive', 'pass'])).toBe('inconclusive');
    expect(combineVerdicts(['pass', 'leak', 'inconclusive'])).toBe('leak');
    expect(combineVerdicts(['pass', 'pass'])).toBe('pass');
    expect(combineVerdicts([])).toBe('inconclusive');
    expect(combineVerdicts([], 'pass')).toBe('pass');
  });

  it('applies failOn', () => {
    expect(failsOn('leak', 'leak')).toBe(true);
    expect(failsOn('inconclusive', 'leak')).toBe(false);
    expect(failsOn('inconclusive', 'inconclusive')).toBe(true);
    expect(failsOn('pass', 'inconclusive')).toBe(false);
    expect(failsOn('leak', 'never')).toBe(false);
  });

  it('maps outcomes to exit codes; an interruption wins', () => {
    expect(exitCodeFor('leak', 'leak')).toBe(EXIT.leak);
    expect(exitCodeFor('pass', 'leak')).toBe(EXIT.pass);
    expect(exitCodeFor('inconclusive', 'inconclusive')).toBe(EXIT.leak);
    expect(exitCodeFor('leak', 'never')).toBe(EXIT.pass);
    expect(exitCodeFor('error', 'never')).toBe(EXIT.infrastructure);
    expect(exitCodeFor('leak', 'leak', true)).toBe(EXIT.interrupted);
  });
});

describe('errors', () => {
  it('carry their exit code: bad input 2, a failing tool or backend 3', () => {
    for (const err of [
      new UsageError('x'),
      new ConfigError('x'),
      new ScenarioError('traffic.requests[0].path', 'x'),
      new ReportFormatError('x'),
      new ImportError('x'),
      new PrometheusError('bad-query', 'x'),
    ]) {
      expect(err).toBeInstanceOf(LeakcheckError);
      expect(err.exitCode).toBe(EXIT.usage);
    }
    expect(new GitError('x').exitCode).toBe(EXIT.infrastructure);
    expect(new PrometheusError('unreachable', 'x').exitCode).toBe(EXIT.infrastructure);
  });
});
