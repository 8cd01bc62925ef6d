import { Command } from 'commander';
import { guardPlatform, unsupportedLine } from '../../src/cli/platform';

function program(ran: string[]): Command {
  const p = new Command('leakcheck').exitOverride();
  for (const name of ['run', 'compare', 'report']) p.command(name).action(() => void ran.push(name));
  return p;
}

describe('Windows', () => {
  test('run and compare stop with one line naming what is unsupported; report works', () => {
    const ran: string[] = [];
    const p = program(ran);
    guardPlatform(p, 'win32');
    const exit = jest.spyOn(process, 'exit').mockImplementation(((code?: number) => {
      throw new Error(`exit ${code}`);
    }) as typeof process.exit);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(() => p.parse(['node', 'leakcheck', 'run'])).toThrow('exit 3');
      expect(stderr).toHaveBeenCalledWith(unsupportedLine('run') + '\n');
      expect(() => p.parse(['node', 'leakcheck', 'compare'])).toThrow('exit 3');
      p.parse(['node', 'leakcheck', 'report']);
      expect(ran).toEqual(['report']);
    } finally {
      exit.mockRestore();
      stderr.mockRestore();
    }
  });

  test('Linux and macOS are untouched', () => {
    const ran: string[] = [];
    const p = program(ran);
    guardPlatform(p, 'darwin');
    p.parse(['node', 'leakcheck', 'run']);
    expect(ran).toEqual(['run']);
  });
});
