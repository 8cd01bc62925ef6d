#!/usr/bin/env node
/** The leakcheck command line. Each command lives in its own file; this one only wires them. */
import { Command, CommanderError } from 'commander';
import { registerRun } from './run';
import { registerReport } from './report';
import { registerInit } from './init';
import { registerCompare } from './compare';
import { registerBisect } from './bisect';
import { registerTraffic } from './traffic';
import { registerWatch } from './watch';
import { registerAlerts } from './alerts';
import { toolVersion } from './version';
import { addColorOptions } from './color';
import { addHelpTexts } from './help';
import { guardPlatform } from './platform';
import { EXIT } from '../outcome';

/** Builds the program (exported for tests). */
export function buildProgram(): Command {
  const program = new Command('leakcheck')
    .description('Catch memory and resource leaks in Node.js services before they ship.')
    .version(toolVersion())
    .exitOverride()
    .showHelpAfterError(false);
  registerRun(program);
  registerReport(program);
  registerInit(program);
  registerCompare(program);
  registerBisect(program);
  registerTraffic(program);
  registerWatch(program);
  registerAlerts(program);
  forEachCommand(program, (cmd) => {
    cmd.exitOverride();
    // Every command takes the colour flags, also those that print no colour today (one vocabulary).
    if (cmd.commands.length === 0) addColorOptions(cmd);
  });
  addHelpTexts(program);
  guardPlatform(program);
  return program;
}

function forEachCommand(cmd: Command, fn: (cmd: Command) => void): void {
  for (const sub of cmd.commands) {
    fn(sub);
    forEachCommand(sub, fn);
  }
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version end here with code 0; every usage error with 2 (commander printed it).
      process.exitCode = err.exitCode === 0 ? 0 : EXIT.usage;
      return;
    }
    process.stderr.write(
      `leakcheck: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = EXIT.infrastructure;
  }
}

if (require.main === module) void main(process.argv);
