/**
 * Bad replay input through the built CLI: exit 2 with one line before anything starts, and the same
 * line from `leakcheck traffic import` for the same file. No service is started (the command given
 * would exit 9 if it were), so this file is in the jest project `quiet` (jest.config.js).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, runCli } from './helpers';

const LOG = path.join(ROOT, 'fixtures', 'traffic', 'combined.log');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-traffic-input-'));

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('bad replay input is exit 2 before anything starts', () => {
  test.each([
    ['an empty file', '', [], /the file is empty; expected an nginx\/Apache combined/],
    [
      'binary garbage',
      Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 17) % 256)),
      [],
      /not a log format leakcheck recognises/,
    ],
    [
      'a named format that does not fit',
      'hello\nworld\n',
      ['--input-format', 'alb'],
      /no request could be read from 2 lines; expected AWS ALB/,
    ],
    [
      'a traffic.json without a sequence, replayed verbatim',
      '',
      ['--verbatim'],
      /no request sequence for --verbatim/,
    ],
    [
      'a broken traffic.json',
      '{"kind": "leakcheck-traffic", "version": 1, "endpoints": []}',
      [],
      /: source: /,
    ],
  ] as const)('%s', async (name, content, extra, message) => {
    let file = path.join(tmp, `${name.replace(/\W+/g, '-')}.log`);
    if (name.includes('without a sequence')) {
      file = path.join(tmp, 'plain.json');
      const imported = await runCli(['traffic', 'import', LOG, '-o', file]);
      expect(imported.code).toBe(0);
    } else fs.writeFileSync(file, content);
    const run = await runCli(['run', '--replay', file, ...extra, '--', 'node', '-e', 'process.exit(9)']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.report).toBeNull();
    if (name.includes('sequence')) return;
    // The same file, imported on its own: the same one-line error.
    const format = extra[0] === '--input-format' ? ['--input-format', extra[1] as string] : [];
    const imported = await runCli(['traffic', 'import', file, '-o', path.join(tmp, 'never.json'), ...format]);
    expect(imported.code).toBe(2);
    expect(imported.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(path.join(tmp, 'never.json'))).toBe(false);
  });
});
