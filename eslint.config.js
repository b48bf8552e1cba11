// Lint: fast, syntax-level rules (type-checking is tsc's job in `npm test`), plus the layering
// rules of DESIGN.md: no package reaches into another package's source, features never import
// the server, and chasm-core imports no feature.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.js', '**/*.mjs', 'packages/*/test/workflows/**', 'examples/*/test/workflows/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['packages/*/src/**/*.ts', 'packages/*/test/**/*.ts', 'examples/*/src/**/*.ts', 'examples/*/test/**/*.ts'],
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-restricted-imports': ['error', { patterns: [{ group: ['@chasm/*/src/*', '@chasm/*/dist/*'], message: 'import a package by its public entry point' }] }],
    },
  },
  {
    files: ['packages/chasm-core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@chasm/*'], message: 'chasm-core is the bottom layer: it imports no other package' }] }],
    },
  },
  {
    files: ['packages/!(server)/src/**/*.ts', 'packages/!(server)/test/**/*.ts'],
    ignores: ['packages/chasm-core/src/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['@chasm/server', '@chasm/server/*'], message: 'feature packages never import the server' },
        { group: ['@chasm/*/src/*', '@chasm/*/dist/*'], message: 'import a package by its public entry point' },
      ] }],
    },
  },
);
