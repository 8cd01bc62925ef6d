/**
 * The changed-packages list as terminal lines and as a Markdown section, for every report that
 * compares two revisions (compare, bisect). Package names and versions come from the repository's
 * lock files: the table escapes them for Markdown.
 */
import { markdownTable } from '../report/markdown';
import type { Finding } from '../report/report';
import type { ChangedPackage, DependencyChanges } from './changes';

/** Most packages listed before "and N more". */
const MAX_LISTED = 20;

function versions(c: ChangedPackage): [string, string] {
  return [c.from ?? '(none)', c.to ?? '(removed)'];
}

/**
 * Terminal lines (indented two spaces) for the changed packages; none when nothing changed and
 * there is nothing to say.
 *
 * @param changes - the dependency changes
 * @param heading - what the two revisions are ("base → head")
 * @returns lines without trailing newlines
 */
export function dependencyLines(changes: DependencyChanges | undefined, heading: string): string[] {
  if (!changes) return [];
  const out: string[] = [];
  if (changes.changed.length > 0) {
    out.push(`  dependencies changed, ${heading} (${changes.lockfile ?? 'lock file'}):`);
    for (const c of changes.changed.slice(0, MAX_LISTED)) {
      const [from, to] = versions(c);
      out.push(`    ${c.name.padEnd(28)} ${from} → ${to}  ${c.direct ? 'direct' : 'transitive'}`);
    }
    if (changes.changed.length > MAX_LISTED) out.push(`    and ${changes.changed.length - MAX_LISTED} more`);
  } else if (changes.note) {
    out.push(`  dependencies: ${changes.note}`);
  }
  return out;
}

/**
 * A Markdown section listing the changed packages, or '' when none changed.
 *
 * @param changes - the dependency changes
 * @param heading - the section's heading text
 * @param level - heading level
 * @returns the section, ending with a blank line
 */
export function dependencyMarkdown(
  changes: DependencyChanges | undefined,
  heading: string,
  level = 3,
): string {
  if (!changes || changes.changed.length === 0) return '';
  const rows = changes.changed.slice(0, MAX_LISTED).map((c) => {
    const [from, to] = versions(c);
    return [c.name, from, to, c.direct ? 'direct' : 'transitive'];
  });
  const more =
    changes.changed.length > MAX_LISTED ? `\nand ${changes.changed.length - MAX_LISTED} more\n` : '';
  return `${'#'.repeat(level)} ${heading}\n\n${markdownTable({ headers: ['package', 'from', 'to', 'dependency'], rows })}\n${more}\n`;
}

/** Most allocation sites, and most object groups, listed under "where it grows". */
const MAX_SITES = 3;

/**
 * Terminal lines for where a leaking revision's growth is (compare's last head run, bisect's
 * first bad commit): its largest allocation sites (a site inside a dependency named `debug@4.2.0
 * src/common.js:64`, with the nearest frame in the user's code that called it), then its largest
 * object groups with the path that holds them (`held in express-form-data@2.0.19 index.js:90`):
 * both, since what allocates and what holds can be different packages.
 *
 * @param findings - the leaking run's findings
 * @param heading - whose growth it is ("the first bad commit")
 * @returns lines without trailing newlines; none when nothing was attributed
 */
export function growthSiteLines(findings: readonly Finding[], heading: string): string[] {
  const shown = growthFindings(findings, MAX_SITES, MAX_SITES);
  if (shown.length === 0) return [];
  const out = [`  where it grows (${heading}):`];
  for (const f of shown) {
    out.push(`    ${f.title}`);
    if (f.retainerPath) out.push(`      held by ${f.retainerPath}`);
  }
  return out;
}

/**
 * The findings that say where growth is, in the order they are shown: the largest allocation
 * sites, then the largest object groups that have a retainer path (a run lists each kind largest
 * first).
 *
 * @param findings - a run's findings
 * @param sites - most allocation sites
 * @param groups - most object groups
 * @returns the findings to show or keep
 */
export function growthFindings(findings: readonly Finding[], sites: number, groups: number): Finding[] {
  return [
    ...findings.filter((f) => f.kind === 'allocation-site').slice(0, sites),
    ...findings.filter((f) => f.kind !== 'allocation-site' && f.retainerPath).slice(0, groups),
  ];
}
