import { renderMarkdown, renderMarkdownSummary, markdownTable } from '../../src/report/markdown';
import { renderHtml, HTML_REPORT_CSP } from '../../src/report/html';
import { renderJUnit } from '../../src/report/junit';
import { buildSarif, renderSarif } from '../../src/report/sarif';
import { escapeMarkdown, escapeXml, markdownCodeBlock } from '../../src/report/escape';
import { niceTicks, svgChart } from '../../src/report/svg-chart';
import { resampleEvenly } from '../../src/report/view';
import { parseReport, ReportFormatError } from '../../src/report/validate';
import { renderReport, REPORT_FORMATS } from '../../src/report/render';
import { renderTerminal, terminalTable } from '../../src/report/terminal';
import type { Report } from '../../src/report/report';
import { EVIL, makeReport } from './report-data';

const leak = makeReport({ bytesPerRequest: 366, findings: true });
const clean = makeReport({ bytesPerRequest: 0 });
const cluster = makeReport({ bytesPerRequest: 0, processes: 2 });
const crashed = makeReport({ bytesPerRequest: 366, crashed: true });

/** Lines of the Markdown between a heading and the next one. */
function section(md: string, heading: string): string {
  const start = md.indexOf(heading);
  if (start < 0) return '';
  const next = md.indexOf('\n## ', start + heading.length);
  const next3 = md.indexOf('\n### ', start + heading.length);
  const ends = [next, next3].filter((i) => i > 0);
  return md.slice(start, ends.length > 0 ? Math.min(...ends) : undefined);
}

