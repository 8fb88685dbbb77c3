import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'jest.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // A lib is used only through its index.ts.
      'no-restricted-imports': ['error', { patterns: [{ group: ['@app/*/*'], message: 'import a lib through its index (@app/<lib>)' }] }],
    },
  },
  {
    // Libs never depend on apps.
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['@app/*/*'], message: 'import a lib through its index (@app/<lib>)' },
        { group: ['**/apps/**'], message: 'libs never import apps' },
      ] }],
    },
  },
);
