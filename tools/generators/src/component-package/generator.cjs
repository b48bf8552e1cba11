// @ts-check
'use strict';
/**
 * `nx g @chasm/generators:component-package <name> [--directory=packages|examples] [--library=<lowerCamel>]`
 *
 * Scaffolds a CHASM component package with the skeleton of examples/lease, from the templates in
 * ./files, and adds it to the root tsconfig.json's project references.
 *
 * Plain CommonJS with JSDoc types, on purpose: nx 21 `require()`s a generator's implementation,
 * and loads a `.ts` one only through @swc-node/register or ts-node, neither of which this
 * workspace installs (Node 20 cannot strip types itself). A `.cjs` file needs no build step and
 * no transpiler; `tsc` still checks it (checkJs, in this project's typecheck target).
 */
const path = require('node:path');
const { generateFiles, logger, names, offsetFromRoot, readJson, updateJson } = require('@nx/devkit');

/**
 * @typedef {object} ComponentPackageSchema
 * @property {string} name kebab-case package and plugin name
 * @property {'packages' | 'examples'} [directory] where the package goes (default 'packages')
 * @property {string} [library] lowerCamel CHASM library name (default: the name in lowerCamel)
 */

/** definePlugin's rule for plugin names. */
const PLUGIN_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
/** defineLibrary's rule for library and local names. */
const LOWER_CAMEL = /^[a-z][A-Za-z0-9]*$/;
/** 'core' is always loaded and skipped in `packages:`; 'tests' is the reference plugin's name. */
const RESERVED = new Set(['core', 'tests']);
/** Where a package may go, and what it becomes there (the layering of eslint.config.js). */
const LAYOUT = {
  packages: { scope: '@chasm', tag: 'layer:feature', isPrivate: true },
  examples: { scope: '@chasm-examples', tag: 'layer:plugin', isPrivate: false },
};
const INSTALL = 'npx --yes pnpm@10.34.8 install';

/**
 * @param {import('@nx/devkit').Tree} tree
 * @param {ComponentPackageSchema} options
 * @returns {import('@nx/devkit').GeneratorCallback}
 */
function componentPackageGenerator(tree, options) {
  const o = normalizeOptions(tree, options);
  generateFiles(tree, path.join(__dirname, 'files'), o.projectRoot, o);
  updateJson(tree, 'tsconfig.json', (/** @type {{ references?: { path: string }[] }} */ json) => {
    const references = json.references ?? [];
    if (!references.some((r) => r.path === o.projectRoot)) references.push({ path: o.projectRoot });
    return { ...json, references };
  });
  return () => {
    logger.info(`Created ${o.packageName} in ${o.projectRoot} (nx project '${o.name}', tag ${o.tag}).`);
    logger.info(`Next: ${INSTALL}   (links its dependencies and updates pnpm-lock.yaml)`);
    logger.info(`Then: nx run ${o.name}:build, :typecheck, :lint, :test`);
  };
}

/**
 * Checks the options and derives every name the templates use.
 * @param {import('@nx/devkit').Tree} tree
 * @param {ComponentPackageSchema} options
 */
function normalizeOptions(tree, options) {
  const name = options.name;
  if (!PLUGIN_NAME.test(name)) throw new Error(`name '${name}' must be kebab-case, like 'counter-demo'`);
  if (RESERVED.has(name)) throw new Error(`name '${name}' is reserved`);
  const directory = options.directory ?? 'packages';
  const layout = LAYOUT[directory];
  if (!layout) throw new Error(`directory must be 'packages' or 'examples', not '${directory}'`);
  const n = names(name);
  const library = options.library ?? n.propertyName;
  if (!LOWER_CAMEL.test(library)) throw new Error(`library '${library}' must be a lowerCamel identifier, like 'counterDemo'`);

  const projectRoot = `${directory}/${name}`;
  if (tree.exists(projectRoot)) throw new Error(`${projectRoot} already exists`);
  const packageName = `${layout.scope}/${name}`;
  for (const other of workspacePackages(tree)) {
    if (other.name === packageName) throw new Error(`package ${packageName} already exists in ${other.root}`);
    if (other.project === name) throw new Error(`nx project '${name}' already exists in ${other.root}`);
  }

  const core = readJson(tree, 'packages/chasm-core/package.json');
  const runtime = readJson(tree, 'packages/runtime/package.json');
  const offset = offsetFromRoot(projectRoot);
  return {
    name,
    fileName: n.fileName,
    className: n.className,
    propertyName: n.propertyName,
    constantName: n.constantName,
    library,
    directory,
    projectRoot,
    packageName,
    tag: layout.tag,
    isPrivate: layout.isPrivate,
    description: `A CHASM plugin: the ${library}.${n.propertyName} component with an activation timer and HTTP routes`,
    // The plugin API range a new plugin declares: the running core's minor line.
    coreApi: `^${core.version}`,
    // Versions the workspace already resolves, so the lockfile gains no new copies.
    versions: { zod: depVersion(runtime, 'zod'), inversify: depVersion(runtime, 'inversify') },
    offset,
    offsetDir: offset.replace(/\/$/, ''),
  };
}

/**
 * @param {{ dependencies?: Record<string, string> }} pkg
 * @param {string} dep
 */
function depVersion(pkg, dep) {
  const v = pkg.dependencies?.[dep];
  if (!v) throw new Error(`packages/runtime/package.json no longer depends on ${dep}; update the component-package generator`);
  return v.replace(/^[\^~]/, '');
}

/**
 * Every package of the workspace's package folders: its name, nx project name and folder.
 * @param {import('@nx/devkit').Tree} tree
 */
function workspacePackages(tree) {
  /** @type {{ name: string | undefined; project: string | undefined; root: string }[]} */
  const out = [];
  for (const dir of ['packages', 'examples', 'tools']) {
    for (const child of tree.children(dir)) {
      const file = `${dir}/${child}/package.json`;
      if (!tree.exists(file)) continue;
      const pkg = readJson(tree, file);
      out.push({ name: pkg.name, project: pkg.nx?.name ?? pkg.name, root: `${dir}/${child}` });
    }
  }
  return out;
}

module.exports = componentPackageGenerator;
module.exports.default = componentPackageGenerator;
module.exports.componentPackageGenerator = componentPackageGenerator;
module.exports.normalizeOptions = normalizeOptions;
