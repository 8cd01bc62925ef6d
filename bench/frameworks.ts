/**
 * Trials on popular frameworks that are not in this repository, as a new user would run them:
 * small services on koa, hapi and fastify (bench/frameworks/*.js), each with a leak and a clean
 * variant (`VARIANT=leak|clean`), installed from the npm registry at pinned versions into a
 * temporary folder outside the project, and run with a replayed access log
 * (fixtures/traffic/combined.log).
 *
 * - koa-auth: auth middleware keeps per-request state in a module-level Map keyed by request id;
 *   the leak never deletes the entry (the incident's bug on another framework).
 * - koa-sessions: per-user hit counters in a Map replaced every 5 s (a sawtooth that must pass);
 *   the leak also keeps every user's visit history.
 * - hapi-metrics: response times from the `response` event; the leak pushes them onto an array
 *   never trimmed, the clean one writes a 1024-slot ring.
 * - fastify-listeners: each request subscribes a closure to a shared emitter; the clean one
 *   unsubscribes in `onResponse`.
 * - express-sessions: express-session's default MemoryStore, a new session for every cookieless
 *   request, none expiring (the leak its documentation warns of); the clean one stores them in
 *   memorystore with a 1.5 s cookie, pruned every 1.5 s (a sawtooth that must pass).
 * - express-metrics: a prom-client request-duration histogram; the leak labels it with the
 *   request's path (a new time series for every id in the log: label cardinality), the clean
 *   one with the matched route's template.
 * - express-pool: a generic-pool of 10 connections; the leak never releases the one a not-found
 *   request took, so the pool runs dry and the endpoint answers 503 (flagged on the responses,
 *   rule resource-exhausted: the heap stays flat); the clean one releases it on every path.
 * - express-ajv: ajv compiling a request's schema in the handler, on every request (ajv caches
 *   each compiled validator by its schema object); the clean one compiles each schema once.
 * - express-axios: a gateway whose middleware registers a request interceptor on the shared axios
 *   client for every request; the clean one sets the header on the call.
 * - express-socket-listeners: a 'close' listener on the keep-alive socket for every request; the
 *   clean one listens on the response.
 * - express-pino: a pino logger with its own destination for every request, an open file
 *   descriptor each (flagged on fds: the heap barely moves); the clean one logs through one
 *   logger's children.
 *
 * `npx tsx bench/run.ts --frameworks [--busy] ...` runs them beside (or, with `--only`, instead
 * of) the fixtures. `npx tsx bench/frameworks.ts` prepares the folder and prints its cases, for
 * the reference sampler: `npx tsx bench/truth.ts <path from fixtures/ to a case> --out FILE`.
 * Their truths, measured that way, are in bench/frameworks/truth.json.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const SOURCES = path.join(__dirname, 'frameworks');

/** Pinned, so that a trial means the same thing next time. */
export const FRAMEWORK_VERSIONS: Record<string, string> = {
  koa: '3.3.0',
  '@koa/router': '15.7.0',
  '@hapi/hapi': '21.4.13',
  fastify: '5.12.8',
  express: '5.3.0',
  'express-session': '1.19.0',
  memorystore: '1.6.8',
  'prom-client': '15.1.3',
  'generic-pool': '3.9.0',
  ajv: '8.20.0',
  axios: '1.21.1',
  pino: '10.4.0',
};

const SERVICES = [
  'koa-auth',
  'koa-sessions',
  'hapi-metrics',
  'fastify-listeners',
  'express-sessions',
  'express-metrics',
  'express-pool',
  'express-ajv',
  'express-axios',
  'express-socket-listeners',
  'express-pino',
] as const;

/** What a leak variant is flagged on, where it is not the heap. */
const LEAK_METRIC: Partial<Record<(typeof SERVICES)[number], string>> = {
  // A drained pool holds no more memory: the responses show it (rule resource-exhausted).
  'express-pool': 'responses',
  // A file descriptor per request: the descriptors show it.
  'express-pino': 'fds',
};

