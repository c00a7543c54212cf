import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { docBlocks, type DocBlock } from './support/doc-blocks';

/*
 * The docs compile (issue #22 part 7): every TypeScript block of README.md
 * and docs/*.md is type-checked as written, each block a module of its own,
 * against the sources: the package's entry points map to lib/ through
 * `paths`, taken from package.json's exports, so a new entry is covered the
 * day it is added.
 *
 * - A block states what it assumes with `declare const` (or imports it).
 * - ```ts continued: the block goes on from the TypeScript block before it
 *   on the page (one module), for a page that builds one file in steps.
 * - ```ts fragment: deliberately not a program (a shape in pseudo-syntax, a
 *   framework the repository does not install); not compiled, and rare.
 * - Every fence names its language, so TypeScript cannot hide in an
 *   unmarked block.
 *
 * One program for all blocks (a few seconds), not one tsc per block; a
 * failure names the page, line and column.
 */

const root = join(__dirname, '..');
const PAGES = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];
const TYPESCRIPT = new Set(['ts', 'typescript']);

interface PackageJson {
  readonly name: string;
  readonly exports: Record<string, string | { readonly import: { readonly default: string } }>;
}

/** `durable-streams-rx`, `durable-streams-rx/undici`, ... to their lib/ sources. */
function entryPaths(): Record<string, string[]> {
  const { name, exports } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
  const paths: Record<string, string[]> = {};
  for (const [subpath, target] of Object.entries(exports)) {
    if (typeof target === 'string') continue;
    paths[`${name}${subpath.slice(1)}`] = [
      target.import.default.replace(/^\.\/dist\/esm\//, './lib/').replace(/\.js$/, '.ts'),
    ];
  }
  return paths;
}

const words = (block: DocBlock): string[] => block.info.split(/\s+/);
const blocks = PAGES.flatMap((page) => docBlocks(root, page));
const typescriptBlocks = blocks.filter((block) => TYPESCRIPT.has(words(block)[0]));
const fragments = typescriptBlocks.filter((block) => words(block).includes('fragment'));

/** A module made of one block and the blocks that continue it. */
interface DocModule {
  readonly file: string;
  readonly blocks: DocBlock[];
}

function docModules(): DocModule[] {
  const modules: DocModule[] = [];
  for (const block of typescriptBlocks) {
    if (fragments.includes(block)) continue;
    const previous = modules.at(-1);
    if (words(block).includes('continued')) {
      if (previous?.blocks[0].file !== block.file)
        throw new Error(`${block.file}:${block.line - 1}: nothing to continue`);
      previous.blocks.push(block);
    } else {
      // Beside the page, so that node_modules resolve as for the repository's own code.
      modules.push({ file: join(root, `${block.file}.line-${block.line}.ts`), blocks: [block] });
    }
  }
  return modules;
}

/** Page, line and column of a position in a module. */
function where(module: DocModule, line: number, character: number): string {
  let first = 0;
  for (const block of module.blocks) {
    const lines = block.code.split('\n').length;
    if (line < first + lines) return `${block.file}:${block.line + line - first}:${character + 1}`;
    first += lines;
  }
  throw new Error(`line ${line} is past ${module.file}`);
}

function compile(modules: readonly DocModule[]): string[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    module: ts.ModuleKind.Preserve,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    moduleDetection: ts.ModuleDetectionKind.Force,
    strict: true,
    noImplicitOverride: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node', 'jest'],
    paths: entryPaths(),
  };
  const sources = new Map(modules.map((module) => [module.file, module.blocks.map((block) => block.code).join('\n')]));
  const host = ts.createCompilerHost(options);
  const { readFile, fileExists, getSourceFile } = host;
  host.readFile = (file) => sources.get(file) ?? readFile.call(host, file);
  host.fileExists = (file) => sources.has(file) || fileExists.call(host, file);
  host.getSourceFile = (file, language, ...rest) => {
    const code = sources.get(file);
    return code === undefined
      ? getSourceFile.call(host, file, language, ...rest)
      : ts.createSourceFile(file, code, language, true);
  };
  const program = ts.createProgram([...sources.keys()], options, host);
  const problems = program
    .getGlobalDiagnostics()
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
  for (const module of modules) {
    const source = program.getSourceFile(module.file);
    if (!source) throw new Error(`${module.file} is not in the program`);
    for (const diagnostic of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      const { line, character } = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      problems.push(
        `${where(module, line, character)} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n  ')}`,
      );
    }
  }
  return problems;
}

describe('the docs compile', () => {
  it('finds the TypeScript blocks of README.md and docs/', () => {
    expect(typescriptBlocks.length).toBeGreaterThan(40);
    expect(new Set(typescriptBlocks.map((block) => block.file))).toContain('README.md');
  });

  it('every fence names its language', () => {
    expect(blocks.filter((block) => block.info === '').map((block) => `${block.file}:${block.line - 1}`)).toEqual([]);
  });

  it('few blocks are fragments', () => {
    expect(fragments.length).toBeLessThanOrEqual(Math.ceil(typescriptBlocks.length / 12));
  });

  it('every other TypeScript block type-checks as written, against the sources', () => {
    const problems = compile(docModules());
    if (problems.length > 0) throw new Error(`${problems.length} problems in the docs' code:\n${problems.join('\n')}`);
  }, 120_000);
});
