/**
 * Builds the bisect fixture: a throw-away git repository in a temporary folder (never committed
 * as a nested repository). `main` is a good commit (tagged `good`) and `commits` more on its
 * first-parent line; commit `leakAt` (1-based) adds a leak in the service's own code, the others
 * change harmless things. A `deps` branch from `good` adds the dependency leaky-lib@1.0.0 (packed
 * with `npm pack` from fixtures/bisect/leaky-lib, referenced as a file: tarball) and, at commit
 * `depLeakAt`, moves it to 1.0.1, which leaks; that commit touches only package.json and the lock
 * file. The service's leak is about 8 KB per request, so a run on a busy machine still grows past
 * the 1 MB minimum.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const FIXTURE = path.resolve(__dirname, '..', '..', 'fixtures', 'bisect');

/** What to build. */
export interface BisectRepoOptions {
  /** Commits on main after the good one (default 20). */
  commits?: number;
  /** Which of them (1-based) adds the leak in the service's code (default 11); 0 for none. */
  leakAt?: number;
  /** Commits on the deps branch after good (default 6). */
  depCommits?: number;
  /** Which deps commit (1-based, at least 2) moves leaky-lib 1.0.0 → 1.0.1 (default 4). */
  depLeakAt?: number;
  /** Which commit (1-based, of 6) on the `feature` branch adds a leak (default 3); see `sideLeak`. */
  sideLeakAt?: number;
}

/** The repository and its landmarks. */
export interface BisectRepo {
  dir: string;
  /** main's commits after good, oldest first. */
  main: string[];
  /** deps' commits after good, oldest first. */
  deps: string[];
  good: string;
  /** The commit that adds the service's leak (main), and the one that moves the dependency. */
  leakCommit: string | null;
  depLeakCommit: string;
  /**
   * Branch `merged`: a clean main commit before the leak (the fifth, or good when the leak comes
   * sooner) plus a merge commit that brings in the deps commits before the bump (`-s ours`: the
   * tree stays main's, no leak). Its first-parent line and its every-commit list differ by them.
   */
  merged: { sha: string; firstParent: string[]; side: string[] };
  /**
   * Branch `side-merged`: from the same clean main commit, a `feature` branch of 6 commits, one of
   * which (`leakCommit`) adds a leak to the service, merged with a real merge (`merge`), then 2
   * more commits that keep the leak. Its first-parent line reaches the leak only at the merge;
   * every commit (`--all-commits`) reaches it at `leakCommit`.
   */
  sideLeak: { merge: string; leakCommit: string; firstParent: string[]; all: string[] };
  /** Removes the folder. */
  remove(): void;
}

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      ...process.env,
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
    },
  });
}

/** The service at one commit. */
function server(version: number, leak: boolean, lib: boolean): string {
  return [
    `// bisect fixture service, revision ${version}${leak ? ' (keeps a request history: the leak)' : ''}`,
    "const http = require('node:http');",
    lib ? "const { tag } = require('leaky-lib');" : '',
    `const VERSION = ${version};`,
    leak ? 'const history = []; // BUG: one entry per request, never trimmed' : '',
    'let served = 0;',
    'function handle(req, res) {',
    "  const url = new URL(req.url || '/', 'http://127.0.0.1');",
    '  served++;',
    leak ? '  history.push({ path: url.pathname, n: served, slots: new Array(1024).fill(served) });' : '',
    `  const label = ${lib ? 'tag(url.pathname)' : 'url.pathname'};`,
    '  const body = JSON.stringify({ ok: true, version: VERSION, label });',
    '  req.resume();',
    "  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });",
    '  res.end(body);',
    '}',
    'const server = http.createServer(handle);',
    "server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {",
    '  console.log(`listening on ${server.address().port}`);',
    '});',
    '',
  ]
    .filter((l) => l !== '')
    .join('\n');
}

