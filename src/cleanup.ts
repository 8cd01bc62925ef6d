/**
 * Cleanup that must happen even when leakcheck cannot finish in order: a second Ctrl-C, a signal
 * while a step hangs, an uncaught error, or the end of the process. Whatever leaves something
 * behind (the target's process tree, the agent channel's temporary folder, a compare worktree, an
 * install) registers a synchronous undo here while it exists and unregisters when it has cleaned
 * up in order. On a forced exit the undos run newest first: the target is stopped before the
 * folders it may write to are removed.
 */

const undos: Array<() => void> = [];
let installed = false;

/**
 * Registers a synchronous cleanup for a forced exit (and for the process's `exit` event).
 *
 * @param undo - must not throw, must not wait
 * @returns a function that unregisters it (call it once the resource is cleaned up in order)
 */
export function onForcedExit(undo: () => void): () => void {
  if (!installed) {
    installed = true;
    process.once('exit', runForcedCleanup);
  }
  undos.push(undo);
  return () => {
    const i = undos.lastIndexOf(undo);
    if (i >= 0) undos.splice(i, 1);
  };
}

/** Runs every registered cleanup now, newest first, each at most once. Never throws. */
export function runForcedCleanup(): void {
  while (undos.length > 0) {
    const undo = undos.pop() as () => void;
    try {
      undo();
    } catch {
      // The next cleanup still runs.
    }
  }
}

/** How many cleanups are registered (tests). */
export function pendingCleanups(): number {
  return undos.length;
}
