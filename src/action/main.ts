/**
 * The GitHub Action: a thin adapter over the same library calls as the CLI (loadConfig, then
 * checkForLeaks or compareWithBase). Everything GitHub-specific (inputs, outputs, summary,
 * annotations, artifact, comment) goes through an injected {@link ActionToolkit} (./toolkit.ts),
 * so the bundle wires in @actions/* and a test can wire in anything else; the pull-request comment
 * is in ./pr-comment.ts. Sets process.exitCode, never exits.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatNumber } from '../analysis/format';
import { compareWithBase } from '../compare/run';
import { renderCompareMarkdown } from '../compare/render';
import type { CompareReport } from '../compare/report';
import { loadConfig, type LoadedConfig } from '../config/load';
import { LeakcheckError, UsageError } from '../errors';
import { EXIT } from '../outcome';
import { checkForLeaks } from '../pipeline';
import { renderHtml } from '../report/html';
import { renderMarkdown, renderMarkdownSummary, type MarkdownSection } from '../report/markdown';
import type { Report } from '../report/report';
import { planAnnotations } from './annotations';
import { overridesFromInputs, readInputs, type ActionInputs } from './inputs';
import { commentFromFolder, commentOnPullRequest } from './pr-comment';
import { readEvent, type ActionToolkit, type EventInfo, type PullRequestFile } from './toolkit';

/** The first `node` on PATH: the one the target will start with. */
export function nodeOnPath(envPath: string | undefined): string | null {
  for (const dir of (envPath ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'node');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** Runs the Action. Never throws: failures become setFailed and process.exitCode. */
export async function runAction(tk: ActionToolkit): Promise<void> {
  try {
    const workspace = tk.env.GITHUB_WORKSPACE || process.cwd();
    const inputs = readInputs(tk.getInput, workspace);
    if (inputs.mode === 'comment') await commentFromFolder(tk, inputs);
    else await check(tk, inputs, workspace);
  } catch (err) {
    if (err instanceof LeakcheckError) {
      tk.setFailed(`leakcheck: ${err.message}`);
      process.exitCode = err.exitCode;
      return;
    }
    tk.setFailed(
      `leakcheck: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
    process.exitCode = EXIT.infrastructure;
  }
}

/** What a check or comparison left for the Action to publish. */
interface Outcome {
  /** The report whose chart, findings and annotations are shown (the last head run's in compare). */
  verdictReport: Report | null;
  compare: CompareReport | null;
  verdict: string;
  reportFile: string;
  exitCode: number;
  summaryLine: string;
  bytesPerRequest: number | null;
  render: Renderer;
}

async function check(tk: ActionToolkit, inputs: ActionInputs, workspace: string): Promise<void> {
  const event = readEvent(tk.env);
  const loaded = await loadConfig({
    cwd: inputs.workingDirectory,
    explicitFile: inputs.config,
    overrides: overridesFromInputs(inputs),
  });
  // The target is started by its command as given: a bare `node` resolves through PATH, i.e. the
  // Node the workflow set up, not the one running this action.
  tk.info(
    `leakcheck ${tk.version}: the service starts with the \`node\` on PATH (${nodeOnPath(tk.env.PATH) ?? 'none found'}); ` +
      `this action itself runs on Node ${process.version}`,
  );
  fs.mkdirSync(inputs.reportDir, { recursive: true });
  // A cancelled job gets SIGINT, then SIGTERM: stop the service, remove the worktree, keep the
  // partial report.
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let outcome: Outcome;
  try {
    outcome =
      inputs.compare === 'base'
        ? await versusBase(tk, inputs, loaded, event, controller.signal)
        : await single(tk, inputs, loaded, controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  await publish(tk, inputs, event, workspace, outcome);
}

async function single(
  tk: ActionToolkit,
  inputs: ActionInputs,
  loaded: LoadedConfig,
  signal: AbortSignal,
): Promise<Outcome> {
  const { report, reportFile } = await checkForLeaks(loaded.config, {
    baseDir: loaded.baseDir,
    command: inputs.command,
    failOn: inputs.failOn,
    version: tk.version,
    signal,
  });
  return {
    verdictReport: report,
    compare: null,
    verdict: report.verdict,
    reportFile,
    exitCode: report.exitCode,
    summaryLine: report.summary,
    bytesPerRequest: heapPerRequest(report),
    render: (link, sections) =>
      sections
        ? renderMarkdown(report, { sections, ...(link ? { reportLink: link } : {}) })
        : renderMarkdownSummary(report, link ? { reportLink: link } : {}),
  };
}

async function versusBase(
  tk: ActionToolkit,
  inputs: ActionInputs,
  loaded: LoadedConfig,
  event: EventInfo,
  signal: AbortSignal,
): Promise<Outcome> {
  const baseRef = inputs.baseRef ?? (event.pullRequest ? `origin/${event.pullRequest.baseRef}` : undefined);
  if (!baseRef) {
    throw new UsageError("input 'base-ref': needed with compare: base when the event is not a pull request");
  }
  tk.info(`comparing with the merge base of HEAD and ${baseRef}`);
  const { report, reportFile, headReport } = await compareWithBase(loaded.config, {
    baseRef,
    baseDir: loaded.baseDir,
    command: inputs.command,
    pairs: inputs.pairs,
    maxPairs: inputs.maxPairs,
    install: inputs.install,
    failOn: inputs.failOn,
    version: tk.version,
    signal,
    onStep: (step) => {
      if (step.kind === 'install') tk.info(`base install: ${step.command ?? '(none)'}: ${step.why}`);
      if (step.kind === 'ran')
        tk.info(
          `${step.run.side} run ${step.run.pair}: ${step.run.verdict}, ${formatNumber(step.run.requests)} requests`,
        );
    },
  });
  if (headReport) {
    fs.writeFileSync(
      path.join(inputs.reportDir, 'head-report.json'),
      JSON.stringify(headReport, null, 2) + '\n',
    );
  }
  return {
    verdictReport: headReport,
    compare: report,
    verdict: report.verdict,
    reportFile,
    exitCode: report.exitCode,
    summaryLine: report.summary,
    bytesPerRequest: report.differences.find((d) => d.metric === 'heapUsed')?.mean ?? null,
    // Cut down (sections given), the comparison goes without the head run's own summary.
    render: (link, sections) =>
      renderCompareMarkdown(report, {
        headReport: sections ? null : headReport,
        ...(link ? { reportLink: link } : {}),
      }),
  };
}

/** Files, outputs, artifact, summary, annotations, comment, and the step's status. */
async function publish(
  tk: ActionToolkit,
  inputs: ActionInputs,
  event: EventInfo,
  workspace: string,
  outcome: Outcome,
): Promise<void> {
  const { verdictReport, compare } = outcome;
  const files: string[] = [outcome.reportFile];
  const write = (name: string, text: string): string => {
    const file = path.join(inputs.reportDir, name);
    fs.writeFileSync(file, text);
    files.push(file);
    return file;
  };
  const htmlFile = verdictReport ? write('report.html', renderHtml(verdictReport)) : null;
  write(compare ? 'compare.md' : 'report.md', outcome.render());
  if (compare && verdictReport) files.push(path.join(inputs.reportDir, 'head-report.json'));
  if (event.pullRequest) {
    const pr: PullRequestFile = { number: event.pullRequest.number, headSha: event.pullRequest.headSha };
    write('pr.json', JSON.stringify(pr) + '\n');
  }

  tk.setOutput('verdict', outcome.verdict);
  tk.setOutput(
    'bytes-per-request',
    outcome.bytesPerRequest === null ? '' : String(Math.round(outcome.bytesPerRequest * 100) / 100),
  );
  tk.setOutput('report-path', outcome.reportFile);
  tk.setOutput('html-report-path', htmlFile ?? '');

  const link = await uploadReport(tk, inputs, files, inputs.reportDir);
  await tk.writeSummary(outcome.render(link));

  if (verdictReport) {
    const plan = planAnnotations(verdictReport, compare ? compare.verdict : verdictReport.verdict, workspace);
    for (const a of plan.annotations) tk.annotate(a);
    if (plan.annotations.length > 0 || plan.outside > 0) {
      tk.info(
        `annotated ${plan.annotations.length} line(s); ${plan.outside} finding(s) point outside the workspace, ` +
          `${plan.unlocated} have no line`,
      );
    }
  }

  if (inputs.comment)
    await commentOnPullRequest(tk, inputs, event, (sections) => outcome.render(link, sections));

  // Never silent: an undecided verdict that does not fail the step still leaves a warning
  // annotation saying what it saw and what it would have needed.
  if (outcome.verdict === 'inconclusive' && outcome.exitCode === EXIT.pass) tk.warning(outcome.summaryLine);
  if (outcome.exitCode !== EXIT.pass) tk.setFailed(outcome.summaryLine);
  // After setFailed, which sets 1: the CLI's codes (3 for no verdict, 130 interrupted) carry over.
  process.exitCode = outcome.exitCode;
}

/** Renders the summary Markdown: with a link to the artifact, and optionally fewer sections. */
type Renderer = (link?: { text: string; url?: string }, sections?: readonly MarkdownSection[]) => string;

function heapPerRequest(report: Report): number | null {
  const pid = report.decidedBy?.pid;
  const p = report.processes.find((x) => x.pid === pid) ?? report.processes[0];
  return p?.metrics.find((m) => m.metric === 'heapUsed')?.perUnit ?? null;
}

async function uploadReport(
  tk: ActionToolkit,
  inputs: ActionInputs,
  files: string[],
  rootDir: string,
): Promise<{ text: string; url?: string } | undefined> {
  if (!inputs.uploadArtifact) return undefined;
  if (!tk.artifacts) {
    tk.info(
      'artifact upload skipped: no artifact service (ACTIONS_RUNTIME_TOKEN is not set: not on a GitHub runner)',
    );
    return undefined;
  }
  try {
    const existing = files.filter((f) => fs.existsSync(f));
    const { id } = await tk.artifacts.upload(inputs.artifactName, existing, rootDir);
    tk.info(`uploaded the report as artifact '${inputs.artifactName}' (${existing.length} files)`);
    const server = tk.env.GITHUB_SERVER_URL;
    const repo = tk.env.GITHUB_REPOSITORY;
    const run = tk.env.GITHUB_RUN_ID;
    const url =
      id !== undefined && server && repo && run
        ? `${server}/${repo}/actions/runs/${run}/artifacts/${id}`
        : undefined;
    return { text: `Full report (HTML): artifact ${inputs.artifactName}`, url };
  } catch (err) {
    // The verdict stands without the artifact; a failed upload is said, not fatal.
    tk.warning(`could not upload the report artifact: ${(err as Error).message}`);
    return undefined;
  }
}
