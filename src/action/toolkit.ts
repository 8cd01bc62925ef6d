/**
 * The Action's seam: everything GitHub-specific it uses (inputs, outputs, summary, annotations,
 * artifact, API), injected as an {@link ActionToolkit} so a test can wire in fakes, and what the
 * event file says about the pull request.
 */
import * as fs from 'node:fs';
import type { Annotation } from './annotations';
import type { CommentClient } from './comment';
import type { InputGetter } from './inputs';

/** Uploads files as a workflow artifact. */
export interface ArtifactUploader {
  upload(name: string, files: string[], rootDir: string): Promise<{ id?: number; size?: number }>;
}

/** The GitHub API calls the Action makes. */
export interface GitHubApi {
  comments(pullRequest: number): CommentClient;
  /** The pull request's current head commit. */
  pullRequestHead(pullRequest: number): Promise<string>;
}

/** Everything GitHub-specific, injected. */
export interface ActionToolkit {
  getInput: InputGetter;
  setOutput(name: string, value: string): void;
  info(message: string): void;
  warning(message: string): void;
  annotate(annotation: Annotation): void;
  setFailed(message: string): void;
  /** Appends Markdown to the job summary (a no-op with a note when there is none). */
  writeSummary(markdown: string): Promise<void>;
  /** Null when there is no artifact service to talk to (not on a runner, or turned off). */
  artifacts: ArtifactUploader | null;
  /** Null without a token. */
  github(token: string): GitHubApi | null;
  env: NodeJS.ProcessEnv;
  /** leakcheck's version. */
  version: string;
}

/** What the event says about the pull request, read from GITHUB_EVENT_PATH. */
export interface EventInfo {
  name: string;
  pullRequest?: { number: number; headSha: string; baseRef: string };
  /** With workflow_run: the commit the triggering run tested. */
  workflowRunHeadSha?: string;
}

/** Written next to the report on pull requests, for the fork-safe comment workflow. */
export interface PullRequestFile {
  number: number;
  headSha: string;
}

/**
 * Reads the event's pull request (number, head commit, base branch) and, for `workflow_run`, the
 * commit it ran on. A missing or unreadable event file gives just the name.
 *
 * @param env - the environment (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH)
 * @returns the event's facts
 */
export function readEvent(env: NodeJS.ProcessEnv): EventInfo {
  const info: EventInfo = { name: env.GITHUB_EVENT_NAME ?? '' };
  let payload: unknown;
  try {
    payload = env.GITHUB_EVENT_PATH ? JSON.parse(fs.readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) : undefined;
  } catch {
    return info;
  }
  const obj = (v: unknown): Record<string, unknown> | undefined =>
    typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  const pr = obj(obj(payload)?.pull_request);
  const num = pr?.number;
  const head = obj(pr?.head)?.sha;
  const base = obj(pr?.base)?.ref;
  if (typeof num === 'number' && typeof head === 'string' && typeof base === 'string') {
    info.pullRequest = { number: num, headSha: head, baseRef: base };
  }
  const runSha = obj(obj(payload)?.workflow_run)?.head_sha;
  if (typeof runSha === 'string') info.workflowRunHeadSha = runSha;
  return info;
}
