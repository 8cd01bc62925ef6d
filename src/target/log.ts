/**
 * A log file that only ever receives redacted text: the target's output and the base install's
 * output are kept in the report folder, which is uploaded and read by people who must not see the
 * service's secrets. Lines are redacted whole (a secret split across two reads is still found);
 * a line longer than {@link MAX_LINE} is redacted in pieces of that size.
 */
import * as fs from 'node:fs';
import { redactText } from '../report/redact';

/** Longest partial line held back waiting for its end. */
const MAX_LINE = 64 * 1024;

/** Appends redacted lines to a file. */
export class RedactedLog {
  private readonly stream: fs.WriteStream;
  private partial = '';
  private readonly decoder = new TextDecoder('utf-8');

  constructor(file: string) {
    this.stream = fs.createWriteStream(file, { flags: 'a' });
    // A full disk or a removed folder must not crash the harness: the log is a courtesy.
    this.stream.on('error', () => undefined);
  }

  /** Appends a chunk of output; complete lines are written at once, the rest is held back. */
  write(chunk: Buffer | string): void {
    this.partial += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const nl = this.partial.lastIndexOf('\n');
    if (nl >= 0) {
      this.stream.write(redactLines(this.partial.slice(0, nl + 1)));
      this.partial = this.partial.slice(nl + 1);
    }
    if (this.partial.length > MAX_LINE) {
      this.stream.write(redactText(this.partial));
      this.partial = '';
    }
  }

  /** Writes what is held back and closes the file. */
  end(): Promise<void> {
    if (this.partial) this.stream.write(redactText(this.partial));
    this.partial = '';
    return new Promise((resolve) => {
      if (this.stream.closed || this.stream.destroyed) resolve();
      else this.stream.end(() => resolve());
    });
  }
}

function redactLines(text: string): string {
  return text
    .split('\n')
    .map((line) => redactText(line))
    .join('\n');
}
