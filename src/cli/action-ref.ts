/**
 * The Action reference `init` writes into workflows: `<owner>/<repo>@v<major>`, the major being
 * leakcheck's own (one version everywhere: the package, the Action tag, the README). The owner and
 * repository come from leakcheck's package.json `repository`, else from the git remote of the
 * checkout leakcheck runs from; when neither names a GitHub repository the reference keeps the
 * OWNER placeholder and `init` says exactly what to replace.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { toolPackage } from './version';

/** Placeholder owner when the publishing repository is unknown. */
export const OWNER_PLACEHOLDER = 'OWNER';

/** An Action reference and where its owner/repository came from. */
export interface ActionReference {
  ref: string;
  /** True when the owner is {@link OWNER_PLACEHOLDER}. */
  placeholder: boolean;
  /** Where owner/repo came from, for the note `init` prints. */
  source: string;
}

/** `owner/repo` from a package.json repository field or a git remote URL, or null. */
export function githubRepoOf(value: unknown): string | null {
  const url =
    typeof value === 'string'
      ? value
      : typeof value === 'object' && value !== null && typeof (value as { url?: unknown }).url === 'string'
        ? (value as { url: string }).url
        : null;
  if (!url) return null;
  const m =
    /^(?:github:)?([\w.-]+)\/([\w.-]+?)(?:\.git)?$/.exec(url.trim()) ??
    /github\.com[/:]([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/.exec(url.trim());
  return m ? `${m[1]}/${m[2]}` : null;
}

/** The tag major for a version: "0.1.0" → "v0". */
export function majorTag(version: string): string {
  return `v${/^(\d+)/.exec(version)?.[1] ?? '0'}`;
}

function gitRemoteRepo(dir: string): string | null {
  try {
    const git = (args: string[]): string =>
      execFileSync('git', ['-C', dir, ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 5000,
      }).trim();
    // Only leakcheck's own checkout: not the repository of a project that installed it.
    if (path.resolve(git(['rev-parse', '--show-toplevel'])) !== path.resolve(dir)) return null;
    return githubRepoOf(git(['remote', 'get-url', 'origin']));
  } catch {
    return null;
  }
}

/** The reference for this installation of leakcheck. */
export function actionReference(): ActionReference {
  const pkg = toolPackage();
  const tag = majorTag(pkg?.version ?? '0.0.0');
  const fromField = githubRepoOf(pkg?.repository);
  if (fromField)
    return { ref: `${fromField}@${tag}`, placeholder: false, source: 'leakcheck package.json "repository"' };
  const fromGit = pkg ? gitRemoteRepo(pkg.dir) : null;
  if (fromGit)
    return { ref: `${fromGit}@${tag}`, placeholder: false, source: "the git remote of leakcheck's checkout" };
  return { ref: `${OWNER_PLACEHOLDER}/leakcheck@${tag}`, placeholder: true, source: 'placeholder' };
}

/**
 * What stops a release from publishing a package whose `init` cannot name the Action: the
 * `repository` field must name the GitHub repository that publishes it (init reads it from the
 * installed package; users have no leakcheck checkout), and every `uses: …/leakcheck@vN` in the
 * README must name the package's major.
 *
 * @param pkg - leakcheck's package.json (version, repository)
 * @param readme - the README's text
 * @returns one line per problem; empty when the release may go ahead
 */
export function releaseProblems(pkg: { version?: string; repository?: unknown }, readme: string): string[] {
  const problems: string[] = [];
  if (githubRepoOf(pkg.repository) === null)
    problems.push(
      'package.json: "repository" must name the GitHub repository that publishes the Action, e.g. ' +
        '"github:<owner>/leakcheck" (npm pkg set repository=github:<owner>/leakcheck); init reads it',
    );
  const tag = majorTag(pkg.version ?? '0.0.0');
  for (const m of readme.matchAll(/uses: ([\w.-]+\/leakcheck)@(\S+)/g)) {
    if (m[2] !== tag) problems.push(`README.md: "uses: ${m[1]}@${m[2]}" should name ${tag}`);
  }
  return problems;
}
