/**
 * Source maps (inline data: URLs and map files beside the script), the pprof export, and the
 * agent's profiler commands run in this process.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { Profile } from 'pprof-format';
import { SourceMapper } from '../../src/attribution/sourcemap';
import { encodePprof } from '../../src/attribution/pprof';
import { flattenProfile, type SamplingProfile } from '../../src/attribution/profile';
import { growingSites } from '../../src/attribution/sites';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-maps-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// Blank lines and types shift the JavaScript away from the TypeScript lines.
const SOURCE = [
  'interface Session { id: string }',
  '',
  'type Id = string;',
  '',
  'const sessions = new Map<Id, Session>();',
  '',
  'export function createSession(id: Id): Session {',
  '  const s: Session = { id };',
  '  sessions.set(id, s);',
  '  return s;',
  '}',
].join('\n');

function compile(inline: boolean): { js: string; map: string } {
  const out = ts.transpileModule(SOURCE, {
    fileName: path.join(tmp, 'sessions.ts'),
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, sourceMap: true },
  });
  const map = out.sourceMapText as string;
  return {
    js: out.outputText,
    map: inline ? `data:application/json;base64,${Buffer.from(map).toString('base64')}` : map,
  };
}

function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

describe('SourceMapper', () => {
  test('an inline data: map takes a JavaScript line back to the TypeScript line', () => {
    const { js, map } = compile(true);
    const script = path.join(tmp, 'sessions.js');
    const mapper = new SourceMapper([{ scriptId: '7', url: pathToFileURL(script).href, sourceMapURL: map }]);
    const jsLine = lineOf(js, 'function createSession');
    expect(jsLine).not.toBe(7);
    const pos = mapper.original(script, jsLine, 1);
    expect(pos).toEqual({ url: path.join(tmp, 'sessions.ts'), line: 7, column: 1 });
    expect(mapper.urlOf('7')).toBe(pathToFileURL(script).href);
  });

  test('a map file beside the script is read from disk; a missing one is counted, not thrown', () => {
    const { js, map } = compile(false);
    fs.writeFileSync(path.join(tmp, 'onDisk.js.map'), map);
    const mapper = new SourceMapper([
      { scriptId: '1', url: path.join(tmp, 'onDisk.js'), sourceMapURL: 'onDisk.js.map' },
      { scriptId: '2', url: path.join(tmp, 'gone.js'), sourceMapURL: 'gone.js.map' },
    ]);
    const jsLine = lineOf(js, 'sessions.set');
    const column = (js.split('\n')[jsLine - 1] ?? '').indexOf('sessions.set') + 1;
    expect(mapper.original(path.join(tmp, 'onDisk.js'), jsLine, column)?.line).toBe(9);
    expect(mapper.original(path.join(tmp, 'gone.js'), 1, 1)).toBeNull();
    expect(mapper.failures).toHaveLength(1);
    expect(mapper.failures[0]).toContain('gone.js');
  });

  test('mapProfile rewrites frames so sites group by TypeScript line', () => {
    const { js, map } = compile(true);
    const script = path.join(tmp, 'sessions.js');
    const mapper = new SourceMapper([{ scriptId: '7', url: script, sourceMapURL: map }]);
    const line = lineOf(js, 'function createSession') - 1;
    const profile: SamplingProfile = {
      head: {
        callFrame: { functionName: '(root)', url: '', lineNumber: -1, columnNumber: -1 },
        selfSize: 0,
        children: [
          {
            callFrame: { functionName: 'createSession', url: script, lineNumber: line, columnNumber: 0 },
            selfSize: 4800,
            children: [],
          },
        ],
      },
    };
    const [site] = flattenProfile(mapper.mapProfile(profile));
    expect(site?.userFrame).toEqual({
      functionName: 'createSession',
      url: path.join(tmp, 'sessions.ts'),
      line: 7,
      column: 1,
    });
  });
});

describe('pprof export', () => {
  const frame = (name: string, line: number, children: SamplingProfile['head'][], selfSize: number) => ({
    callFrame: { functionName: name, url: '/app/server.js', lineNumber: line - 1, columnNumber: 0 },
    selfSize,
    children,
  });
  const profile = (leak: number): SamplingProfile => ({
    head: {
      callFrame: { functionName: '(root)', url: '', lineNumber: -1, columnNumber: -1 },
      selfSize: 0,
      children: [frame('handler', 10, [frame('leak', 20, [], leak), frame('temp', 30, [], 500)], 0)],
    },
  });

  test('growing stacks become samples whose locations decode to the same functions and lines', () => {
    const sites = growingSites(profile(1000), profile(49_000), 1000);
    const bytes = encodePprof(sites, { samplingInterval: 16384, requests: 1000 });
    const decoded = Profile.decode(zlib.gunzipSync(zlib.gzipSync(bytes)));
    const strings = decoded.stringTable.strings;
    expect(decoded.sample).toHaveLength(1);
    const sample = decoded.sample[0];
    expect(sample?.value.map(Number)).toEqual([48_000, 48_000]);
    const names = (sample?.locationId ?? []).map((id) => {
      const loc = decoded.location.find((l) => Number(l.id) === Number(id));
      const fn = decoded.function.find((f) => Number(f.id) === Number(loc?.line[0]?.functionId));
      return `${strings[Number(fn?.name)]}:${Number(loc?.line[0]?.line)}`;
    });
    expect(names).toEqual(['leak:20', 'handler:10']);
    expect(decoded.sampleType.map((t) => strings[Number(t.type)])).toEqual([
      'grown_space',
      'grown_space_per_1k_requests',
    ]);
  });
});

describe('agent profiler commands (in this process)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { register } = require('../../src/agent/profiler.cjs') as {
    register: (
      h: Map<string, (a: Record<string, unknown>) => unknown>,
      hooks: { requests: () => number },
    ) => void;
  };
  const handlers = new Map<string, (a: Record<string, unknown>) => unknown>();
  let requests = 0;
  register(handlers, { requests: () => requests });
  const kept: Array<{ n: number; pad: number[] }> = [];
  function retainSomething(n: number): void {
    for (let i = 0; i < n; i++) kept.push({ n: i, pad: [i, i, i, i, i, i, i, i] });
  }
  afterAll(async () => {
    await handlers.get('profiler.stop')?.({});
  });

  test('start, profile twice, and the retaining function grows between them', async () => {
    expect(await handlers.get('profiler.start')?.({ samplingInterval: 1024 })).toEqual({
      samplingInterval: 1024,
      requests: 0,
      since: 0,
    });
    const first = (await handlers.get('profiler.profile')?.({})) as {
      requests: number;
      profile: SamplingProfile;
    };
    retainSomething(20_000);
    requests = 20_000;
    const second = (await handlers.get('profiler.profile')?.({})) as {
      requests: number;
      profile: SamplingProfile;
    };
    expect(second.requests).toBe(20_000);
    const sites = growingSites(first.profile, second.profile, 20_000, { groupBy: 'userFrame' });
    expect(sites[0]?.userFrame?.functionName).toBe('retainSomething');
    expect(sites[0]?.userFrame?.url).toBe(__filename);
  });

  test('scripts lists this file; profile after stop is an error reply, not a throw into the process', async () => {
    const { scripts } = (await handlers.get('profiler.scripts')?.({})) as {
      scripts: Array<{ url: string }>;
    };
    expect(scripts.some((s) => s.url === pathToFileURL(__filename).href || s.url === __filename)).toBe(true);
    expect(scripts.some((s) => s.url.startsWith('node:'))).toBe(false);
    await handlers.get('profiler.stop')?.({});
    await expect(Promise.resolve().then(() => handlers.get('profiler.profile')?.({}))).rejects.toThrow(
      /not running/,
    );
  });

  test('snapshot refuses a directory that does not exist', () => {
    expect(() => handlers.get('profiler.snapshot')?.({ dir: path.join(tmp, 'nope'), name: 'x' })).toThrow();
  });
});
