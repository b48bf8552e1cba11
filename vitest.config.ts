import { defineConfig } from 'vitest/config';

// Workspace packages export "@chasm/source" -> src, so tests run against source without a build.
// 'import' is left out on purpose: with it, vite resolves pg's ESM wrapper in a way that breaks `class extends`.
const conditions = ['@chasm/source', 'node', 'module', 'default'];
const nodeConditions = conditions.filter((c) => c !== 'module');

export default defineConfig({
  resolve: { conditions },
  // Node's side (external packages, and the --conditions vitest gives its workers) leaves out
  // 'module' too: packages such as @opentelemetry/* export a 'module' build for bundlers whose
  // imports lack file extensions, which Node cannot load. Plain node, as in production, takes 'default'.
  ssr: { resolve: { conditions: nodeConditions, externalConditions: nodeConditions } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'tools/*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
