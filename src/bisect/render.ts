/**
 * Renderers of a {@link BisectReport}: terminal text (the path of the search, each step's verdict
 * and growth) and Markdown for a comment. Pure; commit subjects and package names come from the
 * repository and are escaped in Markdown.
 */
import { REQUESTS } from '../analysis/axis';
import { formatNumber, formatRateWithInterval } from '../analysis/format';
import { dependencyLines, dependencyMarkdown, growthFindings, growthSiteLines } from '../deps/render';
import { escapeMarkdown } from '../report/escape';
import { collapsedTable } from '../report/markdown';
import { closingLines, terminalTable } from '../report/terminal';
import { runWindowText } from '../compare/render';
import type { TextTable } from '../report/view';
import type { BisectOutcome, BisectReport, BisectStepReport } from './report';

const WORD: Readonly<Record<BisectOutcome, string>> = {
  found: 'FIRST LEAKING COMMIT',
  range: 'LEAK ADDED IN A RANGE',
  'bad-clean': 'NO LEAK',
  'bad-unsure': 'INCONCLUSIVE',
  error: 'ERROR',
  aborted: 'INTERRUPTED',
};

const HEADLINE: Readonly<Record<BisectOutcome, string>> = {
  found: '❌ leakcheck bisect: first leaking commit found',
  range: '❌ leakcheck bisect: the leak came in within a range',
  'bad-clean': '✅ leakcheck bisect: the bad revision does not leak',
  'bad-unsure': '⚠️ leakcheck bisect: inconclusive',
  error: '🛑 leakcheck bisect: no result',
  aborted: '🛑 leakcheck bisect: interrupted',
};

function short(sha: string): string {
  return sha.slice(0, 12);
}

/** The summary without its "FIRST LEAKING COMMIT: " style prefix. */
function sentence(report: BisectReport): string {
  return report.summary.replace(/^[A-Z ]+: /, '');
}

function growthText(s: BisectStepReport, confidence = 0.95): string {
  if (!s.growth) return '';
  return formatRateWithInterval(
    s.growth.mean,
    s.growth.low,
    s.growth.high,
    s.growth.unit,
    confidence,
    REQUESTS,
  );
}

function roleText(s: BisectStepReport): string {
  return s.role === 'bad' ? 'bad rev' : s.role;
}

/** The measured steps as one table, for the terminal and for Markdown. */
function stepTable(report: BisectReport): TextTable {
  return {
    headers: ['step', 'commit', 'position', 'why', 'verdict', 'growth over good'],
    rows: report.steps.map((s) => [
      String(s.step),
      short(s.sha),
      String(s.position),
      roleText(s),
      s.verdict,
      s.verdict === 'skip' ? s.reason : growthText(s),
    ]),
  };
}

/**
 * Terminal text for a bisect.
 *
 * @param report - the bisect
 * @param options - the bisect.json path to point at
 * @returns the text, ending with a newline
 */
