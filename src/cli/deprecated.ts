/**
 * Renamed flags keep working for one release: the old spelling is a hidden option that fills in
 * the new one and prints one deprecation line (CHANGELOG.md has the migration notes).
 */
import { Option, type Command } from 'commander';

/** The release in which the old spellings go. */
export const REMOVED_IN = '0.3.0';

/**
 * Adds `oldFlags` (e.g. `'--replay-format <format>'`) as a hidden alias of `current`, which must
 * already be added to `cmd`. Given both, the new spelling wins.
 */
export function addRenamedOption(cmd: Command, oldFlags: string, current: Option): void {
  const old = new Option(oldFlags, `deprecated: use ${current.long}`).hideHelp();
  if (current.parseArg) old.argParser(current.parseArg);
  cmd.addOption(old);
  cmd.hook('preAction', (self) => {
    const value: unknown = self.getOptionValue(old.attributeName());
    if (value === undefined) return;
    process.stderr.write(
      `leakcheck: ${old.long} is deprecated and goes in ${REMOVED_IN}; use ${current.long} (same value)\n`,
    );
    if (self.getOptionValueSource(current.attributeName()) !== 'cli') {
      self.setOptionValueWithSource(current.attributeName(), value, 'cli');
    }
  });
}
