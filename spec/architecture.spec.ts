import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, resolve } from 'node:path';
import ts from 'typescript';

/*
 * The shape of lib/ (docs/architecture.md): folders are layers that import
 * downward only (the same layer is fine), and no file or class grows past
 * what one reader holds in mind. Entry files (lib/index*.ts) may import
 * anything: they are the public surface, not a layer.
 *
 * Every import counts, type-only ones (`import type`, `export type ... from`,
 * `import('...')` types) included: a lower layer that names a higher layer's
 * type changes whenever that layer does, and its declaration file drags the
 * higher layer along, so the direction has to hold for types as well.
 */

/** Layer of each top-level folder of lib/, bottom first (PLAN.md, issue #18). */
const LAYERS: Readonly<Record<string, number>> = {
  util: 0,
  protocol: 1,
  errors: 2,
  retry: 3,
  transport: 4,
  http: 5,
  operations: 6,
  read: 7,
  produce: 8,
  client: 9,
  operators: 10,
  state: 11,
  angular: 12,
  subscriptions: 12,
  node: 12,
};

/**
 * Folders that are entry points of their own and must see the SDK exactly
 * as users do: they import the platform-neutral main entry and nothing
 * below it (issue #15 part 5: the Angular entry, built as ESM and CJS,
 * reaches the client class through the same entry file as the app does).
 */
const PUBLIC_ENTRY_CONSUMERS: ReadonlySet<string> = new Set(['angular']);

/** The public entry files such consumers may import (package.json "exports"). */
const PUBLIC_ENTRIES: ReadonlySet<string> = new Set(['index.ts', 'index.js', 'state/index.ts', 'state/index.js']);

const MAX_FILE_LINES = 400;
const MAX_CLASS_LINES = 250;

const LIB = resolve(__dirname, '../lib');

interface Violation {
  readonly file: string;
  readonly imports: string;
  readonly why: string;
}

/** Relative module specifiers of every import and re-export, type-only ones included. */
export function importsOf(path: string, source: string): string[] {
  const file = ts.createSourceFile(path, source, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const expression = node.moduleReference.expression;
      if (ts.isStringLiteral(expression)) found.push(expression.text);
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      found.push(node.argument.literal.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found.filter((specifier) => specifier.startsWith('.'));
}

/** The top-level folder of a path relative to lib/, or undefined for an entry file at lib/'s root. */
function folderOf(libPath: string): string | undefined {
  const slash = libPath.indexOf('/');
  return slash === -1 ? undefined : libPath.slice(0, slash);
}

/**
 * Import-direction violations among `files` (paths relative to lib/ → source
 * text): an import into a higher layer, a folder no layer is given for, and
 * any cycle between folders.
 */
export function layerViolations(
  files: ReadonlyMap<string, string>,
  layers: Readonly<Record<string, number>> = LAYERS,
): Violation[] {
  const violations: Violation[] = [];
  const edges = new Map<string, Set<string>>();
  for (const [file, source] of files) {
    const from = folderOf(file);
    if (from === undefined) continue; // an entry file
    if (layers[from] === undefined) {
      violations.push({
        file,
        imports: '',
        why: `folder '${from}/' has no layer: add it to LAYERS (and to docs/architecture.md)`,
      });
      continue;
    }
    for (const specifier of importsOf(file, source)) {
      const target = posix.normalize(posix.join(posix.dirname(file), specifier));
      if (target.startsWith('..')) {
        violations.push({ file, imports: specifier, why: 'imports from outside lib/' });
        continue;
      }
      const to = folderOf(target);
      if (PUBLIC_ENTRY_CONSUMERS.has(from)) {
        if (!PUBLIC_ENTRIES.has(target) && to !== from) {
          violations.push({
            file,
            imports: specifier,
            why: `${from}/ uses the SDK through its public entries only: import '../index.js' (or '../state/index.js')`,
          });
        }
        continue;
      }
      if (to === undefined) {
        violations.push({
          file,
          imports: specifier,
          why: 'imports an entry file (lib/index*): import the module itself',
        });
        continue;
      }
      if (to === from) continue;
      if (edges.get(from)?.add(to) === undefined) edges.set(from, new Set([to]));
      const toLayer = layers[to];
      if (toLayer === undefined) continue; // reported for the folder's own files
      if (toLayer > layers[from]) {
        violations.push({
          file,
          imports: specifier,
          why: `${from}/ (layer ${layers[from]}) imports ${to}/ (layer ${toLayer}), a higher layer`,
        });
      }
    }
  }
  for (const cycle of folderCycles(edges)) {
    violations.push({
      file: `${cycle[0]}/`,
      imports: '',
      why: `folders import each other: ${[...cycle, cycle[0]].join(' → ')}`,
    });
  }
  return violations;
}

/** Every strongly connected group of folders with more than one member (Tarjan), each as one cycle's members. */
function folderCycles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        group.push(member);
      } while (member !== node);
      if (group.length > 1) groups.push(group.sort());
    }
  };
  for (const node of edges.keys()) if (!index.has(node)) connect(node);
  return groups;
}

