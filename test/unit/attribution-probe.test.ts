/**
 * The attribution probe's schedule after the verdict, against fake agents that answer with
 * made-up profiles: nothing but sampling on a clean run; inlining off, profiles and snapshots
 * over a window sized from the growth estimate on a leak. By default the measured process is left
 * alone (`verdict-only`: the leak verdict is only recorded) and a new process does the rest.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AgentConnection } from '../../src/target/channel';
import {
  AttributionProbe,
  ATTRIBUTION_ENV,
  NEW_PROCESS_REASON,
  type AttributionData,
} from '../../src/attribution/probe';
import { withAttribution } from '../../src/attribution';
import { analysisOptionsFrom, runOptionsFrom } from '../../src/config/adapt';
import { configSchema } from '../../src/config/schema';
import type { ProbeContext, RunVerdict } from '../../src/sampling/run';
import type { ProfileNode, SamplingProfile } from '../../src/attribution/profile';

/** A profile whose one user site holds `live` samples with these ordinals. */
function profileWith(ordinals: number[]): SamplingProfile {
  const site: ProfileNode = {
    id: 2,
    callFrame: { functionName: 'remember', url: '/app/server.js', lineNumber: 9, columnNumber: 0 },
    selfSize: ordinals.length * 16384,
    children: [],
  };
  return {
    head: {
      id: 1,
      callFrame: { functionName: '(root)', url: '', lineNumber: -1, columnNumber: -1 },
      selfSize: 0,
      children: [site],
    },
    samples: ordinals.map((ordinal) => ({ size: 16384, nodeId: 2, ordinal })),
  };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** A fake agent: profiles from `shape(k)` for the k-th profile; counts the commands it got. */
function fakeAgent(shape: (k: number) => number[]): { agent: AgentConnection; calls: string[] } {
  const calls: string[] = [];
  let profiles = 0;
  let snapshots = 0;
  const agent = {
    pid: 4242,
    listens: [{ event: 'listen', address: null, http: true }],
    call: async (cmd: string): Promise<unknown> => {
      calls.push(cmd);
      switch (cmd) {
        case 'profiler.profile': {
          const k = profiles++;
          return { requests: (k + 1) * 10_000, profile: profileWith(shape(k)) };
        }
        case 'profiler.snapshot':
          snapshots++;
          return { file: `/tmp/s${snapshots}.heapsnapshot`, requests: snapshots * 10_000, bytes: 1000 };
        case 'profiler.scripts':
          return { scripts: [] };
        default:
          return {};
      }
    },
  } as unknown as AgentConnection;
  return { agent, calls };
}

/** Runs the probe through a run of `samples` samples and the given verdict. */
async function drive(
  probe: AttributionProbe,
  agent: AgentConnection,
  samples: number,
  verdict: RunVerdict = { verdict: 'leak', perRequest: 400 },
): Promise<{ data: AttributionData; served: number[] }> {
  const ctx = (i: number): ProbeContext => ({ agents: [agent], sampleIndex: i, samples });
  const served: number[] = [];
  await probe.measureStart(ctx(0));
  await probe.afterVerdict({
    ...ctx(samples - 1),
    verdict,
    serve: async (requests) => {
      served.push(requests);
    },
    served: () => served.reduce((a, b) => a + b, 0),
  });
  return { data: await probe.measureEnd(ctx(samples - 1)), served };
}

const options = {
  stage: 'measured-process' as const,
  samplingInterval: 16384,
  snapshotDir: path.join(os.tmpdir(), `leakcheck-probe-test-${process.pid}`),
  threshold: 2,
};

afterAll(() => fs.rmSync(options.snapshotDir, { recursive: true, force: true }));

/** The agent commands of attribution after a leak verdict, in the measured process. */
const LEAK_COMMANDS = [
  'profiler.start',
  'profiler.snapshot',
  'profiler.noInlining',
  'profiler.profile',
  'profiler.snapshot',
  'profiler.profile',
  'profiler.snapshot',
  'profiler.scripts',
  'profiler.stop',
];

describe('AttributionProbe', () => {
  test('a leak: a snapshot, inlining off, traffic (re-optimisation), a profile and snapshot, traffic, a profile and snapshot', async () => {
    const { agent, calls } = fakeAgent((k) => range(0, 40 * (k + 1)));
    const { data, served } = await drive(new AttributionProbe({ ...options, snapshots: 'auto' }), agent, 9);
    expect(calls).toEqual(LEAK_COMMANDS);
    expect(data.ran).toBe(true);
    expect(data.processes[0]?.profiles.map((p) => p.sampleIndex)).toEqual([0, 1]);
    expect(data.processes[0]?.snapshots).toHaveLength(3);
    expect(data.snapshotReason).toBe('taken after the leak verdict');
    // Two halves sized for 48 profiler samples at 400 B/request (at least 1000 each); the first
    // goes on until code had 2000 requests (or 1 s) to re-optimise.
    expect(served).toEqual([1967, 33, 1967]);
    expect(data.phases?.map((p) => p.phase)).toEqual([
      'snapshot 1',
      'inlining off, deopt',
      'first half (re-optimise)',
      'profile 1',
      'snapshot 2',
      'second half',
      'profile 2',
      'snapshot 3',
      'scripts, stop',
    ]);
  });

  test('a small leak gets a longer window', async () => {
    const { agent } = fakeAgent((k) => range(0, 40 * (k + 1)));
    const { served } = await drive(new AttributionProbe({ ...options, snapshots: 'auto' }), agent, 9, {
      verdict: 'leak',
      perRequest: 16,
    });
    expect(served).toEqual([49_152, 49_152]);
  });

  test("a staircase leak: the second half lasts until the store's next step is due (within 15 s)", async () => {
    const { agent } = fakeAgent((k) => range(0, 40 * (k + 1)));
    const probe = new AttributionProbe({ ...options, snapshots: 'auto' });
    const ctx: ProbeContext = { agents: [agent], sampleIndex: 8, samples: 9 };
    const served: Array<[number, number]> = [];
    await probe.measureStart({ ...ctx, sampleIndex: 0 });
    await probe.afterVerdict({
      ...ctx,
      verdict: { verdict: 'leak', perRequest: 400, nextStep: 150_000 },
      serve: async (requests, maxMs) => {
        served.push([requests, maxMs]);
      },
      // The traffic goes on while snapshots and profiles are taken: 1,000 more responses.
      served: () => served.reduce((a, [r]) => a + r, 0) + 1000,
    });
    const data = await probe.measureEnd(ctx);
    // The step is due 150,000 responses after the verdict; 3,000 have been served by then.
    expect(served).toEqual([
      [1967, 3000],
      [33, expect.any(Number) as number],
      [147_000, 15_000],
    ]);
    expect(data.phases?.map((p) => p.phase)).toContain("second half (to the heap's next step)");
    // A step due within the usual half changes nothing.
    const near = await drive(new AttributionProbe({ ...options, snapshots: 'auto' }), agent, 9, {
      verdict: 'leak',
      perRequest: 400,
      nextStep: 500,
    });
    expect(near.served).toEqual([1967, 33, 1967]);
  });

  test('a pass: nothing but sampling, which stops', async () => {
    const { agent, calls } = fakeAgent(() => range(0, 10));
    const { data } = await drive(new AttributionProbe({ ...options, snapshots: 'auto' }), agent, 9, {
      verdict: 'pass',
      perRequest: 0.1,
    });
    expect(calls).toEqual(['profiler.start', 'profiler.stop']);
    expect(data.ran).toBe(false);
    expect(data.reason).toBe('not needed: the verdict is pass');
  });

  test('a leak whose caller needs only the verdict (a bisect step): sampling only, and why', async () => {
    const { agent, calls } = fakeAgent((k) => range(0, 40 * (k + 1)));
    const skip = 'this step needs only its verdict';
    const { data, served } = await drive(
      new AttributionProbe({ ...options, snapshots: 'auto', skipAfterVerdict: skip }),
      agent,
      9,
    );
    // The profiler sampled from the start like in any run (the measured window is the same), but
    // nothing follows the verdict: no traffic served, no profile, no snapshot.
    expect(calls).toEqual(['profiler.start', 'profiler.stop']);
    expect(served).toEqual([]);
    expect(data.ran).toBe(false);
    expect(data.reason).toBe(`not needed: ${skip}`);
    expect(data.snapshotReason).toBe(`not taken: ${skip}`);
  });

  test("'always' attributes whatever the verdict; 'never' takes profiles but no snapshot", async () => {
    const always = fakeAgent(() => range(0, 10));
    await drive(new AttributionProbe({ ...options, snapshots: 'always' }), always.agent, 8, {
      verdict: 'pass',
      perRequest: 0,
    });
    expect(always.calls.filter((c) => c === 'profiler.snapshot')).toHaveLength(3);
    const never = fakeAgent((k) => range(0, 40 * (k + 1)));
    await drive(new AttributionProbe({ ...options, snapshots: 'never' }), never.agent, 8);
    expect(never.calls).not.toContain('profiler.snapshot');
    expect(never.calls.filter((c) => c === 'profiler.profile')).toHaveLength(2);
  });

  test('a failing agent command is recorded, not thrown', async () => {
    const agent = {
      pid: 7,
      listens: [],
      call: async (): Promise<unknown> => {
        throw new Error('process 7 has exited');
      },
    } as unknown as AgentConnection;
    const { data } = await drive(new AttributionProbe({ ...options, snapshots: 'auto' }), agent, 8);
    expect(data.processes[0]?.errors[0]).toBe('profiler.start: process 7 has exited');
  });

  test('verdict-only (the default measured run): no agent command at all; a leak is handed on', async () => {
    const stage = { ...options, stage: 'verdict-only' as const, snapshots: 'auto' as const };
    const leak = fakeAgent((k) => range(0, 40 * (k + 1)));
    const verdict: RunVerdict = { verdict: 'leak', perRequest: 400, nextStep: 3000 };
    const { data, served } = await drive(new AttributionProbe(stage), leak.agent, 9, verdict);
    expect(leak.calls).toEqual([]);
    expect(served).toEqual([]);
    expect(data).toMatchObject({ ran: false, pending: verdict, processes: [], phases: [] });
    for (const [opts, v] of [
      [stage, { verdict: 'pass', perRequest: 0.1 }],
      [{ ...stage, skipAfterVerdict: 'this step needs only its verdict' }, verdict],
    ] as const) {
      const clean = fakeAgent(() => range(0, 10));
      const got = await drive(new AttributionProbe(opts), clean.agent, 9, v);
      expect(clean.calls).toEqual([]);
      expect(got.data.pending).toBeUndefined();
      expect(got.data.ran).toBe(false);
    }
  });

  test('new-process: inlining is already off (no deopt); a staircase waits until the requests double', async () => {
    const stage = { ...options, stage: 'new-process' as const, snapshots: 'auto' as const };
    const { agent, calls } = fakeAgent((k) => range(0, 40 * (k + 1)));
    const { data, served } = await drive(new AttributionProbe(stage), agent, 1);
    // The measured process's steps, but the deopt: inlining was off from preload.
    expect(calls).toEqual(LEAK_COMMANDS.filter((c) => c !== 'profiler.noInlining'));
    expect(served).toEqual([1967, 33, 1967]);
    expect(data.reason).toBe(NEW_PROCESS_REASON);
    expect(data.phases?.map((p) => p.phase)).toContain('first half');
    // The measured process's step (150,000 requests on) means nothing here: the store is young,
    // and is enlarged at least once while the process's 10,000 requests at the profile double.
    const stairs = fakeAgent((k) => range(0, 40 * (k + 1)));
    const staircase = await drive(new AttributionProbe(stage), stairs.agent, 1, {
      verdict: 'leak',
      perRequest: 400,
      nextStep: 150_000,
    });
    expect(staircase.served).toEqual([1967, 33, 10_000]);
  });

  test('withAttribution: by default the measured process runs no profiler; measured-process samples from preload', () => {
    const probeOf = (runIn?: 'new-process' | 'measured-process') => {
      const config = configSchema.parse({
        command: ['node', 'server.js'],
        ...(runIn ? { attribution: { runIn } } : {}),
      });
      const { run, outDir } = runOptionsFrom(config, { baseDir: os.tmpdir() });
      return withAttribution(config, run, outDir, analysisOptionsFrom(config));
    };
    const byDefault = probeOf();
    expect(byDefault.env[ATTRIBUTION_ENV]).toBeUndefined();
    expect(byDefault.probes?.map((p) => p.name)).toEqual(['attribution']);
    expect(probeOf('new-process').env[ATTRIBUTION_ENV]).toBeUndefined();
    expect(probeOf('measured-process').env[ATTRIBUTION_ENV]).toBe('8192');
  });
});
