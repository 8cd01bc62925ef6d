/**
 * `leakcheck run` writes the review reports beside report.json (and JUnit/SARIF on request),
 * `leakcheck report` re-renders a saved run and refuses what is not a report, and `leakcheck init`
 * sets up a project without overwriting anything.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fixtureConfig, runCli, survivors, type CliRun } from './helpers';
import { initProject, detectStartCommand } from '../../src/cli/init';
import { actionReference, majorTag } from '../../src/cli/action-ref';
import { toolVersion } from '../../src/cli/version';
import { loadConfig } from '../../src/config/load';

const SHORT = ['--warmup', '2', '--duration', '8'];

describe('leakcheck run writes every report of a leaking fixture', () => {
  let run: CliRun;
  let junit: string;
  let sarif: string;
  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-reports-'));
    sarif = path.join(dir, 'nested', 'leakcheck.sarif');
    run = await runCli([
      'run',
      '--config',
      fixtureConfig('incident-auth'),
      ...SHORT,
      '--no-attribution',
      '--format',
      'junit',
      // The 0.1 spelling: still writes where it says, with a deprecation line.
      '--sarif',
      sarif,
    ]);
    junit = path.join(run.outDir, 'report.junit.xml');
  });

  test('the deprecated --sarif says so once on stderr', () => {
    expect(run.stderr.match(/--sarif is deprecated and goes in 0\.3\.0; use --format sarif/g)).toHaveLength(
      1,
    );
  });

  test('the run leaks and leaves no process behind', () => {
    expect(run.code).toBe(1);
    expect(run.report?.verdict).toBe('leak');
    expect(survivors(run.report)).toEqual([]);
  });

  test('report.md and report.html beside report.json say LEAK with the heap table and chart', () => {
    const md = fs.readFileSync(path.join(run.outDir, 'report.md'), 'utf8');
    expect(md.split('\n')[0]).toBe('## ❌ leakcheck: LEAK');
    expect(md).toMatch(
      /^\| heapUsed \| [\d.]+ B\/request \(95% CI [\d.]+–[\d.]+\) \| \+[\d.]+ MB \| \d+ \| [\d.]+ \| LEAK \| linear-growth \|$/m,
    );
    expect(md).toContain('```mermaid\nxychart-beta');
    const html = fs.readFileSync(path.join(run.outDir, 'report.html'), 'utf8');
    expect(html).toContain('data-verdict="leak"');
    const samples = run.report?.processes[0]?.series.length ?? 0;
    expect(samples).toBeGreaterThan(8);
    // A chart per metric, each with a dot per kept sample (the series now carries every metric).
    const svgs = html.match(/<svg [^>]*class="chart"[^>]*>[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs.length).toBe(run.report?.processes[0]?.metrics.length);
    for (const svg of svgs) expect(svg.match(/<circle /g)).toHaveLength(samples);
  });

  test('--format junit (report.junit.xml) and --sarif <file> carry the leak', () => {
    const xml = fs.readFileSync(junit, 'utf8');
    expect(xml).toMatch(/<testcase classname="leakcheck" name="heapUsed" time="0">\n\s+<failure /);
    expect(xml.match(/<testcase /g)).toHaveLength(run.report?.processes[0]?.metrics.length ?? -1);
    const log = JSON.parse(fs.readFileSync(sarif, 'utf8'));
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0].results.map((r: { ruleId: string }) => r.ruleId)).toContain(
      'leakcheck/heapUsed-growth',
    );
  });

  test('leakcheck report re-renders the saved run exactly as the run wrote it', async () => {
    const file = path.join(run.outDir, 'report.json');
    const md = await runCli(['report', file, '--format', 'md']);
    expect(md.code).toBe(0);
    expect(md.stdout).toBe(fs.readFileSync(path.join(run.outDir, 'report.md'), 'utf8'));
    const out = path.join(run.outDir, 'again.html');
    const html = await runCli(['report', file, '--format', 'html', '-o', out]);
    expect(html.code).toBe(0);
    expect(html.stderr).toBe(`leakcheck: wrote ${out}\n`);
    expect(fs.readFileSync(out, 'utf8')).toBe(fs.readFileSync(path.join(run.outDir, 'report.html'), 'utf8'));
    const text = await runCli(['report', file]);
    expect(text.stdout).toMatch(/^\nLEAK {2}heap grew/);
  });
});

describe('leakcheck report refuses what it cannot read, in one line with exit 2', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-badreport-'));
  const write = (name: string, text: string): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  test.each([
    [
      'a missing file',
      () => path.join(dir, 'nope.json'),
      /^leakcheck: report file .*nope\.json does not exist\n$/,
    ],
    [
      'bad JSON',
      () => write('bad.json', '{"schemaVersion": 1,'),
      /^leakcheck: .*bad\.json is not valid JSON \(.*\)\n$/,
    ],
    [
      'another schema version',
      () => write('v9.json', '{"schemaVersion": 9}'),
      /^leakcheck: .*v9\.json has report schemaVersion 9; this leakcheck reads versions 1 and 2\n$/,
    ],
    [
      'a wrong shape',
      () => write('shape.json', '{"schemaVersion": 1, "tool": {"name": "leakcheck", "version": "1"}}'),
      /^leakcheck: .*shape\.json: field "createdAt" must be string\n$/,
    ],
  ])('%s', async (_name, file, message) => {
    const run = await runCli(['report', file(), '--format', 'html']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  test('an unknown format', async () => {
    const run = await runCli(['report', 'x.json', '--format', 'pdf']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('leakcheck init', () => {
  const project = (files: Record<string, string>): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-init-'));
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    return dir;
  };

  test('writes the config, the npm script and the workflow; a second run keeps all three', async () => {
    const dir = project({
      'package.json':
        JSON.stringify({ name: 'svc', scripts: { start: 'node src/server.js' } }, null, 4) + '\n',
      'package-lock.json': '{}',
      '.nvmrc': '20\n',
      'src/server.js': '',
    });
    const first = await runCli(['init'], { cwd: dir });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('start command: node src/server.js  (from package.json scripts.start)');
    expect(first.stdout).toContain('wrote leakcheck.config.json');
    expect(first.stdout).toContain('wrote .github/workflows/leakcheck.yml');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'leakcheck.config.json'), 'utf8'))).toEqual({
      $schema: './node_modules/leakcheck/dist/config.schema.json',
      command: ['node', 'src/server.js'],
      out: '.leakcheck',
    });
    const pkgText = fs.readFileSync(path.join(dir, 'package.json'), 'utf8');
    expect(JSON.parse(pkgText).scripts).toEqual({ start: 'node src/server.js', leakcheck: 'leakcheck run' });
    expect(pkgText).toMatch(/^ {4}"name"/m); // the file's own indentation is kept
    const workflow = fs.readFileSync(path.join(dir, '.github/workflows/leakcheck.yml'), 'utf8');
    const action = actionReference();
    expect(action.ref).toMatch(new RegExp(`/leakcheck@${majorTag(toolVersion())}$`));
    expect(workflow).toContain(`uses: ${action.ref}`);
    expect(workflow).toContain('uses: actions/checkout@v5');
    expect(workflow).toContain('uses: actions/setup-node@v5');
    if (action.placeholder) expect(first.stdout).toContain(`replace OWNER in "uses: ${action.ref}"`);
    expect(workflow).toContain('node-version-file: .nvmrc');
    expect(workflow).toContain('- run: npm ci');
    expect(workflow).toMatch(/^ {10}config: leakcheck\.config\.json$/m);
    expect(workflow).toMatch(/^ {10}fail-on: leak$/m);

    // The written config is one leakcheck accepts.
    const loaded = await loadConfig({ cwd: dir });
    expect(loaded.config.command).toEqual(['node', 'src/server.js']);

    const workflowFile = path.join(dir, '.github/workflows/leakcheck.yml');
    fs.appendFileSync(workflowFile, '# mine\n');
    const second = await runCli(['init'], { cwd: dir });
    expect(second.code).toBe(0);
    expect(second.stdout).not.toContain('wrote ');
    expect(second.stdout.match(/^kept /gm)).toHaveLength(3);
    expect(fs.readFileSync(workflowFile, 'utf8')).toBe(workflow + '# mine\n');
    expect(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).toBe(pkgText);
    const forced = await runCli(['init', '--force'], { cwd: dir });
    expect(forced.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, '.github/workflows/leakcheck.yml'), 'utf8')).not.toContain(
      '# mine',
    );
  });

  test('detection: plain node scripts run directly, others through npm start, TypeScript through tsx', () => {
    const none = project({});
    expect(
      detectStartCommand(none, { scripts: { start: 'node --enable-source-maps dist/main.js' } })?.command,
    ).toEqual(['node', '--enable-source-maps', 'dist/main.js']);
    expect(
      detectStartCommand(none, { scripts: { start: 'NODE_ENV=production node app.js' } })?.command,
    ).toEqual(['npm', 'start']);
    expect(detectStartCommand(none, { scripts: { start: 'tsx src/server.ts' } })?.command).toEqual([
      'npm',
      'start',
    ]);
    const main = project({ 'lib/index.js': '' });
    expect(detectStartCommand(main, { main: './lib/index.js' })).toMatchObject({
      command: ['node', 'lib/index.js'],
      source: 'package.json main',
    });
    const ts = project({ 'src/index.ts': '' });
    const tsx = detectStartCommand(ts, null);
    expect(tsx?.command).toEqual(['npx', 'tsx', 'src/index.ts']);
    expect(tsx?.notes.join()).toContain('install tsx');
    expect(detectStartCommand(ts, { devDependencies: { tsx: '^4' } })?.notes).toEqual([]);
    expect(detectStartCommand(none, null)).toBeNull();
  });

  test('an existing config elsewhere is kept and the workflow finds it by itself', () => {
    const dir = project({
      'package.json': JSON.stringify({
        name: 'svc',
        main: 'server.js',
        leakcheck: { command: 'node server.js' },
      }),
      'server.js': '',
    });
    const result = initProject(dir);
    expect(fs.existsSync(path.join(dir, 'leakcheck.config.json'))).toBe(false);
    expect(result.kept.map((k) => k.reason)).toContain(
      'has a "leakcheck" config; leakcheck.config.json not written',
    );
    const workflow = fs.readFileSync(path.join(dir, '.github/workflows/leakcheck.yml'), 'utf8');
    expect(workflow).not.toContain('config:');
    expect(workflow).toContain("node-version: '24'"); // no .nvmrc, no pinned engines: the current LTS
    expect(workflow).toContain('- run: npm install');
  });

  test('nothing to start: one line, exit 2, nothing written', async () => {
    const dir = project({ 'README.md': '' });
    const run = await runCli(['init'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^leakcheck: no start command found in .*: give it with --command "node server.js"\n$/,
    );
    expect(fs.readdirSync(dir)).toEqual(['README.md']);
    const bad = project({ 'package.json': '{ nope' });
    const badRun = await runCli(['init'], { cwd: bad });
    expect(badRun.code).toBe(2);
    expect(badRun.stderr).toMatch(/package\.json is not valid JSON/);
  });
});