/** Classes longer than `max` lines, with their length. */
function longClasses(
  path: string,
  source: string,
  max: number,
): Array<{ readonly name: string; readonly lines: number }> {
  const file = ts.createSourceFile(path, source, ts.ScriptTarget.ES2022, true);
  const found: Array<{ name: string; lines: number }> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isClassDeclaration(node) || ts.isClassExpression(node)) {
      const start = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
      const end = file.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > max) found.push({ name: node.name?.text ?? '(anonymous)', lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function libFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) files.set(relative(LIB, path).split('\\').join('/'), readFileSync(path, 'utf8'));
    }
  };
  walk(LIB);
  return files;
}

const lineCount = (source: string): number => source.split('\n').length - (source.endsWith('\n') ? 1 : 0);

describe('architecture of lib/', () => {
  const files = libFiles();

  it('imports downward only: no file imports a higher layer, no folders import each other', () => {
    expect(files.size).toBeGreaterThan(50);
    expect(layerViolations(files)).toEqual([]);
  });

  it('gives every folder of lib/ a layer', () => {
    const folders = new Set([...files.keys()].map(folderOf).filter((folder): folder is string => folder !== undefined));
    expect([...folders].filter((folder) => LAYERS[folder] === undefined)).toEqual([]);
  });

  it(`keeps every file within ${MAX_FILE_LINES} lines`, () => {
    const long = [...files]
      .filter(([, source]) => lineCount(source) > MAX_FILE_LINES)
      .map(([file, source]) => `${file}: ${lineCount(source)}`);
    expect(long).toEqual([]);
  });

  it(`keeps every class within ${MAX_CLASS_LINES} lines`, () => {
    const long = [...files].flatMap(([file, source]) =>
      longClasses(file, source, MAX_CLASS_LINES).map(({ name, lines }) => `${file} ${name}: ${lines}`),
    );
    expect(long).toEqual([]);
  });
});

describe('the layer rule itself', () => {
  const fixture = new Map([
    ['util/a.ts', 'export const a = 1;\n'],
    ['protocol/p.ts', "import type { E } from '../errors/e.js';\nexport type P = E;\n"],
    ['errors/e.ts', "export { a } from '../util/a.js';\nexport type E = string;\n"],
    ['read/r.ts', "import { c } from '../client/c.js';\nexport const r = c;\n"],
    ['client/c.ts', "import { r } from '../read/r.js';\nexport const c = r;\n"],
    ['produce/q.ts', "export type Q = import('../client/c.js').C;\n"],
    ['mystery/m.ts', 'export const m = 1;\n'],
    ['index.ts', "export * from './client/c.js';\n"],
    ['angular/ok.ts', "import { c } from '../index.js';\nimport { x } from './x.js';\nexport const ok = [c, x];\n"],
    ['angular/deep.ts', "import { c } from '../client/c.js';\nexport const deep = c;\n"],
  ]);
  const violations = layerViolations(fixture);
  const about = (file: string) =>
    violations.filter((violation) => violation.file === file).map((violation) => violation.why);

  it('flags an upward type-only import, an upward import() type and an upward value import', () => {
    expect(about('protocol/p.ts')).toEqual([expect.stringContaining('protocol/ (layer 1) imports errors/ (layer 2)')]);
    expect(about('produce/q.ts')).toEqual([expect.stringContaining('produce/ (layer 8) imports client/ (layer 9)')]);
    expect(about('read/r.ts')).toEqual([expect.stringContaining('read/ (layer 7) imports client/ (layer 9)')]);
  });

  it('accepts downward re-exports and lets entry files import anything', () => {
    expect(about('errors/e.ts')).toEqual([]);
    expect(about('client/c.ts')).toEqual([]);
    expect(about('index.ts')).toEqual([]);
  });

  it('lets angular/ import the public entry, and only that', () => {
    expect(about('angular/ok.ts')).toEqual([]);
    expect(about('angular/deep.ts')).toEqual([
      expect.stringContaining('angular/ uses the SDK through its public entries only'),
    ]);
  });

  it('flags a cycle between folders and a folder without a layer', () => {
    expect(violations.map((violation) => violation.why)).toContainEqual(
      'folders import each other: client → read → client',
    );
    expect(about('mystery/m.ts')).toEqual([expect.stringContaining("folder 'mystery/' has no layer")]);
  });
});
