import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig, ConfigError } from '../../src/config/load';
import { shapePeriodSeconds } from '../../src/config/adapt';
import { configSchema } from '../../src/config/schema';

function dirWith(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-config-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loading the configuration', () => {
  test('defaults with no file', async () => {
    const { config, file } = await loadConfig({ cwd: dirWith({}) });
    expect(file).toBeNull();
    expect(config.traffic.users).toBe(15_000);
    expect(config.traffic.connections).toBe(10);
    expect(config.run.samples).toBe(18);
    expect(config.analysis.confidence).toBe(0.95);
    expect(config.out).toBe('.leakcheck');
  });

  test.each([
    ['leakcheck.config.json', JSON.stringify({ command: ['node', 's.js'], traffic: { connections: 4 } })],
    ['leakcheck.config.yaml', 'command: [node, s.js]\ntraffic:\n  connections: 4\n'],
    [
      'package.json',
      JSON.stringify({ name: 'x', leakcheck: { command: ['node', 's.js'], traffic: { connections: 4 } } }),
    ],
  ])('finds %s', async (name, text) => {
    const dir = dirWith({ [name]: text });
    const { config, file, baseDir } = await loadConfig({ cwd: dir });
    expect(file).toBe(path.join(dir, name));
    expect(baseDir).toBe(dir);
    expect(config.command).toEqual(['node', 's.js']);
    expect(config.traffic.connections).toBe(4);
  });

  test('finds leakcheck.config.mjs (loaded by real Node: jest cannot import ES modules)', () => {
    const dir = dirWith({
      'leakcheck.config.mjs': "export default { command: ['node', 's.js'], traffic: { connections: 4 } };\n",
    });
    const loader = path.resolve(__dirname, '..', '..', 'dist', 'config', 'load.js');
    const script = `require(${JSON.stringify(loader)}).loadConfig({ cwd: ${JSON.stringify(dir)} }).then((r) => console.log(JSON.stringify(r)))`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as {
      file: string;
      config: { command: string[]; traffic: { connections: number } };
    };
    expect(out.file).toBe(path.join(dir, 'leakcheck.config.mjs'));
    expect(out.config.command).toEqual(['node', 's.js']);
    expect(out.config.traffic.connections).toBe(4);
  });

  test('flags override the file, field by field', async () => {
    const dir = dirWith({
      'leakcheck.config.json': JSON.stringify({ traffic: { connections: 4, users: 7 } }),
    });
    const { config } = await loadConfig({
      cwd: dir,
      overrides: { traffic: { connections: 9, users: undefined } },
    });
    expect(config.traffic.connections).toBe(9);
    expect(config.traffic.users).toBe(7);
  });

  test('a wrong type names the file and the field', async () => {
    const dir = dirWith({ 'leakcheck.config.json': JSON.stringify({ traffic: { connections: 'ten' } }) });
    const msg = await errorOf(loadConfig({ cwd: dir }));
    expect(msg).toMatch(/^leakcheck\.config\.json: traffic\.connections: /);
    expect(msg).not.toContain('\n');
  });

  test('an unknown field is named', async () => {
    const dir = dirWith({ 'leakcheck.config.json': JSON.stringify({ trafic: {} }) });
    expect(await errorOf(loadConfig({ cwd: dir }))).toBe("leakcheck.config.json: unknown field 'trafic'");
  });

  test('a bad request in the scenario is named by index', async () => {
    const dir = dirWith({
      'leakcheck.config.json': JSON.stringify({
        traffic: { requests: [{ path: '/' }, { path: 'no-slash' }] },
      }),
    });
    expect(await errorOf(loadConfig({ cwd: dir }))).toBe(
      'leakcheck.config.json: traffic.requests[1].path: expected a path starting with /',
    );
  });

  test('invalid JSON is one line naming the file', async () => {
    const dir = dirWith({ 'leakcheck.config.json': '{ "traffic": ' });
    const msg = await errorOf(loadConfig({ cwd: dir }));
    expect(msg).toMatch(/leakcheck\.config\.json/);
    expect(msg).not.toContain('\n');
  });

  test('a missing explicit file is named', async () => {
    const dir = dirWith({});
    expect(await errorOf(loadConfig({ cwd: dir, explicitFile: 'nope.json' }))).toBe(
      'nope.json: config file not found',
    );
  });

  test('bad flag values are named as command-line input', async () => {
    const msg = await errorOf(loadConfig({ cwd: dirWith({}), overrides: { analysis: { confidence: 2 } } }));
    expect(msg).toMatch(/^command line: analysis\.confidence: /);
  });
});

describe('the period of a rate shape (--pace-from-log)', () => {
  const parse = (run: Record<string, number>): ReturnType<typeof configSchema.parse> =>
    configSchema.parse({ command: ['node', 's.js'], run });

  test('a sequential run sees the whole curve by its first look: warm-up and minimum window', () => {
    // Defaults: 1 s warm-up, 6 s minimum window, 60 s budget; the budget would leave a run that
    // stops at its first look with the curve's first tenth.
    expect(shapePeriodSeconds(parse({}))).toBe(7);
    expect(shapePeriodSeconds(parse({ warmupSeconds: 2, minDurationSeconds: 10 }))).toBe(12);
  });

  test('a fixed window replays it once: warm-up and window', () => {
    expect(shapePeriodSeconds(parse({ warmupSeconds: 2, durationSeconds: 8 }))).toBe(10);
    // Bounded by requests: the fixed window's default seconds (3 + 10).
    expect(shapePeriodSeconds(parse({ requests: 30_000 }))).toBe(13);
  });
});
