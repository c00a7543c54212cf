/**
 * NG0201 regression (issue #15 part 5), on the built package (`npm run
 * build`, which test:e2e runs first): in Jest's CommonJS mode and in its ES
 * module mode, `durable-streams-rx/angular` and `durable-streams-rx` give one
 * DurableStreamsClient class, so the client a component injects is the one
 * the provider made. Each mode runs in its own Jest process on the fixtures
 * in e2e/fixtures/module-format, which reach the package by its name.
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(__dirname, '..');
const FIXTURES = join(ROOT, 'e2e/fixtures/module-format');
const JEST = join(ROOT, 'node_modules/jest/bin/jest.js');

async function runJest(config: string, nodeOptions = ''): Promise<{ code: number; output: string }> {
  const env = { ...process.env, NODE_OPTIONS: nodeOptions, FORCE_COLOR: '0' };
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [JEST, '-c', join(FIXTURES, config), '--ci'],
      { cwd: ROOT, env },
    );
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('one DurableStreamsClient class across the main and Angular entries', () => {
  it("in Jest's CommonJS mode (the `require` condition)", async () => {
    const { code, output } = await runJest('jest.cjs.config.cjs');
    expect(output).not.toContain('NG0201');
    expect(output).toMatch(/Tests:\s+1 passed, 1 total/);
    expect(code).toBe(0);
  });

  it("in Jest's ES module mode (the `import` condition)", async () => {
    const { code, output } = await runJest('jest.esm.config.cjs', '--experimental-vm-modules --no-warnings');
    expect(output).toMatch(/Tests:\s+1 passed, 1 total/);
    expect(code).toBe(0);
  });
});
