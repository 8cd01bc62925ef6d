/**
 * `leakcheck traffic import <file> -o traffic.json`: turn an access log or HAR file into a traffic
 * model. Also the replay flags of `leakcheck run --replay <file|traffic.json>` and the step that
 * loads (or imports) the replay before a run.
 */
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { formatNumber } from '../analysis/format';
import type { Config } from '../config/types';
import { shapePeriodSeconds } from '../config/adapt';
import { UsageError } from '../errors';
import { baselineFromModel, type FidelityBaseline } from '../traffic/fidelity';
import { ImportError, IMPORT_FORMATS, importTraffic, type ImportFormat } from '../traffic/import/import';
import { InputError, readHead } from '../traffic/import/lines';
import {
  loadModel,
  looksLikeModel,
  saveModel,
  TrafficModelError,
  type TrafficModel,
} from '../traffic/model/model';
import { compressRate } from '../traffic/model/rate';
import { replaySource, type ReplaySource } from '../traffic/model/replay';
import { reportError } from './errors';
import { oneOf } from './options';
import { addRenamedOption } from './deprecated';

/** Flags shared by `traffic import` and `run --replay`. */
export interface ImportFlags {
  logFormat?: string;
  fields?: string;
  origin?: string;
  verbatim?: boolean;
}

interface ImportCommandFlags extends ImportFlags {
  output: string;
  inputFormat: ImportFormat | 'auto';
  json?: boolean;
}

/** The `run` flags for replay. */
export interface ReplayFlags extends ImportFlags {
  replay?: string;
  inputFormat?: ImportFormat | 'auto';
  paceFromLog?: boolean;
}

/** `--input-format`, the one name for an input's format (was --replay-format in run, --format in import). */
function addInputFormat(cmd: Command, oldFlag: string): void {
  const option = new Option('--input-format <format>', `log format: auto, ${IMPORT_FORMATS.join(', ')}`)
    .default('auto')
    .argParser(oneOf('auto', ...IMPORT_FORMATS));
  cmd.addOption(option);
  addRenamedOption(cmd, `${oldFlag} <format>`, option);
}

function addImportFlags(cmd: Command, forRun: boolean): Command {
  return cmd
    .option(
      '--log-format <string>',
      `nginx log_format string (with --input-format nginx), e.g. '$remote_addr [$time_local] "$request" $status'`,
    )
    .option(
      '--fields <mapping>',
      'JSON lines: where the fields are, e.g. method=req.method,url=req.url,status=res.statusCode,time=time',
    )
    .option(
      '--origin <url>',
      "HAR: the origin to replay (default: the first entry's); other origins are counted and skipped",
    )
    .option(
      '--verbatim',
      forRun
        ? "replay the log's requests in order (looping) instead of drawing fresh ones from its model"
        : 'also keep the request sequence, for in-order replay (run --replay ... --verbatim)',
    );
}

/** Adds the replay flags to `run`. */
export function addReplayOptions(cmd: Command): Command {
  cmd.option(
    '--replay <file>',
    'replay production traffic from an access log, JSON-lines log, ALB log, HAR file or traffic.json',
  );
  addInputFormat(cmd, '--replay-format');
  addImportFlags(cmd, true);
  return cmd.option(
    '--pace-from-log',
    "pace by the log's own rate over time, compressed into the run (mean: --rate, or the log's mean)",
  );
}

/** Registers `leakcheck traffic import`. */
export function registerTraffic(program: Command): void {
  const traffic = program.command('traffic').description('import production traffic for replay');
  const importCmd = traffic
    .command('import')
    .description(
      'read an access log or HAR file and write its traffic model (endpoint templates, value distributions, identities, rate)',
    )
    .argument('<file>', 'nginx/Apache/JSON-lines/ALB log (gzip is fine) or HAR 1.2 file')
    .option('-o, --output <file>', 'where to write the model', 'traffic.json')
    .option('--json', 'print the model summary as JSON');
  addInputFormat(importCmd, '--format');
  addImportFlags(importCmd, false);
  importCmd.exitOverride();
  importCmd.action(async (file: string, flags: ImportCommandFlags) => {
    try {
      await importCommand(file, flags);
    } catch (err) {
      reportError(err);
    }
  });
  traffic.exitOverride();
}

