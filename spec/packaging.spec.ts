import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

const root = join(__dirname, '..');

/** Every module `entry` reaches through static imports and re-exports (type-only ones excluded). */
function reachable(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(join(root, file), 'utf8');
    for (const match of source.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?from\s+'([^']+)';/gms)) {
      const [, typeOnly, specifier] = match as unknown as [string, string | undefined, string];
      if (typeOnly) continue;
      if (specifier.startsWith('.')) visit(normalize(join(dirname(file), specifier.replace(/\.js$/, '.ts'))));
      else packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!);
    }
  };
  visit(entry);
  return { files, packages };
}

describe('packaging', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, Record<string, Record<string, string>>>;
    sideEffects: string[];
  };

  it('the browser and default entries never reach undici or Angular', () => {
    const { packages } = reachable('lib/index.ts');
    expect(packages).not.toContain('undici');
    expect([...packages].filter((name) => name.startsWith('@angular'))).toEqual([]);
    expect([...packages].sort()).toEqual(['eventsource-parser', 'rxjs']);
  });

  it('the main entries never reach the subscriptions entry (browser bundles never carry it)', () => {
    for (const entry of ['lib/index.ts', 'lib/index.node.ts']) {
      expect([...reachable(entry).files].filter((file) => file.startsWith('lib/subscriptions/'))).toEqual([]);
    }
  });

  it('the subscriptions entry reaches neither undici nor Angular', () => {
    const { packages } = reachable('lib/subscriptions/index.ts');
    expect(packages).not.toContain('undici');
    expect([...packages].filter((name) => name.startsWith('@angular'))).toEqual([]);
    expect(packages).toContain('rxjs');
  });

  it('the Node entry registers undici', () => {
    expect(reachable('lib/index.node.ts').packages).toContain('undici');
  });

  it('maps the export conditions to those entries', () => {
    const main = pkg.exports['.']!;
    expect(main['node']).toMatchObject({ import: './dist/esm/index.node.js', require: './dist/cjs/index.node.js' });
    expect(main['browser']).toMatchObject({ import: './dist/esm/index.js', require: './dist/cjs/index.js' });
    expect(main['default']).toMatchObject({ import: './dist/esm/index.js', require: './dist/cjs/index.js' });
    expect(pkg.sideEffects).toEqual(['./dist/esm/index.node.js', './dist/cjs/index.node.js']);
  });

  it('exports the subscriptions entry as ES module, CommonJS and types', () => {
    expect(pkg.exports['./subscriptions']).toEqual({
      types: './dist/types/subscriptions/index.d.ts',
      import: './dist/esm/subscriptions/index.js',
      require: './dist/cjs/subscriptions/index.js',
    });
  });
});
