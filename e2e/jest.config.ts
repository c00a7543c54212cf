import type { Config } from 'jest';

// `npm run test:e2e`: the Angular example in a real Chromium against a real reference server.
// Kept out of `npm test` (its roots are spec/): it needs the built example and a browser.
const swc = [
  '@swc/jest',
  { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
];

const config: Config = {
  rootDir: '..',
  roots: ['<rootDir>/e2e'],
  testMatch: ['**/*.e2e.ts'],
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)sx?$': swc as never },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  reporters: ['default', '<rootDir>/spec/support/summary-reporter.cjs'],
  maxWorkers: 1,
  testTimeout: 60_000,
  // The reference server leaves a long-poll wait timer (longPollTimeout, 1.5 s here) behind for
  // each aborted read: the process exits once they fire.
  openHandlesTimeout: 3_000,
};

export default config;
