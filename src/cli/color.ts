/**
 * Whether output gets ANSI colours. Order, as Node's own tty.hasColors() and the no-color.org
 * convention have it: the `--color`/`--no-color` flag, then FORCE_COLOR (0 or false: off, any
 * other value: on), then NO_COLOR (set and not empty: off), then whether the stream is a terminal
 * that is not TERM=dumb.
 */
import type { Command } from 'commander';

/** Adds `--color` and `--no-color` to a command (unset unless given). */
export function addColorOptions(cmd: Command): void {
  cmd.option('--color', 'colour the output even when it is not a terminal (also FORCE_COLOR=1)');
  cmd.option('--no-color', 'no colours (also NO_COLOR=1)');
}

/**
 * @param flag - the command's `color` option: true (--color), false (--no-color) or undefined
 * @param stream - where the coloured text goes
 * @param env - environment (FORCE_COLOR, NO_COLOR, TERM)
 */
export function useColor(
  flag: boolean | undefined,
  stream: { isTTY?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (flag !== undefined) return flag;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR) return false;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}