/** Packs leaky-lib at `version` with the given source as index.js; returns the tarball's name. */
function pack(version: string, source: 'clean.js' | 'leak.js', into: string): string {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-pack-'));
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'leaky-lib', 'package.json'), 'utf8')) as {
      version: string;
    };
    manifest.version = version;
    fs.writeFileSync(path.join(work, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
    fs.copyFileSync(path.join(FIXTURE, 'leaky-lib', source), path.join(work, 'index.js'));
    const name =
      run('npm', ['pack', '--silent', '--pack-destination', into], work).trim().split('\n').pop() ?? '';
    return name;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Builds the repository.
 *
 * @param options - how many commits, where the leaks go
 * @returns the repository
 */
export function makeBisectRepo(options: BisectRepoOptions = {}): BisectRepo {
  const commits = options.commits ?? 20;
  const leakAt = options.leakAt ?? 11;
  const depCommits = options.depCommits ?? 6;
  const depLeakAt = options.depLeakAt ?? 4;
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-bisect-repo-')));
  const git = (...args: string[]): string => run('git', args, dir);
  const commit = (message: string): string => {
    git('add', '-A');
    git('commit', '-q', '--allow-empty', '-m', message);
    return git('rev-parse', 'HEAD').trim();
  };
  const write = (file: string, text: string): void => fs.writeFileSync(path.join(dir, file), text);
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'test@example.invalid');
  git('config', 'user.name', 'leakcheck test');
  write('.gitignore', '.leakcheck/\nnode_modules/\n');
  write('leakcheck.config.json', JSON.stringify({ command: ['node', 'server.js'] }) + '\n');
  const manifest = (deps?: Record<string, string>): string =>
    JSON.stringify(
      { name: 'bisect-fixture', version: '1.0.0', private: true, ...(deps ? { dependencies: deps } : {}) },
      null,
      2,
    ) + '\n';
  write('package.json', manifest());
  write('server.js', server(0, false, false));
  const good = commit('service: answer with a small JSON body');
  git('tag', 'good');

  const main: string[] = [];
  let leakCommit: string | null = null;
  for (let i = 1; i <= commits; i++) {
    const leaking = leakAt > 0 && i >= leakAt;
    write('server.js', server(i, leaking, false));
    const sha = commit(
      i === leakAt ? `keep a request history for debugging (${i})` : `revision ${i}: bump VERSION`,
    );
    main.push(sha);
    if (i === leakAt) leakCommit = sha;
  }

  // The deps branch: leaky-lib 1.0.0 first, then a commit that only moves it to 1.0.1.
  git('checkout', '-q', '-b', 'deps', good);
  fs.mkdirSync(path.join(dir, 'pkgs'));
  const clean = pack('1.0.0', 'clean.js', path.join(dir, 'pkgs'));
  const leaky = pack('1.0.1', 'leak.js', path.join(dir, 'pkgs'));
  const lock = (): void => {
    run('npm', ['install', '--package-lock-only', '--ignore-scripts', '--offline'], dir);
  };
  const deps: string[] = [];
  let depLeakCommit = '';
  for (let i = 1; i <= depCommits; i++) {
    const version = i >= depLeakAt ? leaky : clean;
    if (i === 1 || i === depLeakAt) {
      write('package.json', manifest({ 'leaky-lib': `file:./pkgs/${version}` }));
      lock();
    }
    if (i !== depLeakAt) write('server.js', server(100 + i, false, true));
    const sha = commit(i === depLeakAt ? 'deps: leaky-lib 1.0.0 → 1.0.1' : `deps revision ${i}`);
    deps.push(sha);
    if (i === depLeakAt) depLeakCommit = sha;
  }
  const base = leakAt === 0 || leakAt > 5 ? 5 : leakAt - 1;
  const side = deps.slice(0, depLeakAt - 1);
  git('checkout', '-q', '-b', 'merged', base > 0 ? (main[base - 1] as string) : good);
  git('merge', '-q', '-s', 'ours', '--no-edit', '-m', 'merge the deps work', side[side.length - 1] as string);
  const merge = git('rev-parse', 'HEAD').trim();

  // A leak that arrives on a side branch, merged for real.
  const fork = base > 0 ? (main[base - 1] as string) : good;
  const sideLeakAt = options.sideLeakAt ?? 3;
  git('checkout', '-q', '-b', 'feature', fork);
  const feature: string[] = [];
  for (let i = 1; i <= 6; i++) {
    write('server.js', server(200 + i, i >= sideLeakAt, false));
    feature.push(
      commit(i === sideLeakAt ? `feature: keep a request history (${i})` : `feature revision ${i}`),
    );
  }
  git('checkout', '-q', '-b', 'side-merged', fork);
  git('merge', '-q', '--no-ff', '--no-edit', '-m', 'merge the feature branch', 'feature');
  const sideMerge = git('rev-parse', 'HEAD').trim();
  const after: string[] = [];
  for (let i = 1; i <= 2; i++) {
    write('server.js', server(300 + i, true, false));
    after.push(commit(`after the merge ${i}`));
  }
  const before = main.slice(0, base);
  git('checkout', '-q', 'main');
  return {
    dir,
    main,
    deps,
    good,
    leakCommit,
    depLeakCommit,
    merged: { sha: merge, firstParent: [...main.slice(0, base), merge], side },
    sideLeak: {
      merge: sideMerge,
      leakCommit: feature[sideLeakAt - 1] as string,
      firstParent: [...before, sideMerge, ...after],
      all: [...before, ...feature, sideMerge, ...after],
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
