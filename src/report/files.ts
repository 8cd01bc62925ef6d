/** Writes a finished check's files: report.json, samples.json and the HTML and Markdown renderings. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../errors';
import type { Sample } from '../sampling/samples';
import { renderHtml } from './html';
import { renderMarkdown } from './markdown';
import type { Report } from './report';

/** Where {@link writeReportFiles} put each file. */
export interface ReportFiles {
  /** report.json. */
  reportFile: string;
  /** The self-contained HTML report beside report.json. */
  htmlFile: string;
  /** The Markdown report beside report.json. */
  markdownFile: string;
}

/**
 * Writes report.json, samples.json, report.html and report.md into `outDir` (which must exist).
 *
 * @param outDir - the run's output folder
 * @param report - the finished report
 * @param samples - every sample of the run (samples.json)
 * @returns the paths written
 */
export function writeReportFiles(outDir: string, report: Report, samples: readonly Sample[]): ReportFiles {
  const reportFile = path.join(outDir, 'report.json');
  fs.writeFileSync(reportFile, JSON.stringify(report, null, 2) + '\n');
  fs.writeFileSync(path.join(outDir, 'samples.json'), JSON.stringify(samples) + '\n');
  // The review-ready renderings of the same report, beside it (leakcheck report re-renders them).
  const htmlFile = path.join(outDir, 'report.html');
  const markdownFile = path.join(outDir, 'report.md');
  fs.writeFileSync(htmlFile, renderHtml(report));
  fs.writeFileSync(markdownFile, renderMarkdown(report));
  return { reportFile, htmlFile, markdownFile };
}

/** Folders of the kernel's and devices' pseudo-filesystems: never an output folder. */
const SPECIAL_ROOTS = ['/proc', '/sys', '/dev'];

/**
 * Makes sure `dir` is a folder leakcheck can write into, creating it (and missing parents) if
 * needed. Every failure is the user's to fix and says so in one line: a file where a folder is
 * expected, a folder under a file, a pseudo-filesystem (`/proc/x`, where Node's recursive mkdir
 * never returns), or no permission.
 *
 * @param dir - the folder (absolute or relative to the working directory)
 * @param what - how the user named it, for the message (e.g. "--out")
 * @throws UsageError when it cannot be used
 */
export function prepareOutDir(dir: string, what = '--out'): void {
  const abs = path.resolve(dir);
  const real = (p: string): string => {
    try {
      return fs.realpathSync(p);
    } catch {
      return p;
    }
  };
  // The nearest existing ancestor decides where the folder really is (symlinks resolved).
  const missing: string[] = [];
  let existing = abs;
  while (!fs.existsSync(existing)) {
    missing.unshift(existing);
    const parent = path.dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  const realExisting = real(existing);
  if (SPECIAL_ROOTS.some((root) => realExisting === root || realExisting.startsWith(`${root}/`))) {
    throw new UsageError(
      `${what} ${dir}: is on a special filesystem (${realExisting}); expected a normal folder`,
    );
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(existing);
  } catch (err) {
    throw new UsageError(
      `${what} ${dir}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  if (!stat.isDirectory()) {
    throw new UsageError(
      existing === abs
        ? `${what} ${dir}: is a file; expected a folder`
        : `${what} ${dir}: ${existing} is a file, so no folder can be made under it`,
    );
  }
  for (const p of missing) {
    try {
      fs.mkdirSync(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && fs.statSync(p).isDirectory()) continue;
      throw new UsageError(`${what} ${dir}: cannot create ${p} (${code ?? 'error'})`);
    }
  }
  try {
    fs.accessSync(abs, fs.constants.W_OK | fs.constants.X_OK);
  } catch {
    throw new UsageError(`${what} ${dir}: not writable`);
  }
}
