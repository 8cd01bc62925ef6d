/**
 * `leakcheck init`: finds how the service starts, writes leakcheck.config.json, adds a `leakcheck`
 * npm script and writes a GitHub workflow that runs the Action. Never overwrites a file without
 * --force, and says what it wrote and what it kept.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { UsageError } from '../errors';
import { reportError } from './errors';
import { actionReference, majorTag } from './action-ref';
import { toolVersion } from './version';
import { CONFIG_SCHEMA_REF } from '../config/json-schema';

/** Node major written into generated workflows when the project names none: the current LTS. */
export const WORKFLOW_NODE = '24';

/** Entry files tried, in order, when package.json names no start script or main. */
const ENTRY_CANDIDATES = [
  'server.js',
  'index.js',
  'app.js',
  'main.js',
  'server.mjs',
  'index.mjs',
  'app.mjs',
  'server.cjs',
  'index.cjs',
  'src/server.js',
  'src/index.js',
  'src/app.js',
  'src/main.js',
  'dist/server.js',
  'dist/index.js',
  'dist/main.js',
  'build/server.js',
  'build/index.js',
  'server.ts',
  'index.ts',
  'app.ts',
  'src/server.ts',
  'src/index.ts',
  'src/app.ts',
  'src/main.ts',
];

/** Config files leakcheck reads; init does not add a second one beside any of them. */
const CONFIG_FILES = [
  'leakcheck.config.json',
  'leakcheck.config.yaml',
  'leakcheck.config.yml',
  'leakcheck.config.mjs',
  'leakcheck.config.cjs',
  'leakcheck.config.js',
];

/** How the service starts, and where that was found. */
export interface StartDetection {
  /** argv of the start command. */
  command: string[];
  /** Where it came from, in words ("package.json scripts.start"). */
  source: string;
  /** Things the user should know (e.g. tsx is not installed). */
  notes: string[];
}

/** What init did. */
export interface InitResult {
  detection: StartDetection;
  /** Files written or changed, relative to the project folder. */
  written: string[];
  /** Files left alone, with why. */
  kept: Array<{ file: string; reason: string }>;
  /** Advice to print after the file list. */
  notes: string[];
}

/** Options of {@link initProject}. */
export interface InitOptions {
  /** Overwrite existing files and the existing `leakcheck` script. */
  force?: boolean;
  /** The start command, instead of detecting it. */
  command?: string;
  /** Write the GitHub workflow (default true). */
  workflow?: boolean;
  /** Add the npm script (default true). */
  script?: boolean;
  /** Action reference for the workflow (default {@link DEFAULT_ACTION_REF}). */
  action?: string;
}

interface PackageJson {
  main?: unknown;
  scripts?: Record<string, unknown>;
  engines?: { node?: unknown };
  dependencies?: Record<string, unknown>;
  devDependencies?: Record<string, unknown>;
  leakcheck?: unknown;
}

