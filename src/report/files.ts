/** Writes a finished check's files: report.json, samples.json and the HTML and Markdown renderings. */
import * as fs from 'node:fs';
import * as path from 'node:path';
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
