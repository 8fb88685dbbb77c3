import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// A lib is used only through its index.ts: no `@app/<lib>/<file>`, and no relative path into
// another lib's or app's src (`../../database/src/...`); a path through a `src` directory has
// left its own project, since no project nests one.
const throughIndex = [
  { group: ['@app/*/*'], message: 'import a lib through its index (@app/<lib>)' },
  { regex: '^\\.\\.?/(.*/)?src(/|$)', message: "import another lib through its index (@app/<lib>), never a relative path into its src" },
];

// What each lib may import (through its index), lowest first; docs/architecture.md shows the
// same table. Anything else (another lib, an app) fails `npm run lint`, which CI runs.
const LIB_DEPENDENCIES = {
  common: [],
  config: [],
  database: ['config'],
  queue: ['common', 'config'],
  customers: ['common', 'database'],
  'celar-client': ['common', 'config', 'queue'],
  'celar-sandbox': ['common', 'config'],
  observability: ['celar-client', 'common', 'config', 'queue'],
  webhooks: ['common', 'config', 'customers', 'database', 'observability'],
  cases: ['common', 'config', 'customers', 'database', 'webhooks'],
  sync: ['celar-client', 'common', 'config', 'customers', 'database', 'observability', 'queue'],
  reconciliation: ['cases', 'celar-client', 'common', 'config', 'customers', 'database', 'observability', 'queue', 'webhooks'],
  testing: ['celar-sandbox', 'common', 'config', 'database'],
};
const LIBS = Object.keys(LIB_DEPENDENCIES);
const noApps = { group: ['**/apps/**'], message: 'libs never import apps' };
const allowedOnly = (lib) => {
  const forbidden = LIBS.filter((other) => other !== lib && !LIB_DEPENDENCIES[lib].includes(other));
  const allowed = LIB_DEPENDENCIES[lib].join(', ') || 'no other lib';
  return forbidden.length === 0
    ? []
    : [{ group: forbidden.map((other) => `@app/${other}`), message: `libs/${lib} may import only ${allowed} (eslint.config.mjs, docs/architecture.md)` }];
};

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
  // Libs never depend on apps, and each lib only on the libs its row allows.
  ...LIBS.map((lib) => ({
    files: [`libs/${lib}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: [...throughIndex, noApps, ...allowedOnly(lib)] }] },
  })),
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
      'no-restricted-imports': ['error', { patterns: [throughIndex[0], noApps, ...allowedOnly('testing')] }],
    },
  },
);
