import { defineConfig } from 'vitest/config';

// Workspace packages export "@chasm/source" -> src, so tests run against source without a build.
// 'import' is left out on purpose: with it, vite resolves pg's ESM wrapper in a way that breaks `class extends`.
const conditions = ['@chasm/source', 'node', 'module', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'tools/*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
