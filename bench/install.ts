/**
 * `npx tsx bench/install.ts`: what installing leakcheck costs a user. Packs this checkout
 * (`npm pack`, which builds through `prepare`), installs the tarball into an empty project with
 * `npm install --omit=dev` (offline from npm's cache when it can, else from the registry), and
 * writes bench/results-install.md: bytes on disk of node_modules (`du`), packages, the largest
 * ones, install wall time, and whether a TypeScript compiler, a second YAML parser or prom-client
 * came along. Target (issue 13): at most 15 MB.
 *
 * Flags: --out FILE (default bench/results-install.md), --keep (leave the temp project).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const LIMIT_BYTES = 15 * 1000 * 1000;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Disk usage in bytes as `du` counts it (allocated blocks, what a CI cache stores). */
function diskBytes(dir: string): number {
  const out = execFileSync('du', ['-sk', dir], { encoding: 'utf8' });
  return Number(out.split(/\s/)[0]) * 1024;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function main(): void {
  const out = path.resolve(arg('--out') ?? path.join(ROOT, 'bench', 'results-install.md'));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-install-'));
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const packed = execFileSync(npm, ['pack', '--json', '--pack-destination', work], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [info] = JSON.parse(packed.slice(packed.indexOf('['))) as {
    filename: string;
    size: number;
    unpackedSize: number;
    entryCount: number;
  }[];
  if (!info) throw new Error('npm pack printed no result');
  const project = path.join(work, 'project');
  fs.mkdirSync(project);
  fs.writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'empty', private: true }) + '\n',
  );
  const install = (mode: string): { ok: boolean; ms: number } => {
    const started = process.hrtime.bigint();
    const r = spawnSync(
      npm,
      ['install', '--omit=dev', mode, '--no-audit', '--no-fund', path.join(work, info.filename)],
      {
        cwd: project,
        encoding: 'utf8',
      },
    );
    return { ok: r.status === 0, ms: Number(process.hrtime.bigint() - started) / 1e6 };
  };
  let mode = '--offline';
  let result = install(mode);
  if (!result.ok) {
    // npm's cache lacks a package: fetch what is missing from the registry.
    mode = '--prefer-offline';
    result = install(mode);
  }
  if (!result.ok) throw new Error(`npm install ${mode} failed in ${project}`);

  const modules = path.join(project, 'node_modules');
  const total = diskBytes(modules);
  const lock = JSON.parse(fs.readFileSync(path.join(project, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, unknown>;
  };
  const names = Object.keys(lock.packages)
    .filter((p) => p.startsWith('node_modules/'))
    .map((p) => p.slice(p.lastIndexOf('node_modules/') + 'node_modules/'.length));
  const top = fs
    .readdirSync(modules)
    .filter((n) => !n.startsWith('.'))
    .flatMap((n) => (n.startsWith('@') ? fs.readdirSync(path.join(modules, n)).map((m) => `${n}/${m}`) : [n]))
    .map((n) => ({ name: n, bytes: diskBytes(path.join(modules, n)) }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 8);
  const has = (name: string): string => (names.includes(name) ? 'yes' : 'no');
  const yamlParsers = ['yaml', 'js-yaml'].filter((n) => names.includes(n));
  const uptime = fs.existsSync('/proc/loadavg')
    ? fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
    : 'n/a';

  const lines = [
    '# Install footprint',
    '',
    'Written by `npx tsx bench/install.ts`: `npm pack` of this checkout, then',
    `\`npm install --omit=dev ${mode} <tarball>\` into an empty project; sizes are \`du -sk\` of`,
    'node_modules (allocated blocks). Target: at most 15 MB.',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${os.platform()} ${os.arch()}, Node ${process.version},`,
    `npm ${execFileSync(npm, ['--version'], { encoding: 'utf8' }).trim()}; load average ${uptime}.`,
    '',
    '| | |',
    '|---|---|',
    `| node_modules on disk | **${mb(total)}** (${total <= LIMIT_BYTES ? 'within' : 'OVER'} the 15 MB target) |`,
    `| packages installed | ${names.length} |`,
    `| tarball | ${mb(info.size)} packed, ${mb(info.unpackedSize)} unpacked, ${info.entryCount} files |`,
    `| install wall time (${mode}) | ${(result.ms / 1000).toFixed(1)} s |`,
    `| TypeScript compiler installed | ${has('typescript')} |`,
    `| YAML parsers | ${yamlParsers.length === 0 ? 'none (bundled)' : yamlParsers.join(', ')} |`,
    `| prom-client installed | ${has('prom-client')} (optional peer, only for leakcheck/exporter) |`,
    '',
    'Largest packages:',
    '',
    '| package | on disk |',
    '|---|---|',
    ...top.map((t) => `| ${t.name} | ${mb(t.bytes)} |`),
    '',
  ];
  fs.writeFileSync(out, lines.join('\n'));
  process.stdout.write(lines.join('\n'));
  if (!process.argv.includes('--keep')) fs.rmSync(work, { recursive: true, force: true });
}

main();