describe('markdown', () => {
  test('a leak: headline, per-metric table with intervals, rule and verdict', () => {
    expect(leak.verdict).toBe('leak');
    const md = renderMarkdown(leak);
    expect(md.split('\n')[0]).toBe('## ❌ leakcheck: LEAK');
    const table = section(md, '### Growth per request');
    const rows = table
      .split('\n')
      .filter((l) => l.startsWith('| ') && !l.startsWith('| metric') && !l.startsWith('| ---'));
    expect(rows).toHaveLength(leak.processes[0]?.metrics.length ?? -1);
    const heap = rows.find((r) => r.startsWith('| heapUsed |'));
    expect(heap).toMatch(
      /\| 365\.9 B\/request \(95% CI 365\.3–366\.6\) \| \+18\.9 MB \| 30 \| 1\.00 \| LEAK \| linear-growth \|/,
    );
    expect(rows.filter((r) => r.includes('| info |'))).toHaveLength(2); // rss and arrayBuffers
    expect(md).toContain('heap reaches its 4.3 GB limit');
  });

  test('the Mermaid chart plots the measured samples and the fitted line', () => {
    const md = renderMarkdown(leak);
    const block = /```mermaid\n([\s\S]*?)\n```/.exec(md)?.[1] ?? '';
    expect(block.split('\n')[0]).toBe('xychart-beta');
    expect(block).toMatch(/x-axis "requests served" 14874 --> 66436/);
    const lines = block.split('\n').filter((l) => l.trim().startsWith('line ['));
    expect(lines).toHaveLength(2);
    const values = (l: string): number[] => (/\[(.*)\]/.exec(l)?.[1] ?? '').split(', ').map(Number);
    const samples = values(lines[0] as string);
    const fit = values(lines[1] as string);
    expect(samples).toHaveLength(30);
    expect(fit).toHaveLength(30);
    // MB: 12.9 MB at the warm-up's end plus one sample interval's growth (366 B × 1,778), then
    // +18.9 MB over the window.
    expect(samples[0]).toBeCloseTo(13.55, 0);
    expect((fit.at(-1) as number) - (fit[0] as number)).toBeCloseTo(18.87, 1);
    // The fallback table lists every sample of every phase.
    const fallback = /<details><summary>Samples as a table \((\d+)\)<\/summary>([\s\S]*?)<\/details>/.exec(
      md,
    );
    expect(Number(fallback?.[1])).toBe(32);
    expect(fallback?.[2]?.match(/\| (warmup|measure|cooldown) \|/g)).toHaveLength(32);
  });

  test('findings, traffic fidelity, warnings and settings', () => {
    const md = renderMarkdown(leak);
    const findings = section(md, '### Top findings');
    expect(findings).toMatch(
      /^1\. sessions.set in verifyToken — \*\*352 B\/request\*\*<br>\n {3}at \/srv\/app\/src\/auth.ts:42:7 \(verifyToken\)$/m,
    );
    expect(findings).toMatch(
      /^2\. Session objects retained by a Map — \*\*1 objects\/request \(96 B each\)\*\*/m,
    );
    expect(findings).toMatch(/^3\. small buffer in logRequest/m);
    const traffic = section(md, '### Traffic');
    expect(traffic).toContain('| GET /login | 95% | 99.8% | 64,679 | 200: 64,679 |');
    expect(traffic).toContain('| GET /health | 5% | 0.2% | 120 | 404: 120 |');
    expect(md).toContain('<details><summary>Run settings</summary>');
    expect(md).toMatch(/\| command \| node server\.js \|/);
    expect(md).toMatch(/\| warmup \| seconds: 1, requests: – \|/);
  });

  test('an allocation site native code made (no file) comes after every finding that names code', () => {
    const native: Report = {
      ...leak,
      findings: [
        ...(leak.findings ?? []),
        {
          kind: 'allocation-site',
          pid: 4242,
          title: 'native code (no JavaScript on the stack) allocates 9000 B per request that stays alive',
          function: '(V8 API)',
          bytesPerRequest: 9000,
        },
      ],
    };
    const findings = section(renderMarkdown(native), '### Top findings');
    expect(findings).toMatch(/^1\. sessions.set in verifyToken/m);
    expect(findings).toMatch(/^4\. native code \(no JavaScript on the stack\) allocates 9000 B/m);
  });

  test('a clean run passes without a findings section; the summary leaves out the settings', () => {
    const md = renderMarkdown(clean);
    expect(md.split('\n')[0]).toBe('## ✅ leakcheck: PASS');
    expect(md).not.toContain('Top findings');
    expect(md).not.toMatch(/\| LEAK \|/);
    const summary = renderMarkdownSummary(clean, { headingLevel: 3 });
    expect(summary.split('\n')[0]).toBe('### ✅ leakcheck: PASS');
    expect(summary).not.toContain('Run settings');
    expect(summary).toContain('```mermaid');
  });

  test('a cluster gets a table and a chart per process', () => {
    const md = renderMarkdown(cluster);
    expect(md.match(/^### Process \d+ \(50% of requests\): PASS$/gm)).toHaveLength(2);
    expect(md.match(/```mermaid/g)).toHaveLength(2);
  });

  test('a crashed run shows the failure and the log tail in a fence', () => {
    const md = renderMarkdown(crashed);
    expect(md.split('\n')[0]).toBe('## 🛑 leakcheck: ERROR');
    expect(md).toContain('### Run ended early');
    expect(md).toContain('```text\nlistening on 42271\nCRASH_AFTER=40000: exiting with code 70\n```');
  });

  test('a code block is fenced longer than any backtick run inside it', () => {
    expect(markdownCodeBlock(['a ````` b'])).toBe('``````text\na ````` b\n``````');
  });

  test('markdownTable escapes cells', () => {
    expect(markdownTable({ headers: ['a'], rows: [['x|y']] })).toBe('| a |\n| --- |\n| x\\|y |');
  });
});

describe('html', () => {
  test('a chart per metric with every sample, the fitted line and the phases', () => {
    const html = renderHtml(leak);
    const p = leak.processes[0];
    const figures = html.match(/<figure data-metric="(\w+)">/g) ?? [];
    expect(figures).toHaveLength(p?.metrics.length ?? -1);
    for (const m of p?.metrics ?? []) {
      const svg = new RegExp(
        `<svg [^>]*data-samples="(\\d+)" data-metric="${m.metric}"[^>]*>([\\s\\S]*?)</svg>`,
      ).exec(html);
      expect(Number(svg?.[1])).toBe(32);
      const body = svg?.[2] ?? '';
      expect(body.match(/<circle class="pt pt-measure"/g)).toHaveLength(30);
      expect(body.match(/<circle class="pt pt-warmup"/g)).toHaveLength(1);
      expect(body.match(/<circle class="pt pt-cooldown"/g)).toHaveLength(1);
      expect(body).toMatch(/<rect class="band band-warmup"/);
      expect(body).toMatch(/<rect class="band band-cooldown"/);
      expect(body.match(/<line class="fit( fit-leak)?"/g)).toHaveLength(1);
      expect(body.includes('fit-leak')).toBe(m.gating && m.verdict === 'leak');
    }
  });

  test('verdict, findings, fidelity, settings; no scripts or external resources', () => {
    const html = renderHtml(leak);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${HTML_REPORT_CSP}">`);
    expect(html).toMatch(/<span class="verdict v-leak" id="verdict">LEAK<\/span>/);
    expect(html.match(/<div class="finding"/g)).toHaveLength(3);
    expect(html).toContain('<code>/srv/app/src/auth.ts:42:7 (verifyToken)</code>');
    expect(html).toMatch(/<td>GET \/login<\/td><td class="num">95%<\/td><td class="num">99.8%<\/td>/);
    expect(html).toContain('<section id="settings">');
    expect(html).not.toMatch(/<script|<link|<iframe|<img|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
  });

  test('a clean report has no leak line and no findings section', () => {
    const html = renderHtml(clean);
    expect(html).toContain('data-verdict="pass"');
    expect(html).not.toContain('class="fit fit-leak"');
    expect(html.match(/<line class="fit"/g)).toHaveLength(7);
    expect(html).not.toContain('id="findings"');
  });
});

describe('terminal', () => {
  test("the metric table is the view's, compact: the same numbers, verdict and rule as Markdown", () => {
    const text = renderTerminal(leak);
    expect(text.split('\n')[1]).toBe(`LEAK  ${leak.summary.replace(/^LEAK: /, '')}`);
    expect(text).toMatch(/^ {2}metric +rate \(95% CI\) +growth +samples +R² +verdict +rule$/m);
    expect(text).toMatch(
      /^ {2}heapUsed +365\.9 B\/request \[365\.3–366\.6\] +\+18\.9 MB +30 +1\.00 +LEAK +linear-growth$/m,
    );
    // Every metric row of the Markdown table reappears with the same cells (the rate compacted).
    const md = renderMarkdown(leak);
    for (const m of leak.processes[0]?.metrics ?? []) {
      const cells = (md.split('\n').find((l) => l.startsWith(`| ${m.metric} |`)) ?? '')
        .split(' | ')
        .slice(2)
        .map((c) => c.replace(/ \|$/, ''));
      expect(cells).toHaveLength(5);
      const row = text.split('\n').find((l) => l.startsWith(`  ${m.metric} `)) ?? '';
      expect(row.split(/ {2,}/).slice(3)).toEqual(cells);
    }
    // The projection is the view's sentence, as in Markdown.
    const projection = /At [\d,]+ requests\/s the heap reaches its [^\n]*\./.exec(md)?.[0];
    expect(projection).toBeDefined();
    expect(text).toContain(projection);
  });

  test("findings in the view's order with its rates; a cluster says which metric decided", () => {
    const text = renderTerminal(leak);
    expect(text).toMatch(/^ {4}352 B\/request {2}verifyToken {2}src\/auth\.ts:42:7$/m);
    expect(text).toContain('Session objects retained by a Map');
    const two = renderTerminal(cluster);
    for (const p of cluster.processes) {
      expect(two).toContain(`process ${p.pid} (`);
      expect(two).toContain(`Decided by ${p.decidedBy?.metric ?? '?'} (${p.decidedBy?.rule ?? '?'}): `);
    }
  });
});

describe('svg chart', () => {
  test('nice ticks cover the range in 1-2-5 steps', () => {
    expect(niceTicks(0, 66_000, 6)).toEqual([0, 20_000, 40_000, 60_000]);
    expect(niceTicks(0, 66_000, 10)).toEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);
    expect(niceTicks(12.3, 31.9, 5)).toEqual([15, 20, 25, 30]);
  });

  test('flat series and a single point still draw', () => {
    const svg = svgChart({
      title: 't',
      yLabel: 'y',
      unit: 'count',
      points: [{ x: 5, y: 3, phase: 'measure' }],
    });
    expect(svg.match(/<circle/g)).toHaveLength(1);
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(svgChart({ title: 't', yLabel: 'y', unit: 'count', points: [] })).toBe('');
  });

  test('resampling is evenly spaced and interpolates', () => {
    const out = resampleEvenly(
      [
        { x: 0, y: 0 },
        { x: 10, y: 10 },
        { x: 30, y: 10 },
      ],
      4,
    );
    expect(out.map((p) => p.x)).toEqual([0, 10, 20, 30]);
    expect(out.map((p) => p.y)).toEqual([0, 10, 10, 10]);
  });
});

describe('junit', () => {
  const cases = (xml: string): string[] => xml.match(/<testcase [^>]*>[\s\S]*?<\/testcase>/g) ?? [];

  test('one case per process and metric; the leaking gating metric fails', () => {
    const xml = renderJUnit(leak);
    expect(cases(xml)).toHaveLength(7);
    expect(xml).toMatch(
      /<testsuites name="leakcheck" tests="7" failures="1" errors="0" skipped="0" time="12.227">/,
    );
    const heap = cases(xml).find((c) => c.includes('name="heapUsed"'));
    expect(heap).toMatch(/<failure message="heap grew 365.9 B\/request[^"]*" type="linear-growth">/);
    // rss grows too, but it is informational: it passes.
    expect(cases(xml).find((c) => c.includes('name="rss"'))).not.toContain('<failure');
  });

  test('a clean cluster: 14 passing cases, class names by rank not pid', () => {
    const xml = renderJUnit(cluster);
    expect(cases(xml)).toHaveLength(14);
    expect(xml).toContain('failures="0"');
    expect(xml.match(/classname="leakcheck.process-1"/g)).toHaveLength(7);
    expect(xml.match(/classname="leakcheck.process-2"/g)).toHaveLength(7);
  });

  test('inconclusive metrics are skipped by default, failed when asked', () => {
    const r: Report = JSON.parse(JSON.stringify(clean));
    const m = r.processes[0]?.metrics.find((x) => x.metric === 'heapUsed');
    if (!m) throw new Error('no heap metric');
    m.verdict = 'inconclusive';
    expect(renderJUnit(r)).toMatch(/skipped="1"/);
    expect(renderJUnit(r)).toMatch(
      /<testcase classname="leakcheck" name="heapUsed" time="0">\n\s+<skipped message=/,
    );
    expect(renderJUnit(r, { inconclusive: 'fail' })).toMatch(/failures="1"/);
    r.settings.failOn = 'inconclusive';
    expect(renderJUnit(r)).toMatch(/failures="1"/);
  });

  test('a run that could not measure is one errored case with the log tail', () => {
    const xml = renderJUnit(crashed);
    expect(cases(xml)).toHaveLength(1);
    expect(xml).toMatch(/errors="1"/);
    expect(xml).toContain(
      '<error message="no verdict: the target exited with code 70 during the measure" type="target-exited">',
    );
    expect(xml).toContain('CRASH_AFTER=40000: exiting with code 70');
  });

  test('characters XML cannot carry are replaced', () => {
    expect(escapeXml("a\u0000b\u001bc'd")).toBe('a\uFFFDb\uFFFDc&apos;d');
  });
});

describe('sarif', () => {
  test('a leak: one metric result and one per located finding, paths relative to the source root', () => {
    const log = buildSarif(leak, { sourceRoot: '/srv/app' });
    expect(log.version).toBe('2.1.0');
    const run = log.runs[0];
    expect(run?.originalUriBaseIds.SRCROOT?.uri).toBe('file:///srv/app/');
    const results = run?.results ?? [];
    expect(results.map((r) => r.ruleId)).toEqual([
      'leakcheck/heapUsed-growth',
      'leakcheck/allocation-site',
      'leakcheck/allocation-site',
    ]);
    expect(results.every((r) => r.level === 'error')).toBe(true);
    const loc = (i: number): unknown => results[i]?.locations?.[0]?.physicalLocation;
    expect(loc(0)).toEqual({
      artifactLocation: { uri: 'src/auth.ts', uriBaseId: 'SRCROOT' },
      region: { startLine: 42, startColumn: 7 },
    });
    expect(loc(2)).toEqual({
      artifactLocation: { uri: 'src/log.ts', uriBaseId: 'SRCROOT' },
      region: { startLine: 9 },
    });
    expect(results[0]?.message.text).toMatch(/^Leak in heapUsed: heap grew 365.9 B\/request/);
    // Every result points at a rule that exists.
    for (const r of results) expect(run?.tool.driver.rules[r.ruleIndex]?.id).toBe(r.ruleId);
  });

  test('without findings the metric result points at the service entry file', () => {
    const r = makeReport({ bytesPerRequest: 366 });
    const result = buildSarif(r, { sourceRoot: '/srv/app' }).runs[0]?.results[0];
    expect(result?.locations?.[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: 'server.js', uriBaseId: 'SRCROOT' },
      region: { startLine: 1 },
    });
  });

  test('a clean run has no results and a successful invocation', () => {
    const run = buildSarif(clean).runs[0];
    expect(run?.results).toHaveLength(0);
    expect(run?.invocations[0]).toEqual({ executionSuccessful: true, exitCode: 0 });
  });
});

describe('every renderer escapes what came from traffic, logs and the target', () => {
  const evil = makeReport({ bytesPerRequest: 366, evil: true, findings: true });
  const evilCrash = makeReport({ bytesPerRequest: 366, evil: true, crashed: true });
  const evilDrained = makeReport({ bytesPerRequest: 0, evil: true, drained: true });

  test('the fixture really carries the hostile text', () => {
    expect(evil.traffic.endpoints[0]?.endpoint).toContain('<script>');
    expect(evilDrained.summary).toContain('<script>');
    expect(evil.processes[0]?.argv[1]).toContain('onerror');
    expect(evilCrash.failure?.logTail.join('\n')).toContain('<script>');
  });

  test('html', () => {
    for (const r of [evil, evilCrash, evilDrained]) {
      const html = renderHtml(r);
      expect(html).not.toContain('<script');
      expect(html).not.toContain('<img');
      expect(html).not.toMatch(/"><img|" onerror/);
      expect(html).toContain(
        '&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;',
      );
    }
  });

  test('markdown: no raw HTML, and | cannot split a table cell', () => {
    for (const r of [evil, evilCrash, evilDrained]) {
      const md = renderMarkdown(r);
      // Outside fenced code blocks (shown verbatim, never parsed) no tag may appear.
      const prose = md.replace(/(`{3,})text\n[\s\S]*?\n\1/g, '');
      expect(prose).not.toMatch(/<script|<img/);
      expect(prose).toContain('&lt;script&gt;alert(1)&lt;/script&gt;"&gt;&lt;img src=x onerror=alert(2)&gt;');
      // Each table row has exactly as many unescaped pipes as its header.
      const tableLines = prose.split('\n').filter((l) => l.startsWith('|'));
      expect(tableLines.length).toBeGreaterThan(0);
      let width = 0;
      for (const line of tableLines) {
        const pipes = (line.match(/(?<!\\)\|/g) ?? []).length;
        if (/^\| ---/.test(tableLines[tableLines.indexOf(line) + 1] ?? '')) width = pipes;
        expect(pipes).toBe(width);
      }
    }
    // The crash's log tail is in a fence the log cannot close.
    expect(renderMarkdown(evilCrash)).toMatch(/```text\n[^`]*error at <script>/);
    expect(escapeMarkdown('[l](http://e.test) *x* _y_ `z`')).toBe(
      '\\[l\\](http:&#8203;//e.test) \\*x\\* \\_y\\_ \\`z\\`',
    );
  });

  /* eslint-disable no-control-regex -- control characters are what is checked */
  test('text (leakcheck report to a terminal): no control sequence from a report.json', () => {
    // A report.json someone else wrote: escapes in the command, a warning, a log line, a finding.
    const ESC = '\u001b]0;pwned\u0007\u001b[2J\u001b[31mred\u009b1m\u202Eevil';
    for (const r of [evil, evilCrash]) {
      const hostile = JSON.parse(JSON.stringify(r)) as Report;
      hostile.target.command = `node ${ESC}.js`;
      hostile.warnings.push(`warning ${ESC}`);
      hostile.failure?.logTail.push(`log ${ESC}`);
      const finding = hostile.findings?.[0];
      if (finding) finding.title = `grows ${ESC}`;
      const stored = parseReport(JSON.stringify(hostile), 'report.json');
      const plain = renderReport(stored, 'text', { color: false });
      expect(plain).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E]/);
      expect(plain).toContain('node red');
      expect(plain).toContain('warning red');
      // With colour, the only escapes are leakcheck's own SGR colour codes.
      const coloured = renderReport(stored, 'text', { color: true });
      expect(coloured.replace(/\u001b\[\d+m/g, '')).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/);
    }
  });

  /* eslint-enable no-control-regex */

  test('junit', () => {
    for (const r of [evil, evilCrash]) {
      const xml = renderJUnit(r);
      expect(xml).not.toMatch(/<script|<img/);
      expect(xml).toContain(
        '&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;',
      );
      // Every attribute value is quoted and closed: no raw quote inside one.
      for (const attr of xml.match(/ \w+="[^"]*"/g) ?? []) expect(attr).not.toMatch(/[<>]/);
    }
  });

  test('sarif: the JSON has no raw markup and parses back to the original text', () => {
    const text = renderSarif(evil, { sourceRoot: '/srv/app' });
    expect(text).not.toMatch(/[<>]/);
    const parsed = JSON.parse(text) as ReturnType<typeof buildSarif>;
    const messages = parsed.runs[0]?.results.map((r) => r.message.text).join('\n') ?? '';
    expect(messages).toContain(`sessions.set in ${EVIL}`);
    const uri = parsed.runs[0]?.results[1]?.locations?.[0]?.physicalLocation.artifactLocation.uri ?? '';
    expect(uri).not.toMatch(/[<>"\s]/);
    // The path keeps the hostile name (path.resolve only folds the "//" in it).
    expect(decodeURIComponent(uri)).toContain('<script>alert(1)</script>"><img src=x onerror=alert(2)>');
  });
});

describe('a resource that ran out (a drained pool)', () => {
  const drained = makeReport({ bytesPerRequest: 0, drained: true });

  test('is a leak decided by the responses, exit 1, with what happened in report.json', () => {
    expect(drained.verdict).toBe('leak');
    expect(drained.exitCode).toBe(1);
    expect(drained.decidedBy).toMatchObject({ metric: 'responses', rule: 'resource-exhausted' });
    expect(drained.summary).toMatch(
      /^LEAK: GET \/login answered its first 11 requests and then failed 100% of 120 \(status 500 or more\) from second 5 to 11/,
    );
    expect(drained.traffic.exhaustion).toMatchObject({
      kind: 'endpoint',
      endpoint: 'GET /login',
      answeredFirst: 11,
    });
    // The heap passed on its own.
    expect(drained.processes[0]?.verdict).toBe('pass');
    expect(parseReport(JSON.stringify(drained), 'report.json').traffic.exhaustion).toEqual(
      drained.traffic.exhaustion,
    );
  });

  test('analysis.exhaustion: false leaves it unjudged (a service that sheds load with 503 by design)', () => {
    const off = makeReport({ bytesPerRequest: 0, drained: true, exhaustionOff: true });
    expect(off.verdict).toBe('pass');
    expect(off.traffic.exhaustion).toBeUndefined();
  });

  test('a heap leak found as well keeps deciding, and the pool is a warning', () => {
    const both = makeReport({ bytesPerRequest: 366, drained: true });
    expect(both.decidedBy?.metric).toBe('heapUsed');
    expect(both.warnings.join('\n')).toMatch(
      /^a resource ran out as well: GET \/login answered its first 11/m,
    );
  });

  test('every format says so', () => {
    expect(renderMarkdown(drained)).toContain('GET /login answered its first 11 requests');
    expect(renderHtml(drained)).toContain('GET /login answered its first 11 requests');
    expect(renderTerminal(drained)).toContain('LEAK  GET /login answered its first 11 requests');
    // JUnit: a failed case named for the rule, so the suite is not green.
    const junit = renderJUnit(drained);
    expect(junit).toMatch(/<testsuites name="leakcheck" tests="\d+" failures="1"/);
    expect(junit).toMatch(
      /<testcase classname="leakcheck" name="resource-exhausted" time="0">\n {6}<failure message="GET \/login answered its first 11/,
    );
    // SARIF: one error result for it, placed on the service's entry file.
    const results = buildSarif(drained, { sourceRoot: '/srv/app' }).runs[0]?.results ?? [];
    const r = results.find((x) => x.ruleId === 'leakcheck/resource-exhausted');
    expect(r?.level).toBe('error');
    expect(r?.message.text).toMatch(/^Resource exhausted: GET \/login answered its first 11 requests/);
    expect(r?.locations?.[0]?.physicalLocation.artifactLocation.uri).toBe('server.js');
  });
});

describe('report.json validation', () => {
  const text = JSON.stringify(leak);

  test('a report round-trips and renders the same in every format', () => {
    const back = parseReport(text, 'report.json');
    for (const f of REPORT_FORMATS) expect(renderReport(back, f)).toBe(renderReport(leak, f));
  });

  test.each([
    ['{', /^r\.json is not valid JSON/],
    ['[]', /^r\.json is not a leakcheck report: expected a JSON object$/],
    ['{"verdict":"leak"}', /^r\.json is not a leakcheck report: it has no "schemaVersion"$/],
    ['{"schemaVersion":3}', /^r\.json has report schemaVersion 3; this leakcheck reads versions 1 and 2$/],
  ])('%s is refused in one line', (input, message) => {
    expect(() => parseReport(input, 'r.json')).toThrow(ReportFormatError);
    expect(() => parseReport(input, 'r.json')).toThrow(message);
  });

  test('a report of schema version 1 (per-request field names) is upgraded on load', () => {
    const v1 = JSON.parse(text);
    v1.schemaVersion = 1;
    for (const m of v1.processes[0].metrics) {
      m.perRequest = m.perUnit;
      m.firstRequests = m.xFirst;
      m.lastRequests = m.xLast;
      m.threshold = { perRequest: m.threshold.perUnit, minGrowth: m.threshold.minGrowth };
      delete m.perUnit;
      delete m.perUnitInterval;
      delete m.xFirst;
      delete m.xLast;
      delete m.axis;
    }
    const thresholds = v1.settings.thresholds as Record<string, { perUnit: number; minGrowth: number }>;
    for (const [name, t] of Object.entries(thresholds)) {
      v1.settings.thresholds[name] = { perRequest: t.perUnit, minGrowth: t.minGrowth };
    }
    const back = parseReport(JSON.stringify(v1), 'old.json');
    expect(back.schemaVersion).toBe(2);
    expect(back.processes[0]?.metrics[0]).toMatchObject({ axis: 'requests', threshold: { perUnit: 2 } });
    // The same report, field for field (the renamed keys come last, so JSON text differs in order).
    expect(back).toEqual(JSON.parse(text));
    for (const f of REPORT_FORMATS.filter((f) => f !== 'json')) {
      expect(renderReport(back, f)).toBe(renderReport(leak, f));
    }
  });

  test('a wrong field is named by its path', () => {
    const r = JSON.parse(text);
    r.processes[0].metrics[2].samples = 'many';
    expect(() => parseReport(JSON.stringify(r), 'r.json')).toThrow(
      'r.json: field "processes[0].metrics[2].samples" must be number',
    );
    delete r.traffic;
    r.processes[0].metrics[2].samples = 3;
    expect(() => parseReport(JSON.stringify(r), 'r.json')).toThrow('r.json: field "traffic" must be object');
  });
});

describe('a count whose looks call the leak before the heap decides', () => {
  const report = makeReport({
    bytesPerRequest: 0,
    heapNoise: 3_000_000,
    fdsPerRequest: 0.01,
    sequential: true,
  });
  const fds = report.processes[0]?.metrics.find((m) => m.metric === 'fds');

  test('the report names the count, its rule and the look that called it', () => {
    expect(report.verdict).toBe('leak');
    expect(report.decidedBy?.metric).toBe('fds');
    expect(report.decidedBy?.rule).toBe('sequential-leak');
    expect(report.sequential?.verdict).toBe('leak');
    expect(report.sequential?.rule).toBe('sequential-leak');
    expect(report.sequential?.count).toMatchObject({ metric: 'fds', threshold: 0.0001 });
    expect(report.sequential?.count?.growth).toBeGreaterThanOrEqual(10);
    expect(fds?.rule).toBe('sequential-leak');
    // The counts share a fifth of the heap's alpha (0.005 over fds, handles and sockets): each
    // count's intervals hold at 1 - 2 × 0.005 / 3.
    expect(fds?.reason).toMatch(/^file descriptors grow 10 per 1,000 requests \(99\.7% CI /);
    expect(fds?.reason).toMatch(/called before the heap decided/);
  });

  test('the heap keeps its own verdict', () => {
    const heap = report.processes[0]?.metrics.find((m) => m.metric === 'heapUsed');
    expect(heap?.verdict).not.toBe('leak');
  });
});

describe('a sequential heap verdict: the rate and its interval come from the deciding look', () => {
  // Early growth faster than the recent: the whole window's Theil-Sen interval lies above the
  // recent slope the verdict rests on (the report used to show the one beside the other). The
  // warm-up lasts the first 12 of the 30 samples: ending at the window's middle (15), the quarter
  // before the recent half would still carry it at the last look and hold the leak (local
  // warm-up check, src/analysis/sequential.ts).
  const settling = makeReport({
    bytesPerRequest: 366,
    settlingBytesPerRequest: 150,
    settlingSamples: 12,
    sequential: true,
  });
  const heap = settling.processes[0]?.metrics.find((m) => m.metric === 'heapUsed');
  const look = settling.sequential?.looks.at(-1);

  test("the metric carries the look's slope and interval", () => {
    expect(heap?.rule).toBe('sequential-leak');
    expect(heap?.theilSen.low).toBeGreaterThan(look?.high ?? Infinity);
    expect(heap?.perUnit).toBe(look?.slope);
    expect(heap?.perUnitInterval).toEqual({
      low: look?.low,
      high: look?.high,
      confidence: settling.sequential?.confidence,
    });
  });

  test('every format shows the figure the reason quotes, inside its own interval', () => {
    const quoted = /grows (\S+ B\/request) \(95% CI ([\d.]+)–([\d.]+)\)/.exec(heap?.reason ?? '');
    expect(quoted).not.toBeNull();
    const [, rate, low, high] = quoted as RegExpExecArray;
    const full = `${rate} (95% CI ${low}–${high})`;
    for (const f of ['md', 'html', 'junit'] as const) expect(renderReport(settling, f)).toContain(full);
    expect(renderReport(settling, 'text')).toMatch(new RegExp(`heapUsed +${rate} \\[${low}–${high}\\]`));
    expect(Number(low)).toBeLessThanOrEqual(parseFloat(rate ?? ''));
    expect(parseFloat(rate ?? '')).toBeLessThanOrEqual(Number(high));
  });

  test("a report written before perUnitInterval gets the look's interval on load", () => {
    const old = JSON.parse(JSON.stringify(settling));
    for (const m of old.processes[0].metrics) delete m.perUnitInterval;
    const back = parseReport(JSON.stringify(old), 'old.json');
    expect(back.processes[0]?.metrics).toEqual(settling.processes[0]?.metrics);
    // (JSON text differs in key order: the added field comes last.)
    for (const f of REPORT_FORMATS.filter((f) => f !== 'json')) {
      expect(renderReport(back, f)).toBe(renderReport(settling, f));
    }
  });

  test('without the look kept, an old report shows the Theil-Sen slope with its own interval', () => {
    const old = JSON.parse(JSON.stringify(settling));
    for (const m of old.processes[0].metrics) delete m.perUnitInterval;
    delete old.sequential;
    const m = parseReport(JSON.stringify(old), 'old.json').processes[0]?.metrics[0];
    expect(m?.perUnit).toBe(heap?.theilSen.slope);
    expect(m?.perUnitInterval).toEqual({
      low: heap?.theilSen.low,
      high: heap?.theilSen.high,
      confidence: heap?.theilSen.confidence,
    });
  });
});

describe('markdown report link', () => {
  test('the link under the headline is escaped as text and encoded as a target', () => {
    const md = renderMarkdown(clean, {
      reportLink: { text: 'HTML report [run 1]', url: 'https://x.test/a b/(1)' },
    });
    expect(md).toContain('[HTML report \\[run 1\\]](https://x.test/a%20b/%281%29)');
  });
});

describe('terminalTable (compare and bisect)', () => {
  test('columns as wide as their widest cell, numbers right-aligned, no trailing spaces', () => {
    expect(
      terminalTable(
        {
          headers: ['step', 'commit', 'verdict'],
          rows: [
            ['1', 'abc', 'leak'],
            ['12', 'abcdef012345', ''],
          ],
        },
        [0],
      ),
    ).toEqual(['  step  commit        verdict', '     1  abc           leak', '    12  abcdef012345']);
  });
});
