/**
 * The library's entry point (src/index.ts) is a curated API: every export carries TSDoc where it
 * is declared, and internals stay inside. Read with the TypeScript compiler, as an editor would.
 */
import * as path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..', '..');
const INDEX = path.join(ROOT, 'src', 'index.ts');

function publicExports(): { name: string; documented: boolean; from: string }[] {
  const program = ts.createProgram([INDEX], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(INDEX);
  const module = source && checker.getSymbolAtLocation(source);
  if (!module) throw new Error('src/index.ts did not load');
  return checker.getExportsOfModule(module).map((symbol) => {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const declaration = target.declarations?.[0];
    const documented =
      target.getDocumentationComment(checker).length > 0 ||
      (declaration !== undefined && ts.getJSDocCommentsAndTags(declaration).length > 0);
    const from = declaration ? path.relative(ROOT, declaration.getSourceFile().fileName) : '?';
    return { name: symbol.getName(), documented, from };
  });
}

describe('the public API (src/index.ts)', () => {
  const exports = publicExports();

  test('exports what users call, each with TSDoc where it is declared', () => {
    expect(exports.length).toBeGreaterThan(20);
    expect(exports.filter((e) => !e.documented).map((e) => `${e.name} (${e.from})`)).toEqual([]);
  });

  test('keeps internals inside', () => {
    const names = new Set(exports.map((e) => e.name));
    // Stages and helpers the CLI wires together, exported before 0.2.0.
    for (const internal of [
      'runMeasurement',
      'buildReport',
      'runOptionsFrom',
      'theilSen',
      'analyseRun',
      'TrafficDriver',
      'flattenProfile',
      'SourceMapper',
      'escapeHtml',
      'queryRange',
    ]) {
      expect(names.has(internal)).toBe(false);
    }
    // Nothing from the run loop, the statistics, traffic or attribution internals.
    const internalModules =
      /^src\/(sampling|traffic|attribution\/(?!profile)|analysis\/(?!rules|metrics|verdict))/;
    expect(exports.filter((e) => internalModules.test(e.from)).map((e) => `${e.name} (${e.from})`)).toEqual(
      [],
    );
  });
});
