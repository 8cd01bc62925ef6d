/**
 * Reports for the renderer tests, built the way a real run builds them: a RunResult with samples
 * shaped like the incident-auth fixture's (≈366 B/request heap growth, flat external and handles)
 * or the clean fixture's, through the real analysis in buildReport.
 */
import { buildReport } from '../../src/report/build';
import { sequentialPlan } from '../../src/config/adapt';
import { configSchema } from '../../src/config/schema';
import { weighEvidence } from '../../src/sampling/evidence';
import type { RunResult } from '../../src/sampling/run';
import type { Sample } from '../../src/sampling/samples';
import type { Finding, Report } from '../../src/report/report';

/** Text an attacker could put in a path, a log line or an argv entry. */
export const EVIL = `<script>alert(1)</script>"><img src=x onerror=alert(2)>|a|b\`x\`[l](http://e.test)`;

/** What to build. */
export interface ReportShape {
  /** Heap bytes added per request (366 for the incident's leak, 0 for a clean service). */
  bytesPerRequest: number;
  /** Processes serving requests (cluster: 2). */
  processes?: number;
  /** Replace endpoint names, argv, log lines and warnings with {@link EVIL}. */
  evil?: boolean;
  /** Attach attribution findings. */
  findings?: boolean;
  /** Run ended early (target crashed). */
  crashed?: boolean;
  /** Measured sequentially: the heap's verdict comes from the looks (as the run loop weighs them). */
  sequential?: boolean;
  /** The main endpoint drained a pool: it answered its first 11 requests, then failed for good. */
  drained?: boolean;
  /** The config turns the judging of a resource that runs out off (`analysis.exhaustion: false`). */
  exhaustionOff?: boolean;
  /** Extra heap bytes per request over the first `settlingSamples` of the measured window (a warm-up). */
  settlingBytesPerRequest?: number;
  /** Measured samples the warm-up lasts (default 15, half the window). */
  settlingSamples?: number;
  /** Scale of the heap's deterministic scatter around its line, in bytes (default 40,000). */
  heapNoise?: number;
  /** File descriptors opened per request and never closed (0 by default). */
  fdsPerRequest?: number;
}

/** Deterministic noise in [-1, 1] (no Math.random: the tests must not vary between runs). */
function noise(i: number): number {
  const x = Math.sin(i * 12.9898 + 78.233) * 43758.5453;
  return (x - Math.floor(x)) * 2 - 1;
}

/**
 * Builds a Report from synthetic samples through buildReport.
 *
 * @param shape - what the run looked like
 * @returns the report
 */
