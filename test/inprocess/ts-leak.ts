/**
 * A leak written in TypeScript, for the source-map tests: the compiled code's lines differ from
 * these (imports, exports and types are rewritten or removed), so the allocation site can only
 * name the right line through a source map (tsx's, which Node keeps, or ts-jest's inline one).
 */
import type { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';

/** What is retained per call: a linked list, so growth is smooth (no array doubling steps). */
interface Entry {
  next: Entry | null;
  id: number;
  tags: readonly string[];
  source?: EventEmitter;
}

let retained: Entry | null = null;

/** Retains one entry per call, forever. */
export function leakTs(call: number): void {
  retained = { next: retained, id: call, tags: ['a', `${call}`] };
}

/** This file, and the line `function leakTs` is defined on (what the reported site must say). */
export const LEAK_TS_FILE = __filename;
export const LEAK_TS_LINE =
  readFileSync(__filename, 'utf8')
    .split('\n')
    .findIndex((line) => line.startsWith('export function leakTs(')) + 1;

/** Drops everything retained so far. */
export function releaseTs(): void {
  retained = null;
}
