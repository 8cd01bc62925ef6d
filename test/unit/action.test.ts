/**
 * The Action's pure parts: inputs, annotations from findings, the sticky comment with a fake
 * GitHub, the event file. The bundled Action itself runs in test/e2e/action.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MAX_ANNOTATIONS, planAnnotations } from '../../src/action/annotations';
import {
  MAX_COMMENT_CHARS,
  stickyMarker,
  upsertStickyComment,
  type CommentClient,
} from '../../src/action/comment';
import { overridesFromInputs, readInputs } from '../../src/action/inputs';
import { nodeOnPath } from '../../src/action/main';
import { readEvent } from '../../src/action/toolkit';
import type { Finding, Report } from '../../src/report/report';

function getter(values: Record<string, string>): (name: string) => string {
  return (name) => values[name] ?? '';
}

describe('inputs', () => {
  test('defaults, and paths resolved against the workspace', () => {
    const inputs = readInputs(getter({ 'working-directory': 'svc' }), '/ws');
    expect(inputs).toMatchObject({
      mode: 'check',
      workingDirectory: '/ws/svc',
      reportDir: '/ws/svc/.leakcheck',
      failOn: 'leak',
      compare: 'none',
      uploadArtifact: true,
      artifactName: 'leakcheck-report',
      comment: false,
    });
    expect(inputs.command).toBeUndefined();
  });

  test('numbers and switches are read and mapped onto the config', () => {
    const inputs = readInputs(
      getter({
        threshold: '16',
        'min-growth': '1000',
        duration: '5',
        warmup: '0',
        comment: 'true',
        pairs: '3',
      }),
      '/ws',
    );
    expect(inputs.comment).toBe(true);
    expect(inputs.pairs).toBe(3);
    expect(overridesFromInputs(inputs)).toEqual({
      out: '/ws/.leakcheck',
      run: { warmupSeconds: 0, durationSeconds: 5 },
      analysis: {
        thresholds: {
          heapUsed: { perRequest: 16, minGrowth: 1000 },
          external: { perRequest: 16, minGrowth: 1000 },
        },
      },
    });
  });

  test.each([
    ['fail-on', 'sometimes', "input 'fail-on': expected one of leak, inconclusive, never, got 'sometimes'"],
    ['compare', 'head', "input 'compare': expected one of none, base, got 'head'"],
    ['threshold', '-1', "input 'threshold': expected bytes per request, 0 or above, got '-1'"],
    ['duration', 'ten', "input 'duration': expected seconds above 0, got 'ten'"],
    ['pairs', '1', "input 'pairs': expected a whole number, 2 or more, got '1'"],
    ['comment', 'maybe', "input 'comment': expected true or false, got 'maybe'"],
  ])('bad %s is one line naming the input', (name, value, message) => {
    expect(() => readInputs(getter({ [name]: value }), '/ws')).toThrow(message);
  });
});

function reportWith(findings: Finding[]): Report {
  // Only what the annotation planner reads.
  return { findings } as unknown as Report;
}

function site(file: string | undefined, line: number | undefined, bytes: number): Finding {
  return {
    kind: 'allocation-site',
    pid: 1,
    title: `site ${bytes}`,
    file,
    line,
    column: 3,
    bytesPerRequest: bytes,
  };
}

describe('annotations', () => {
  const ws = '/ws';

  test('a leak annotates workspace lines as errors, biggest first, paths made relative', () => {
    const plan = planAnnotations(
      reportWith([
        site('/ws/src/a.js', 10, 50),
        site('file:///ws/src/b.ts', 20, 400),
        site(undefined, undefined, 999),
        site('/elsewhere/c.js', 5, 300),
        site('/ws/node_modules/lib/d.js', 7, 200),
      ]),
      'leak',
      ws,
    );
    expect(plan.annotations.map((a) => [a.level, a.file, a.startLine])).toEqual([
      ['error', 'src/b.ts', 20],
      ['error', 'src/a.js', 10],
    ]);
    expect(plan.annotations[0]?.message).toContain('400 B/request');
    expect(plan.outside).toBe(2);
    expect(plan.unlocated).toBe(1);
  });

  test('at most nine, so that the failure line is the tenth error', () => {
    const many = Array.from({ length: 25 }, (_, i) => site(`/ws/f${i}.js`, i + 1, 100 + i));
    const plan = planAnnotations(reportWith(many), 'leak', ws);
    expect(MAX_ANNOTATIONS).toBe(9);
    expect(plan.annotations).toHaveLength(9);
    expect(plan.annotations[0]?.file).toBe('f24.js');
  });

  test('inconclusive gives warnings; pass and error give none', () => {
    const r = reportWith([site('/ws/a.js', 1, 10)]);
    expect(planAnnotations(r, 'inconclusive', ws).annotations[0]?.level).toBe('warning');
    expect(planAnnotations(r, 'pass', ws).annotations).toEqual([]);
    expect(planAnnotations(r, 'error', ws).annotations).toEqual([]);
  });

  test('a report without findings (attribution off or older report.json) annotates nothing', () => {
    expect(planAnnotations({} as Report, 'leak', ws)).toEqual({ annotations: [], outside: 0, unlocated: 0 });
  });
});

class FakeComments implements CommentClient {
  comments: Array<{ id: number; body: string; author?: string }> = [];
  private next = 100;
  me = 'github-actions[bot]';
  async identity(): Promise<string> {
    return this.me;
  }
  async list(): Promise<Array<{ id: number; body?: string | null; author?: string | null }>> {
    return this.comments.map((c) => ({ ...c }));
  }
  async create(body: string): Promise<{ id: number }> {
    const id = this.next++;
    this.comments.push({ id, body, author: this.me });
    return { id };
  }
  async update(id: number, body: string): Promise<{ id: number }> {
    const c = this.comments.find((x) => x.id === id);
    if (!c) throw new Error('no such comment');
    c.body = body;
    return { id };
  }
}

describe('sticky comment', () => {
  test('created once, then updated in place; other comments and other keys are left alone', async () => {
    const gh = new FakeComments();
    gh.comments.push({ id: 1, body: 'LGTM' });
    const marker = stickyMarker('leakcheck-report');
    expect(await upsertStickyComment(gh, marker, 'first')).toEqual({ action: 'created', id: 100 });
    expect(await upsertStickyComment(gh, marker, 'second')).toEqual({ action: 'updated', id: 100 });
    expect(await upsertStickyComment(gh, stickyMarker('api-service'), 'other')).toEqual({
      action: 'created',
      id: 101,
    });
    expect(await upsertStickyComment(gh, marker, 'third')).toEqual({ action: 'updated', id: 100 });
    expect(gh.comments.map((c) => c.id)).toEqual([1, 100, 101]);
    expect(gh.comments[1]?.body).toBe(`${marker}\nthird`);
    expect(gh.comments[0]?.body).toBe('LGTM');
  });

  test('a comment by someone else carrying the marker is never edited', async () => {
    const gh = new FakeComments();
    const marker = stickyMarker('leakcheck-report');
    gh.comments.push({ id: 1, body: `${marker}\nforged by a contributor`, author: 'mallory' });
    expect(await upsertStickyComment(gh, marker, 'ours')).toEqual({ action: 'created', id: 100 });
    expect(await upsertStickyComment(gh, marker, 'ours again')).toEqual({ action: 'updated', id: 100 });
    expect(gh.comments[0]?.body).toBe(`${marker}\nforged by a contributor`);
  });

  test('the marker is an HTML comment its key cannot close', () => {
    expect(stickyMarker('a-->b<c')).toBe('<!-- leakcheck-sticky-comment: a-bc -->');
  });

  test('a body over the limit is refused before calling GitHub', async () => {
    const gh = new FakeComments();
    await expect(upsertStickyComment(gh, stickyMarker('k'), 'x'.repeat(MAX_COMMENT_CHARS))).rejects.toThrow(
      /over GitHub/,
    );
    expect(gh.comments).toEqual([]);
  });
});

describe('event and PATH', () => {
  test('the pull request and a workflow_run head are read from the event file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-event-'));
    try {
      const file = path.join(dir, 'event.json');
      fs.writeFileSync(
        file,
        JSON.stringify({ pull_request: { number: 7, head: { sha: 'f'.repeat(40) }, base: { ref: 'main' } } }),
      );
      expect(readEvent({ GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: file })).toEqual({
        name: 'pull_request',
        pullRequest: { number: 7, headSha: 'f'.repeat(40), baseRef: 'main' },
      });
      fs.writeFileSync(file, JSON.stringify({ workflow_run: { head_sha: 'e'.repeat(40) } }));
      expect(readEvent({ GITHUB_EVENT_NAME: 'workflow_run', GITHUB_EVENT_PATH: file })).toEqual({
        name: 'workflow_run',
        workflowRunHeadSha: 'e'.repeat(40),
      });
      fs.writeFileSync(file, '{not json');
      expect(readEvent({ GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: file })).toEqual({ name: 'push' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the node the target starts with is the first executable node on PATH', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-path-'));
    try {
      const a = path.join(dir, 'a');
      const b = path.join(dir, 'b');
      fs.mkdirSync(a);
      fs.mkdirSync(b);
      fs.writeFileSync(path.join(a, 'node'), 'not executable', { mode: 0o644 });
      fs.writeFileSync(path.join(b, 'node'), '#!/bin/sh\n', { mode: 0o755 });
      expect(nodeOnPath([a, b].join(path.delimiter))).toBe(path.join(b, 'node'));
      expect(nodeOnPath('')).toBeNull();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
