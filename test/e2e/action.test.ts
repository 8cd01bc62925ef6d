/**
 * The bundled Action end to end on a leaking and a clean fixture: outputs, job summary,
 * annotation lines and exit status, as a workflow would see them. Short windows keep it quick; the
 * gate's flakiness over many repetitions is bench/action.ts's job.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { commandLines, removeActionRuns, runAction } from './action-helpers';
import { leftoverTargets } from './helpers';
import type { Report } from '../../src/report/report';

afterAll(() => {
  removeActionRuns();
  expect(leftoverTargets()).toEqual([]);
});

/** A stand-in for the GitHub REST API on 127.0.0.1: one pull request and its comments. */
class FakeGitHub {
  comments: Array<{ id: number; body: string; user?: { login: string } }> = [];
  calls: string[] = [];
  headSha = HEAD_SHA;
  private nextId = 1000;
  private server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      this.calls.push(`${req.method} ${url.pathname}`);
      const send = (status: number, value: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (req.headers.authorization !== 'token test-token') return send(401, { message: 'Bad credentials' });
      if (req.method === 'GET' && url.pathname === '/repos/octo/service/pulls/7') {
        return send(200, { number: 7, head: { sha: this.headSha } });
      }
      if (url.pathname === '/repos/octo/service/issues/7/comments') {
        if (req.method === 'GET') return send(200, this.comments);
        if (req.method === 'POST') {
          const c = {
            id: this.nextId++,
            body: (JSON.parse(body) as { body: string }).body,
            user: { login: 'github-actions[bot]' },
          };
          this.comments.push(c);
          return send(201, c);
        }
      }
      const m = /^\/repos\/octo\/service\/issues\/comments\/(\d+)$/.exec(url.pathname);
      const existing = m ? this.comments.find((c) => c.id === Number(m[1])) : undefined;
      if (req.method === 'PATCH' && existing) {
        existing.body = (JSON.parse(body) as { body: string }).body;
        return send(200, existing);
      }
      send(404, { message: 'Not Found' });
    });
  });
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const HEAD_SHA = 'c0ffee'.padEnd(40, '0');
const REPORT_DIR = 'fixtures/incident-auth/.leakcheck-action-test';

