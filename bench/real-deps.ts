/**
 * `npx tsx bench/real-deps.ts [--case debug|form-data] [--commits N] [--at N] [--run compare|bisect]`:
 * a new user's trial of `leakcheck compare` and `leakcheck bisect` on real published package
 * versions, from the npm registry (the tests never do this: they use the packed fixtures).
 *
 * Builds a throw-away git repository under the temporary directory, outside this project: an
 * express service that depends directly on a package, a good first commit (tag `good`), and
 * `--commits` more commits on main (default 20), clean but for commit `--at` (default 12), which
 * only moves the package to a release that leaked (package.json and package-lock.json, by
 * `npm install <pkg>@<version> --save-exact`). Branch `bump` points at that commit, for compare.
 *
 * - debug: 4.3.0 → 4.2.0 (4.2.0 keeps every instance `createDebug` made in an array; the service
 *   makes a logger per request, a common pattern).
 * - form-data: express-form-data 2.0.22 → 2.0.19 (2.0.19 adds a process listener per parsed
 *   request, before it looks at the body; the service parses every request with it).
 *
 * With `--run compare` or `--run bisect` it runs that command on the repository the way the README
 * tells a new user to (run it under `flock -x /work/load.lock`), prints its output and writes it
 * beside the repository. Without `--run` it prints the repository and the commands.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

interface Case {
  /** The package, its good release (the one that fixed the leak) and the one that leaked. */
  pkg: string;
  good: string;
  bad: string;
  /** The service at one revision (default traffic: GET / as many users). */
  server: (revision: number) => string;
}

const CASES: Record<string, Case> = {
  debug: {
    pkg: 'debug',
    good: '4.3.0',
    bad: '4.2.0',
    server: (revision) =>
      [
        `// orders service, revision ${revision}`,
        "const express = require('express');",
        "const createDebug = require('debug');",
        '',
        'const app = express();',
        `const REVISION = ${revision};`,
        '',
        'function handle(req, res) {',
        "  const log = createDebug('orders:request');",
        "  log('%s %s', req.method, req.url);",
        '  res.json({ revision: REVISION, path: req.path });',
        '}',
        '',
        "app.get('/', handle);",
        "app.get('/orders/:id', handle);",
        '',
        'app.listen(Number(process.env.PORT) || 0);',
        '',
      ].join('\n'),
  },
  'form-data': {
    pkg: 'express-form-data',
    good: '2.0.22',
    bad: '2.0.19',
    server: (revision) =>
      [
        `// upload service, revision ${revision}`,
        "const express = require('express');",
        "const formData = require('express-form-data');",
        "const os = require('node:os');",
        '',
        'const app = express();',
        `const REVISION = ${revision};`,
        '',
        'app.use(formData.parse({ uploadDir: os.tmpdir(), autoClean: true }));',
        '',
        "app.post('/upload', (req, res) => {",
        '  res.json({ revision: REVISION, fields: Object.keys(req.body || {}).length });',
        '});',
        '// The middleware registers its exit handler before it looks at the body: GET / counts too.',
        "app.get('/', (req, res) => res.json({ revision: REVISION }));",
        '',
        'app.listen(Number(process.env.PORT) || 0);',
        '',
      ].join('\n'),
  },
};

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function sh(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout: 300_000,
    env: {
      ...process.env,
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
    },
  });
}

function commit(dir: string, message: string): string {
  sh('git', ['add', '-A'], dir);
  sh('git', ['commit', '-q', '-m', message], dir);
  return sh('git', ['rev-parse', 'HEAD'], dir).trim();
}

/** Clean changes a real project makes between releases: docs, a route's reply, a constant. */
function cleanChange(dir: string, c: Case, revision: number): string {
  fs.writeFileSync(path.join(dir, 'server.js'), c.server(revision));
  fs.appendFileSync(path.join(dir, 'CHANGES.md'), `- revision ${revision}\n`);
  return `revision ${revision}: small clean change`;
}

function build(name: string, commits: number, at: number): { dir: string; c: Case } {
  const c = CASES[name];
  if (!c) throw new Error(`--case: expected one of ${Object.keys(CASES).join(', ')}, got ${name}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `leakcheck-real-${name}-`));
  sh('git', ['init', '-q', '-b', 'main'], dir);
  sh('git', ['config', 'user.email', 'dev@example.com'], dir);
  sh('git', ['config', 'user.name', 'A Developer'], dir);
  fs.writeFileSync(path.join(dir, '.gitignore'), 'node_modules/\n.leakcheck/\n');
  const manifest = {
    name: `real-${name}-service`,
    version: '1.0.0',
    private: true,
    dependencies: { express: '4.21.2', [c.pkg]: c.good },
  };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'server.js'), c.server(0));
  fs.writeFileSync(path.join(dir, 'CHANGES.md'), '# Changes\n');
  sh('npm', ['install', '--no-audit', '--no-fund'], dir);
  commit(dir, 'initial service');
  sh('git', ['tag', 'good'], dir);
  for (let i = 1; i <= commits; i++) {
    if (i === at) {
      sh('npm', ['install', '--no-audit', '--no-fund', '--save-exact', `${c.pkg}@${c.bad}`], dir);
      const sha = commit(dir, `chore(deps): bump ${c.pkg} from ${c.good} to ${c.bad}`);
      sh('git', ['branch', 'bump', sha], dir);
    } else {
      commit(dir, cleanChange(dir, c, i));
    }
  }
  return { dir, c };
}

function main(): void {
  const name = arg('--case') ?? 'debug';
  const commits = Number(arg('--commits') ?? 20);
  const at = Number(arg('--at') ?? 12);
  const existing = arg('--repo');
  const { dir } = existing ? { dir: existing } : build(name, commits, at);
  const compare = ['compare', '--base', 'bump~1', '--', 'node', 'server.js'];
  const bisect = ['bisect', '--good', 'good', '--', 'node', 'server.js'];
  console.log(`repository: ${dir}`);
  console.log(`  compare: git checkout bump && leakcheck ${compare.join(' ')}`);
  console.log(`  bisect:  git checkout main && leakcheck ${bisect.join(' ')}`);
  const what = arg('--run');
  if (!what) return;
  const args = what === 'compare' ? compare : bisect;
  sh('git', ['checkout', '-q', what === 'compare' ? 'bump' : 'main'], dir);
  const extra = process.argv.slice(process.argv.indexOf('--') + 1);
  const started = performance.now();
  const result = spawnSync(
    process.execPath,
    [
      CLI,
      ...args.slice(0, args.indexOf('--')),
      ...(process.argv.includes('--') ? extra : []),
      ...args.slice(args.indexOf('--')),
    ],
    { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 900_000 },
  );
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const text = `$ leakcheck ${args.join(' ')}\n${result.stdout}${result.stderr}\nexit ${result.status} after ${seconds} s, load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}\n`;
  fs.writeFileSync(path.join(dir, `${what}.txt`), text);
  console.log(text);
}

main();
