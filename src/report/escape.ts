/**
 * Escaping for every output format. Anything a report shows that came from traffic, logs or the
 * target (paths, endpoint names, log lines, argv, reasons) goes through one of these.
 */

const HTML_ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Characters XML 1.0 does not allow at all (control characters other than tab, LF, CR; lone surrogates). */
/* eslint-disable no-control-regex -- matching control characters is the point */
const XML_INVALID =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/* eslint-enable no-control-regex */

/* eslint-disable no-control-regex -- matching control characters is the point */
/** Terminal escape sequences: CSI (`ESC [ ... final`), OSC (`ESC ] ... BEL/ST`), and two-byte escapes. */
const ANSI_SEQUENCE =
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-Z\\-_]|\u009b[0-?]*[ -/]*[@-~]/g;
/** C0 and C1 control characters other than tab and newline, and the bidirectional overrides. */
const CONTROL_CHARS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;
/* eslint-enable no-control-regex */

/**
 * Removes terminal escape sequences and control characters (tab and newline stay), so text that
 * came from the service or a log cannot move the cursor, recolour, retitle or hide output.
 *
 * @param text - untrusted text
 * @returns the text without control sequences
 */
export function stripControl(text: string): string {
  return text.replace(ANSI_SEQUENCE, '').replace(CONTROL_CHARS, '');
}

/**
 * A copy of a JSON-shaped value with {@link stripControl} applied to every string, for renderers
 * that print a report that may have been written by someone else.
 *
 * @param value - any JSON-shaped value
 * @returns the cleaned copy
 */
export function stripControlDeep<T>(value: T): T {
  if (typeof value === 'string') return stripControl(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => stripControlDeep(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = stripControlDeep(v);
    return out as T;
  }
  return value;
}

/** Zero-width space: breaks a mention, a reference or an autolink without changing what is read. */
const ZWSP = '&#8203;';

/**
 * Neutralises what GitHub would turn into a notification or a link in untrusted Markdown text:
 * `@user` and `@org/team` mentions, `#123`, `GH-123` and `owner/repo#123` references, and bare
 * URLs and `www.` autolinks.
 *
 * @param text - Markdown-escaped untrusted text
 * @returns the text with those broken by a zero-width space
 */
export function neutraliseMarkdownLinks(text: string): string {
  return text
    .replace(/(^|[^\w`])@(?=[A-Za-z0-9])/g, `$1@${ZWSP}`)
    .replace(/(?<!&)#(?=\d)/g, `#${ZWSP}`)
    .replace(/\b(GH)-(?=\d)/gi, `$1-${ZWSP}`)
    .replace(/\b([a-z][a-z0-9+.-]*):\/\//gi, `$1:${ZWSP}//`)
    .replace(/\bwww\./gi, `www${ZWSP}.`);
}

/**
 * Escapes text for HTML element content and quoted attribute values.
 *
 * @param text - untrusted text
 * @returns the text with & < > " ' replaced by entities
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] ?? c);
}

/**
 * Escapes text for XML content and attributes (JUnit): entities as for HTML, and characters XML
 * cannot carry at all replaced by U+FFFD so the file still parses.
 *
 * @param text - untrusted text
 * @returns XML-safe text
 */
export function escapeXml(text: string): string {
  return escapeHtml(text.replace(XML_INVALID, '\uFFFD')).replace(/&#39;/g, '&apos;');
}

/**
 * Escapes text for Markdown prose and GFM table cells: Markdown syntax is backslash-escaped (so
 * `|` cannot end a cell and `[x](y)` cannot make a link), HTML special characters become
 * entities (so `<script>` or `<img onerror>` is shown, never parsed), and line breaks become spaces
 * so one value stays on one line. Mentions, issue references and autolinks are neutralised (a
 * fork's report must not ping anyone) and control characters removed.
 *
 * @param text - untrusted text
 * @returns Markdown-safe text that renders as the original characters
 */
export function escapeMarkdown(text: string): string {
  const escaped = stripControl(text)
    .replace(/[\r\n]+/g, ' ')
    // Inline syntax anywhere: emphasis, code, links, strikethrough, cell separators, escapes.
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
    // Block syntax only at the start: headings, lists, setext underlines, numbered items (a
    // leading '>' is harmless once it is an entity).
    .replace(/^(\s*)([#+=-])(?=[\s#=-]|$)/, '$1\\$2')
    .replace(/^(\s*\d+)([.)])(?=\s|$)/, '$1\\$2')
    .replace(/[&<>]/g, (c) => HTML_ENTITIES[c] ?? c);
  // Mentions, references and autolinks last: the zero-width space is an entity added after escaping.
  return neutraliseMarkdownLinks(escaped);
}

/**
 * A fenced code block that its content cannot close: the fence is longer than any backtick run
 * in the text. Used for log lines, which are shown verbatim.
 *
 * @param lines - untrusted lines
 * @returns the block, fences included
 */
export function markdownCodeBlock(lines: readonly string[]): string {
  const text = lines.join('\n');
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}text\n${text}\n${fence}`;
}
