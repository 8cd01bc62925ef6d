/**
 * What the commands that write a report folder share when they print and write it: the path
 * shown to the user, and the Markdown files `--format markdown` (or a deprecated `--markdown
 * <file>`) asks for.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * A path relative to the working directory when it lies below it, absolute otherwise.
 *
 * @param file - an absolute path
 * @returns the path to show
 */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

/**
 * Writes the same text to each named file, creating folders; undefined entries are skipped.
 *
 * @param files - where to write (the --format file in --out, a deprecated flag's file)
 * @param text - the rendered text
 */
export function writeTextFiles(files: ReadonlyArray<string | undefined>, text: () => string): void {
  for (const file of files) {
    if (file === undefined) continue;
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, text());
  }
}
