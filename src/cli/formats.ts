/**
 * `--format`, one flag for the output format in every command. `report` and `watch` write one
 * format (to stdout or `-o`); `run`, `compare` and `bisect` take a list (comma-separated or the
 * flag repeated): `text` or `json` on stdout, the other formats as files in the `--out` folder.
 * The same format has the same name everywhere; the spellings commands used before stay accepted.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { REMOVED_IN } from './deprecated';

/** Other spellings of one format, each mapped to the name a command knows it by. */
const SYNONYMS: readonly (readonly string[])[] = [
  ['text', 'terminal'],
  ['markdown', 'md'],
];

/** `value` as spelled in `choices` (`md` where the command says `markdown`, ...), or undefined. */
function canonical<T extends string>(value: string, choices: readonly T[]): T | undefined {
  if ((choices as readonly string[]).includes(value)) return value as T;
  const group = SYNONYMS.find((g) => g.includes(value));
  return choices.find((c) => group?.includes(c));
}

/** Parser for a one-format `--format`: one of `choices`, or another spelling of one. */
export function oneFormat<T extends string>(...choices: T[]): (value: string) => T {
  return (value) => {
    const format = canonical(value.trim(), choices);
    if (format === undefined) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}.`);
    return format;
  };
}

/** The formats that go to stdout; a list may name one of them at most. */
const STDOUT_FORMATS: readonly string[] = ['text', 'json'];

/**
 * Parser for a list `--format`: comma-separated, repeatable (the lists add up), each one of
 * `choices`; at most one of `text` and `json`, which both go to stdout.
 */
export function formatList<T extends string>(...choices: T[]): (value: string, previous?: T[]) => T[] {
  return (value, previous = []) => {
    const list = [...previous];
    for (const word of value.split(',')) {
      if (word.trim() === '') continue;
      const format = canonical(word.trim(), choices);
      if (format === undefined)
        throw new InvalidArgumentError(`'${word.trim()}': expected ${choices.join(', ')} (comma-separated).`);
      if (!list.includes(format)) list.push(format);
    }
    const stdout = list.filter((f) => STDOUT_FORMATS.includes(f));
    if (stdout.length > 1)
      throw new InvalidArgumentError(`${stdout.join(' and ')} both go to stdout: give one of them.`);
    return list;
  };
}

/**
 * Adds a list `--format` to `cmd`.
 *
 * @param cmd - the command
 * @param choices - its formats, `text` first (the default)
 * @param files - what each file format writes, for the help (e.g. `junit: report.junit.xml`)
 */
export function addFormatList(cmd: Command, choices: readonly string[], files: string): void {
  cmd.addOption(
    new Option(
      '--format <formats>',
      `output formats, comma-separated or repeated: ${choices.join(', ')} (default text). text or json go to stdout; ${files}`,
    ).argParser(formatList(...choices)),
  );
}

/**
 * The old per-format flags (`--json`, `--junit <file>`, `--markdown <file>`): hidden, working
 * until {@link REMOVED_IN}, each with one deprecation line naming the `--format` that replaces it.
 *
 * @param cmd - the command
 * @param flags - old flag spelling → its replacement, e.g. `'--json'` → `'--format json'`
 */
export function addFormatAliases(cmd: Command, flags: Record<string, string>): void {
  for (const [oldFlags, replacement] of Object.entries(flags)) {
    const old = new Option(oldFlags, `deprecated: use ${replacement}`).hideHelp();
    cmd.addOption(old);
    cmd.hook('preAction', (self) => {
      if (self.getOptionValue(old.attributeName()) === undefined) return;
      process.stderr.write(
        `leakcheck: ${old.long} is deprecated and goes in ${REMOVED_IN}; use ${replacement}\n`,
      );
    });
  }
}

/**
 * What goes to stdout: `json` when the list or the old `--json` says so, otherwise `text`.
 *
 * @param formats - the parsed `--format` list
 * @param json - the deprecated `--json` flag
 */
export function stdoutFormat(
  formats: readonly string[] | undefined,
  json: boolean | undefined,
): 'text' | 'json' {
  if (formats?.includes('json') || json) return 'json';
  return 'text';
}
