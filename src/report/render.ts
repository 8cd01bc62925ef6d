/** One entry point for every output format, so the CLI, the run command and the Action agree. */
import { renderHtml } from './html';
import { renderJUnit, type JUnitInconclusive } from './junit';
import { renderMarkdown } from './markdown';
import type { Report } from './report';
import { renderSarif } from './sarif';
import { renderTerminal } from './terminal';

/** Formats `leakcheck report --format` accepts. */
export const REPORT_FORMATS = ['html', 'md', 'junit', 'sarif', 'json', 'text'] as const;

/** One of {@link REPORT_FORMATS}. */
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Options that apply to some formats only; the others ignore them. */
export interface RenderOptions {
  /** sarif: folder result paths are relative to (default: the target's working directory). */
  sourceRoot?: string;
  /** junit: what an inconclusive gating metric becomes (default from the run's fail-on). */
  inconclusive?: JUnitInconclusive;
  /** text: ANSI colours. */
  color?: boolean;
}

/**
 * Renders a report in the given format.
 *
 * @param report - the report
 * @param format - output format
 * @param options - format-specific options
 * @returns the rendered text
 */
export function renderReport(report: Report, format: ReportFormat, options: RenderOptions = {}): string {
  switch (format) {
    case 'html':
      return renderHtml(report);
    case 'md':
      return renderMarkdown(report);
    case 'junit':
      return renderJUnit(report, { inconclusive: options.inconclusive });
    case 'sarif':
      return renderSarif(report, { sourceRoot: options.sourceRoot });
    case 'json':
      return JSON.stringify(report, null, 2) + '\n';
    case 'text':
      return renderTerminal(report, { color: options.color });
  }
}