async function importCommand(file: string, flags: ImportCommandFlags): Promise<void> {
  const model = await importOrThrow(file, flags.inputFormat, flags);
  const out = path.resolve(flags.output);
  try {
    saveModel(model, out);
  } catch (err) {
    throw new UsageError(`${flags.output}: cannot write: ${(err as Error).message}`);
  }
  if (flags.json) process.stdout.write(JSON.stringify({ ...model, sequence: undefined }, null, 2) + '\n');
  else process.stdout.write(summariseModel(model, file) + `\n  wrote ${flags.output}\n\n`);
}

async function importOrThrow(
  file: string,
  format: ImportFormat | 'auto',
  flags: ImportFlags,
): Promise<TrafficModel> {
  try {
    return await importTraffic(file, {
      format,
      logFormat: flags.logFormat,
      fields: flags.fields,
      origin: flags.origin,
      verbatim: flags.verbatim,
    });
  } catch (err) {
    if (err instanceof ImportError) throw new UsageError(err.message);
    throw err;
  }
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Shows control characters and escapes as visible text: a log cannot drive the terminal. */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function pct(share: number): string {
  return `${formatNumber(share * 100, 1)}%`;
}

/** The import summary printed by `traffic import`. */
export function summariseModel(model: TrafficModel, file: string): string {
  const s = model.source;
  const unit = s.format === 'har' ? 'entries' : 'lines';
  const out: string[] = [''];
  out.push(
    `  imported ${printable(file)} (${s.format}): ${formatNumber(s.requests)} requests from ${formatNumber(s.records)} ${unit}, ${formatNumber(model.endpoints.length)} endpoints`,
  );
  if (s.skipped.total > 0) {
    out.push(`  skipped ${formatNumber(s.skipped.total)} ${unit}:`);
    for (const [reason, n] of Object.entries(s.skipped.byReason).sort((a, b) => b[1] - a[1]))
      out.push(`    ${formatNumber(n).padStart(8)}  ${printable(reason)}`);
    out.push(`    first: ${s.skipped.examples.map((e) => `${e.where} (${printable(e.reason)})`).join(', ')}`);
  }
  if (s.otherOrigins && s.otherOrigins.total > 0) {
    const list = Object.entries(s.otherOrigins.byOrigin)
      .sort((a, b) => b[1] - a[1])
      .map(([o, n]) => `${printable(o)} ${formatNumber(n)}`)
      .join(', ');
    out.push(
      `  replaying ${printable(s.otherOrigins.origin)}; ${formatNumber(s.otherOrigins.total)} entries for other origins skipped: ${list}`,
    );
  }
  for (const note of s.notes) out.push(`  note: ${printable(note)}`);
  out.push('');
  out.push(`  ${'endpoint'.padEnd(44)}${'share'.padStart(7)}  variables (distinct, chance of a new value)`);
  for (const e of model.endpoints.slice(0, 20)) {
    const vars = [
      ...e.segments.flatMap((seg) =>
        'slot' in seg
          ? [
              `{${seg.name}} ${formatNumber(e.slots[seg.slot]?.distinct ?? 0)}, ${pct(e.slots[seg.slot]?.newRate ?? 0)} new`,
            ]
          : [],
      ),
      ...e.query
        .slice(0, 3)
        .map((q) => `?${q.name} ${formatNumber(q.values.distinct)}, ${pct(q.values.newRate)} new`),
    ].join('; ');
    out.push(`  ${printable(e.key).padEnd(44)}${pct(e.share).padStart(7)}  ${printable(vars)}`);
  }
  if (model.endpoints.length > 20) {
    const rest = model.endpoints.slice(20).reduce((a, e) => a + e.share, 0);
    out.push(`  ${`(${model.endpoints.length - 20} more)`.padEnd(44)}${pct(rest).padStart(7)}`);
  }
  const d = model.summary.distinct;
  out.push('');
  out.push(
    `  per ${formatNumber(d.window)} requests: ${formatNumber(d.urls)} distinct URLs, ${formatNumber(d.identities)} distinct identities`,
  );
  const ids = model.identities;
  const idParts = [
    ids.authorization
      ? `Authorization ${pct(ids.authorization.share)} (${formatNumber(ids.authorization.values.distinct)} distinct)`
      : '',
    ids.cookie
      ? `cookie ${printable(ids.cookie.name)} ${pct(ids.cookie.share)} (${formatNumber(ids.cookie.values.distinct)})`
      : '',
    ids.remoteUser ? `HTTP users ${formatNumber(ids.remoteUser.values.distinct)}` : '',
    ids.client ? `clients ${formatNumber(ids.client.values.distinct)}` : '',
  ].filter(Boolean);
  if (idParts.length > 0) out.push(`  identities (synthetic, same cardinality): ${idParts.join(', ')}`);
  if (model.rate) {
    const span = model.rate.counts.length * model.rate.bucketSeconds;
    out.push(
      `  rate: mean ${formatNumber(model.rate.meanRps, 2)}/s, peak ${formatNumber(model.rate.peakRps, 2)}/s over ${formatNumber(span / 3600, 1)} h`,
    );
  }
  if (model.sequence) out.push(`  verbatim sequence: ${formatNumber(model.sequence.length)} requests`);
  return out.join('\n');
}

/** A replay ready to run: the request source and the log's side of the fidelity report. */
export interface PreparedReplay {
  source: ReplaySource;
  baseline: FidelityBaseline;
  model: TrafficModel;
}

/**
 * Loads traffic.json or imports a log for `run --replay`. With --pace-from-log, sets the config's
 * rate to the log's rate curve compressed into the run. Bad input is a {@link UsageError}.
 */
export async function prepareReplay(
  flags: ReplayFlags,
  config: Config,
  cwd: string,
): Promise<PreparedReplay> {
  const file = path.resolve(cwd, flags.replay as string);
  let head: string;
  try {
    head = await readHead(file, 256);
  } catch (err) {
    if (err instanceof InputError) throw new UsageError(`--replay: ${err.message}`);
    throw err;
  }
  let model: TrafficModel;
  if (looksLikeModel(head)) {
    try {
      model = loadModel(file);
    } catch (err) {
      if (err instanceof TrafficModelError) throw new UsageError(err.message);
      throw err;
    }
  } else {
    model = await importOrThrow(file, flags.inputFormat ?? 'auto', flags);
  }
  const mode = flags.verbatim ? 'verbatim' : 'model';
  if (mode === 'verbatim' && !model.sequence)
    throw new UsageError(
      `${flags.replay}: has no request sequence for --verbatim; import it with leakcheck traffic import --verbatim`,
    );
  const source = replaySource(model, {
    mode,
    seed: config.traffic.seed,
    bodyTemplates: config.traffic.requests,
  });
  if (flags.paceFromLog) {
    if (!model.rate)
      throw new UsageError(
        `--pace-from-log: ${flags.replay} has no timestamps to take a rate from; use --rate`,
      );
    const configured = config.traffic.rate;
    const mean =
      typeof configured === 'number'
        ? configured
        : configured?.kind === 'constant'
          ? configured.rps
          : model.rate.meanRps;
    if (!(mean >= 1))
      throw new UsageError(
        `--pace-from-log: the log averages ${formatNumber(model.rate.meanRps, 2)} requests/s; give the run's mean rate with --rate`,
      );
    config.traffic.rate = compressRate(model.rate, shapePeriodSeconds(config), mean);
  }
  return { source, baseline: baselineFromModel(model, mode), model };
}

/** One stderr line saying what is replayed. */
export function replayBanner(replay: PreparedReplay, file: string): string {
  const s = replay.model.source;
  const skipped = s.skipped.total > 0 ? `, ${formatNumber(s.skipped.total)} skipped` : '';
  return `leakcheck: replaying ${printable(file)} (${s.format}, ${formatNumber(s.requests)} requests${skipped}, ${formatNumber(replay.model.endpoints.length)} endpoints, ${replay.source.mode} mode)\n`;
}
