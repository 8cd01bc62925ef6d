/**
 * Platforms. leakcheck runs on Linux and macOS. On Windows the commands that start a service
 * under test stop at once with one line saying why: they start the service in a process group of
 * its own and stop that whole group (and its descendants) with POSIX signals, which Windows does
 * not have. The commands that only read or write files and query Prometheus work everywhere.
 */
import type { Command } from 'commander';
import { EXIT } from '../outcome';

/** Commands that start and stop a service under test. */
export const NEEDS_POSIX: readonly string[] = ['run', 'compare', 'bisect'];

/** The one line shown on Windows for a command in {@link NEEDS_POSIX}. */
export function unsupportedLine(command: string): string {
  return (
    `leakcheck ${command} is not supported on Windows: it stops the service under test as a process ` +
    'group with POSIX signals. Use WSL 2, or a Linux or macOS machine or CI runner; report, init, ' +
    'traffic import, watch and alerts work on Windows.'
  );
}

/** Stops the commands that cannot work on this platform before they start anything. */
export function guardPlatform(program: Command, platform: NodeJS.Platform = process.platform): void {
  if (platform !== 'win32') return;
  for (const cmd of program.commands) {
    if (!NEEDS_POSIX.includes(cmd.name())) continue;
    cmd.hook('preAction', () => {
      process.stderr.write(unsupportedLine(cmd.name()) + '\n');
      process.exit(EXIT.infrastructure);
    });
  }
}