export function renderBisectTerminal(report: BisectReport, options: { reportFile?: string } = {}): string {
  const out: string[] = [''];
  out.push(`${WORD[report.outcome]}  ${sentence(report)}`);
  out.push('');
  out.push(
    `  good     ${report.good.ref} = ${short(report.good.sha)} (${report.baseline.runs} runs, reused by every step)`,
  );
  out.push(`  bad      ${report.bad.ref} = ${short(report.bad.sha)}`);
  out.push(
    `  range    ${report.commits} commits (${report.firstParent ? 'first-parent' : 'all commits'}), ` +
      `${report.budget.used} of ${report.budget.maxSteps} steps measured, ` +
      `${report.perRun.runs} runs each of ${runWindowText(report.perRun)}`,
  );
  out.push(
    `  time     ${formatNumber(report.timings.measureMs / 1000, 1)} s measuring, ` +
      `${formatNumber(report.timings.installMs / 1000, 1)} s installing, ${formatNumber(report.timings.totalMs / 1000, 1)} s in all`,
  );
  if (report.steps.length > 0) {
    // step and position are numbers: aligned right.
    out.push('', ...terminalTable(stepTable(report), [0, 2]));
  }
  if (report.firstBad) {
    out.push('');
    out.push(`  first bad  ${short(report.firstBad.sha)} ${report.firstBad.subject}`);
    out.push(`             ${report.firstBad.author}, ${report.firstBad.date}`);
  } else if (report.range) {
    out.push('');
    out.push(`  the first leaking commit is one of these ${report.range.commits.length}:`);
    for (const c of report.range.commits) out.push(`    ${short(c.sha)} ${c.subject}`);
  }
  for (const s of report.skipped) out.push(`  skipped ${short(s.sha)}: ${s.reason}`);
  const deps = dependencyLines(report.dependencies, report.firstBad ? 'in this commit' : 'in this range');
  if (deps.length > 0) out.push('', ...deps);
  const where = growthSiteLines(report.findings, 'the first bad commit');
  if (where.length > 0) out.push('', ...where);
  if (report.failure) {
    out.push('');
    out.push(`  failed: ${report.failure.message}`);
    for (const line of report.failure.logTail.slice(-15)) out.push(`  │ ${line}`);
  }
  out.push(...closingLines(report.warnings, options.reportFile));
  out.push('');
  return out.join('\n');
}

/**
 * Markdown for a bisect: headline, the named commit or range, changed dependencies, where it
 * grows, and the steps.
 *
 * @param report - the bisect
 * @param options - heading level (default 2)
 * @returns the Markdown, ending with a newline
 */
export function renderBisectMarkdown(report: BisectReport, options: { headingLevel?: number } = {}): string {
  const level = Math.min(4, Math.max(1, Math.round(options.headingLevel ?? 2)));
  const h = (depth: number, text: string): string => `${'#'.repeat(level + depth)} ${text}`;
  const e = escapeMarkdown;
  const blocks: string[] = [h(0, HEADLINE[report.outcome]), e(sentence(report))];
  blocks.push(
    `Good: ${e(report.good.ref)} \`${short(report.good.sha)}\` · bad: ${e(report.bad.ref)} \`${short(report.bad.sha)}\` · ` +
      `${report.commits} commits (${report.firstParent ? 'first-parent' : 'all commits'}) · ` +
      `${report.budget.used} of ${report.budget.maxSteps} steps measured`,
  );
  if (report.firstBad) {
    blocks.push(
      `**First leaking commit:** \`${short(report.firstBad.sha)}\` ${e(report.firstBad.subject)} — ` +
        `${e(report.firstBad.author)}, ${e(report.firstBad.date)}`,
    );
  } else if (report.range) {
    blocks.push(
      `**The first leaking commit is one of:**\n\n` +
        report.range.commits.map((c) => `- \`${short(c.sha)}\` ${e(c.subject)}`).join('\n'),
    );
  }
  const deps = dependencyMarkdown(
    report.dependencies,
    report.firstBad ? 'Dependencies this commit changed' : 'Dependencies this range changed',
    level + 1,
  );
  if (deps) blocks.push(deps.trimEnd());
  const findings = growthFindings(report.findings, 3, 3);
  if (findings.length > 0) {
    blocks.push(h(1, 'Where it grows'));
    blocks.push(
      findings
        .map((f) => `- ${e(f.title)}${f.retainerPath ? `<br>held by ${e(f.retainerPath)}` : ''}`)
        .join('\n'),
    );
  }
  if (report.failure) {
    blocks.push(h(1, 'Failed'));
    blocks.push(e(report.failure.message));
  }
  if (report.steps.length > 0) {
    blocks.push(collapsedTable(`Steps (${report.steps.length})`, stepTable(report)));
  }
  if (report.warnings.length > 0) blocks.push(report.warnings.map((w) => `- ${e(w)}`).join('\n'));
  return blocks.join('\n\n') + '\n';
}
