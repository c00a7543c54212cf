/**
 * The public surface, entry by entry (package.json "exports"): every name an
 * entry exports, what it is, and for classes and interfaces their public
 * members. Compared with the committed report (spec/api-report.json), so an
 * internal cannot reach users unnoticed: a change to the surface is a change
 * to that file, seen in review. After a deliberate change:
 *
 *   UPDATE_API_REPORT=1 npx jest spec/api-report.spec.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const root = join(__dirname, '..');
const REPORT = join(__dirname, 'api-report.json');

/** Names that once leaked and must stay internal (issue #17 part 4). */
const NEVER_PUBLIC = [
  'resolveRetryConfig',
  'backoffDelay',
  'errorFromResponse',
  'FailedRequest',
  'ResolvedClientOptions',
  'DurableStreamErrorInit',
  'DEFAULT_PRODUCER_OPTIONS',
  'registerDefaultTransport',
  'StreamContext',
  'RequestExecutor',
  'BatchSender',
  'streamInternals',
  'SubscriptionErrorInit',
];

type Report = Record<string, Record<string, string>>;

/** The source file of each entry point: `./dist/esm/state/index.js` -> `lib/state/index.ts`. */
function entryPoints(): Record<string, string> {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, { import?: { default: string } }>;
  };
  const entries: Record<string, string> = {};
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    if (typeof target !== 'object' || !target.import) continue;
    entries[subpath] = target.import.default.replace(/^\.\/dist\/esm\//, 'lib/').replace(/\.js$/, '.ts');
  }
  return entries;
}

/** Public member names of a class or interface, sorted; `constructor` when a class has a public one. */
function membersOf(checker: ts.TypeChecker, symbol: ts.Symbol, isClass: boolean): string[] {
  const declaration = symbol.declarations?.[0];
  if (!declaration) return [];
  const type = checker.getDeclaredTypeOfSymbol(symbol);
  const names = checker
    .getPropertiesOfType(type)
    .filter((property) => {
      const modifiers = ts.getCombinedModifierFlags(property.valueDeclaration ?? property.declarations![0]);
      const internal = property.declarations?.some(isInternal) ?? false;
      return (
        !(modifiers & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) &&
        !property.name.startsWith('#') &&
        !internal
      );
    })
    // A symbol-keyed member by its key as written (`[valueType]`), not the checker's internal `__@valueType@318`.
    .map((property) =>
      property.name.startsWith('__@')
        ? (ts.getNameOfDeclaration(property.declarations![0])?.getText() ?? property.name)
        : property.name,
    );
  // Own statics only: inherited ones (Error.captureStackTrace) belong to the platform, not to us.
  const statics = isClass
    ? (declaration as ts.ClassDeclaration).members
        .filter(
          (member) =>
            ts.getCombinedModifierFlags(member) & ts.ModifierFlags.Static &&
            !(ts.getCombinedModifierFlags(member) & ts.ModifierFlags.Private),
        )
        .map((member) => `static ${member.name?.getText()}`)
    : [];
  const constructors = isClass
    ? (declaration as ts.ClassDeclaration).members
        .filter(ts.isConstructorDeclaration)
        .filter(
          (c) =>
            !(ts.getCombinedModifierFlags(c) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) &&
            !isInternal(c),
        )
    : [];
  return [
    ...(constructors.length ||
    (isClass && !(declaration as ts.ClassDeclaration).members.some(ts.isConstructorDeclaration))
      ? ['constructor']
      : []),
    ...statics,
    ...names.sort(),
  ];
}

/** Marked `@internal`: stripped from the published declarations. */
function isInternal(node: ts.Node): boolean {
  return (
    ts.getJSDocTags(node).some((tag) => tag.tagName.text === 'internal') ||
    /@internal/.test(node.getFullText().slice(0, node.getStart() - node.getFullStart()))
  );
}

function describe_(checker: ts.TypeChecker, exported: ts.Symbol, typeOnly: boolean): string {
  const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  const flags = symbol.flags;
  const only = typeOnly ? ' (type only)' : '';
  if (flags & ts.SymbolFlags.Class) return `class${only}: ${membersOf(checker, symbol, !typeOnly).join(', ')}`;
  if (flags & ts.SymbolFlags.Interface) return `interface: ${membersOf(checker, symbol, false).join(', ')}`;
  if (flags & ts.SymbolFlags.Function) return 'function';
  if (flags & ts.SymbolFlags.TypeAlias) return 'type';
  if (flags & ts.SymbolFlags.Variable) return 'const';
  if (flags & ts.SymbolFlags.Enum) return 'enum';
  return 'other';
}

/** Whether `name` is exported from `file` only as a type (`export type { X }`, `export { type X }`), through re-exports. */
function typeOnlyExport(checker: ts.TypeChecker, exported: ts.Symbol): boolean {
  let symbol: ts.Symbol = exported;
  for (let hops = 0; hops < 10 && symbol.flags & ts.SymbolFlags.Alias; hops++) {
    const declaration = symbol.declarations?.[0];
    if (
      declaration &&
      ts.isExportSpecifier(declaration) &&
      (declaration.isTypeOnly || declaration.parent.parent.isTypeOnly)
    )
      return true;
    symbol = checker.getImmediateAliasedSymbol(symbol) ?? symbol;
  }
  return false;
}

function report(): Report {
  const entries = entryPoints();
  const program = ts.createProgram(
    Object.values(entries).map((file) => join(root, file)),
    {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
    },
  );
  const checker = program.getTypeChecker();
  const result: Report = {};
  for (const [subpath, file] of Object.entries(entries)) {
    const source = program.getSourceFile(join(root, file))!;
    const moduleSymbol = checker.getSymbolAtLocation(source)!;
    const names: Record<string, string> = {};
    for (const exported of checker.getExportsOfModule(moduleSymbol).sort((a, b) => a.name.localeCompare(b.name))) {
      names[exported.name] = describe_(checker, exported, typeOnlyExport(checker, exported));
    }
    result[subpath] = names;
  }
  return result;
}

describe('public API report', () => {
  const current = report();

  it('matches the committed report (spec/api-report.json): every entry, every exported name and member', () => {
    if (process.env.UPDATE_API_REPORT) writeFileSync(REPORT, JSON.stringify(current, null, 2) + '\n');
    const committed = JSON.parse(readFileSync(REPORT, 'utf8')) as Report;
    expect(current).toEqual(committed);
  });

  it('exports none of the internals that once leaked', () => {
    const leaked = Object.entries(current).flatMap(([subpath, names]) =>
      NEVER_PUBLIC.filter((name) => name in names).map((name) => `${subpath}: ${name}`),
    );
    expect(leaked).toEqual([]);
  });

  it('the stream handle is a type (its URL, and a phantom type parameter: see typed-handles.spec); the client only stream()', () => {
    expect(current['.']['DurableStream']).toBe('type');
    expect(current['.']['DurableStreamsClient']).toBe('class: constructor, stream');
  });

  it('the producer is a type, made only by idempotentProducer(): no constructor, no test seam', () => {
    expect(current['.']['IdempotentProducer']).toMatch(/^class \(type only\): /);
    expect(current['.']['IdempotentProducer']).not.toMatch(/constructor/);
    expect(current['.']['idempotentProducer']).toBe('function');
  });

  it('materialize() and the State Protocol types live in durable-streams-rx/state, not the main entry', () => {
    expect(current['./state']).toMatchObject({ materialize: 'function' });
    expect(current['./state'].StateProtocolError).toMatch(/^class/);
    expect(current['.']).not.toHaveProperty('materialize');
    expect(current['.']).not.toHaveProperty('StateSnapshot');
  });
});
