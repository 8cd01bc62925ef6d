/**
 * The self-contained HTML report: one file with inline CSS and inline SVG charts, no scripts and
 * no external requests (a Content-Security-Policy meta tag forbids them), so it opens offline and
 * from a CI artifact. Everything that came from traffic, logs or the target is HTML-escaped. Pure.
 */
import { METRICS, type MetricAnalysis } from '../analysis';
import { formatNumber } from '../analysis/format';
import { escapeHtml } from './escape';
import type { Finding, ProcessReport, Report } from './report';
import { svgChart, type PlotPoint } from './svg-chart';
import {
  VERDICT_LABEL,
  decidedByText,
  metricTable,
  processTitle,
  projectionText,
  sampleTable,
  seriesValue,
  settingsTable,
  summarySentence,
  type TextTable,
} from './view';
import { findingLocation, findingRate, topFindings, attributionText } from './view-findings';
import { fidelityTables } from './view-traffic';

/** The policy the report runs under: inline styles and data: images only, nothing fetched. */
export const HTML_REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/** Rendering options. */
export interface HtmlOptions {
  /** Findings to show at most (default 20). */
  maxFindings?: number;
}

const STYLE = `
:root{--fg:#1f2328;--muted:#59636e;--bg:#fff;--panel:#f6f8fa;--line:#d1d9e0;--leak:#cf222e;--pass:#1a7f37;--inconclusive:#9a6700;--error:#cf222e;--accent:#0969da}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--panel:#151b23;--line:#3d444d;--leak:#ff7b72;--pass:#3fb950;--inconclusive:#d29922;--error:#ff7b72;--accent:#4493f8}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1040px;padding:24px;font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:22px;margin:0 0 8px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
.verdict{display:inline-block;padding:2px 10px;border-radius:6px;color:#fff;font-weight:700;letter-spacing:.04em}
.v-leak{background:var(--leak)}.v-pass{background:var(--pass)}.v-inconclusive{background:var(--inconclusive)}.v-error{background:var(--error)}
.summary{font-size:15px;margin:8px 0}.muted{color:var(--muted)}
table{border-collapse:collapse;margin:8px 0;width:100%}th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--panel)}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.c-leak td:first-child{border-left:3px solid var(--leak)}tr.c-inconclusive td:first-child{border-left:3px solid var(--inconclusive)}
pre{background:var(--panel);border:1px solid var(--line);padding:8px;overflow:auto;white-space:pre-wrap;word-break:break-all}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px}
.charts{display:grid;grid-template-columns:1fr;gap:12px}
figure{margin:0;padding:8px;border:1px solid var(--line);border-radius:6px}figcaption{font-weight:600;margin-bottom:4px}
svg.chart{width:100%;height:auto;font-size:11px}
svg .grid{stroke:var(--line);stroke-width:1}svg .frame{fill:none;stroke:var(--line)}svg .tickmark{stroke:var(--muted)}
svg text{fill:var(--muted)}svg .band-label{font-style:italic}
svg .band{fill:var(--muted);opacity:.12}
svg .samples{fill:none;stroke:var(--accent);stroke-width:1;opacity:.5}
svg .fit{stroke:var(--fg);stroke-width:1.5;stroke-dasharray:6 4}svg .fit-leak{stroke:var(--leak);stroke-width:2}
svg .pt-measure{fill:var(--accent)}svg .pt-warmup,svg .pt-cooldown{fill:var(--muted)}
.legend span{margin-right:14px}.sw{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:4px;vertical-align:middle}
.finding{border:1px solid var(--line);border-radius:6px;padding:8px 12px;margin:8px 0}
.finding .rate{font-weight:700}
details{margin:6px 0}summary{cursor:pointer}
ul.warnings li{color:var(--inconclusive)}
footer{margin-top:32px;color:var(--muted);font-size:12px}
`;

/**
 * Renders the report as one self-contained HTML page.
 *
 * @param report - the report
 * @param options - limits
 * @returns the HTML document
 */
