/**
 * Channel folders of a SIGKILLed harness are removed by the next run; nothing else is: not a
 * folder whose owner still runs, not one without an owner file, not other names.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { claimFolder, removeAbandonedFolders } from '../../src/target/abandoned';
import type { ProcessEntry } from '../../src/target/process-table';

const entry = (pid: number, start: string): ProcessEntry => ({
  pid,
  ppid: 1,
  pgid: pid,
  sid: pid,
  start,
  name: 'node',
});

describe('folders of a harness that was killed', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lc-abandoned-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const folder = (name: string, owner?: string): string => {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'agent.sock'), '');
    if (owner !== undefined) fs.writeFileSync(path.join(dir, 'owner'), owner);
    return dir;
  };

  test('go when their owner is gone or its pid was reused; stay otherwise', () => {
    const table = [entry(1, '1'), entry(process.pid, '500'), entry(4242, '900')];
    const dead = folder('leakcheck-aaaaaa', '31337 700\n');
    const reused = folder('leakcheck-bbbbbb', '4242 800\n'); // pid 4242 now started at 900
    const running = folder('leakcheck-cccccc', '4242 900\n');
    const mine = folder('leakcheck-dddddd');
    claimFolder(mine, table);
    const unowned = folder('leakcheck-eeeeee');
    const other = folder('leakcheck-test-ffffff', '31337 700\n');
    expect(fs.readFileSync(path.join(mine, 'owner'), 'utf8')).toBe(`${process.pid} 500\n`);
    expect(removeAbandonedFolders(tmp, table).sort()).toEqual([dead, reused]);
    for (const kept of [running, mine, unowned, other]) expect(fs.existsSync(kept)).toBe(true);
    expect(fs.existsSync(dead) || fs.existsSync(reused)).toBe(false);
  });

  test('nothing is removed when the process table cannot be read', () => {
    const dead = folder('leakcheck-gggggg', '31337 700\n');
    expect(removeAbandonedFolders(tmp, [])).toEqual([]);
    expect(fs.existsSync(dead)).toBe(true);
  });
});
