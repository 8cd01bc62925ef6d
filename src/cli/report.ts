/** `leakcheck report <report.json> --format ...`: re-renders a saved run in another format. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { useColor } from './color';
import { UsageError } from '../errors';
import type { JUnitInconclusive } from '../report/junit';
import { REPORT_FORMATS, renderReport, type ReportFormat } from '../report/render';
import type { Report } from '../report/report';
import { parseReport, ReportFormatError } from '../report/validate';
import { reportError } from './errors';
import { oneFormat } from './formats';
import { oneOf } from './options';

interface ReportFlags {
  color?: boolean;
  format: ReportFormat;
  output?: string;
  sourceRoot?: string;
  inconclusive?: JUnitInconclusive;
}

/**
 * Reads and validates a saved report.json.
 *
 * @param file - path of the report
 * @returns the report
 * @throws UsageError (one line, exit 2) when the file is missing, not JSON, or not a report of
 *   the supported schema version
 */
export function readReportFile(file: string): Report {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `report file ${file} does not exist`
        : code === 'EISDIR'
          ? `${file} is a folder; give the report.json inside it`
          : `cannot read report file ${file} (${code ?? String(err)})`,
    );
  }
  try {
    return parseReport(text, file);
  } catch (err) {
    if (err instanceof ReportFormatError) throw new UsageError(err.message);
    throw err;
  }
}

/** Registers the `report` command. */
export function registerReport(program: Command): void {
  program
    .command('report')
    .description('render a saved report.json as HTML, Markdown, JUnit XML, SARIF, JSON or text')
    .argument('<report.json>', 'a report written by leakcheck run')
    .addOption(
      new Option(
        '-f, --format <format>',
        `output format: ${REPORT_FORMATS.map((f) => (f === 'md' ? 'markdown (md)' : f)).join(', ')}`,
      )
        .default('text')
        .argParser(oneFormat(...REPORT_FORMATS)),
    )
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .option('--source-root <dir>', 'sarif: folder that file paths are made relative to (the repository root)')
    .addOption(
      new Option(
        '--inconclusive <as>',
        'junit: an inconclusive metric is skipped, failed or passed',
      ).argParser(oneOf('skip', 'fail', 'pass')),
    )
    .action((file: string, flags: ReportFlags) => {
      try {
        reportCommand(file, flags);
      } catch (err) {
        reportError(err);
      }
    });
}

/**
 * Writes the JUnit and SARIF renderings `leakcheck run --format junit,sarif` asked for.
 *
 * @param report - the finished run's report
 * @param files - where to write each format (absent: not written)
 * @throws UsageError when a file cannot be written
 */
export function writeExtraReports(report: Report, files: { junit?: string; sarif?: string }): void {
  if (files.junit) writeOutput(files.junit, renderReport(report, 'junit'));
  if (files.sarif) writeOutput(files.sarif, renderReport(report, 'sarif', { sourceRoot: process.cwd() }));
}

function writeOutput(file: string, text: string): void {
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, text);
  } catch (err) {
    throw new UsageError(`cannot write ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

function reportCommand(file: string, flags: ReportFlags): void {
  const report = readReportFile(file);
  const text = renderReport(report, flags.format, {
    sourceRoot: flags.sourceRoot ? path.resolve(flags.sourceRoot) : undefined,
    inconclusive: flags.inconclusive,
    color: useColor(flags.color, flags.output ? {} : process.stdout),
  });
  if (!flags.output) {
    process.stdout.write(text);
    return;
  }
  try {
    fs.mkdirSync(path.dirname(path.resolve(flags.output)), { recursive: true });
    fs.writeFileSync(flags.output, text);
  } catch (err) {
    throw new UsageError(
      `cannot write ${flags.output} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  process.stderr.write(`leakcheck: wrote ${flags.output}\n`);
}
