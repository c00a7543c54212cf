// ESLint flat config. typescript-eslint's strict, type-aware rules where they catch real defects
// (floating promises, unsafe any, unnecessary conditions, deprecated APIs); Prettier owns the layout
// (eslint-config-prettier turns off the rules it covers). Rules switched off below say why.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'docs/api/**',
      'node_modules/**',
      'coverage/**',
      'examples/**/.angular/**',
      'examples/**/dist/**',
      'e2e/dist/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `() => subject.next(x)` is the RxJS idiom for a callback; wrapping it in braces says nothing more.
      '@typescript-eslint/no-confusing-void-expression': 'off',
      // Numbers and booleans read fine in messages; objects and nullish values are still refused.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // Unused names are an error, but a leading underscore marks a parameter kept for its position.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Long messages are split into sentences, not left on one line (Prettier does not break strings).
      'max-len': ['error', { code: 160, ignoreUrls: true, ignoreRegExpLiterals: true }],
      // A variable that a closure reads before its one assignment cannot be const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // `async` states a promise contract (a throw becomes a rejection), whether or not the body awaits.
      '@typescript-eslint/require-await': 'off',
      // Its hits here are deliberate checks of what untyped callers pass, and index reads the tsconfig types as defined.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // Control characters in a regex here are what it looks for (header values, URLs, terminal colours).
      'no-control-regex': 'off',
      // `| void` in a callback's return type lets an expression body (`(e) => console.log(e)`) through.
      '@typescript-eslint/no-invalid-void-type': 'off',
      // Rejecting with an abort reason or a caught error passes it on as it came; it does not make a non-Error.
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
      // An options interface named for its function may extend one other and add nothing yet.
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
    },
  },
  {
    // Specs may assert presence with `!`, hand jest mocks around as methods, and use jest's
    // asymmetric matchers (expect.any, objectContaining), which are typed `any` so marble value maps take them.
    files: ['spec/**/*.ts', 'e2e/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      // Specs stand test doubles in for class instances (Injector.NULL as an environment's parent, a caught error).
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      // A module loaded again under a changed global (Buffer removed) needs require(), not a cached import.
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // The Angular example imports the package by name: for lint, its entries map to lib/ (no build needed).
    files: ['examples/angular-feed/**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: false, project: './examples/angular-feed/tsconfig.lint.json' },
    },
  },
  {
    // Plain JavaScript (bench, demo, scripts, examples) is not in a TypeScript project: syntax rules only.
    files: ['**/*.{js,mjs,cjs}'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { ...globals.node, ...globals.browser },
    },
  },
  {
    // CommonJS files load modules with require().
    files: ['**/*.cjs', 'e2e/fixtures/module-format/*.cjs.test.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The module-format fixtures are jest tests of the built package.
    files: ['e2e/fixtures/**/*.{js,mjs}'],
    languageOptions: { globals: globals.jest },
  },
  prettier,
  {
    // max-len is turned off by eslint-config-prettier; keep it for strings and comments Prettier cannot break.
    rules: { 'max-len': ['error', { code: 160, ignoreUrls: true, ignoreRegExpLiterals: true }] },
  },
);
