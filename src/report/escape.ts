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
 * so one value stays on one line.
 *
 * @param text - untrusted text
 * @returns Markdown-safe text that renders as the original characters
 */
export function escapeMarkdown(text: string): string {
  return (
    text
      .replace(/[\r\n]+/g, ' ')
      // Inline syntax anywhere: emphasis, code, links, strikethrough, cell separators, escapes.
      .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
      // Block syntax only at the start: headings, lists, setext underlines, numbered items (a
      // leading '>' is harmless once it is an entity).
      .replace(/^(\s*)([#+=-])(?=[\s#=-]|$)/, '$1\\$2')
      .replace(/^(\s*\d+)([.)])(?=\s|$)/, '$1\\$2')
      .replace(/[&<>]/g, (c) => HTML_ENTITIES[c] ?? c)
  );
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
