/**
 * The Action's pull-request comment: from this run's outcome, or (`mode: comment`) from the report
 * folder a pull request's run left as an artifact, for the fork-safe two-workflow pattern. The
 * comment is cut down to fit GitHub's limit; the sticky logic itself is in ./comment.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderCompareMarkdown } from '../compare/render';
import { validateCompareReport } from '../compare/report';
import { UsageError } from '../errors';
import { renderMarkdown, renderMarkdownSummary, type MarkdownSection } from '../report/markdown';
import { ReportFormatError, validateReport } from '../report/validate';
import { MAX_COMMENT_CHARS, stickyMarker, upsertStickyComment } from './comment';
import type { ActionInputs } from './inputs';
import { readEvent, type ActionToolkit, type EventInfo, type PullRequestFile } from './toolkit';

/** Sections of a comment that must be cut down to fit. */
const SHORT_SECTIONS: readonly MarkdownSection[] = ['headline', 'failure', 'metrics', 'findings'];

/** The comment Markdown, cut down to fit GitHub's limit when the full summary is too long. */
function fitComment(render: (sections?: readonly MarkdownSection[]) => string): string {
  const full = render();
  if (full.length < MAX_COMMENT_CHARS - 200) return full;
  const short = render(SHORT_SECTIONS);
  const note = '\n_The full report is too long for a comment: see the job summary or the artifact._\n';
  return (short.length < MAX_COMMENT_CHARS - 300 ? short : short.slice(0, MAX_COMMENT_CHARS - 300)) + note;
}

/**
 * Posts or updates this run's sticky comment on the event's pull request. A refused comment is a
 * warning, never a failed step.
 *
 * @param tk - the toolkit
 * @param inputs - the Action's inputs (token, artifact name)
 * @param event - the event (no pull request: no comment)
 * @param render - the comment's Markdown, with fewer sections when asked
 */
export async function commentOnPullRequest(
  tk: ActionToolkit,
  inputs: ActionInputs,
  event: EventInfo,
  render: (sections?: readonly MarkdownSection[]) => string,
): Promise<void> {
  if (!event.pullRequest) {
    tk.info('comment: not a pull request event, no comment');
    return;
  }
  const api = inputs.githubToken ? tk.github(inputs.githubToken) : null;
  if (!api) {
    tk.warning('comment: no github-token, no comment');
    return;
  }
  const body = fitComment(render);
  try {
    const done = await upsertStickyComment(
      api.comments(event.pullRequest.number),
      stickyMarker(inputs.artifactName),
      body,
    );
    tk.info(`comment ${done.action} (id ${done.id})`);
  } catch (err) {
    const status = (err as { status?: unknown }).status;
    tk.warning(
      `could not comment on pull request #${event.pullRequest.number}: ${(err as Error).message}` +
        (status === 403 || status === 404
          ? ' (a read-only token, as on pull requests from forks: use the workflow_run pattern from the README)'
          : ''),
    );
  }
}

/**
 * `mode: comment`: the fork-safe second workflow posts the comment from the downloaded artifact,
 * only for the commit the first workflow tested and only while it is the pull request's head.
 *
 * @param tk - the toolkit
 * @param inputs - the Action's inputs (report folder, token, artifact name)
 * @throws UsageError when the folder's files are not valid or the token is missing
 */
export async function commentFromFolder(tk: ActionToolkit, inputs: ActionInputs): Promise<void> {
  const dir = inputs.reportDir;
  const read = (name: string): unknown => {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) return undefined;
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      throw new UsageError(`${file}: not valid JSON`);
    }
  };
  const pr = read('pr.json') as Partial<PullRequestFile> | undefined;
  if (
    !pr ||
    !Number.isInteger(pr.number) ||
    typeof pr.headSha !== 'string' ||
    !/^[0-9a-f]{40}$/.test(pr.headSha)
  ) {
    tk.info(
      `comment: no pull request in ${path.join(dir, 'pr.json')} (the run was not for a pull request), no comment`,
    );
    return;
  }
  const number = pr.number as number;
  const event = readEvent(tk.env);
  // The artifact was made by the pull request's own code: trust it only for the commit that
  // triggered this run, and only while that commit is still the pull request's head.
  if (event.workflowRunHeadSha && event.workflowRunHeadSha !== pr.headSha) {
    tk.warning(
      `comment: pr.json names commit ${pr.headSha.slice(0, 12)}, the run tested ${event.workflowRunHeadSha.slice(0, 12)}; no comment`,
    );
    return;
  }
  const api = inputs.githubToken ? tk.github(inputs.githubToken) : null;
  if (!api) throw new UsageError("input 'github-token': needed with mode: comment");
  let head: string;
  try {
    head = await api.pullRequestHead(number);
  } catch (err) {
    tk.warning(`comment: could not read pull request #${number}: ${(err as Error).message}; no comment`);
    return;
  }
  if (head !== pr.headSha) {
    tk.info(
      `comment: pull request #${number} has moved on to ${head.slice(0, 12)}; a newer run will comment`,
    );
    return;
  }
  const compareRaw = read('compare.json');
  const reportRaw = read(compareRaw === undefined ? 'report.json' : 'head-report.json');
  let render: (sections?: readonly MarkdownSection[]) => string;
  try {
    if (compareRaw !== undefined) {
      const cmp = validateCompareReport(compareRaw, 'compare.json');
      const headRun = reportRaw === undefined ? null : validateReport(reportRaw, 'head-report.json');
      render = (sections) => renderCompareMarkdown(cmp, { headReport: sections ? null : headRun });
    } else {
      if (reportRaw === undefined) throw new ReportFormatError(`no report.json or compare.json in ${dir}`);
      const rep = validateReport(reportRaw, 'report.json');
      render = (sections) => (sections ? renderMarkdown(rep, { sections }) : renderMarkdownSummary(rep));
    }
  } catch (err) {
    if (err instanceof ReportFormatError) throw new UsageError(err.message);
    throw err;
  }
  const body = fitComment(render);
  try {
    const done = await upsertStickyComment(api.comments(number), stickyMarker(inputs.artifactName), body);
    tk.info(`comment ${done.action} on pull request #${number} (id ${done.id})`);
  } catch (err) {
    // Commenting is a courtesy: a refused comment (403, rate limit) is a warning, never a failed step.
    tk.warning(`could not comment on pull request #${number}: ${(err as Error).message}`);
  }
}
