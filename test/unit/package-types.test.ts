/**
 * The published type declarations import only what a user gets: Node's own modules, leakcheck
 * itself and its dependencies. zod, yaml and commander are bundled into the code (build-time
 * only), so a .d.ts importing them would leave the user's types unresolved; prom-client, an
 * optional peer dependency, may appear only behind `leakcheck/exporter`, whose README section
 * says to install it. Reads the files `npm pack` would publish from dist/ (run `npm run build`
 * first; `npm test` does).
 */
import { execFileSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  dependencies?: Record<string, string>;
  exports: Record<string, string | { types?: string }>;
};

/** Packages a subpath's types may name besides the dependencies: the runner or peer it is for. */
const ENTRY_PACKAGES: Record<string, readonly string[]> = {
  './exporter': ['prom-client'],
  './jest': ['expect', '@jest/globals'],
  './vitest': ['vitest'],
};

/** The published .d.ts / .d.mts files, relative to the package root. */
function publishedDeclarations(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    timeout: 60_000,
  });
  const [packed] = JSON.parse(out) as { files: { path: string }[] }[];
  return (packed?.files ?? []).map((f) => f.path).filter((p) => /\.d\.m?ts$/.test(p));
}

/** Module names a declaration file imports, re-exports, references or augments. */
export function moduleNames(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(/\/\/\/\s*<reference\s+types="([^"]+)"/g)) names.push(m[1] as string);
  // Comments hold examples (`import ... from 'leakcheck'`): not imports.
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const patterns = [
    /\bfrom\s+['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /^\s*import\s+['"]([^'"]+)['"]/gm,
    /\bdeclare\s+module\s+['"]([^'"]+)['"]/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) names.push(m[1] as string);
  return names;
}

/** The package a bare module name belongs to (`@scope/name/x` → `@scope/name`). */
function packageOf(name: string): string {
  const parts = name.split('/');
  return name.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
}

function isBuiltin(name: string): boolean {
  return name.startsWith('node:') || builtinModules.includes(name.split('/')[0] as string);
}

describe('published type declarations', () => {
  const files = publishedDeclarations();
  const published = new Set(files);
  const resolveRelative = (from: string, spec: string): string | undefined => {
    const base = path.posix.join(path.posix.dirname(from), spec).replace(/\.m?js$/, '');
    return [`${base}.d.ts`, `${base}.d.mts`, `${base}/index.d.ts`].find((c) => published.has(c));
  };
  const imports = new Map(
    files.map((f) => [f, moduleNames(fs.readFileSync(path.join(ROOT, f), 'utf8'))] as const),
  );

  test('there are declarations to check (npm run build first)', () => {
    expect(files).toEqual(expect.arrayContaining(['dist/index.d.ts', 'dist/exporter/preload.d.ts']));
  });

  test('every relative import resolves to a published declaration', () => {
    const broken = files.flatMap((f) =>
      (imports.get(f) ?? [])
        .filter((spec) => spec.startsWith('.') && resolveRelative(f, spec) === undefined)
        .map((spec) => `${f}: ${spec}`),
    );
    expect(broken).toEqual([]);
  });

  test.each(Object.entries(pkg.exports).filter(([, v]) => typeof v === 'object' && v.types))(
    'types of %s import only Node, leakcheck and its dependencies',
    (entry, target) => {
      const start = path.posix.normalize((target as { types: string }).types);
      const allowed = new Set([
        pkg.name,
        ...Object.keys(pkg.dependencies ?? {}),
        ...(ENTRY_PACKAGES[entry] ?? []),
      ]);
      const seen = new Set<string>();
      const stack = [start];
      const strangers: string[] = [];
      while (stack.length > 0) {
        const file = stack.pop() as string;
        if (seen.has(file)) continue;
        seen.add(file);
        for (const spec of imports.get(file) ?? []) {
          if (spec.startsWith('.')) {
            const next = resolveRelative(file, spec);
            if (next) stack.push(next);
          } else if (!isBuiltin(spec) && !allowed.has(packageOf(spec))) {
            strangers.push(`${file}: ${spec}`);
          }
        }
      }
      expect(seen.has(start)).toBe(true);
      expect(strangers).toEqual([]);
    },
  );

  test('no published declaration names a build-time package', () => {
    const bundled = ['zod', 'yaml', 'commander', 'cli-progress', 'simple-statistics', 'pprof-format'];
    const found = files.flatMap((f) =>
      (imports.get(f) ?? []).filter((spec) => bundled.includes(packageOf(spec))).map((s) => `${f}: ${s}`),
    );
    expect(found).toEqual([]);
  });

  test('the check finds an import of a package the user does not get', () => {
    expect(moduleNames("/** import { x } from 'leakcheck' */\nimport type { z } from 'zod';\n")).toEqual([
      'zod',
    ]);
    expect(moduleNames("declare module 'vitest' {}\nexport * from './a';")).toEqual(['./a', 'vitest']);
  });
});
