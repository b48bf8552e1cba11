// Lint: fast, syntax-level rules (type-checking is tsc's job, in each project's `typecheck`
// target), plus the layering of DESIGN.md, enforced from the nx project graph by project tags:
//   layer:core ← layer:matching ← layer:feature ← layer:app, and layer:runtime (the server
//   runtime that knows no feature) just above core, so features can test against it.
//   layer:library (plain libraries several features share, e.g. the schedule spec engine) sits on
//   core and matching, below the features.
// Third-party plugins (layer:plugin, examples/) may use only core and the runtime. Workspace
// tools (layer:tools, tools/) import no project: they generate and run packages, never link them.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const layers = {
  'layer:core': ['layer:core'],
  'layer:matching': ['layer:core', 'layer:matching'],
  'layer:runtime': ['layer:core', 'layer:runtime'],
  'layer:library': ['layer:core', 'layer:matching', 'layer:library'],
  'layer:feature': ['layer:core', 'layer:matching', 'layer:library', 'layer:runtime', 'layer:feature'],
  'layer:app': ['layer:core', 'layer:matching', 'layer:library', 'layer:runtime', 'layer:feature', 'layer:ui', 'layer:app'],
  // The web UI (packages/ui) is a browser app: it talks to the server over HTTP and imports no project.
  'layer:ui': ['layer:ui'],
  'layer:plugin': ['layer:core', 'layer:runtime', 'layer:plugin'],
  'layer:tools': ['layer:tools'],
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.js', '**/*.mjs', '**/*.cjs', '**/test/workflows/**', 'tools/**/files/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-restricted-imports': ['error', { patterns: [{ group: ['@chasm/*/src/*', '@chasm/*/dist/*'], message: 'import a package by its public entry point' }] }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          banTransitiveDependencies: true,
          depConstraints: Object.entries(layers).map(([sourceTag, allowed]) => ({ sourceTag, onlyDependOnLibsWithTags: allowed })),
        },
      ],
    },
  },
);
