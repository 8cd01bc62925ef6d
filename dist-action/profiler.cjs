// @ts-check
'use strict';
/**
 * Allocation profiling and heap snapshots for the leakcheck agent. Runs inside other people's
 * services, so: no dependencies, nothing loaded until the harness sends a profiler command (the
 * inspector is required on first use), and every failure becomes an error reply, never an exception
 * in the service.
 *
 * Commands (registered on the agent's `handlers` map):
 * - `profiler.start { samplingInterval }`: start V8's sampling heap profiler (live objects only);
 *   answers `{ samplingInterval, requests, since }`, `since` the requests served when sampling began.
 * - `profiler.profile { gc }`: the live-object profile so far, after a full GC when `gc` is true.
 * - `profiler.stop`: stop sampling and close the inspector session.
 * - `profiler.scripts`: id, url and source map URL (inline `data:` maps included) of every loaded
 *   script outside Node itself, read from the debugger's script list, disabled again at once.
 * - `profiler.snapshot { dir, name }`: write a heap snapshot into `dir` (which must exist).
 * - `profiler.noInlining`: switch TurboFan inlining off and deoptimise all optimised code, so that
 *   from then on allocations are attributed to the function that makes them: the profiler records
 *   only the outermost function of an optimised frame, so a small leaking function inlined into
 *   its caller would be blamed on the caller. The harness asks for it once a leak is called, not
 *   before: inlining off costs 10-22% of throughput, which detection would pay on every run.
 *
 * With LEAKCHECK_AGENT_ATTRIBUTION=<sampling interval> in the environment (the harness sets it when
 * attribution runs in the measured process), sampling starts at preload; inlining stays on. With
 * `<sampling interval>,no-inlining` (the process the harness starts for attribution after a leak
 * verdict), inlining is switched off at preload too.
 */

/** @typedef {(args: Record<string, unknown>) => unknown} Handler */
/** @typedef {{ post: (method: string, params?: object, cb?: (err: Error | null, result?: any) => void) => void, connect: () => void, disconnect: () => void, on: (event: string, fn: (msg: any) => void) => void, removeListener: (event: string, fn: (msg: any) => void) => void }} InspectorSession */

/**
 * Registers the profiler commands.
 *
 * @param {Map<string, Handler>} handlers - the agent's command table
 * @param {{ requests: () => number, forcedGc?: (t0: number, t1: number) => void, beforeSnapshot?: () => void }} hooks -
 *   how to read the agent's served-request counter, how to tell it about a GC the profiler forced,
 *   and what to drop before a snapshot (the agent's own reference to the latest response)
 */