export function renderHtml(report: Report, options: HtmlOptions = {}): string {
  const e = escapeHtml;
  const body: string[] = [];
  const label = VERDICT_LABEL[report.verdict];
  body.push(
    `<header><h1><span class="verdict v-${e(report.verdict)}" id="verdict">${label}</span> leakcheck report</h1>`,
    `<p class="summary">${e(summarySentence(report))}</p>`,
    `<p class="muted">Target <code>${e(report.target.command)}</code> · ${formatNumber(report.traffic.completed)} responses in ${formatNumber(report.traffic.seconds, 1)} s · ${e(report.createdAt)}</p></header>`,
  );

  if (report.failure) {
    body.push('<section id="failure"><h2>Run ended early</h2>', `<p>${e(report.failure.message)}</p>`);
    if (report.failure.logTail.length > 0) {
      body.push(
        `<p class="muted">Last lines of the target's output (${e(report.target.logFile)}):</p>`,
        `<pre><code>${e(report.failure.logTail.join('\n'))}</code></pre>`,
      );
    }
    body.push('</section>');
  }

  if (report.warnings.length > 0) {
    body.push(
      '<section id="warnings"><h2>Warnings</h2><ul class="warnings">',
      ...report.warnings.map((w) => `<li>${e(w)}</li>`),
      '</ul></section>',
    );
  }

  for (const p of report.processes) body.push(renderProcess(p, report.processes.length > 1));

  const findings = topFindings(report, options.maxFindings ?? 20);
  if (findings.length > 0 || report.attribution) {
    body.push('<section id="findings"><h2>Findings</h2>');
    // No findings array: attribution did not look (it runs once a leak is called); its note says why.
    if (findings.length === 0)
      body.push(
        report.findings
          ? '<p>No growing allocation site or object group was found.</p>'
          : '<p>Attribution did not run.</p>',
      );
    for (const f of findings) body.push(renderFinding(f));
    body.push(renderAttribution(report));
    body.push('</section>');
  }

  body.push('<section id="traffic"><h2>Traffic fidelity</h2>');
  for (const t of fidelityTables(report)) {
    body.push(`<h3>${e(t.title)}</h3>`);
    if (t.note) body.push(`<p>${e(t.note)}</p>`);
    if (t.rows.length > 0) body.push(htmlTable(t));
  }
  body.push('</section>');

  body.push('<section id="settings"><h2>Run settings</h2>', htmlTable(settingsTable(report)), '</section>');
  body.push(
    `<footer>leakcheck ${e(report.tool.version)} · report schema ${e(String(report.schemaVersion))} · exit code ${e(String(report.exitCode))}</footer>`,
  );

  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${HTML_REPORT_CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>leakcheck: ${label} · ${e(report.target.command)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    `<body data-verdict="${e(report.verdict)}">`,
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function renderProcess(p: ProcessReport, many: boolean): string {
  const e = escapeHtml;
  const out: string[] = [`<section class="process" data-pid="${p.pid}">`];
  out.push(`<h2>${e(many ? capitalise(processTitle(p)) : 'Growth per request')}</h2>`);
  if (many && p.argv.length > 0) out.push(`<p class="muted"><code>${e(p.argv.join(' '))}</code></p>`);
  if (p.metrics.length === 0) out.push('<p>No samples were taken in the measured window.</p>');
  else out.push(htmlTable(metricTable(p), (i) => rowClass(p.metrics[i])));
  const decided = decidedByText(p);
  if (decided) out.push(`<p>${e(decided)}</p>`);
  const projection = projectionText(p);
  if (projection) out.push(`<p>${e(projection)}</p>`);
  if (p.metrics.length > 0) {
    out.push('<details class="reasons"><summary>Every metric\'s reason</summary><ul>');
    for (const m of p.metrics) out.push(`<li><b>${e(m.metric)}</b>: ${e(m.reason)}</li>`);
    out.push('</ul></details>');
  }

  const charts = p.metrics.map((m) => metricChart(p, m)).filter((c) => c !== '');
  if (charts.length > 0) {
    out.push(
      '<h3>Samples over requests served</h3>',
      '<p class="legend muted"><span><i class="sw" style="background:var(--accent)"></i>measured sample</span>' +
        '<span><i class="sw" style="background:var(--muted)"></i>warm-up / cool-down sample</span>' +
        '<span>dashed: fitted line (Theil-Sen) over the measured window</span><span>shaded: warm-up and cool-down</span></p>',
      `<div class="charts">${charts.join('')}</div>`,
    );
  }
  if (p.series.length > 0)
    out.push(
      `<details><summary>Samples as a table (${p.series.length})</summary>${htmlTable(sampleTable(p))}</details>`,
    );
  out.push('</section>');
  return out.join('\n');
}

function rowClass(m: MetricAnalysis | undefined): string {
  return m && m.gating && m.verdict !== 'pass' ? `c-${m.verdict}` : '';
}

/** One figure per metric whose samples the report carries. */
function metricChart(p: ProcessReport, m: MetricAnalysis): string {
  const points: PlotPoint[] = [];
  for (const s of p.series) {
    const y = seriesValue(s, m.metric);
    if (y !== null) points.push({ x: s.requests, y, phase: s.phase });
  }
  if (points.length === 0) return '';
  const info = METRICS[m.metric];
  const svg = svgChart({
    title: `${m.metric} of process ${p.pid} over requests served`,
    yLabel: info.label,
    unit: m.unit,
    points,
    fit: m.theilSen.estimable
      ? {
          intercept: m.theilSen.intercept,
          slope: m.theilSen.slope,
          fromX: m.xFirst,
          toX: m.xLast,
        }
      : undefined,
    leak: m.gating && m.verdict === 'leak',
    data: { metric: m.metric, pid: String(p.pid) },
  });
  const verdict = m.gating ? VERDICT_LABEL[m.verdict] : 'info';
  return `<figure data-metric="${escapeHtml(m.metric)}"><figcaption>${escapeHtml(`${m.metric} (${info.label}): ${verdict}`)}</figcaption>${svg}</figure>`;
}

function renderFinding(f: Finding): string {
  const e = escapeHtml;
  const out: string[] = [`<div class="finding" data-kind="${e(String(f.kind))}">`];
  const rate = findingRate(f);
  out.push(`<div>${rate ? `<span class="rate">${e(rate)}</span> · ` : ''}${e(f.title)}</div>`);
  const where = findingLocation(f);
  if (where) out.push(`<div>at <code>${e(where)}</code></div>`);
  if (typeof f.retainerPath === 'string')
    out.push(`<div>kept alive by <code>${e(f.retainerPath)}</code></div>`);
  if (Array.isArray(f.retainers) && f.retainers.length > 0) {
    out.push(
      '<details><summary>Retainer path, GC root first</summary>',
      htmlTable({
        headers: ['holder', 'edge', 'edge type'],
        rows: f.retainers.map((r) => [String(r.holder), String(r.edge), String(r.edgeType)]),
      }),
      '</details>',
    );
  }
  if (Array.isArray(f.stack) && f.stack.length > 0) {
    out.push(
      '<details><summary>Allocation stack, innermost first</summary><pre><code>',
      e(f.stack.map(String).join('\n')),
      '</code></pre></details>',
    );
  }
  out.push('</div>');
  return out.join('');
}

function renderAttribution(report: Report): string {
  const t = attributionText(report);
  if (!t) return '';
  const e = escapeHtml;
  return [
    '<details><summary>How the findings were made</summary><ul>',
    ...t.facts.map((i) => `<li>${e(i)}</li>`),
    ...t.files.map((f) => `<li>${e(f.kind)}: <code>${e(f.path)}</code></li>`),
    ...t.notes.map((n) => `<li>${e(n)}</li>`),
    '</ul></details>',
  ].join('');
}

/**
 * An HTML table; every cell escaped. Cells that are numbers (with units) are right-aligned.
 *
 * @param table - headings and rows of plain text
 * @param rowClassOf - class for row i, if any
 * @returns the table markup
 */
export function htmlTable(table: TextTable, rowClassOf?: (i: number) => string): string {
  const e = escapeHtml;
  const numeric = /^[+-]?[\d,.]+( ?[KMGTP]?B)?%?$/;
  const rows = table.rows.map((r, i) => {
    const cls = rowClassOf?.(i) ?? '';
    const cells = r.map((c) => `<td${numeric.test(c) ? ' class="num"' : ''}>${e(c)}</td>`).join('');
    return `<tr${cls ? ` class="${e(cls)}"` : ''}>${cells}</tr>`;
  });
  return `<table><thead><tr>${table.headers.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
