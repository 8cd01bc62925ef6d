// @ts-check
'use strict';
/**
 * The reference sampler's preload (bench/truth.ts): independent of leakcheck's agent. Counts
 * responses, and every TRUTH_EVERY responses forces a full GC (the process runs with --expose-gc)
 * and records the requests served, heapUsed, and heapUsed less the code spaces. On SIGTERM it
 * writes the series as JSON to TRUTH_OUT and exits.
 */
const diagnostics = require('node:diagnostics_channel');
const fs = require('node:fs');
const v8 = require('node:v8');

const every = Number(process.env.TRUTH_EVERY || 2000);
const out = String(process.env.TRUTH_OUT || '');
/** @type {Array<[number, number, number]>} */
const points = [];
let requests = 0;
let due = false;

function record() {
  due = false;
  /** @type {() => void} */ (globalThis.gc)();
  const served = requests;
  let code = 0;
  for (const s of v8.getHeapSpaceStatistics())
    if (s.space_name === 'code_space' || s.space_name === 'code_large_object_space')
      code += s.space_used_size;
  const heap = process.memoryUsage().heapUsed;
  points.push([served, heap, heap - code]);
}

diagnostics.subscribe('http.server.response.finish', () => {
  requests++;
  if (requests % every === 0 && !due) {
    due = true;
    // After the response is on its way, not inside the request's own code.
    setImmediate(record);
  }
});

process.on('SIGTERM', () => {
  if (out) fs.writeFileSync(out, JSON.stringify({ every, points }));
  process.exit(0);
});
