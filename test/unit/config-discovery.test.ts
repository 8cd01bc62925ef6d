import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, findConfigFile, loadConfig } from '../../src/config/load';
import { configJsonSchema } from '../../src/config/json-schema';

/** A temp tree: keys are paths relative to the root ('x/' makes a folder). */
function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-discovery-'));
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(root, name);
    fs.mkdirSync(name.endsWith('/') ? file : path.dirname(file), { recursive: true });
    if (!name.endsWith('/')) fs.writeFileSync(file, text);
  }
  return root;
}

const cfg = (connections: number): string =>
  JSON.stringify({ command: ['node', 's.js'], traffic: { connections } });

describe('config discovery', () => {
  test('walks up from a package to the repository root', async () => {
    const root = tree({ '.git/': '', 'leakcheck.config.json': cfg(3), 'packages/api/src/': '' });
    const { config, file, baseDir } = await loadConfig({ cwd: path.join(root, 'packages/api/src') });
    expect(file).toBe(path.join(root, 'leakcheck.config.json'));
    expect(baseDir).toBe(root);
    expect(config.traffic.connections).toBe(3);
  });

  test('the nearest folder wins over the root', () => {
    const root = tree({
      '.git/': '',
      'leakcheck.config.json': cfg(3),
      'packages/api/leakcheck.config.yml': 'traffic:\n  connections: 5\n',
    });
    expect(findConfigFile(path.join(root, 'packages/api'))).toBe(
      path.join(root, 'packages/api/leakcheck.config.yml'),
    );
  });

  test('stops at the folder holding .git (a .git file of a worktree counts too)', () => {
    const outer = tree({
      'leakcheck.config.json': cfg(3),
      'repo/.git': 'gitdir: elsewhere\n',
      'repo/sub/': '',
    });
    expect(findConfigFile(path.join(outer, 'repo/sub'))).toBeNull();
  });

  test('package.json without a leakcheck key is passed over, with one it is a hit', () => {
    const root = tree({
      '.git/': '',
      'leakcheck.config.json': cfg(3),
      'pkg/package.json': JSON.stringify({ name: 'x' }),
      'other/package.json': JSON.stringify({ name: 'y', leakcheck: { traffic: { connections: 7 } } }),
    });
    expect(findConfigFile(path.join(root, 'pkg'))).toBe(path.join(root, 'leakcheck.config.json'));
    expect(findConfigFile(path.join(root, 'other'))).toBe(path.join(root, 'other/package.json'));
  });

  test.each([
    ['leakcheck.config.cjs', 'module.exports = { traffic: { connections: 6 } };\n'],
    ['leakcheck.config.js', 'module.exports = { traffic: { connections: 6 } };\n'],
  ])('loads %s', async (name, text) => {
    const root = tree({ '.git/': '', [name]: text });
    const { config, file } = await loadConfig({ cwd: root });
    expect(file).toBe(path.join(root, name));
    expect(config.traffic.connections).toBe(6);
  });

  test('a YAML syntax error names the file and the line', async () => {
    const root = tree({ '.git/': '', 'leakcheck.config.yaml': 'traffic:\n  connections: [4\n' });
    const err = await loadConfig({ cwd: root }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^leakcheck\.config\.yaml: could not read the config: line \d+: /);
  });

  test('$schema in a JSON config is accepted and is not a setting', async () => {
    const root = tree({
      '.git/': '',
      'leakcheck.config.json': JSON.stringify({
        $schema: './node_modules/leakcheck/dist/config.schema.json',
        traffic: { connections: 2 },
      }),
    });
    const { config } = await loadConfig({ cwd: root });
    expect(config.traffic.connections).toBe(2);
    expect('$schema' in config).toBe(false);
  });
});

describe('the JSON schema', () => {
  test('the build writes dist/config.schema.json from the zod schema', () => {
    const built = JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', '..', 'dist', 'config.schema.json'), 'utf8'),
    ) as unknown;
    expect(built).toEqual(configJsonSchema());
  });

  test('names the fields, closes the object and allows $schema', () => {
    const schema = configJsonSchema() as {
      properties: Record<string, unknown>;
      additionalProperties: unknown;
    };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['$schema', 'command', 'traffic', 'analysis']),
    );
    expect(schema.additionalProperties).toBe(false);
    expect(JSON.stringify(schema)).not.toContain('starts_with');
  });
});
