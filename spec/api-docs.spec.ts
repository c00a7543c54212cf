import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The API reference (issue #17 part 6): TypeDoc over every entry point of
 * package.json's exports, validated (`notExported`, `notDocumented`,
 * `invalidLink`, warnings as errors), so a public member without a doc
 * comment, or a public signature that names an unexported type, fails the
 * suite. `--emit none`: checked, not written (`npm run docs:api` writes
 * docs/api/). typedoc.json's `intentionallyNotExported` names the few
 * types public constructors take that the API keeps internal on purpose
 * (error init shapes, the testing controller's offset mint).
 */

const root = join(__dirname, '..');
const readJsonFile = (file: string): unknown => JSON.parse(readFileSync(join(root, file), 'utf8'));

interface PackageJson {
  readonly exports: Record<string, string | { readonly import: { readonly default: string } }>;
}

describe('API reference (TypeDoc)', () => {
  it('covers every entry point of package.json exports', () => {
    const { exports } = readJsonFile('package.json') as PackageJson;
    const entries = Object.values(exports)
      .filter((target): target is { readonly import: { readonly default: string } } => typeof target !== 'string')
      .map((target) => target.import.default.replace(/^\.\/dist\/esm\//, 'lib/').replace(/\.js$/, '.ts'));
    expect([...(readJsonFile('typedoc.json') as { entryPoints: string[] }).entryPoints].sort()).toEqual(entries.sort());
  });

  it('asks git nothing, so a checkout without a remote or without .git (a source archive) validates the same', () => {
    // Without disableGit, TypeDoc reads the remote for source links and warns (an error here) when there is none.
    const { disableGit, sourceLinkTemplate } = readJsonFile('typedoc.json') as {
      disableGit?: boolean;
      sourceLinkTemplate?: string;
    };
    expect({ disableGit, sourceLinkTemplate }).toEqual({ disableGit: true, sourceLinkTemplate: expect.any(String) });
  });

  it('documents every public member, and no public signature names an unexported type', async () => {
    const typedoc = join(root, 'node_modules', 'typedoc', 'bin', 'typedoc'); // its package exports hide the bin from require.resolve
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) =>
      execFile(
        process.execPath,
        [typedoc, '--emit', 'none', '--logLevel', 'Warn'],
        { cwd: root, maxBuffer: 16 << 20 },
        (error, stdout, stderr) =>
          resolve({
            code: error ? Number(error.code ?? 1) : 0,
            output: `${stdout}${stderr}`.replace(/\x1b\[[0-9;]*m/g, ''),
          }),
      ),
    );
    const problems = output
      .split('\n')
      .filter((line) => /^\[(warning|error)\]/.test(line) && !/^\[(warning|error)\] Found \d+ errors?/.test(line));
    expect(problems).toEqual([]);
    expect(code).toBe(0);
  }, 180_000);
});
