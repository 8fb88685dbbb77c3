import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// A lib is used only through its index.ts: no `@app/<lib>/<file>`, and no relative path into
// another lib's or app's src (`../../database/src/...`); a path through a `src` directory has
// left its own project, since no project nests one.
const throughIndex = [
  { group: ['@app/*/*'], message: 'import a lib through its index (@app/<lib>)' },
  { regex: '^\\.\\.?/(.*/)?src(/|$)', message: "import another lib through its index (@app/<lib>), never a relative path into its src" },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'jest.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: throughIndex }],
    },
  },
  {
    // Libs never depend on apps.
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...throughIndex, { group: ['**/apps/**'], message: 'libs never import apps' }] }],
    },
  },
  {
    // Cross-project tests and benchmarks start the apps' factories (apps have no index) by relative path.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [throughIndex[0]] }],
    },
  },
  {
    // Jest loads globalSetup outside its module registry, so moduleNameMapper (and @app/*) does not
    // apply there; this one file reaches the database lib by path (its index pulls in @app/config).
    files: ['libs/testing/src/jest-global-setup.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [throughIndex[0], { group: ['**/apps/**'], message: 'libs never import apps' }] }],
    },
  },
);
