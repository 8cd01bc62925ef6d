/**
 * Single objects whose storage grows (an Array pushed to, a Map and a Set added to, an object used
 * as a dictionary): real snapshots written by a child process, compared by compareSnapshots with
 * `containers`. Each planted container is found with the variable that holds it; a large array
 * that does not grow and a Map that is cleared and refilled (bounded) are not.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compareSnapshots } from '../../src/attribution/heap';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-containers-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Writes r1..r3.heapsnapshot; between them, `per` "requests" each add to the growing containers. */
function writeSnapshots(per: number): string[] {
  const dir = fs.mkdtempSync(path.join(tmp, 'run-'));
  const script = `
    const v8 = require('v8');
    const dir = process.argv[1];
    const auditTrail = [];
    const sessionsById = new Map();
    const seenIds = new Set();
    const byKey = {};
    const fixed = new Array(200000).fill(7);
    const bounded = new Map();
    // A list per route: twenty arrays in one Map, each growing by a twentieth (too little alone).
    const perRoute = new Map();
    for (let r = 0; r < 20; r++) perRoute.set('/route/' + r, []);
    let n = 0;
    function handle() {
      n++;
      auditTrail.push(n, n + 1);
      sessionsById.set(n, n * 2);
      seenIds.add(n * 3);
      byKey['k' + (n % 1e9)] = 1;
      bounded.set(n % 5000, n);
      perRoute.get('/route/' + (n % 20)).push(n);
      if (bounded.size >= 5000) bounded.clear();
    }
    for (let i = 0; i < 20000; i++) handle();
    // Each snapshot from a fresh turn of the event loop, as the agent takes them: nothing on the
    // stack, so what holds a container is its variable (a slot of the script's context).
    let step = 0;
    function grow() {
      for (let i = 0; i < ${per}; i++) handle();
      fixed[0] = auditTrail.length;
      setImmediate(snapshot);
    }
    function snapshot() {
      v8.writeHeapSnapshot(dir + '/r' + ++step + '.heapsnapshot');
      if (step < 3) setImmediate(grow);
    }
    grow();`;
  execFileSync(process.execPath, ['-e', script, dir]);
  return [1, 2, 3].map((i) => path.join(dir, `r${i}.heapsnapshot`));
}

let growing: [string, string, string];
beforeAll(() => {
  growing = writeSnapshots(30000) as [string, string, string];
});

test('each growing container is found with what holds it; a fixed and a bounded one are not', async () => {
  const [a, b, c] = growing;
  const result = await compareSnapshots(a, b, c, { containers: { minGrowth: 64 * 1024, limit: 10 } });
  const found = result.containers.map((x) => ({ name: x.name, path: x.retainerText }));
  // Held by script-level variables: the path ends in the variable's name (a context slot).
  for (const [name, variable] of [
    ['Array', 'auditTrail'],
    ['Map', 'sessionsById'],
    ['Set', 'seenIds'],
    ['Object', 'byKey'],
  ]) {
    expect(found).toContainEqual({ name, path: expect.stringMatching(new RegExp(`\\b${variable}$`)) });
  }
  expect(found.some((f) => /\b(fixed|bounded)$/.test(f.path))).toBe(false);
  for (const x of result.containers) expect(x.after - x.before).toBeGreaterThanOrEqual(64 * 1024);
  // Script-level variables are never siblings of each other.
  for (const x of result.containers.filter(
    (c) => c.retainerText !== undefined && !/perRoute/.test(c.retainerText),
  ))
    expect(x.objects).toBe(1);
});

test('siblings that grow together are found together: the arrays of one Map, each under the minimum', async () => {
  const [a, b, c] = growing;
  const result = await compareSnapshots(a, b, c, { containers: { minGrowth: 64 * 1024, limit: 10 } });
  const lists = result.containers.find((x) => /\bperRoute\b/.test(x.retainerText));
  expect(lists).toBeDefined();
  expect(lists?.name).toBe('Array');
  expect(lists?.objects).toBe(20);
  // Each grew by about a twentieth of the whole, under the minimum: before siblings were grouped,
  // none of them was reported.
  expect(((lists?.after ?? 0) - (lists?.before ?? 0)) / 20).toBeLessThan(64 * 1024);
  expect(lists?.retainerText).toMatch(/^Array retained by perRoute\b/);
});

test('without a minimum growth that storage reaches, nothing is reported', async () => {
  const [a, b, c] = writeSnapshots(100) as [string, string, string];
  const result = await compareSnapshots(a, b, c, { containers: { minGrowth: 64 * 1024 } });
  expect(result.containers).toEqual([]);
});

test('containers are only looked for when asked', async () => {
  const [a, b, c] = growing;
  expect((await compareSnapshots(a, b, c)).containers).toEqual([]);
});