export function makeReport(shape: ReportShape): Report {
  const config = configSchema.parse(shape.exhaustionOff ? { analysis: { exhaustion: false } } : {});
  const procs = shape.processes ?? 1;
  const samples: Sample[] = [];
  const every = 1778;
  const pids = Array.from({ length: procs }, (_, k) => 4242 + k);
  for (const [k, pid] of pids.entries()) {
    const start = 13_096 + k * 17;
    const push = (i: number, phase: Sample['phase']): void => {
      const requests = start + i * every;
      samples.push({
        pid,
        requests,
        uptimeMs: 400 + i * 250,
        heapUsed: Math.round(
          12_900_000 +
            shape.bytesPerRequest * (requests - start) +
            (shape.settlingBytesPerRequest ?? 0) *
              Math.min(requests - start, (shape.settlingSamples ?? 15) * every) +
            (shape.heapNoise ?? 40_000) * noise(i + 97 * k),
        ),
        heapTotal: 40_000_000,
        external: 2_196_034 + (i % 3),
        arrayBuffers: 17_000,
        rss: Math.round(60_000_000 + 2 * shape.bytesPerRequest * (requests - start) + 200_000 * noise(i + 7)),
        spaces: {},
        resources: {},
        handles: 13,
        sockets: 10,
        fds: 24 + Math.floor((shape.fdsPerRequest ?? 0) * (requests - start)),
        forcedGcMs: 3,
        gcPauseMs: 1,
        gcCount: 4,
        majorGcCount: 1,
        loopDelayMs: { mean: 1, p99: 3, max: 5 },
        heapLimit: 4_345_298_944,
        phase,
        t: 400 + i * 250,
        loadCompleted: requests * procs,
      });
    };
    push(0, 'warmup');
    const measured = shape.crashed ? 6 : 30;
    for (let i = 1; i <= measured; i++) push(i, 'measure');
    if (!shape.crashed) push(measured + 0.08, 'cooldown');
  }
  const endpoint = shape.evil ? `GET /users/${EVIL}` : 'GET /login';
  const completed = 64_799 * procs;
  const result: RunResult = {
    status: shape.crashed ? 'target-exited' : 'completed',
    failure: shape.crashed
      ? {
          message: 'the target exited with code 70 during the measure',
          logTail: [
            'listening on 42271',
            shape.evil ? `error at ${EVIL}` : 'CRASH_AFTER=40000: exiting with code 70',
          ],
        }
      : undefined,
    url: 'http://127.0.0.1:42271',
    processes: pids.map((pid) => ({
      pid,
      ppid: 1,
      argv: ['/usr/bin/node', shape.evil ? `/srv/${EVIL}.js` : '/srv/app/server.js'],
      node: 'v20.20.2',
      heapLimit: 4_345_298_944,
      listens: [],
    })),
    samples,
    traffic: {
      completed,
      errors: 0,
      timeouts: 0,
      statusCounts: { '200': completed - 120, '404': 120 },
      endpoints: {
        [endpoint]: { count: completed - 120, statusCounts: { '200': completed - 120 } },
        'GET /health': { count: 120, statusCounts: { '404': 120 } },
      },
      seconds: 11.96,
      ...(shape.drained
        ? {
            timeline: {
              endpoints: {
                [endpoint]: {
                  answeredFirst: 11,
                  hasFailed: true,
                  answered: [11, ...new Array<number>(11).fill(0)],
                  failed: [9, ...new Array<number>(11).fill(20)],
                },
              },
              unanswered: [],
              answeredFirst: 11,
              hasFailed: true,
            },
          }
        : {}),
      mix: [
        { endpoint, share: 0.95 },
        { endpoint: 'GET /health', share: 0.05 },
      ],
    },
    sampleEvery: every,
    timings: { readyMs: 68, warmupEndMs: 2100, measureEndMs: 11_900, totalMs: 12_227 },
    probes: {},
  };
  if (shape.sequential) {
    const evidence = weighEvidence(samples, sequentialPlan(config), true);
    const verdict = evidence.verdict === 'leak' || evidence.verdict === 'pass' ? evidence.verdict : null;
    result.sequential = {
      evidence,
      stopReason: verdict ?? 'max-duration',
      timeToVerdictMs: 11_900,
      measuredMs: 9800,
      measuredRequests: completed,
      spacingMs: 250,
    };
  }
  const report = buildReport(result, config, {
    command: shape.evil ? ['node', `${EVIL}.js`] : ['node', 'server.js'],
    cwd: '/srv/app',
    logFile: '/tmp/out/target.log',
    failOn: 'leak',
    version: '0.1.0',
    sampleEvery: every,
  });
  if (shape.evil) report.warnings.push(`endpoint ${EVIL} answered 404`);
  if (shape.findings) report.findings = findings(pids[0] ?? 4242, Boolean(shape.evil));
  return report;
}

function findings(pid: number, evil: boolean): Finding[] {
  return [
    {
      kind: 'allocation-site',
      pid,
      title: evil ? `sessions.set in ${EVIL}` : 'sessions.set in verifyToken',
      file: evil ? `/srv/app/${EVIL}.ts` : '/srv/app/src/auth.ts',
      line: 42,
      column: 7,
      function: evil ? EVIL : 'verifyToken',
      bytesPerRequest: 352,
      stack: ['verifyToken (/srv/app/src/auth.ts:42:7)', 'handle (/srv/app/src/server.ts:18:3)'],
    },
    {
      kind: 'object-group',
      pid,
      title: 'Session objects retained by a Map',
      countPerRequest: 1,
      sizeEach: 96,
      retainerPath: evil ? `(GC roots) → ${EVIL}` : '(GC roots) → Map sessions → Session',
      retainers: [
        { holder: '(GC roots)', edge: 'sessions', edgeType: 'property' },
        { holder: 'Map', edge: '[42]', edgeType: 'element' },
      ],
    },
    {
      kind: 'allocation-site',
      pid,
      title: 'small buffer in logRequest',
      file: '/srv/app/src/log.ts',
      line: 9,
      bytesPerRequest: 12,
    },
  ];
}
