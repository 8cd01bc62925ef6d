/**
 * Docs that run: every `leakcheck …` / `npx leakcheck …` command line in README.md and in the
 * commands' own --help examples is parsed by the real CLI (actions replaced, so nothing runs), and
 * every config example in the README (```json config / ```yaml config blocks) is validated against
 * the schema. A wrong flag in the README fails here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CommanderError, type Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { buildProgram } from '../../src/cli/main';
import { COMMAND_HELP } from '../../src/cli/help';
import { configSchema } from '../../src/config/schema';
import { describeIssue } from '../../src/config/load';
import { toolVersion } from '../../src/cli/version';
import { METRICS } from '../../src/analysis/metrics';

const ROOT = path.resolve(__dirname, '..', '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

interface Block {
  info: string;
  body: string;
  line: number;
}

function codeBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(.*)$/.exec(lines[i] as string);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i] as string).startsWith('```'); i++) body.push(lines[i] as string);
    blocks.push({ info: (open[1] as string).trim(), body: body.join('\n'), line: start + 1 });
  }
  return blocks;
}

/** Splits a shell command line into words: quotes, backslash escapes; stops at #, |, &&, ;, >. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unclosed quote in: ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (
      word === null &&
      (c === '#' || c === '|' || c === ';' || c === '>' || line.startsWith('&&', i))
    ) {
      break;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

/** Every leakcheck command line in the README's code blocks, with its README line number. */
function readmeCommands(): { line: number; words: string[] }[] {
  const out: { line: number; words: string[] }[] = [];
  for (const block of codeBlocks(README)) {
    const lines = block.body.split('\n');
    for (let i = 0; i < lines.length; i++) {
      let text = lines[i] as string;
      // At the start of a line (after an optional `$ `), after `run: ` in a workflow, or opening a
      // JSON string (a package.json script); `name: leakcheck comment` is a workflow's name.
      const at = /(?:^\s*(?:\$\s+)?|run:\s+|")(?:npx )?leakcheck ([a-z])/.exec(text);
      if (!at) continue;
      const lineNo = block.line + 1 + i;
      // Join continuation lines (a trailing backslash).
      while (/\\\s*$/.test(text) && i + 1 < lines.length) text = text.replace(/\\\s*$/, ' ') + lines[++i];
      const from = text.indexOf('leakcheck ', at.index);
      // A command inside a JSON string (a package.json script) ends at its closing quote.
      const rest = text.slice(from + 'leakcheck '.length).replace(/",?\s*$/, '');
      out.push({ line: lineNo, words: shellWords(rest) });
    }
  }
  return out;
}

/** Parses argv with the real program, every action replaced: flags are checked, nothing runs. */
function parseOnly(words: string[]): string | null {
  const program = buildProgram();
  let errors = '';
  const silence = (cmd: Command): void => {
    cmd.configureOutput({ writeOut: () => undefined, writeErr: (s) => void (errors += s) });
    if (cmd.commands.length === 0) cmd.action(() => undefined);
    cmd.commands.forEach(silence);
  };
  silence(program);
  const stderr = process.stderr.write;
  process.stderr.write = (() => true) as typeof process.stderr.write; // deprecation lines
  try {
    program.parse(['node', 'leakcheck', ...words]);
    return null;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? null : errors.trim() || err.message;
    throw err;
  } finally {
    process.stderr.write = stderr;
  }
}

describe('README command lines', () => {
  const commands = readmeCommands();

  test('there are command lines to check', () => {
    expect(commands.length).toBeGreaterThan(10);
  });

  test.each(commands.map((c) => [c.line, c.words.join(' '), c.words] as const))(
    'README.md:%i leakcheck %s',
    (_line, _text, words) => {
      expect(parseOnly(words)).toBeNull();
    },
  );

  test('a wrong flag is caught (the check can fail)', () => {
    expect(parseOnly(['alerts', '--markdown'])).toMatch(/unknown option '--markdown'/);
    expect(parseOnly(['watch', '--prometheus', 'http://p:9090', '--query', 'up', '--markdown', 'x'])).toMatch(
      /unknown option '--markdown'/,
    );
  });

  test('--format: one vocabulary, lists where a command writes several', () => {
    expect(
      parseOnly(['run', '--format', 'json,junit', '--format', 'sarif', '--', 'node', 's.js']),
    ).toBeNull();
    expect(parseOnly(['run', '--format', 'text,json', '--', 'node', 's.js'])).toMatch(
      /text and json both go to stdout/,
    );
    expect(parseOnly(['run', '--format', 'xml', '--', 'node', 's.js'])).toMatch(/'xml': expected text, json/);
    expect(parseOnly(['compare', '--base', 'main', '--format', 'md,json', '--', 'node', 's.js'])).toBeNull();
    expect(parseOnly(['compare', '--base', 'main', '--format', 'junit', '--', 'node', 's.js'])).toMatch(
      /'junit': expected/,
    );
    expect(parseOnly(['report', 'r.json', '--format', 'markdown'])).toBeNull();
    expect(
      parseOnly(['watch', '--prometheus', 'http://p:9090', '--query', 'up', '--format', 'text']),
    ).toBeNull();
  });

  test('deprecated spellings still parse', () => {
    expect(
      parseOnly(['run', '--json', '--junit', 'j.xml', '--sarif', 's.sarif', '--', 'node', 's.js']),
    ).toBeNull();
    expect(
      parseOnly(['compare', '--base', 'main', '--json', '--markdown', 'c.md', '--', 'node', 's.js']),
    ).toBeNull();
    expect(
      parseOnly(['bisect', '--good', 'v1', '--json', '--markdown', 'b.md', '--', 'node', 's.js']),
    ).toBeNull();
    expect(parseOnly(['watch', '--prometheus', 'http://p:9090', '--query', 'up', '--json'])).toBeNull();
    expect(parseOnly(['report', 'r.json', '--format', 'md'])).toBeNull();
    expect(parseOnly(['alerts', '--out', 'rules.yml'])).toBeNull();
    expect(parseOnly(['traffic', 'import', 'a.log', '--format', 'combined'])).toBeNull();
    expect(
      parseOnly(['run', '--replay', 'a.log', '--replay-format', 'combined', '--', 'node', 's.js']),
    ).toBeNull();
  });
});

describe('--help examples', () => {
  const examples = Object.entries(COMMAND_HELP).flatMap(([name, help]) =>
    help.examples.map((e) => [name, e] as const),
  );

  test.each(examples)('%s: %s', (name, example) => {
    const words = shellWords(example);
    expect(words[0]).toBe('leakcheck');
    expect(words.slice(1, 1 + name.split(' ').length).join(' ')).toBe(name);
    expect(parseOnly(words.slice(1))).toBeNull();
  });

  test('every command has examples and exit codes in its help', () => {
    const program = buildProgram();
    const visit = (cmd: Command, prefix: string): string[] =>
      cmd.commands
        .filter((c) => c.name() !== 'help')
        .flatMap((c) => {
          const name = prefix ? `${prefix} ${c.name()}` : c.name();
          return [name, ...visit(c, name)];
        });
    for (const name of visit(program, '')) {
      const help = COMMAND_HELP[name];
      expect(help?.examples.length ?? 0).toBeGreaterThanOrEqual(1);
      expect(Object.keys(help?.exits ?? {})).toContain('pass');
    }
  });
});

describe('README config examples', () => {
  const blocks = codeBlocks(README).filter((b) => /^(json|yaml) config\b/.test(b.info));

  test('there are config examples to check', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
  });

  test.each(blocks.map((b) => [b.line, b] as const))(
    'README.md:%i parses against the schema',
    (_line, block) => {
      const raw = (block.info.startsWith('json') ? JSON.parse(block.body) : parseYaml(block.body)) as Record<
        string,
        unknown
      >;
      const data = { ...raw };
      delete data.$schema;
      const result = configSchema.safeParse(data);
      expect(result.success ? null : describeIssue(`README.md:${block.line}`, result.error)).toBeNull();
    },
  );
});

describe('the Action reference', () => {
  test('every uses: …/leakcheck@ in the README names the package major', () => {
    const major = `v${toolVersion().split('.')[0]}`;
    const refs = [...README.matchAll(/uses: ([\w.-]+\/leakcheck)@(\S+)/g)].map((m) => m[2]);
    expect(refs.length).toBeGreaterThan(0);
    expect(new Set(refs)).toEqual(new Set([major]));
  });
});

describe('README defaults', () => {
  // The metric catalogue (src/analysis/metrics.ts) is where the defaults live; the README's tables
  // must say the same.
  const iec = (bytes: number): string =>
    bytes % 2 ** 20 === 0
      ? `${bytes / 2 ** 20} MiB`
      : bytes % 1024 === 0
        ? `${bytes / 1024} KiB`
        : `${bytes} B`;
  const tableRow = (start: string): string => {
    const row = README.split('\n').find((l) => l.startsWith(start));
    if (row === undefined) throw new Error(`README.md has no table row starting ${start}`);
    return row;
  };
  const { heapUsed, external, handles, sockets, fds } = METRICS;

  test("the configuration table states every gating metric's default thresholds", () => {
    const counts = [handles, sockets, fds];
    for (const m of counts) expect(m.threshold).toEqual(handles.threshold);
    const bytes = (m: typeof heapUsed): string =>
      `${m.label}: ${m.threshold.perUnit} B/request and ${iec(m.threshold.minGrowth)}`;
    const expected = [
      bytes(heapUsed),
      bytes(external),
      `${counts.map((m) => m.label).join(', ')}: ${handles.threshold.perUnit}/request and ${handles.threshold.minGrowth}`,
    ].join('; ');
    expect(tableRow('| `analysis.thresholds.')).toContain(` ${expected} `);
  });

  test("action.yml's threshold and min-growth inputs state the heap and external defaults", () => {
    const yml = parseYaml(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as {
      inputs: Record<string, { description: string }>;
    };
    const text = (name: string): string => yml.inputs[name]?.description.replace(/\s+/g, ' ') ?? '';
    expect(text('threshold')).toContain(`(default ${heapUsed.threshold.perUnit})`);
    expect(text('min-growth')).toContain(
      `(default ${heapUsed.threshold.minGrowth} for the heap, ${external.threshold.minGrowth} for external memory)`,
    );
  });

  test("the Action's inputs table states the heap and external defaults", () => {
    expect(external.threshold.perUnit).toBe(heapUsed.threshold.perUnit);
    const expected = `${heapUsed.threshold.perUnit} B/request; ${iec(heapUsed.threshold.minGrowth)} heap, ${iec(external.threshold.minGrowth)} external`;
    expect(tableRow('| `threshold`, `min-growth`')).toContain(` ${expected} `);
  });
});
