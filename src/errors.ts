/** Errors that are the user's input, not leakcheck's bug. */

/** The command line or config asked for something impossible. */
export class UsageError extends Error {}