/** Characters that make a start script need a shell (run it through npm start instead). */
const SHELL_SYNTAX = /[|&;<>()$`"'\\*?{}[\]~]|^\s*\w+=/;

/**
 * Finds the command that starts the service in a project folder: package.json scripts.start (run
 * directly when it is a plain `node file` command, else as `npm start`), then package.json main,
 * then common entry files. A TypeScript entry runs through tsx.
 *
 * @param dir - the project folder
 * @param pkg - its package.json, when it has one
 * @returns the command and where it came from, or null when nothing was found
 */
export function detectStartCommand(dir: string, pkg: PackageJson | null): StartDetection | null {
  const notes: string[] = [];
  const hasDep = (name: string): boolean =>
    Boolean(pkg?.dependencies?.[name] ?? pkg?.devDependencies?.[name]);
  const entry = (file: string, source: string): StartDetection => {
    if (/\.(c|m)?ts$/.test(file)) {
      if (!hasDep('tsx')) notes.push('the entry is TypeScript: install tsx (npm install --save-dev tsx)');
      return { command: ['npx', 'tsx', file], source, notes };
    }
    return { command: ['node', file], source, notes };
  };
  const start = pkg?.scripts?.start;
  if (typeof start === 'string' && start.trim() !== '') {
    const words = start.trim().split(/\s+/);
    // A plain "node server.js" runs directly: one process fewer than npm start, same service.
    if (words[0] === 'node' && words.length >= 2 && !SHELL_SYNTAX.test(start)) {
      return { command: words, source: 'package.json scripts.start', notes };
    }
    return { command: ['npm', 'start'], source: `package.json scripts.start (${start.trim()})`, notes };
  }
  if (typeof pkg?.main === 'string' && pkg.main !== '') {
    const main = pkg.main.replace(/^\.\//, '');
    const found = [main, `${main}.js`, path.join(main, 'index.js')].find((f) => isFile(path.join(dir, f)));
    if (found) return entry(found, 'package.json main');
  }
  const candidate = ENTRY_CANDIDATES.find((f) => isFile(path.join(dir, f)));
  return candidate ? entry(candidate, `the entry file ${candidate}`) : null;
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Splits a --command string into argv; quotes group words, nothing else is interpreted. */
function splitCommand(text: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) words.push(m[1] ?? m[2] ?? m[3] ?? '');
  return words;
}

/**
 * The workflow file's text.
 *
 * @param options - Node version source, install and build steps, Action reference
 * @returns the YAML
 */
export function workflowYaml(options: {
  nodeVersion: { file: string } | { version: string };
  install: string;
  build: boolean;
  action: string;
  /** The action reference still names the OWNER placeholder. */
  placeholder?: boolean;
  /** Config file for the Action's config input; omitted when leakcheck finds it by itself. */
  config?: string;
}): string {
  const node =
    'file' in options.nodeVersion
      ? `          node-version-file: ${options.nodeVersion.file}`
      : `          node-version: '${options.nodeVersion.version}'`;
  return `# Written by leakcheck init. Runs the leakcheck Action on every pull request: it starts the
# service, drives traffic, fails the check when memory or handles grow per request, and writes the
# verdict to the job summary.${options.placeholder ? ` Replace OWNER in "uses: ${options.action}" below with\n# the GitHub account that publishes the leakcheck Action.` : ''}
name: leakcheck

on:
  pull_request:
  push:
    branches: [main]

permissions:
  contents: read

jobs:
  leakcheck:
    runs-on: ubuntu-latest
    timeout-minutes: 20
    steps:
      - uses: actions/checkout@v5
        with:
          # compare: base measures the merge base too, so the history must be there.
          fetch-depth: 0
      - uses: actions/setup-node@v5
        with:
${node}
      - run: ${options.install}
${options.build ? '      - run: npm run build\n' : ''}      - uses: ${options.action}
        with:
${options.config ? `          config: ${options.config}\n` : ''}          # leak (default), inconclusive (leak or inconclusive), or never.
          fail-on: leak
          # none, or base: blame the pull request only for the growth it adds over its base.
          compare: none
          report-dir: .leakcheck
`;
}

/**
 * The Node version the workflow sets up: .nvmrc / .node-version, else engines.node when it pins a
 * major (22, 22.x, ^22; a lower bound such as >=20 pins nothing), else the current LTS.
 */
function nodeVersionOf(dir: string, pkg: PackageJson | null): { file: string } | { version: string } {
  for (const file of ['.nvmrc', '.node-version']) if (isFile(path.join(dir, file))) return { file };
  const engines = typeof pkg?.engines?.node === 'string' ? pkg.engines.node.trim() : '';
  const major = /^[\^~]?(\d+)(?:\.[\dx*]+)*$/.exec(engines)?.[1];
  return { version: major && Number(major) >= 20 ? major : WORKFLOW_NODE };
}

/**
 * Writes the config, the npm script and the workflow into a project folder.
 *
 * @param dir - the project folder
 * @param options - force, command, which parts to write
 * @returns what was written and kept
 * @throws UsageError when no start command is found and none was given, or package.json is not JSON
 */
export function initProject(dir: string, options: InitOptions = {}): InitResult {
  const pkgFile = path.join(dir, 'package.json');
  let pkgText: string | null = null;
  let pkg: PackageJson | null = null;
  if (isFile(pkgFile)) {
    pkgText = fs.readFileSync(pkgFile, 'utf8');
    try {
      const parsed: unknown = JSON.parse(pkgText);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('expected an object');
      pkg = parsed as PackageJson;
    } catch (err) {
      throw new UsageError(
        `${pkgFile} is not valid JSON (${err instanceof Error ? err.message : String(err)}); fix it or give --command`,
      );
    }
  }
  const detection: StartDetection | null = options.command
    ? { command: splitCommand(options.command), source: '--command', notes: [] }
    : detectStartCommand(dir, pkg);
  if (!detection || detection.command.length === 0) {
    throw new UsageError(
      `no start command found in ${dir} (no package.json scripts.start or main, no server.js/index.js/src/index.ts...): give it with --command "node server.js"`,
    );
  }
  const result: InitResult = { detection, written: [], kept: [], notes: [...detection.notes] };
  const write = (rel: string, text: string): void => {
    const file = path.join(dir, rel);
    if (isFile(file) && !options.force) {
      result.kept.push({ file: rel, reason: 'exists (use --force to overwrite)' });
      return;
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    result.written.push(rel);
  };

  // Config: one per project; an existing one in another format or in package.json is kept.
  const otherConfig = CONFIG_FILES.slice(1).find((f) => isFile(path.join(dir, f)));
  let configName = 'leakcheck.config.json';
  if (otherConfig && !options.force) {
    result.kept.push({
      file: otherConfig,
      reason: 'a config already exists; leakcheck.config.json not written',
    });
    configName = otherConfig;
  } else if (pkg?.leakcheck !== undefined && !options.force) {
    result.kept.push({
      file: 'package.json',
      reason: 'has a "leakcheck" config; leakcheck.config.json not written',
    });
    configName = 'package.json';
  } else {
    write(
      'leakcheck.config.json',
      JSON.stringify({ $schema: CONFIG_SCHEMA_REF, command: detection.command, out: '.leakcheck' }, null, 2) +
        '\n',
    );
  }

  if (options.script !== false) {
    if (!pkg || pkgText === null) {
      result.notes.push('no package.json here: no "leakcheck" npm script added');
    } else if (pkg.scripts?.leakcheck !== undefined && !options.force) {
      result.kept.push({
        file: 'package.json',
        reason: 'already has a "leakcheck" script (use --force to replace it)',
      });
    } else {
      const indent = /^[ \t]+(?=")/m.exec(pkgText)?.[0] ?? '  ';
      const scripts = { ...(pkg.scripts ?? {}), leakcheck: 'leakcheck run' };
      const updated = { ...pkg, scripts };
      fs.writeFileSync(pkgFile, JSON.stringify(updated, null, indent) + (pkgText.endsWith('\n') ? '\n' : ''));
      result.written.push('package.json (script "leakcheck": "leakcheck run")');
      if (!pkg.dependencies?.leakcheck && !pkg.devDependencies?.leakcheck)
        result.notes.push('install leakcheck for the npm script: npm install --save-dev leakcheck');
    }
  }

  if (options.workflow !== false) {
    const action = options.action ? { ref: options.action, placeholder: false } : actionReference();
    const hasLock =
      isFile(path.join(dir, 'package-lock.json')) || isFile(path.join(dir, 'npm-shrinkwrap.json'));
    write(
      path.join('.github', 'workflows', 'leakcheck.yml'),
      workflowYaml({
        nodeVersion: nodeVersionOf(dir, pkg),
        install: hasLock ? 'npm ci' : 'npm install',
        build: typeof pkg?.scripts?.build === 'string',
        action: action.ref,
        placeholder: action.placeholder,
        config: configName === 'package.json' ? undefined : configName,
      }),
    );
    if (action.placeholder)
      result.notes.push(
        `in .github/workflows/leakcheck.yml, replace OWNER in "uses: ${action.ref}" with the GitHub account that publishes the leakcheck Action (or run init again with --action <owner>/leakcheck@${action.ref.split('@')[1]})`,
      );
  }
  return result;
}

interface InitFlags {
  force?: boolean;
  command?: string;
  workflow: boolean;
  script: boolean;
  action?: string;
  dir?: string;
}

/** Registers the `init` command. */
export function registerInit(program: Command): void {
  program
    .command('init')
    .description('detect the start command, write leakcheck.config.json, an npm script and a GitHub workflow')
    .option('--command <command>', 'the command that starts the service, instead of detecting it')
    .option('--dir <dir>', 'project folder (default: the current folder)')
    .option('--force', 'overwrite existing files and an existing "leakcheck" script')
    .option('--no-workflow', 'do not write .github/workflows/leakcheck.yml')
    .option('--no-script', 'do not add the "leakcheck" npm script')
    .option(
      '--action <ref>',
      `Action reference for the workflow (default: <owner>/leakcheck@${majorTag(toolVersion())}, the owner from leakcheck's package.json or git remote)`,
    )
    .action((flags: InitFlags) => {
      try {
        const dir = path.resolve(flags.dir ?? process.cwd());
        if (!fs.existsSync(dir)) throw new UsageError(`--dir ${dir} does not exist`);
        const result = initProject(dir, flags);
        const out: string[] = [
          `start command: ${result.detection.command.join(' ')}  (from ${result.detection.source})`,
        ];
        for (const f of result.written) out.push(`wrote ${f}`);
        for (const k of result.kept) out.push(`kept  ${k.file}: ${k.reason}`);
        for (const n of result.notes) out.push(`note: ${n}`);
        out.push('next: npm run leakcheck (or npx leakcheck run)');
        process.stdout.write(out.join('\n') + '\n');
      } catch (err) {
        reportError(err);
      }
    });
}
