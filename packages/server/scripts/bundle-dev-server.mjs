// Build step (after tsc): bundles dist/dev-server.js, the dev server's default composition, into
// dist/dev-bundle/ with esbuild, so `npm start` loads a few files instead of ~1,300 modules
// (ADR 0056). The CLI uses the bundle only for `dev` without --package and falls back to the
// module graph when it is missing.
//
// What a bundle must not change, and how this script keeps it so:
// - Modules that find files next to themselves stay where they are: the workspace packages'
//   `import.meta.url` is rewritten to the URL of the file it was in (relative to the bundle,
//   so the checkout can move), and a third-party module that asks for its own location
//   (`__dirname`, `__filename`, `import.meta.url`, `require.resolve`) fails the build unless
//   it is in EXTERNAL, imported from its installed files (PGlite's .wasm and .data, pino's
//   worker thread).
// - State shared with the unbundled CLI: `@chasm/core/pglite-prewarm`, which the CLI calls
//   before it imports the bundle, is imported from its own file, so both see one prewarm.
// - CommonJS modules bundled into ES modules call `require` for node built-ins: each output
//   file gets a `require` made by `createRequire`, and the build fails if a `require` of
//   anything but a built-in is left to run time (it would resolve from the bundle's folder).
import { build } from 'esbuild';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const packagesDir = dirname(pkgDir);
const outdir = join(pkgDir, 'dist', 'dev-bundle');

/**
 * Imported from their installed files, not bundled: PGlite (reads its .wasm, .data and
 * extensions beside its modules), pino and pino-pretty (a log transport runs pino's worker file
 * in a worker thread), and what `dev` never loads (Postgres' driver, the YAML parser, jose):
 * those stay lazy imports of their own packages.
 */
const EXTERNAL = ['@electric-sql/pglite', 'pino', 'pino-pretty', 'pg', 'yaml', 'jose'];
/** Workspace modules whose state the unbundled CLI shares (by resolved file). */
const SHARED_FILES = [join(packagesDir, 'chasm-core', 'dist', 'persistence', 'pglite-prewarm.js')];

const isWorkspaceFile = (path) => path.startsWith(packagesDir + sep) && !path.includes(`${sep}node_modules${sep}`);
/** An import specifier for `path` from any file of the bundle (all are in `outdir`). */
const fromBundle = (path) => {
  const rel = relative(outdir, path).split(sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
};

/** A lookup a bundle cannot keep: resolution from the module's own folder. */
const resolvesFromItself = /\brequire\.resolve\b/;
/** A name not preceded by `.` or an identifier character (so `x.__dirname` is left alone). */
const free = (name) => new RegExp(`(?<![.\\w$])${name.replace(/\./g, '\\.')}\\b`, 'g');

/** @type {import('esbuild').Plugin} */
const keepLocations = {
  name: 'keep-locations',
  setup(b) {
    const externalFilter = new RegExp(`^(${EXTERNAL.map((e) => e.replace(/[/.]/g, '\\$&')).join('|')})(/|$)`);
    b.onResolve({ filter: externalFilter }, async (args) => {
      if (args.pluginData === 'inner') return undefined;
      const r = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'inner' });
      if (r.errors.length > 0) return { errors: r.errors };
      return { path: fromBundle(r.path), external: true };
    });
    b.onResolve({ filter: /pglite-prewarm/ }, async (args) => {
      if (args.pluginData === 'inner') return undefined;
      const r = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'inner' });
      if (r.errors.length > 0) return { errors: r.errors };
      return SHARED_FILES.includes(r.path) ? { path: fromBundle(r.path), external: true } : { path: r.path };
    });
    b.onLoad({ filter: /\.[cm]?js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!isWorkspaceFile(args.path) && resolvesFromItself.test(source)) {
        return { errors: [{ text: `${args.path} resolves modules from its own folder (require.resolve): add its package to EXTERNAL` }] };
      }
      // Every module keeps its own location: `import.meta.url`, `__dirname` and `__filename`
      // name the file it was built from (relative to the bundle's file, so the checkout can move).
      const file = JSON.stringify(fromBundle(args.path));
      const dir = JSON.stringify(fromBundle(dirname(args.path)));
      const contents = source
        .replace(free('import.meta.url'), `new URL(${file}, import.meta.url).href`)
        .replace(free('__dirname'), `__bundlePath(${dir})`)
        .replace(free('__filename'), `__bundlePath(${file})`);
      return contents === source ? undefined : { contents, loader: 'js' };
    });
  },
};

await rm(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: [join(pkgDir, 'dist', 'dev-server.js')],
  // Paths in the metafile are relative to this package, wherever the build runs from.
  absWorkingDir: pkgDir,
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Names as in the sources: stack traces and `constructor.name` checks read the same.
  keepNames: true,
  minify: false,
  sourcemap: false,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  banner: {
    js: [
      "import { createRequire as __bundleCreateRequire } from 'node:module';",
      "import { fileURLToPath as __bundleFileURLToPath } from 'node:url';",
      'const require = __bundleCreateRequire(import.meta.url);',
      'const __bundlePath = (relative) => __bundleFileURLToPath(new URL(relative, import.meta.url));',
    ].join('\n'),
  },
  plugins: [keepLocations],
});
// A `require` esbuild could not resolve at build time runs at run time through the shim, which
// resolves from the bundle's folder, not the module's: only node built-ins may be left so.
const builtins = new Set(builtinModules);
const outputs = Object.entries(result.metafile.outputs);
for (const [file] of outputs) {
  const code = await readFile(join(pkgDir, file), 'utf8');
  for (const [, name] of code.matchAll(/\b__require\("([^"]+)"\)/g)) {
    if (!builtins.has(name.replace(/^node:/, ''))) throw new Error(`${file} requires '${name}' at run time: bundle it or add its package to EXTERNAL`);
  }
}
// What each output file holds, for the boot-modules test (which modules load before serving).
await writeFile(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
const bytes = outputs.reduce((n, [, o]) => n + o.bytes, 0);
console.log(`dev bundle: ${Object.keys(result.metafile.inputs).length} modules in ${outputs.length} files, ${(bytes / 1024 / 1024).toFixed(1)} MiB`);
