/**
 * The attribution probe's schedule and its snapshot decision, against fake agents that answer
 * with made-up profiles: a site that keeps gaining samples (a leak) and one whose samples are
 * replaced as fast as they come (a bounded cache).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AgentConnection } from '../../src/target/channel';
import { AttributionProbe } from '../../src/attribution/probe';
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

async function drive(probe: AttributionProbe, agent: AgentConnection, samples: number): Promise<unknown> {
  const ctx = (i: number): { agents: AgentConnection[]; sampleIndex: number; samples: number } => ({
    agents: [agent],
    sampleIndex: i,
    samples,
  });
  await probe.measureStart(ctx(0));
  for (let i = 0; i < samples; i++) await probe.afterSample(ctx(i));
  return probe.measureEnd(ctx(samples - 1));
}

const options = {
  samplingInterval: 16384,
  snapshotDir: path.join(os.tmpdir(), `leakcheck-probe-test-${process.pid}`),
  threshold: 2,
  minSamples: 4,
};

afterAll(() => fs.rmSync(options.snapshotDir, { recursive: true, force: true }));

describe('AttributionProbe', () => {
  test('profiles at a quarter, half, three quarters and the end; auto snapshots when a site leaks', async () => {
    // Every profile keeps the earlier samples and adds 40 more: a leak.
    const { agent, calls } = fakeAgent((k) => range(0, 40 * (k + 1)));
    const data = (await drive(new AttributionProbe({ ...options, snapshots: 'auto' }), agent, 9)) as {
      processes: Array<{ profiles: Array<{ sampleIndex: number }>; snapshots: unknown[] }>;
      snapshotReason: string;
    };
    expect(data.processes[0]?.profiles.map((p) => p.sampleIndex)).toEqual([2, 4, 6, 8]);
    expect(calls.filter((c) => c === 'profiler.snapshot')).toHaveLength(3);
    expect(data.processes[0]?.snapshots).toHaveLength(3);
    expect(data.snapshotReason).toMatch(/grew above the threshold/);
    expect(calls.at(-1)).toBe('profiler.stop');
  });

  test('a cache that replaces its samples as fast as it adds them takes no snapshots', async () => {
    // 200 live samples, all replaced between profiles, a couple more or fewer each time.
    const { agent, calls } = fakeAgent((k) => range(k * 1000, k * 1000 + 200 + (k % 2) * 3));
    const data = (await drive(new AttributionProbe({ ...options, snapshots: 'auto' }), agent, 9)) as {
      processes: Array<{ snapshots: unknown[] }>;
    };
    expect(calls).not.toContain('profiler.snapshot');
    expect(data.processes[0]?.snapshots).toEqual([]);
  });

  test("'always' takes the three snapshots whatever the profiles say; 'never' none", async () => {
    const flat = (): number[] => range(0, 10);
    const always = fakeAgent(flat);
    await drive(new AttributionProbe({ ...options, snapshots: 'always' }), always.agent, 8);
    expect(always.calls.filter((c) => c === 'profiler.snapshot')).toHaveLength(3);
    const never = fakeAgent((k) => range(0, 40 * (k + 1)));
    await drive(new AttributionProbe({ ...options, snapshots: 'never' }), never.agent, 8);
    expect(never.calls).not.toContain('profiler.snapshot');
  });

  test('a failing agent command is recorded, not thrown', async () => {
    const agent = {
      pid: 7,
      listens: [],
      call: async (): Promise<unknown> => {
        throw new Error('process 7 has exited');
      },
    } as unknown as AgentConnection;
    const data = (await drive(new AttributionProbe({ ...options, snapshots: 'auto' }), agent, 8)) as {
      processes: Array<{ errors: string[] }>;
    };
    expect(data.processes[0]?.errors[0]).toBe('profiler.start: process 7 has exited');
  });
});
