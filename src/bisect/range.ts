/**
 * What a bisect searches: the repository around the service's folder, the good and bad revisions
 * (checked: they exist, differ, and good is an ancestor of bad) and the commits between them,
 * oldest first. Every problem with the range is a usage error, raised before anything is measured.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { git } from '../compare/git';
import { UsageError } from '../errors';
import { redactText } from '../report/redact';
import type { Candidate } from './search';

/** A revision as given and the commit it names. */
export interface Revision {
  ref: string;
  sha: string;
}

/** The range of a bisect. */
export interface BisectRange {
  /** The repository's top-level folder. */
  topLevel: string;
  /** The service's folder relative to it (the same in every checkout). */
  relDir: string;
  good: Revision;
  bad: Revision;
  /** The commits after good up to bad, oldest first (bad is the last). */
  commits: Candidate[];
  /** Whether only the first-parent line is searched. */
  firstParent: boolean;
}

/**
 * Resolves and checks the range of a bisect.
 *
 * @param options - the service's folder, the good and bad refs (bad: HEAD), every commit or the first-parent line
 * @returns the range
 * @throws UsageError naming the flag when a ref is unknown, the two are one commit, good is not an ancestor of bad, or there is no first-parent path
 */
export async function bisectRange(options: {
  baseDir: string;
  good: string;
  bad?: string;
  allCommits?: boolean;
}): Promise<BisectRange> {
  const serviceDir = fs.realpathSync(path.resolve(options.baseDir));
  let topLevel: string;
  try {
    topLevel = fs.realpathSync((await git(serviceDir, ['rev-parse', '--show-toplevel'])).stdout.trim());
  } catch (err) {
    throw new UsageError(`${serviceDir}: not inside a git repository (${(err as Error).message})`);
  }
  const relDir = path.relative(topLevel, serviceDir);
  const good = await resolveRef(topLevel, options.good, '--good');
  const bad = await resolveRef(topLevel, options.bad ?? 'HEAD', '--bad');
  if (good.sha === bad.sha)
    throw new UsageError(`--good ${good.ref} and --bad ${bad.ref} are the same commit`);
  const isAncestor = await git(topLevel, ['merge-base', '--is-ancestor', good.sha, bad.sha]).then(
    () => true,
    () => false,
  );
  if (!isAncestor) {
    throw new UsageError(
      `--good ${good.ref} is not an ancestor of --bad ${bad.ref}: nothing between them to search`,
    );
  }
  const firstParent = !options.allCommits;
  const commits = await listCommits(topLevel, good.sha, bad.sha, firstParent);
  if (commits.length === 0 || commits[commits.length - 1]?.sha !== bad.sha) {
    throw new UsageError(
      `no first-parent path from --good ${good.ref} to --bad ${bad.ref} (give --all-commits to search every commit)`,
    );
  }
  return { topLevel, relDir, good, bad, commits, firstParent };
}

async function resolveRef(dir: string, ref: string, flag: string): Promise<Revision> {
  try {
    const sha = (await git(dir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).stdout.trim();
    return { ref, sha };
  } catch {
    throw new UsageError(
      `${flag} ${ref}: no such branch or commit here (in CI, fetch the history: fetch-depth: 0)`,
    );
  }
}

/** The commits after `good` up to `bad`, oldest first. */
async function listCommits(
  dir: string,
  good: string,
  bad: string,
  firstParent: boolean,
): Promise<Candidate[]> {
  const args = ['log', '--reverse', '--format=%H%x1f%s%x1f%an%x1f%aI%x1e'];
  if (firstParent) args.push('--first-parent');
  else args.push('--topo-order');
  args.push(`${good}..${bad}`);
  const out = (await git(dir, args)).stdout;
  return out
    .split('\x1e')
    .map((r) => r.trim())
    .filter((r) => r.length > 0)
    .map((r) => {
      const [sha = '', subject = '', author = '', date = ''] = r.split('\x1f');
      return { sha, subject: redactText(subject), author: redactText(author), date };
    });
}
