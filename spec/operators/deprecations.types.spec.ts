/**
 * The old names and call shapes are marked deprecated in the published
 * types (issue #22): an editor strikes them through and ESLint's
 * `no-deprecated` reports them, while the new ones are not. Compiles a
 * snippet against the public entry and reads TypeScript's own deprecation
 * suggestions (6385 "'x' is deprecated", 6387 "The signature … is deprecated").
 */
import { join } from 'node:path';
import ts from 'typescript';

const root = join(__dirname, '..', '..');

const SNIPPET = `
import { DurableStreamsClient, readJson, resumable, persistCheckpoint, loadCheckpoint, saveCheckpoint,
  clearCheckpoint, pauseWhileHidden, Offset, type Checkpoint, type ReadOptions, type PauseWhileHiddenOptions } from './lib/index';
declare const checkpoint: Checkpoint;
const stream = new DurableStreamsClient({ baseUrl: 'http://x' }).stream('s');
const storage = localStorage;
// old
resumable(storage, 'k', (c) => readJson(stream, { from: c }));
persistCheckpoint(storage, 'k');
loadCheckpoint(storage, 'k');
saveCheckpoint(storage, 'k', checkpoint);
clearCheckpoint(storage, 'k');
// new
readJson(stream, { from: Offset.now });
readJson(stream, { from: checkpoint });
resumable((from) => readJson(stream, { from }), { storage, key: 'k', from: Offset.now });
resumable((from) => readJson(stream, { from }), { storage, key: 'k', state: { initial: 0, reduce: (n: number) => n + 1 } });
persistCheckpoint({ storage, key: 'k' });
loadCheckpoint({ storage, key: 'k' });
saveCheckpoint(checkpoint, { storage, key: 'k' });
clearCheckpoint({ storage, key: 'k' });
pauseWhileHidden((from) => readJson(stream, { from }), { from: checkpoint });
export type Options = [ReadOptions, PauseWhileHiddenOptions];
`;

interface Compiled {
  /** Lines with a deprecation suggestion. */
  deprecated: number[];
  errors: string[];
  lines: string[];
  /** The deprecated properties of the option types the snippet exports, as `Type.property`. */
  deprecatedOptions: string[];
}

function compile(): Compiled {
  const fileName = join(root, 'deprecations-snippet.ts');
  const options: ts.CompilerOptions = {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: [],
    skipLibCheck: true,
    noEmit: true,
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (name === fileName ? SNIPPET : readFile(name));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === fileName || fileExists(name);
  const service = ts.createLanguageService(
    {
      getCompilationSettings: () => options,
      getScriptFileNames: () => [fileName],
      getScriptVersion: () => '1',
      getScriptSnapshot: (name) => {
        const text = host.readFile(name);
        return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
      },
      getCurrentDirectory: () => root,
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: host.fileExists,
      readFile: host.readFile,
      readDirectory: ts.sys.readDirectory,
      directoryExists: ts.sys.directoryExists,
      getDirectories: ts.sys.getDirectories,
    },
    ts.createDocumentRegistry(),
  );
  const source = service.getProgram()!.getSourceFile(fileName)!;
  const line = (start: number | undefined) => source.getLineAndCharacterOfPosition(start ?? 0).line;
  const deprecated = service
    .getSuggestionDiagnostics(fileName)
    .filter((d) => d.code === 6385 || d.code === 6387)
    .map((d) => line(d.start));
  const errors = service
    .getSemanticDiagnostics(fileName)
    .map((d) => `${line(d.start)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  const checker = service.getProgram()!.getTypeChecker();
  const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(source)!);
  const tuple = checker.getDeclaredTypeOfSymbol(exported.find((symbol) => symbol.name === 'Options')!);
  const deprecatedOptions = checker.getTypeArguments(tuple as ts.TypeReference).flatMap((type) =>
    type
      .getProperties()
      .filter((property) => property.getJsDocTags(checker).some((tag) => tag.name === 'deprecated'))
      .map((property) => `${type.aliasSymbol?.name ?? type.symbol.name}.${property.name}`),
  );
  return { deprecated, errors, lines: SNIPPET.split('\n'), deprecatedOptions };
}

describe('deprecated names and call shapes in the types', () => {
  it('strikes through every old name and shape, and none of the new ones; both compile', () => {
    const { deprecated, errors, lines, deprecatedOptions } = compile();
    expect(errors).toEqual([]);
    const oldStart = lines.indexOf('// old');
    const newStart = lines.indexOf('// new');
    const old = lines.map((_, index) => index).filter((index) => index > oldStart && index < newStart);
    expect([...new Set(deprecated)].sort((x, y) => x - y)).toEqual(old);
    expect(deprecatedOptions.sort()).toEqual([
      'PauseWhileHiddenOptions.checkpoint',
      'ReadOptions.checkpoint',
      'ReadOptions.offset',
    ]);
  }, 60_000);
});
