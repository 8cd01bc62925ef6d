import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROM_CLIENT_MISSING } from '../../src/exporter';

// prom-client is an optional peer dependency: a service without it gets one line, not a crash.
test('preloading the exporter where prom-client is missing prints one line and the service runs', () => {
  const built = path.resolve(__dirname, '..', '..', 'dist', 'exporter');
  // A folder outside the repository, so require('prom-client') cannot find the project's copy.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-no-prom-'));
  for (const name of fs.readdirSync(built)) {
    if (name.endsWith('.js')) fs.copyFileSync(path.join(built, name), path.join(dir, name));
  }
  const result = spawnSync(
    process.execPath,
    ['--require', path.join(dir, 'preload.js'), '-e', 'console.log("served")'],
    {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', LEAKCHECK_EXPORTER_PORT: '0' },
      timeout: 30_000,
    },
  );
  expect(result.status).toBe(0);
  expect(result.stdout).toBe('served\n');
  expect(result.stderr).toBe(`leakcheck exporter: not started: ${PROM_CLIENT_MISSING}\n`);
});
