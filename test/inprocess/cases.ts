/**
 * Known-answer cases for in-process detection: the fixtures under fixtures/unit/, each with the
 * outcome it must get. Shared by the jest tests, the worker that runs detections off jest's heap
 * (detect-worker.ts) and the benchmark.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { middlewareCall, type DetectLeakOptions, type LeakTestFunction } from '../../src/inprocess';
import { auth as incidentAuth, bus as incidentBus } from '../../fixtures/unit/incident-auth.js';
import { auth as cleanAuth } from '../../fixtures/unit/clean-auth.js';
import { auth as boundedAuth, cache as boundedCache } from '../../fixtures/unit/bounded-cache.js';
import { createClean, createLeak200 } from '../../fixtures/unit/exact-leak.js';
import { createArrayLeak } from '../../fixtures/unit/array-leak.js';
import { leakTs, releaseTs } from './ts-leak';

/** One case: a fresh function under test per detection, and the outcome it must get. */
export interface LeakCase {
  /** The verdict it must get, or `error` when detectLeak must reject. */
  expected: 'leak' | 'pass' | 'error';
  /** Builds the function, resetting the fixture's module state where it has any. */
  make: () => LeakTestFunction;
  /** Options the case needs (the defaults otherwise). */
  options?: DetectLeakOptions;
}

/** The incident fixture's file, and the line `function auth` is defined on (its reported site). */
export const INCIDENT_FILE = path.resolve(__dirname, '../../fixtures/unit/incident-auth.js');
export const INCIDENT_AUTH_LINE =
  fs
    .readFileSync(INCIDENT_FILE, 'utf8')
    .split('\n')
    .findIndex((line) => line.startsWith('function auth(')) + 1;

/** Calls at which the `throws-at-50` case throws. */
export const THROW_AT_CALL = 50;

const DEFINED = {
  'incident-auth': {
    expected: 'leak',
    make: () => {
      // Drop what earlier detections leaked, so each one starts from the same heap.
      incidentBus.removeAllListeners();
      return middlewareCall(incidentAuth);
    },
  },
  'clean-auth': { expected: 'pass', make: () => middlewareCall(cleanAuth) },
  'bounded-cache': {
    expected: 'pass',
    make: () => {
      boundedCache.clear();
      return middlewareCall(boundedAuth);
    },
  },
  // No warm-up: the cache fills inside the measured window, then stays flat.
  'bounded-cache-cold': {
    expected: 'pass',
    make: () => {
      boundedCache.clear();
      return middlewareCall(boundedAuth);
    },
    options: { warmup: 0 },
  },
  'leak-200': { expected: 'leak', make: () => createLeak200().leak200 },
  // A staircase: the heap is level between the array store's enlargements.
  'array-leak': { expected: 'leak', make: () => createArrayLeak().leakNumbers },
  'clean-200': { expected: 'pass', make: () => createClean().clean },
  'leak-200-async': {
    expected: 'leak',
    make: () => {
      const { leak200 } = createLeak200();
      return async () => {
        await Promise.resolve();
        leak200();
      };
    },
  },
  // Written in TypeScript: the site must be mapped back to the .ts line.
  'leak-ts': {
    expected: 'leak',
    make: () => {
      releaseTs();
      return leakTs;
    },
  },
  'throws-at-50': {
    expected: 'error',
    make: () => (call: number) => {
      if (call === THROW_AT_CALL - 1) throw new Error(`boom at call ${THROW_AT_CALL}`);
    },
  },
} satisfies Record<string, LeakCase>;

/** A case name. */
export type CaseName = keyof typeof DEFINED;

/** Every case by name. */
export const CASES: Readonly<Record<CaseName, LeakCase>> = DEFINED;