/**
 * Environment a service needs beyond VARIANT. express-axios listens on two HTTP servers (its
 * upstream's stub, then the app) that both answer the log's GET requests, so leakcheck cannot
 * tell which one the traffic is for and asks for --url or PORT (exit 2); the trial sets PORT, as
 * its message says. The runs hold the load lock one at a time, so a fixed port is free.
 */
const SERVICE_ENV: Partial<Record<(typeof SERVICES)[number], Record<string, string>>> = {
  'express-axios': { PORT: '39517' },
};

/** One prepared case: a folder holding leakcheck.config.json, expected.json and maybe truth.json. */
export interface FrameworkCase {
  name: string;
  dir: string;
}

/**
 * The trial folder, prepared once per set of versions (reused while its node_modules is there):
 * the services, their frameworks installed from the registry, and one folder per case.
 */
export function prepareFrameworks(): FrameworkCase[] {
  const key = Object.entries(FRAMEWORK_VERSIONS)
    .map(([p, v]) => `${p.replace(/[@/]/g, '')}${v}`)
    .join('-');
  const base = path.join(os.tmpdir(), `leakcheck-frameworks-${key}`);
  fs.mkdirSync(base, { recursive: true });
  for (const file of fs.readdirSync(SOURCES)) {
    if (file.endsWith('.js') || file.endsWith('.cjs'))
      fs.copyFileSync(path.join(SOURCES, file), path.join(base, file));
  }
  const installed = Object.keys(FRAMEWORK_VERSIONS).every((p) =>
    fs.existsSync(path.join(base, 'node_modules', p, 'package.json')),
  );
  if (!installed) {
    fs.writeFileSync(
      path.join(base, 'package.json'),
      JSON.stringify(
        { name: 'leakcheck-framework-trials', private: true, dependencies: FRAMEWORK_VERSIONS },
        null,
        2,
      ),
    );
    const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel', 'error'], {
      cwd: base,
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (r.status !== 0) throw new Error(`npm install in ${base} failed: ${r.stderr || r.stdout}`);
  }
  const truths = JSON.parse(fs.readFileSync(path.join(SOURCES, 'truth.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const replay = path.join(ROOT, 'fixtures', 'traffic', 'combined.log');
  const cases: FrameworkCase[] = [];
  for (const service of SERVICES) {
    for (const variant of ['leak', 'clean'] as const) {
      const dir = path.join(base, `${service}-${variant}`);
      fs.mkdirSync(dir, { recursive: true });
      // print-port.cjs is for the reference sampler (it reads the port from the output); leakcheck
      // learns the port from its agent.
      const config = {
        command: ['node', '-r', '../print-port.cjs', `../${service}.js`],
        env: { VARIANT: variant, ...SERVICE_ENV[service] },
      };
      fs.writeFileSync(path.join(dir, 'leakcheck.config.json'), JSON.stringify(config, null, 2));
      const expected = {
        verdict: variant === 'leak' ? 'leak' : 'pass',
        metric: variant === 'leak' ? (LEAK_METRIC[service] ?? 'heapUsed') : null,
        bytesPerRequest: variant === 'leak' ? null : 0,
        replay,
      };
      fs.writeFileSync(path.join(dir, 'expected.json'), JSON.stringify(expected, null, 2));
      const truth = truths[`${service}-${variant}`];
      const truthFile = path.join(dir, 'truth.json');
      if (truth) fs.writeFileSync(truthFile, JSON.stringify(truth, null, 2));
      else fs.rmSync(truthFile, { force: true });
      cases.push({ name: `${service} ${variant}`, dir });
    }
  }
  return cases;
}

if (require.main === module) {
  for (const c of prepareFrameworks()) {
    process.stdout.write(
      `${c.name}\t${c.dir}\t(truth: npx tsx bench/truth.ts ${path.relative(path.join(ROOT, 'fixtures'), c.dir)} --requests 300000 --out FILE)\n`,
    );
  }
}
