/**
 * JUnit XML, so GitLab, Jenkins and other CI systems list the check as tests: one test case per
 * analysed service process and metric. A gating metric that leaks fails; an inconclusive one is
 * skipped (or failed, or passed, as configured); informational metrics always pass. A run that
 * could not measure is one errored test case; a leak no metric shows (a resource that ran out)
 * one failed case named for its rule. Pure.
 */
import { escapeXml } from './escape';
import type { ProcessReport, Report } from './report';
import { perUnitLabel, rateText, summarySentence } from './view';

/** What an inconclusive gating metric becomes. */
export type JUnitInconclusive = 'skip' | 'fail' | 'pass';

/** Rendering options. */
export interface JUnitOptions {
  /**
   * What an inconclusive gating metric becomes. Default: 'fail' when the run was configured with
   * fail-on inconclusive, 'skip' otherwise.
   */
  inconclusive?: JUnitInconclusive;
  /** Name of the test suite (default "leakcheck"). */
  suiteName?: string;
}

interface Case {
  classname: string;
  name: string;
  outcome: 'pass' | 'failure' | 'skipped' | 'error';
  message: string;
  type: string;
  details: string;
}

/**
 * Renders the report as JUnit XML.
 *
 * @param report - the report
 * @param options - how inconclusive metrics count, suite name
 * @returns the XML document
 */
export function renderJUnit(report: Report, options: JUnitOptions = {}): string {
  const inconclusive: JUnitInconclusive =
    options.inconclusive ?? (report.settings.failOn === 'inconclusive' ? 'fail' : 'skip');
  const suite = options.suiteName ?? 'leakcheck';
  const cases: Case[] = [];
  if (report.verdict === 'error' || report.processes.length === 0) {
    cases.push({
      classname: suite,
      name: 'run',
      outcome: report.verdict === 'error' ? 'error' : inconclusiveOutcome(inconclusive),
      message: summarySentence(report),
      type: report.status,
      details: [report.failure?.message ?? summarySentence(report), ...(report.failure?.logTail ?? [])].join(
        '\n',
      ),
    });
  }
  if (report.verdict !== 'error') {
    report.processes.forEach((p, i) =>
      cases.push(...processCases(p, i, report.processes.length, suite, inconclusive)),
    );
  }
  // A leak no metric's case shows (a resource that ran out, heap exhaustion before a look) fails
  // a case of its own, so a CI system reading only the cases does not show it green.
  if (report.verdict === 'leak' && !cases.some((c) => c.outcome === 'failure')) {
    cases.push({
      classname: suite,
      name: report.decidedBy?.rule ?? 'run',
      outcome: 'failure',
      message: summarySentence(report),
      type: report.decidedBy?.rule ?? report.status,
      details: [summarySentence(report), ...(report.failure?.logTail ?? [])].join('\n'),
    });
  }
  const count = (o: Case['outcome']): number => cases.filter((c) => c.outcome === o).length;
  const seconds = (report.timings.totalMs / 1000).toFixed(3);
  const attrs = (a: Record<string, string | number>): string =>
    Object.entries(a)
      .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
      .join('');
  const totals = {
    tests: cases.length,
    failures: count('failure'),
    errors: count('error'),
    skipped: count('skipped'),
    time: seconds,
  };
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites${attrs({ name: suite, ...totals })}>`);
  out.push(
    `  <testsuite${attrs({ name: `${suite}: ${report.target.command}`, ...totals, timestamp: report.createdAt.replace(/Z$/, '') })}>`,
  );
  out.push('    <properties>');
  const props: Array<[string, string]> = [
    ['verdict', report.verdict],
    ['summary', summarySentence(report)],
    ['command', report.target.command],
    ['leakcheck', report.tool.version],
    ['failOn', String(report.settings.failOn ?? 'leak')],
  ];
  for (const [k, v] of props) out.push(`      <property${attrs({ name: k, value: v })}/>`);
  out.push('    </properties>');
  for (const c of cases) {
    const head = `    <testcase${attrs({ classname: c.classname, name: c.name, time: '0' })}`;
    if (c.outcome === 'pass') {
      out.push(`${head}>`, `      <system-out>${escapeXml(c.details)}</system-out>`, '    </testcase>');
      continue;
    }
    const tag = c.outcome === 'skipped' ? 'skipped' : c.outcome;
    const body = c.outcome === 'skipped' ? '' : escapeXml(c.details);
    out.push(
      `${head}>`,
      c.outcome === 'skipped'
        ? `      <${tag}${attrs({ message: c.message })}/>`
        : `      <${tag}${attrs({ message: c.message, type: c.type })}>${body}</${tag}>`,
      '    </testcase>',
    );
  }
  out.push('  </testsuite>', '</testsuites>', '');
  return out.join('\n');
}

function inconclusiveOutcome(inconclusive: JUnitInconclusive): Case['outcome'] {
  return inconclusive === 'fail' ? 'failure' : inconclusive === 'skip' ? 'skipped' : 'pass';
}

/** One case per metric. The class name uses the process's rank, not its pid, so it is stable across runs. */
function processCases(
  p: ProcessReport,
  index: number,
  total: number,
  suite: string,
  inconclusive: JUnitInconclusive,
): Case[] {
  const classname = total > 1 ? `${suite}.process-${index + 1}` : suite;
  return p.metrics.map((m) => {
    let outcome: Case['outcome'] = 'pass';
    if (m.gating && m.verdict === 'leak') outcome = 'failure';
    else if (m.gating && m.verdict === 'inconclusive') outcome = inconclusiveOutcome(inconclusive);
    const details = [
      `${m.gating ? 'gating' : 'informational'} metric of process ${p.pid} (${p.argv.join(' ')})`,
      `verdict: ${m.verdict} (rule ${m.rule})`,
      `${perUnitLabel(m)}: ${rateText(m)}`,
      m.reason,
    ].join('\n');
    return {
      classname,
      name: m.metric,
      outcome,
      message: m.reason,
      type: m.rule,
      details,
    };
  });
}
