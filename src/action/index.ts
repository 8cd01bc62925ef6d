/**
 * Entry point of the bundled Action (dist-action/index.js): wires @actions/core, @actions/artifact
 * and @actions/github into {@link runAction}. The toolkit packages are ES modules, loaded with
 * import() from this CommonJS file; the bundler inlines them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT } from '../outcome';
import { ACTIONS_BOT } from './comment';
import { runAction } from './main';
import type { ActionToolkit, GitHubApi } from './toolkit';

/** leakcheck's version: the package.json beside the action's folder (the repository's root). */
function actionVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
      name?: string;
      version?: string;
    };
    return pkg.name === 'leakcheck' && pkg.version ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

async function main(): Promise<void> {
  const core = await import('@actions/core');
  const env = process.env;
  // Without the runtime token there is no artifact service to talk to (a local or test run).
  const artifacts: ActionToolkit['artifacts'] = env.ACTIONS_RUNTIME_TOKEN
    ? {
        async upload(name, files, rootDir) {
          const { DefaultArtifactClient } = await import('@actions/artifact');
          const res = await new DefaultArtifactClient().uploadArtifact(name, files, rootDir);
          return { id: res.id, size: res.size };
        },
      }
    : null;
  const repo = (env.GITHUB_REPOSITORY ?? '/').split('/');
  const owner = repo[0] ?? '';
  const name = repo[1] ?? '';
  const { getOctokit } = await import('@actions/github');
  const toolkit: ActionToolkit = {
    getInput: (input) => core.getInput(input),
    setOutput: (key, value) => core.setOutput(key, value),
    info: (message) => core.info(message),
    warning: (message) => core.warning(message),
    annotate: (a) => {
      const props = { title: a.title, file: a.file, startLine: a.startLine, startColumn: a.startColumn };
      if (a.level === 'error') core.error(a.message, props);
      else core.warning(a.message, props);
    },
    setFailed: (message) => core.setFailed(message),
    writeSummary: async (markdown) => {
      if (!env.GITHUB_STEP_SUMMARY) {
        core.info('no job summary: GITHUB_STEP_SUMMARY is not set');
        return;
      }
      await core.summary.addRaw(markdown, true).write();
    },
    artifacts,
    github: (token): GitHubApi | null => {
      if (!token || !owner || !name) return null;
      const octokit = getOctokit(token);
      return {
        comments: (issue_number) => ({
          list: async () =>
            (
              await octokit.paginate(octokit.rest.issues.listComments, {
                owner,
                repo: name,
                issue_number,
                per_page: 100,
              })
            ).map((c) => ({ id: c.id, body: c.body, author: c.user?.login ?? null })),
          identity: async () => {
            try {
              return (await octokit.rest.users.getAuthenticated()).data.login;
            } catch {
              // An installation token (GITHUB_TOKEN) cannot read /user: it writes as the Actions bot.
              return ACTIONS_BOT;
            }
          },
          create: async (body) => ({
            id: (await octokit.rest.issues.createComment({ owner, repo: name, issue_number, body })).data.id,
          }),
          update: async (comment_id, body) => ({
            id: (await octokit.rest.issues.updateComment({ owner, repo: name, comment_id, body })).data.id,
          }),
        }),
        pullRequestHead: async (pull_number) =>
          (await octokit.rest.pulls.get({ owner, repo: name, pull_number })).data.head.sha,
      };
    },
    env,
    version: actionVersion(),
  };
  await runAction(toolkit);
}

void main().catch((err: unknown) => {
  // Only a toolkit that failed to load ends here: say it the way the runner shows errors.
  process.stdout.write(
    `::error::leakcheck: could not start the action: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exitCode = EXIT.infrastructure;
});