describe('the Action on the incident leak, on a pull request', () => {
  let run: Awaited<ReturnType<typeof runAction>>;
  const github = new FakeGitHub();
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    const events = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-events-'));
    const prEvent = path.join(events, 'pull_request.json');
    fs.writeFileSync(
      prEvent,
      JSON.stringify({ pull_request: { number: 7, head: { sha: HEAD_SHA }, base: { ref: 'main' } } }),
    );
    env = {
      GITHUB_API_URL: await github.start(),
      GITHUB_REPOSITORY: 'octo/service',
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: prEvent,
      NO_PROXY: '127.0.0.1,localhost',
    };
    run = await runAction(
      {
        'working-directory': 'fixtures/incident-auth',
        warmup: '1',
        duration: '5',
        'report-dir': '.leakcheck-action-test',
        comment: 'true',
        'github-token': 'test-token',
      },
      { env },
    );
  });
  afterAll(async () => {
    await github.stop();
    fs.rmSync(REPORT_DIR, { recursive: true, force: true });
  });

  test('fails the step with exit 1 and the verdict in the outputs', () => {
    expect(run.code).toBe(1);
    expect(run.outputs.verdict).toBe('leak');
    // ~360 B/request (expected.json); a clean service is near 0.
    expect(Number(run.outputs['bytes-per-request'])).toBeGreaterThan(100);
    const report = JSON.parse(fs.readFileSync(run.outputs['report-path'] as string, 'utf8')) as Report;
    expect(report.verdict).toBe('leak');
    expect(report.schemaVersion).toBe(2);
    const html = fs.readFileSync(run.outputs['html-report-path'] as string, 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('id="verdict"');
  });

  test('annotates the allocating lines of server.js as errors (at most 9), then the failure', () => {
    const errors = commandLines(run.stdout, 'error');
    const located = errors.filter((l) => /file=fixtures\/incident-auth\/server\.js,line=\d+/.test(l));
    expect(located.length).toBeGreaterThanOrEqual(1);
    expect(located.length).toBeLessThanOrEqual(9);
    // Every located annotation is in the fixture; the last error line is the step's failure.
    expect(errors.filter((l) => l.includes('file=') && !located.includes(l))).toEqual([]);
    expect(errors.at(-1)).toMatch(/^::error::LEAK: heap grew/);
    expect(errors).toHaveLength(located.length + 1);
  });

  test('writes the job summary: headline, metrics, chart with table fallback, findings, traffic', () => {
    expect(run.summary).toMatch(/^## ❌ leakcheck: LEAK/);
    expect(run.summary).toContain('### Growth per request');
    expect(run.summary).toContain('| heapUsed |');
    expect(run.summary).toContain('```mermaid\nxychart-beta');
    expect(run.summary).toMatch(/<summary>Samples as a table \(\d+\)<\/summary>/);
    expect(run.summary).toContain('### Top findings');
    expect(run.summary).toContain('### Traffic');
  });

  test('skips the artifact upload off a runner, and says so', () => {
    expect(run.stdout).toContain(
      'artifact upload skipped: no artifact service (ACTIONS_RUNTIME_TOKEN is not set',
    );
  });

  test("starts the service with PATH's node, not the action's own", () => {
    // The measured run, and the new process attribution runs in after the leak verdict.
    expect(run.pathNodeCalls).toEqual(['server.js', 'server.js']);
    expect(run.stdout).toMatch(/the service starts with the `node` on PATH \(\/[^)]*\/bin\/node\)/);
  });

  test('posts one sticky comment on the pull request, with the summary', () => {
    expect(github.comments).toHaveLength(1);
    const body = github.comments[0]?.body ?? '';
    expect(body.split('\n')[0]).toBe('<!-- leakcheck-sticky-comment: leakcheck-report -->');
    expect(body).toContain('## ❌ leakcheck: LEAK');
    expect(JSON.parse(fs.readFileSync(path.join(REPORT_DIR, 'pr.json'), 'utf8'))).toEqual({
      number: 7,
      headSha: HEAD_SHA,
    });
  });

  test('mode: comment (the workflow_run side) updates that comment from the report folder', async () => {
    const before = github.comments[0]?.body;
    const event = path.join(run.dir, 'workflow_run.json');
    fs.writeFileSync(event, JSON.stringify({ workflow_run: { head_sha: HEAD_SHA } }));
    // Made different (the headline names the version), so the update is visible.
    const file = path.join(REPORT_DIR, 'report.json');
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as Report;
    saved.tool.version = '9.9.9-test';
    fs.writeFileSync(file, JSON.stringify(saved));
    const again = await runAction(
      { mode: 'comment', 'report-dir': REPORT_DIR, 'github-token': 'test-token' },
      { env: { ...env, GITHUB_EVENT_NAME: 'workflow_run', GITHUB_EVENT_PATH: event } },
    );
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/comment updated on pull request #7 \(id 1000\)/);
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]?.body).not.toBe(before);
    expect(github.comments[0]?.body).toContain('leakcheck 9.9.9-test');
    expect(github.comments[0]?.body).toContain('## ❌ leakcheck: LEAK');
    expect(again.pathNodeCalls).toEqual([]);
  });

  test('mode: comment refuses an artifact for another commit than the run tested', async () => {
    const calls = github.calls.length;
    const event = path.join(run.dir, 'workflow_run-other.json');
    fs.writeFileSync(event, JSON.stringify({ workflow_run: { head_sha: 'd'.repeat(40) } }));
    const other = await runAction(
      { mode: 'comment', 'report-dir': REPORT_DIR, 'github-token': 'test-token' },
      { env: { ...env, GITHUB_EVENT_NAME: 'workflow_run', GITHUB_EVENT_PATH: event } },
    );
    expect(other.code).toBe(0);
    expect(commandLines(other.stdout, 'warning')).toEqual([
      `::warning::comment: pr.json names commit ${HEAD_SHA.slice(0, 12)}, the run tested dddddddddddd; no comment`,
    ]);
    expect(github.calls.length).toBe(calls);
  });
});

describe('the Action on a clean service', () => {
  test('passes the gate: exit 0, no error annotations', async () => {
    // A fresh Node process grows its heap for its first ~15 s however clean it is (compiled code
    // and type feedback: ~30 KB/s of old and code space at 3–13 s, ~0 from 20 s, measured on
    // clean-http). Under load that reads as bytes per request, so the warm-up covers it.
    const run = await runAction({
      'working-directory': 'fixtures/clean-http',
      warmup: '12',
      duration: '8',
      'report-dir': '.leakcheck-action-test',
    });
    try {
      expect(commandLines(run.stdout, 'error')).toEqual([]);
      expect(run.code).toBe(0);
      // A short window on a shared machine can leave a clean service undecided, never a leak.
      expect(['pass', 'inconclusive']).toContain(run.outputs.verdict);
      expect(run.summary).toMatch(/^## (✅|⚠️) leakcheck: (PASS|INCONCLUSIVE)/);
      expect(Math.abs(Number(run.outputs['bytes-per-request']))).toBeLessThan(50);
      // A clean run: the service starts once (attribution would start it again after a leak).
      expect(run.pathNodeCalls).toEqual(['server.js']);
    } finally {
      fs.rmSync('fixtures/clean-http/.leakcheck-action-test', { recursive: true, force: true });
    }
  });
});

describe('the Action on bad input', () => {
  test('one error line naming the input, exit 2, nothing started', async () => {
    const run = await runAction({ 'working-directory': 'fixtures/clean-http', 'fail-on': 'sometimes' });
    expect(run.code).toBe(2);
    expect(commandLines(run.stdout, 'error')).toEqual([
      "::error::leakcheck: input 'fail-on': expected one of leak, inconclusive, never, got 'sometimes'",
    ]);
    expect(run.stdout).not.toMatch(/\bat .*\.js:\d+/);
    expect(run.pathNodeCalls).toEqual([]);
    expect(run.outputs).toEqual({});
  });
});
