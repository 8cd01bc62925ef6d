/** leakcheck's own version, read from its package.json. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The installed leakcheck version ("0.0.0" if package.json cannot be read). */
export function toolVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
