// @ts-check
'use strict';
/**
 * leakcheck agent. Preloaded into the service under test with NODE_OPTIONS=--require, so it runs
 * inside other people's processes: plain CommonJS, no dependencies, and every failure is swallowed
 * rather than allowed to break the service. Without the harness's environment it does nothing.
 *
 * Channel: newline-delimited JSON over the Unix socket named in LEAKCHECK_AGENT_SOCKET (in a 0700
 * directory made for the run); the first message carries LEAKCHECK_AGENT_TOKEN so the harness can
 * refuse anyone else. The harness sends `{ id, cmd, args }`, the agent answers `{ id, ok, result }`
 * or `{ id, ok: false, error }`; unsolicited events are `{ event, ... }`.
 */

const AGENT_KEY = Symbol.for('leakcheck.agent');

/** @typedef {{ id: number, cmd: string, args?: Record<string, unknown> }} Command */
/** @typedef {(args: Record<string, unknown>) => unknown} Handler */
/** @typedef {{ heapStatistics: Record<string, number>, heapSpaceStatistics: Array<{ spaceName: string, spaceUsedSize: number }> }} AfterGc */

/**
 * @param {string} socketPath
 * @param {string} token
 */
function start(socketPath, token) {
  const net = require('net');
  const http = require('http');
  const v8 = require('v8');
  const vm = require('vm');
  const fs = require('fs');
  const perfHooks = require('perf_hooks');
  const diagnostics = require('diagnostics_channel');

  // Forcing a full GC without asking the user for --expose-gc: the flag only affects contexts
  // created after it is set, so a fresh context hands us its gc function.
  v8.setFlagsFromString('--expose-gc');
  const gc = /** @type {() => void} */ (vm.runInNewContext('gc'));

  let requests = 0;
  // The latest finished response's request, response and socket, kept until the next one
  // finishes (see "Where a forced GC runs" below). Dropped while a heap snapshot is written.
  /** @type {unknown} */
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- only held, to keep it alive
  let lastResponse = null;
  let lastFinishMs = -Infinity;
  /** @param {unknown} message */
  const onFinish = (message) => {
    requests++;
    lastResponse = message;
    lastFinishMs = performance.now();
  };
  // Counts completed responses for any framework built on node:http (express, fastify, koa...).
  diagnostics.subscribe('http.server.response.finish', onFinish);

  // --- Where a forced GC runs ------------------------------------------------------------------
  // A full GC deoptimises every optimised function that embeds an object shape (a V8 map) no live
  // object has any more: the shapes objects reach late in their life (class fields, properties
  // added by frameworks, a socket's state after it is destroyed) are held only weakly. Run from an
  // idle turn of the event loop, a GC finds no request alive, and on clean node:http it
  // deoptimised 34-37 hot functions each time (bench/results-overhead.md). Two things keep most of
  // those shapes alive at no cost to the figure's meaning (one request's objects, whatever the
  // traffic): the latest finished response stays referenced until the next one finishes, and a
  // sample's GC runs at the start of the next `res.end()`, where the handler that answers is
  // still on the stack. A service that finished no response in the last second (idle, or not
  // built on node:http) is sampled at once; otherwise the GC runs from the command if no response
  // ends within WAIT_FOR_RESPONSE_MS.
  /** @type {Array<() => void>} */
  let waitingForResponse = [];
  /** @type {ReturnType<typeof setTimeout> | null} */
  let waitTimer = null;
  function runWaiting() {
    const waiting = waitingForResponse;
    waitingForResponse = [];
    if (waitTimer) clearTimeout(waitTimer);
    waitTimer = null;
    for (const run of waiting) run();
  }
  let inResponse = false;
  try {
    const originalEnd = http.ServerResponse.prototype.end;
    /** @this {import('http').ServerResponse} */
    function end(/** @type {unknown[]} */ ...args) {
      if (waitingForResponse.length > 0) {
        inResponse = true;
        try {
          runWaiting();
        } catch {
          // never break the service's response
        }
        inResponse = false;
      }
      return originalEnd.apply(this, /** @type {Parameters<typeof originalEnd>} */ (args));
    }
    // Same name and arity as the original, for anyone who inspects it.
    Object.defineProperty(end, 'length', { value: originalEnd.length });
    http.ServerResponse.prototype.end = /** @type {typeof originalEnd} */ (end);
  } catch {
    // Samples then run from the command.
  }

  /** @type {Map<string, Handler>} */
  const handlers = new Map();
  /** @type {string[]} */
  const outbox = [];
  let connected = false;

  const socket = net.connect(socketPath);
  // The channel must never keep the service alive or show up as the service's own handle.
  socket.unref();
  socket.setEncoding('utf8');
  let everConnected = false;
  socket.on('connect', () => {
    connected = true;
    everConnected = true;
    for (const line of outbox.splice(0)) socket.write(line);
  });
  let released = false;
  socket.on('error', () => {
    // Harness gone: stop talking (and see 'close' below).
    connected = false;
  });
  // The harness says goodbye before it closes the channel on purpose. A channel that was open and
  // closes without one means the harness died (SIGKILL, the OOM killer, a CI hard cancel): nobody
  // will stop this service, so it ends itself, and the other processes of the same run.
  socket.on('close', () => {
    // Only a channel that was really open counts: an agent that never reached a harness does nothing.
    const wasConnected = everConnected && helloSent && !released;
    connected = false;
    if (wasConnected) abandoned();
  });
  let helloSent = false;
  let buffered = '';
  socket.on('data', (chunk) => {
    buffered += chunk;
    // Bounded: the harness's commands are small.
    if (buffered.length > 1 << 20) buffered = '';
    let nl = buffered.indexOf('\n');
    while (nl >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      nl = buffered.indexOf('\n');
      if (line) dispatch(line);
    }
  });

  /** @param {unknown} message */
  function send(message) {
    const line = JSON.stringify(message) + '\n';
    if (connected) socket.write(line);
    else if (!socket.destroyed) outbox.push(line);
  }

  /** @param {string} line */
  function dispatch(line) {
    /** @type {Command} */
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    // Anything but a command object (null, a number, an array) is ignored, never thrown on.
    if (!msg || typeof msg !== 'object' || Array.isArray(msg) || typeof msg.cmd !== 'string') return;
    if (msg.cmd === 'goodbye') {
      released = true;
      return;
    }
    const handler = handlers.get(msg.cmd);
    if (!handler) {
      send({ id: msg.id, ok: false, error: `unknown command ${msg.cmd}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(msg.args || {}))
      .then(
        (result) => send({ id: msg.id, ok: true, result }),
        (err) => send({ id: msg.id, ok: false, error: String((err && err.message) || err) }),
      );
  }

  // --- listening address discovery -------------------------------------------------------------
  const origListen = net.Server.prototype.listen;
  /** @this {import('net').Server} */
  function listen(/** @type {unknown[]} */ ...args) {
    this.once('listening', () => {
      try {
        const address = this.address();
        send({ event: 'listen', address, http: this instanceof http.Server });
      } catch {
        // ignore
      }
    });
    return origListen.apply(this, /** @type {Parameters<typeof origListen>} */ (args));
  }
  net.Server.prototype.listen = /** @type {typeof origListen} */ (listen);

  // --- GC pauses and event-loop delay since the last sample ------------------------------------
  /** @type {Array<[number, number]>} */
  const forcedWindows = [];
  let gcPauseMs = 0;
  let gcCount = 0;
  let majorGcCount = 0;
  // Post-GC figures of the major collections V8 runs on its own. A forced full GC makes V8
  // deoptimise the optimised code that embeds objects which died since (34-37 functions per GC
  // on clean-http, re-optimised under load a moment later): most of the agent's cost. A natural
  // major GC would give a post-GC figure at no extra cost, but not the same one: V8 marks it
  // incrementally while the service keeps allocating, and what is allocated meanwhile survives
  // it (floating garbage). Measured (bench/natural-gc.ts, express fixtures at one sample per
  // 0.86 s): natural figures sat a median 0.4-0.9 MiB above the forced ones around them (up to
  // 1.7 MiB) and scattered 7-10 times as much around a line (residual SD 372-396 KiB on clean
  // express, against 40-57 KiB forced only), so samples force a GC unless the caller asks.
  const profiler = typeof v8.GCProfiler === 'function' ? new v8.GCProfiler() : null;
  if (profiler) profiler.start();
  /** @type {ReturnType<typeof measure> | null} */
  let natural = null;
  let profiledGcs = 0;
  /**
   * Reads and restarts the profiler; returns its latest major GC's statistics, if any. With
   * `latestOnly`, only when the latest GC of all was a major one (the one just forced).
   */
  function drainProfiler(latestOnly = false) {
    if (!profiler) return null;
    const got = profiler.stop();
    profiler.start();
    profiledGcs = 0;
    const all = got.statistics;
    if (latestOnly) {
      const latest = all[all.length - 1];
      return latest && latest.gcType === 'MarkSweepCompact' ? latest : null;
    }
    let last = null;
    for (const entry of all) if (entry.gcType === 'MarkSweepCompact') last = entry;
    return last;
  }
  const gcObserver = new perfHooks.PerformanceObserver((list) => {
    let majorSeen = false;
    for (const entry of list.getEntries()) {
      const forced = forcedWindows.some(([a, b]) => entry.startTime >= a - 1 && entry.startTime <= b + 1);
      profiledGcs++;
      if (forced) continue;
      gcPauseMs += entry.duration;
      gcCount++;
      const detail = /** @type {{ detail?: { kind?: number } }} */ (/** @type {unknown} */ (entry)).detail;
      if (detail && detail.kind === perfHooks.constants.NODE_PERFORMANCE_GC_MAJOR) {
        majorGcCount++;
        majorSeen = true;
      }
    }
    if (majorSeen) {
      const stats = drainProfiler();
      // The observer runs a turn or two after the GC: the requests counted since are a handful.
      // @types/node spells these fields in snake_case; V8 reports them in camelCase.
      if (stats)
        natural = measure('natural', /** @type {AfterGc} */ (/** @type {unknown} */ (stats.afterGC)), 0);
    } else if (profiledGcs > 256) {
      // Only scavenges: keep the profiler's buffer small.
      drainProfiler();
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const loopDelay = perfHooks.monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loopDelay.enable();

  // Linux lists descriptors in /proc/self/fd, macOS and the BSDs in /dev/fd; elsewhere null.
  const FD_DIRS = ['/proc/self/fd', '/dev/fd'];

  function countFds() {
    for (const dir of FD_DIRS) {
      try {
        // readdir holds one descriptor of its own while it reads.
        return fs.readdirSync(dir).length - 1;
      } catch {
        // try the next place
      }
    }
    return null;
  }

  /**
   * Everything a sample holds, read now; the heap figures from `after` (a GC's own statistics)
   * when given.
   *
   * @param {'forced' | 'natural'} source
   * @param {AfterGc | null} after
   * @param {number} forcedGcMs
   */
  function measure(source, after, forcedGcMs) {
    const mem = process.memoryUsage();
    /** @type {Record<string, number>} */
    const spaces = {};
    if (after) for (const sp of after.heapSpaceStatistics) spaces[sp.spaceName] = sp.spaceUsedSize;
    else for (const sp of v8.getHeapSpaceStatistics()) spaces[sp.space_name] = sp.space_used_size;
    /** @type {Record<string, number>} */
    const resources = {};
    for (const type of process.getActiveResourcesInfo()) resources[type] = (resources[type] || 0) + 1;
    // Our own channel is a PipeWrap: leave it out so "handles" are the service's alone.
    if (resources.PipeWrap) resources.PipeWrap -= 1;
    let handles = 0;
    for (const type of Object.keys(resources)) handles += resources[type] || 0;
    const sockets = (resources.TCPSocketWrap || 0) + (resources.PipeWrap || 0);
    const heap = after ? after.heapStatistics : null;
    return {
      pid: process.pid,
      requests,
      uptimeMs: Math.round(process.uptime() * 1000),
      heapUsed: heap && typeof heap.usedHeapSize === 'number' ? heap.usedHeapSize : mem.heapUsed,
      heapTotal: heap && typeof heap.totalHeapSize === 'number' ? heap.totalHeapSize : mem.heapTotal,
      external: heap && typeof heap.externalMemory === 'number' ? heap.externalMemory : mem.external,
      arrayBuffers: mem.arrayBuffers,
      rss: mem.rss,
      spaces,
      resources,
      handles,
      sockets,
      fds: countFds(),
      gcSource: /** @type {'forced' | 'natural'} */ (source),
      /** @type {'response' | 'command' | undefined} */
      gcAt: undefined,
      gcAgeRequests: 0,
      forcedGcMs,
      gcPauseMs: 0,
      gcCount: 0,
      majorGcCount: 0,
      loopDelayMs: { mean: 0, p99: 0, max: 0 },
      heapLimit: v8.getHeapStatistics().heap_size_limit,
    };
  }

  let lastSampleRequests = -1;
  /**
   * One post-GC sample, after a forced full GC at the start of the next response's `end()` (at
   * most WAIT_FOR_RESPONSE_MS from now) while the service is serving; at once when it is not, or
   * with `at: 'now'`. `reuse: true` (benchmarks only): take the latest natural major GC's figures
   * instead when it came after the previous sample and in the later half of the requests since (so
   * samples stay about as far apart as the harness asked).
   *
   * @param {{ reuse?: unknown, at?: unknown }} [args]
   * @returns {ReturnType<typeof takeSample> | Promise<ReturnType<typeof takeSample>>}
   */
  function sample(args) {
    const serving = performance.now() - lastFinishMs < SERVING_WINDOW_MS;
    if (args?.at === 'now' || args?.reuse === true || !serving) return takeSample(args, 'command');
    return new Promise((resolve, reject) => {
      waitingForResponse.push(() => {
        try {
          resolve(takeSample(args, inResponse ? 'response' : 'command'));
        } catch (err) {
          reject(err);
        }
      });
      if (!waitTimer) {
        waitTimer = setTimeout(runWaiting, WAIT_FOR_RESPONSE_MS);
        waitTimer.unref();
      }
    });
  }

  /**
   * @param {{ reuse?: unknown } | undefined} args
   * @param {'response' | 'command'} where
   */
  function takeSample(args, where) {
    const now = requests;
    const span = lastSampleRequests < 0 ? 0 : now - lastSampleRequests;
    const usable =
      args?.reuse === true &&
      natural !== null &&
      lastSampleRequests >= 0 &&
      span > 0 &&
      natural.requests - lastSampleRequests >= span / 2;
    let result;
    if (usable && natural) {
      result = natural;
      result.gcAgeRequests = now - natural.requests;
    } else {
      const t0 = performance.now();
      gc();
      const t1 = performance.now();
      // The heap figures are the GC's own, recorded by V8's profiler in the GC's epilogue (as the
      // natural samples' are). Read afterwards, they came out ~230 KiB high in old space now and
      // then on a busy machine after hundreds of GCs since the last sample: 2 of 10 runs with two
      // busy loops beside the server (9 of 12 with five full GCs in a row), while the profiler's
      // figure of the same GC was right (0 of 20); 0 of 12 with --no-concurrent-marking or
      // --no-concurrent-sweeping. And whatever the agent allocated before reading counted as heap:
      // draining the profiler builds an object per GC since the last sample (read after the drain,
      // the post-GC heap of shop-leak16 scattered 76-85 KiB around its line; read before it, 26-30
      // KiB). Without the profiler (Node < 18.15) the figures are read at once.
      const own = drainProfiler(true);
      result = measure(
        'forced',
        own ? /** @type {AfterGc} */ (/** @type {unknown} */ (own.afterGC)) : null,
        t1 - t0,
      );
      result.gcAt = where;
      forcedWindows.push([t0, t1]);
      if (forcedWindows.length > 8) forcedWindows.shift();
    }
    natural = null;
    lastSampleRequests = result.requests;
    result.gcPauseMs = gcPauseMs;
    result.gcCount = gcCount;
    result.majorGcCount = majorGcCount;
    // The histogram records whole timer intervals: the delay is what exceeds the resolution.
    result.loopDelayMs = {
      mean: delayMs(loopDelay.mean),
      p99: delayMs(loopDelay.percentile(99)),
      max: delayMs(loopDelay.max),
    };
    gcPauseMs = 0;
    gcCount = 0;
    majorGcCount = 0;
    loopDelay.reset();
    return result;
  }

  handlers.set('sample', sample);
  handlers.set('ping', () => ({ pid: process.pid, requests }));
  try {
    // Allocation profiles and heap snapshots; profiler.cjs loads nothing until a command arrives.
    require('./profiler.cjs').register(handlers, {
      requests: () => requests,
      // The snapshots name what the service retains: not the response the agent holds.
      beforeSnapshot: () => {
        lastResponse = null;
      },
      // The profiler's own full GCs are forced ones: never to be taken for V8's.
      forcedGc: (/** @type {number} */ t0, /** @type {number} */ t1) => {
        forcedWindows.push([t0, t1]);
        if (forcedWindows.length > 8) forcedWindows.shift();
        drainProfiler();
      },
    });
  } catch {
    // Sampling still works without attribution.
  }

  helloSent = true;
  send({
    event: 'hello',
    token,
    pid: process.pid,
    ppid: process.ppid,
    argv: process.argv.slice(0, 4),
    node: process.version,
    heapLimit: v8.getHeapStatistics().heap_size_limit,
  });

  // Later features (allocation profiling, snapshots) register more commands here.
  return { handlers, send };
}

const LOOP_RESOLUTION_MS = 10;
/**
 * How long a sample of a serving process waits for a response to run its GC in. Under load a
 * response ends within a few milliseconds; a process that stops answering is sampled after this.
 */
const WAIT_FOR_RESPONSE_MS = 50;
/** A service that finished a response this recently is serving: its samples wait for the next. */
const SERVING_WINDOW_MS = 1000;
/** After SIGTERM, how long a process that ignores it gets before SIGKILL. */
const ABANDONED_GRACE_MS = 3000;

/**
 * The harness is gone without a goodbye: SIGTERM to the other processes carrying this run's marker
 * (Linux: found in /proc), then to this process; SIGKILL to all of them if they are still there.
 */
function abandoned() {
  const marker = process.env.LEAKCHECK_RUN_ID;
  const others = marker ? markedProcesses(marker) : [];
  /** @param {NodeJS.Signals} signal */
  const signalAll = (signal) => {
    for (const pid of others) {
      try {
        process.kill(pid, signal);
      } catch {
        // gone
      }
    }
    try {
      process.kill(process.pid, signal);
    } catch {
      // ignore
    }
  };
  signalAll('SIGTERM');
  setTimeout(() => signalAll('SIGKILL'), ABANDONED_GRACE_MS).unref();
}

/**
 * Pids (other than this one) whose environment carries the run's marker.
 * @param {string} marker
 * @returns {number[]}
 */
function markedProcesses(marker) {
  const fs = require('fs');
  const needle = Buffer.from(`LEAKCHECK_RUN_ID=${marker}\0`);
  /** @type {number[]} */
  const out = [];
  let names = [];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/environ`).includes(needle)) out.push(Number(name));
    } catch {
      // not ours to read, or gone
    }
  }
  return out;
}

/** @param {number} ns */
function delayMs(ns) {
  const ms = ns / 1e6 - LOOP_RESOLUTION_MS;
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

(function main() {
  const socketPath = process.env.LEAKCHECK_AGENT_SOCKET;
  const token = process.env.LEAKCHECK_AGENT_TOKEN;
  if (!socketPath || !token) return;
  // Preloads also run in worker threads (loader hooks such as tsx's run in one): only the main
  // thread serves HTTP, and a second agent under the same pid would shadow it.
  if (!require('worker_threads').isMainThread) return;
  const g = /** @type {Record<symbol, unknown>} */ (/** @type {unknown} */ (globalThis));
  // A wrapper that re-execs node with the same NODE_OPTIONS loads us once per process; a second
  // --require in the same process must not double-count requests.
  if (g[AGENT_KEY]) return;
  try {
    g[AGENT_KEY] = start(socketPath, token);
  } catch {
    // Never break the service: measuring is optional, serving is not.
  }
})();
