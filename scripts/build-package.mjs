// Bundles the package's entry points after tsc has compiled dist/ (types and per-module files for
// tests): each entry in ENTRIES is replaced by one file holding its own code and its dependencies,
// so an install needs only the few packages left external. Why: users install leakcheck as a
// dev-dependency in every CI job; bundled, zod, yaml, commander and friends cost the few hundred
// kilobytes leakcheck uses of them instead of their whole published trees (bench/install.ts
// measures it). Usage: node scripts/build-package.mjs
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Entry points named in package.json (main, bin, exports). */
const ENTRIES = {
  'dist/index.js': 'src/index.ts',
  'dist/cli/main.js': 'src/cli/main.ts',
  'dist/jest/index.js': 'src/jest/index.ts',
  'dist/exporter/preload.js': 'src/exporter/preload.ts',
  'dist/node-test/index.js': 'src/node-test/index.ts',
  'dist/vitest/index.mjs': 'src/vitest/index.mts',
};

/**
 * Left as require() calls: autocannon starts worker files by path; prom-client is an optional peer
 * dependency that the exporter loads from the service's own node_modules.
 */
const EXTERNAL = ['autocannon', 'prom-client', 'vitest'];

/** An ES-module bundle (vitest's entry) gets CommonJS's require and __dirname, which the code uses. */
const ESM_BANNER = [
  "import { createRequire as __leakcheckCreateRequire } from 'node:module';",
  "import { fileURLToPath as __leakcheckFileURLToPath } from 'node:url';",
  "import { dirname as __leakcheckDirname } from 'node:path';",
  'const require = __leakcheckCreateRequire(import.meta.url);',
  'const __filename = __leakcheckFileURLToPath(import.meta.url);',
  'const __dirname = __leakcheckDirname(__filename);',
].join('\n');

/** Packages whose code went into a bundle: their licences ship in THIRD-PARTY-LICENSES.txt. */
const bundled = new Set();
for (const [outfile, entry] of Object.entries(ENTRIES)) {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: outfile.endsWith('.mjs') ? 'esm' : 'cjs',
    ...(outfile.endsWith('.mjs') ? { banner: { js: ESM_BANNER } } : {}),
    target: 'node20',
    tsconfig: 'tsconfig.build.json',
    external: EXTERNAL,
    legalComments: 'none', // dist/THIRD-PARTY-LICENSES.txt holds every bundled package's licence
    charset: 'utf8',
    logLevel: 'warning',
    allowOverwrite: true,
    metafile: true,
  });
  for (const input of Object.keys(result.metafile.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) bundled.add(m[1]);
  }
}
const notices = [...bundled].sort().map((name) => {
  const dir = path.join(root, 'node_modules', name);
  const { version, license } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const file = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
  const text = file ? fs.readFileSync(path.join(dir, file), 'utf8').trim() : `License: ${license}`;
  return `${name}@${version} (${license})\n\n${text}\n`;
});
fs.writeFileSync(
  path.join(root, 'dist', 'THIRD-PARTY-LICENSES.txt'),
  'Code from these packages is bundled into dist/*.js:\n\n' + notices.join('\n' + '-'.repeat(72) + '\n\n'),
);
// The config's JSON schema for editors, generated from the compiled zod schema on every build.
const { configJsonSchema } = createRequire(import.meta.url)(
  path.join(root, 'dist', 'config', 'json-schema.js'),
);
fs.writeFileSync(
  path.join(root, 'dist', 'config.schema.json'),
  JSON.stringify(configJsonSchema(), null, 2) + '\n',
);
// The agent is preloaded into targets by path (src/agent/protocol.ts looks beside the bundles).
fs.mkdirSync(path.join(root, 'dist', 'agent'), { recursive: true });
for (const file of ['agent.cjs', 'profiler.cjs']) {
  fs.copyFileSync(path.join(root, 'src', 'agent', file), path.join(root, 'dist', 'agent', file));
}