function register(handlers, hooks) {
  /** @type {InspectorSession | null} */
  let session = null;
  let sampling = false;

  function open() {
    if (session) return session;
    const inspector = require('inspector');
    const s = /** @type {InspectorSession} */ (/** @type {unknown} */ (new inspector.Session()));
    s.connect();
    session = s;
    return s;
  }

  /**
   * @param {string} method
   * @param {object} [params]
   * @returns {Promise<any>}
   */
  function post(method, params) {
    const s = open();
    return new Promise((resolve, reject) => {
      s.post(method, params || {}, (err, result) => (err ? reject(err) : resolve(result)));
    });
  }

  /** @type {number} */
  let samplingInterval = 0;
  /** Requests served when sampling (re)started: what a live-object profile can have seen. */
  let samplingSince = 0;
  /** @type {Promise<void>} */
  let starts = Promise.resolve();
  /**
   * One start at a time: the preload's start may still be under way when the harness asks.
   * @param {unknown} value
   */
  function startSampling(value) {
    const next = starts.then(() => startNow(value));
    starts = next.catch(() => undefined);
    return next;
  }
  /** @param {unknown} value */
  async function startNow(value) {
    const interval = Number(value);
    const wanted = Number.isFinite(interval) && interval >= 1 ? Math.round(interval) : 32768;
    // Already sampling at that interval (since preload): keep the objects tracked so far.
    if (sampling && wanted === samplingInterval) return;
    if (sampling) await post('HeapProfiler.stopSampling');
    await post('HeapProfiler.enable');
    // Defaults keep only objects still alive: the live-object profile, not every allocation.
    await post('HeapProfiler.startSampling', { samplingInterval: wanted });
    sampling = true;
    samplingInterval = wanted;
    samplingSince = hooks.requests();
  }

  handlers.set('profiler.start', async (args) => {
    await startSampling(args.samplingInterval);
    return { samplingInterval, requests: hooks.requests(), since: samplingSince };
  });

  handlers.set('profiler.profile', async (args) => {
    if (!sampling) throw new Error('the sampling heap profiler is not running');
    // A full GC first, so the profile holds what is retained rather than what is merely unswept.
    if (args.gc !== false) {
      const t0 = performance.now();
      await post('HeapProfiler.collectGarbage');
      if (hooks.forcedGc) hooks.forcedGc(t0, performance.now());
    }
    const requests = hooks.requests();
    const result = await post('HeapProfiler.getSamplingProfile');
    return { requests, profile: result.profile };
  });

  handlers.set('profiler.stop', async () => {
    if (sampling) await post('HeapProfiler.stopSampling').catch(() => undefined);
    sampling = false;
    const s = session;
    session = null;
    if (s) {
      try {
        s.disconnect();
      } catch {
        // already gone
      }
    }
    return { stopped: true };
  });

  handlers.set('profiler.scripts', async () => {
    /** @type {Array<{ scriptId: string, url: string, sourceMapURL: string }>} */
    const scripts = [];
    const s = open();
    /** @param {{ method: string, params: { scriptId: string, url: string, sourceMapURL?: string } }} msg */
    const onScript = (msg) => {
      try {
        if (msg.method !== 'Debugger.scriptParsed') return;
        const p = msg.params;
        if (!p.url || p.url.startsWith('node:')) return;
        // Dependencies' maps are not needed (their frames are not the user's) and can be large.
        const map = /[\\/]node_modules[\\/]/.test(p.url) ? '' : p.sourceMapURL || '';
        scripts.push({ scriptId: p.scriptId, url: p.url, sourceMapURL: map });
      } catch {
        // a malformed notification is skipped
      }
    };
    // Enabling the debugger replays scriptParsed for every loaded script; it is switched off again
    // straight away so the service runs without it.
    s.on('inspectorNotification', onScript);
    try {
      await post('Debugger.enable');
    } finally {
      await post('Debugger.disable').catch(() => undefined);
      s.removeListener('inspectorNotification', onScript);
    }
    return { scripts };
  });

  const early = process.env.LEAKCHECK_AGENT_ATTRIBUTION;
  if (early) {
    const [interval, inlining] = early.split(',');
    // The process attribution runs in after a leak verdict: inlining off before any code is
    // optimised, so no deopt is needed later (see profiler.noInlining).
    if (inlining === 'no-inlining') require('v8').setFlagsFromString('--no-turbo-inlining');
    // Sampling from preload on: an object only shows in a live-object profile if it was sampled
    // when allocated. Started later, a bounded cache that replaces entries allocated before the
    // start would look like growth (new entries tracked, the evicted ones never were).
    startSampling(interval).catch(() => {
      sampling = false;
    });
  }

  handlers.set('profiler.noInlining', async () => {
    require('v8').setFlagsFromString('--no-turbo-inlining');
    // Starting precise coverage makes V8 deoptimise every optimised function (inlined code would
    // not count calls); stopping it at once leaves the code to be optimised again, now without
    // inlining, under the same traffic.
    await post('Profiler.enable');
    try {
      await post('Profiler.startPreciseCoverage', { callCount: false, detailed: false });
      await post('Profiler.stopPreciseCoverage');
    } finally {
      await post('Profiler.disable').catch(() => undefined);
    }
    return { requests: hooks.requests() };
  });

  handlers.set('profiler.snapshot', (args) => {
    const fs = require('fs');
    const path = require('path');
    const v8 = require('v8');
    const dir = String(args.dir || '');
    const name = path.basename(String(args.name || 'heap.heapsnapshot'));
    if (!dir || !fs.statSync(dir).isDirectory()) throw new Error(`not a directory: ${dir}`);
    const requestsBefore = hooks.requests();
    if (hooks.beforeSnapshot) hooks.beforeSnapshot();
    const file = v8.writeHeapSnapshot(path.join(dir, name));
    // writeHeapSnapshot blocks the thread, so no request completes while it runs.
    return { file, requests: requestsBefore, bytes: fs.statSync(file).size };
  });
}

module.exports = { register };
