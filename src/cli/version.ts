/** leakcheck's own package.json: its version, and the repository the Action is published from. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The fields of leakcheck's package.json that the CLI reads, and the folder it is in. */
export interface ToolPackage {
  dir: string;
  version?: string;
  repository?: unknown;
}

/** leakcheck's package.json, or null when it cannot be read. */
export function toolPackage(): ToolPackage | null {
  // Compiled dist/cli/version.js and bundled dist/cli/main.js sit two levels down, dist/index.js one.
  for (const dir of [path.join(__dirname, '..', '..'), path.join(__dirname, '..')]) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
        repository?: unknown;
      };
      if (pkg.name === 'leakcheck') return { dir, version: pkg.version, repository: pkg.repository };
    } catch {
      // not here
    }
  }
  return null;
}

/** The installed leakcheck version ("0.0.0" if package.json cannot be read). */
export function toolVersion(): string {
  return toolPackage()?.version ?? '0.0.0';
}
