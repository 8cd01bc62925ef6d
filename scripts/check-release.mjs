// Run by `npm publish` (prepublishOnly, after prepare built dist/): refuses to publish a package
// whose `leakcheck init` could not name the Action (see releaseProblems in src/cli/action-ref.ts).
// Usage: node scripts/check-release.mjs
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import process from 'node:process';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { releaseProblems } = createRequire(import.meta.url)(path.join(root, 'dist', 'cli', 'action-ref.js'));
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const problems = releaseProblems(pkg, fs.readFileSync(path.join(root, 'README.md'), 'utf8'));
for (const line of problems) process.stderr.write(`check-release: ${line}\n`);
process.exitCode = problems.length > 0 ? 1 : 0;
