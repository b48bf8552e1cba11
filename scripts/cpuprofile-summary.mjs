#!/usr/bin/env node
// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by package, and the
// inclusive time of the callees of one function (the start handler, by default), so that a
// profile can be read and quoted in docs/benchmarks.md without a flame-graph viewer.
//
//   node scripts/cpuprofile-summary.mjs <file.cpuprofile> [root function name] [top N]
//
// Shares are of busy samples ((idle) and (program) excluded), because the bench's server waits
// on the database and the network most of the time and those waits say nothing about CPU.
import { readFileSync } from 'node:fs';

const [file, rootName = 'startWorkflowExecution', topArg = '30'] = process.argv.slice(2);
if (file === undefined) {
  console.error('usage: cpuprofile-summary.mjs <file.cpuprofile> [root function] [top N]');
  process.exit(2);
}
const top = Number(topArg);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Sample counts per node (each sample is one tick of roughly profile interval µs).
const hits = new Map();
for (const s of profile.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
const idle = new Set(['(idle)', '(program)']);
let busy = 0;
for (const [id, h] of hits) if (!idle.has(byId.get(id).callFrame.functionName)) busy += h;

/** Where a frame's code lives: a package name, node internals, or the workspace's own file. */
function where(cf) {
  const url = cf.url ?? '';
  if (url === '') return cf.functionName.startsWith('(') ? cf.functionName : '(native)';
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const pnpm = url.match(/node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pnpm) return pnpm[1];
  const nm = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (nm) return nm[1];
  const pkg = url.match(/packages\/([^/]+)\//);
  return pkg ? '@chasm/' + pkg[1] : url;
}
const label = (cf) => `${cf.functionName || '(anon)'} ${cf.url.split('/').slice(-1)[0]}:${cf.lineNumber + 1}`;
const pct = (n) => ((100 * n) / busy).toFixed(1).padStart(5) + '%';

function table(title, counts) {
  console.log(`\n## ${title}`);
  for (const [k, v] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v)}  ${k}`);
}

const selfByFn = new Map();
const selfByPkg = new Map();
for (const [id, h] of hits) {
  const cf = byId.get(id).callFrame;
  if (idle.has(cf.functionName)) continue;
  selfByFn.set(label(cf), (selfByFn.get(label(cf)) ?? 0) + h);
  selfByPkg.set(where(cf), (selfByPkg.get(where(cf)) ?? 0) + h);
}
console.log(`${file}: ${profile.samples.length} samples, ${busy} busy`);
table('self time by function', selfByFn);
table('self time by package', selfByPkg);

// Inclusive time of every function (counted once per sample even when recursive), and of the
// direct callees of rootName (under every occurrence of rootName in the tree).
const inclusive = new Map();
const underRoot = new Map();
let rootTotal = 0;
for (const [id, h] of hits) {
  if (idle.has(byId.get(id).callFrame.functionName)) continue;
  const seen = new Set();
  let rootChild;
  let lastChild;
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const cf = byId.get(cur).callFrame;
    const l = label(cf);
    if (!seen.has(l)) {
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + h);
    }
    if (cf.functionName === rootName && rootChild === undefined) {
      rootChild = cur === id ? '(self)' : label(byId.get(lastChild).callFrame);
    }
    lastChild = cur;
  }
  if (rootChild !== undefined) {
    rootTotal += h;
    underRoot.set(rootChild, (underRoot.get(rootChild) ?? 0) + h);
  }
}
table('inclusive time by function', inclusive);
console.log(`\n## callees of ${rootName}: ${pct(rootTotal)} inclusive`);
for (const [k, v] of [...underRoot].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v)}  ${k}`);
