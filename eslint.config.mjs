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
    },
  },
  {
    // Specs may assert presence with `!` and hand jest mocks around as methods.
    files: ['spec/**/*.ts', 'e2e/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
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
  prettier,
  {
    // max-len is turned off by eslint-config-prettier; keep it for strings and comments Prettier cannot break.
    rules: { 'max-len': ['error', { code: 160, ignoreUrls: true, ignoreRegExpLiterals: true }] },
  },
);
