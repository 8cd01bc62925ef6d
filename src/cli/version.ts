/** leakcheck's own version, read from its package.json. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The installed leakcheck version ("0.0.0" if package.json cannot be read). */
export function toolVersion(): string {
  // Compiled dist/cli/version.js and bundled dist/cli/main.js sit two levels down, dist/index.js one.
  for (const dir of [path.join(__dirname, '..', '..'), path.join(__dirname, '..')]) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'leakcheck') return pkg.version ?? '0.0.0';
    } catch {
      // not here
    }
  }
  return '0.0.0';
}
