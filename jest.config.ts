import type { Config } from 'jest';

const swc = [
  '@swc/jest',
  { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
];

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.(t|j)sx?$': swc as never, '^.+\\.mjs$': swc as never },
  // Angular and NgRx ship ES modules only (.mjs): compile them to CommonJS for spec/angular.
  transformIgnorePatterns: ['/node_modules/(?!@angular/|@ngrx/)'],
  // Source files import siblings with NodeNext-style '.js' suffixes; resolve them to the .ts sources.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  globalSetup: '<rootDir>/spec/support/global-setup.ts',
  globalTeardown: '<rootDir>/spec/support/global-teardown.ts',
  reporters: ['default', '<rootDir>/spec/support/summary-reporter.cjs'],
  testTimeout: 20_000,
};

export default config;
