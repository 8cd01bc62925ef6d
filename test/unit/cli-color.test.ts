import { useColor } from '../../src/cli/color';

describe('colour', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };

  test('a terminal gets colours, a pipe or TERM=dumb does not', () => {
    expect(useColor(undefined, tty, {})).toBe(true);
    expect(useColor(undefined, pipe, {})).toBe(false);
    expect(useColor(undefined, tty, { TERM: 'dumb' })).toBe(false);
  });

  test('NO_COLOR turns them off unless empty', () => {
    expect(useColor(undefined, tty, { NO_COLOR: '1' })).toBe(false);
    expect(useColor(undefined, tty, { NO_COLOR: '' })).toBe(true);
  });

  test('FORCE_COLOR turns them on (0 or false: off) and outranks NO_COLOR', () => {
    expect(useColor(undefined, pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(useColor(undefined, pipe, { FORCE_COLOR: '' })).toBe(true);
    expect(useColor(undefined, tty, { FORCE_COLOR: '0' })).toBe(false);
    expect(useColor(undefined, tty, { FORCE_COLOR: 'false' })).toBe(false);
    expect(useColor(undefined, pipe, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(true);
  });

  test('--color and --no-color outrank the environment', () => {
    expect(useColor(true, pipe, { NO_COLOR: '1' })).toBe(true);
    expect(useColor(false, tty, { FORCE_COLOR: '1' })).toBe(false);
  });
});
