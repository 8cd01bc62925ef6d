import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { once } from 'node:events';
import {
  descendantsIn,
  listProcesses,
  parseProcStat,
  parsePsOutput,
  processTableSource,
  PROCESS_TABLE_ENV,
  type ProcessEntry,
  type ProcessTableSource,
} from '../../src/target/process-table';
import { descendants } from '../../src/target/process';

const hasProc = fs.existsSync('/proc/self/stat');

describe('process table parsing', () => {
  test('a /proc stat line whose name holds spaces and parentheses', () => {
    const line = '4242 (my (odd) name) S 17 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 987654 1 2 3';
    expect(parseProcStat(line)).toEqual({
      pid: 4242,
      ppid: 17,
      pgid: 4242,
      sid: 4242,
      start: '987654',
      name: 'my (odd) name',
    });
    expect(parseProcStat('garbage')).toBeNull();
  });

  test('ps output with a five-word lstart, skipping lines it cannot read', () => {
    const text = [
      '    1     0     1     1 Sun Nov 29 09:00:01 2026 init',
      ' 4652  4645  4652  4652 Sun Nov  1 14:37:06 2026 node server.js',
      'not a process line',
      '',
    ].join('\n');
    expect(parsePsOutput(text)).toEqual([
      { pid: 1, ppid: 0, pgid: 1, sid: 1, start: 'Sun Nov 29 09:00:01 2026', name: 'init' },
      {
        pid: 4652,
        ppid: 4645,
        pgid: 4652,
        sid: 4652,
        start: 'Sun Nov 1 14:37:06 2026',
        name: 'node server.js',
      },
    ]);
  });

  test('descendants come parents first and a cycle does not loop', () => {
    const entry = (pid: number, ppid: number): ProcessEntry => ({
      pid,
      ppid,
      pgid: 1,
      sid: 1,
      start: '0',
      name: 'x',
    });
    const table = [entry(2, 1), entry(3, 2), entry(4, 3), entry(5, 9), entry(9, 5)];
    expect(descendantsIn(table, 1).map((e) => e.pid)).toEqual([2, 3, 4]);
    expect(descendantsIn(table, 5).map((e) => e.pid)).toEqual([9]);
  });

  test('the environment switch selects the reader', () => {
    expect(processTableSource({ [PROCESS_TABLE_ENV]: 'ps' })).toBe('ps');
    expect(processTableSource({ [PROCESS_TABLE_ENV]: 'proc' })).toBe('proc');
    expect(processTableSource({})).toBe(hasProc ? 'proc' : 'ps');
  });
});

describe.each<ProcessTableSource>(hasProc ? ['proc', 'ps'] : ['ps'])(
  'the %s reader on a real tree',
  (source) => {
    let parent: ChildProcess | undefined;

    afterEach(async () => {
      if (parent?.pid !== undefined && parent.exitCode === null && parent.signalCode === null) {
        process.kill(-parent.pid, 'SIGKILL');
        await once(parent, 'exit');
      }
    });

    test('sees this process and a grandchild in a group of its own', async () => {
      // A detached shell (its own group and session) that starts a sleeping grandchild.
      parent = spawn('sh', ['-c', 'sleep 30 & echo $!; wait'], {
        detached: true,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const [chunk] = (await once(parent.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
      const grandchild = Number(chunk.toString().trim());
      const table = listProcesses(source);
      const self = table.find((e) => e.pid === process.pid);
      expect(self?.ppid).toBe(process.ppid);
      const tree = descendantsIn(table, parent.pid as number);
      const leaf = tree.find((e) => e.pid === grandchild);
      expect(leaf).toMatchObject({ ppid: parent.pid, pgid: parent.pid, sid: parent.pid });
      expect(leaf?.start).toBeTruthy();
      // The same process read twice keeps its start token.
      expect(listProcesses(source).find((e) => e.pid === grandchild)?.start).toBe(leaf?.start);
    });

    test('process.ts finds the same descendants through the switch', async () => {
      parent = spawn('sh', ['-c', 'sleep 30 & echo $!; wait'], {
        detached: true,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const [chunk] = (await once(parent.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
      const grandchild = Number(chunk.toString().trim());
      const before = process.env[PROCESS_TABLE_ENV];
      process.env[PROCESS_TABLE_ENV] = source;
      try {
        expect(descendants(parent.pid as number)).toContain(grandchild);
      } finally {
        if (before === undefined) delete process.env[PROCESS_TABLE_ENV];
        else process.env[PROCESS_TABLE_ENV] = before;
      }
    });
  },
);
