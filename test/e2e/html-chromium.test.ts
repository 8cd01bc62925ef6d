/**
 * The HTML report in a real browser: headless Chromium (Debian's `chromium`, installed by .ci/run)
 * loads the file offline, and the dumped DOM must hold every chart with every sample, the hostile
 * strings as text (never as elements), and the page must make no network request of its own.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { renderHtml } from '../../src/report/html';
import { makeReport } from '../unit/report-data';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((f) => fs.existsSync(f));
const mustRun = Boolean(process.env.CI);

if (!CHROMIUM && !mustRun) {
  // Outside CI a developer machine may lack it; CI installs it, and there the test must run.
  console.warn('html-chromium: skipped, chromium is not installed (apt-get install -y chromium)');
}

const describeBrowser = CHROMIUM || mustRun ? describe : describe.skip;

/** Processes whose process group is `pgid` or whose command line mentions `marker`. */
function processesOf(pgid: number, marker: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name in parentheses: state ppid pgrp ...
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (Number(fields[2]) === pgid || cmdline.includes(marker)) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** Kills Chromium's whole tree and waits (bounded) until none of it is left. */
async function killTree(pgid: number, marker: string): Promise<number[]> {
  const deadline = Date.now() + 10_000;
  let left = processesOf(pgid, marker);
  while (left.length > 0 && Date.now() < deadline) {
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = processesOf(pgid, marker).filter((pid) => {
      try {
        return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
      } catch {
        return false;
      }
    });
  }
  return left;
}

interface BrowserRun {
  dom: string;
  /** Every URL the browser's network stack was asked for. */
  urls: string[];
  /** Chromium processes still alive after the kill (must be none). */
  survivors: number[];
}

/** Loads a file in headless Chromium, dumps the DOM, records a net log; bounded by a deadline. */
async function loadInChromium(file: string): Promise<BrowserRun> {
  if (!CHROMIUM)
    throw new Error('chromium is not installed: .ci/run installs it (apt-get install -y chromium)');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-chromium-'));
  const netLog = path.join(profile, 'net-log.json');
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-default-apps',
    '--disable-extensions',
    '--disable-domain-reliability',
    '--disable-breakpad',
    // Nothing resolves: the browser's own update and sign-in pings fail before leaving the machine.
    '--host-resolver-rules=MAP * ~NOTFOUND',
    `--user-data-dir=${profile}`,
    `--log-net-log=${netLog}`,
    '--dump-dom',
    `file://${file}`,
  ];
  const child = spawn(CHROMIUM, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pgid = child.pid as number;
  let dom = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (dom += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let failure: unknown = null;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`chromium did not finish in 60 s\n${stderr}`)), 60_000);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  } catch (err) {
    failure = err;
  }
  // Whatever happened, the whole tree goes (renderer and GPU processes included).
  const survivors = await killTree(pgid, profile);
  if (failure) throw failure;
  const log = fs.existsSync(netLog) ? fs.readFileSync(netLog, 'utf8') : '';
  const urls = [...log.matchAll(/"url":"([^"]*)"/g)].map((m) => m[1] as string);
  fs.rmSync(profile, { recursive: true, force: true });
  return { dom, urls, survivors };
}

describeBrowser('the HTML report in headless Chromium', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-html-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('renders a chart per metric with every sample; hostile strings stay text; nothing is fetched', async () => {
    const report = makeReport({ bytesPerRequest: 366, evil: true, findings: true });
    const file = path.join(dir, 'report.html');
    fs.writeFileSync(file, renderHtml(report));
    const run = await loadInChromium(file);
    expect(run.survivors).toEqual([]);

    expect(run.dom).toMatch(/<body data-verdict="leak">/);
    const metrics = report.processes[0]?.metrics.length ?? 0;
    const samples = report.processes[0]?.series.length ?? 0;
    expect(metrics).toBe(7);
    expect(samples).toBe(32);
    const svgs = run.dom.match(/<svg [^>]*class="chart"[^>]*>[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(metrics);
    for (const svg of svgs) {
      expect(svg.match(/<circle /g)).toHaveLength(samples);
      expect(svg.match(/<polyline class="samples" points="[\d., ]+"/g)).toHaveLength(1);
      expect(svg.match(/<rect class="band band-(warmup|cooldown)"/g)).toHaveLength(2);
      expect(svg).not.toMatch(/NaN|Infinity/);
    }
    expect(run.dom.match(/<line class="fit fit-leak"/g)).toHaveLength(1);
    expect(run.dom.match(/<div class="finding"/g)).toHaveLength(3);

    // The parser made no element out of the hostile text: no script, no img, no onerror attribute.
    expect(run.dom).not.toMatch(/<script|<img|<[a-z][^>]*\sonerror=/i);
    expect(run.dom).toContain('&lt;script&gt;alert(1)&lt;/script&gt;"&gt;&lt;img src=x onerror=alert(2)&gt;');

    // The page asked for nothing: neither the link-looking text nor the SVG namespace was fetched.
    expect(run.urls.filter((u) => /e\.test|w3\.org/.test(u))).toEqual([]);
  });

  test('control: the net log does see a request a page makes', async () => {
    // Without this, an empty URL list above could just mean the log was not recorded.
    const file = path.join(dir, 'control.html');
    fs.writeFileSync(file, '<!DOCTYPE html><img src="http://leakcheck-control.invalid/x.png">');
    const run = await loadInChromium(file);
    expect(run.survivors).toEqual([]);
    expect(run.urls).toContain('http://leakcheck-control.invalid/x.png');
  });
});
