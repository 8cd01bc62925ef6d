/** How a check ends: the exit codes every command shares. */

/** Exit codes shared by every command. */
export const EXIT = { pass: 0, leak: 1, usage: 2, infrastructure: 3, interrupted: 130 } as const;
