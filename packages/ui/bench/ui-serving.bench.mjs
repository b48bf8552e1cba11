// Benchmark (not a test): how fast the UI port answers what a page load and an open inspector
// ask for, against a spawned dev server (PGlite). Prints p50/p99 of sequential requests.
//   node packages/ui/bench/ui-serving.bench.mjs [requests=300]
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const N = Number(process.argv[2] ?? 300);
const cli = fileURLToPath(new URL('../../server/dist/cli.js', import.meta.url));
const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const [port, ui] = [await freePort(), await freePort()];
const proc = spawn(process.execPath, [cli, 'dev', '--port', String(port), '--ui-port', String(ui), '--http-port', 'off', '--metrics-port', 'off', '--log-level', 'warn'], { stdio: 'inherit' });
const base = `http://127.0.0.1:${ui}`;
for (const deadline = Date.now() + 120_000; ; ) {
  if (await fetch(`${base}/api/v1/namespaces/default`).then((r) => r.ok, () => false)) break;
  if (Date.now() > deadline) throw new Error('server did not start');
  await new Promise((r) => setTimeout(r, 100));
}
const post = (path, body) => fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
await post('/api/v1/namespaces/default/activities/bench-act', { activityType: { name: 'x' }, taskQueue: { name: 'idle' }, scheduleToCloseTimeout: '3600s', requestId: 'bench' });
await post('/api/v1/namespaces/default/workflows/bench-wf', { workflowType: { name: 'w' }, taskQueue: { name: 'idle' }, requestId: 'bench-wf' });

async function measure(name, path) {
  const ms = [];
  let bytes = 0;
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    const res = await fetch(`${base}${path}`);
    bytes = (await res.arrayBuffer()).byteLength;
    if (!res.ok) throw new Error(`${path}: ${res.status}`);
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const q = (p) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))].toFixed(2);
  console.log(`| ${name} | ${bytes} | ${q(0.5)} | ${q(0.99)} |`);
}
const index = await (await fetch(`${base}/`)).text();
const js = /src="([^"]+\.js)"/.exec(index)?.[1];
console.log(`${N} sequential requests each, ${new Date().toISOString()}`);
console.log('| request | bytes | p50 ms | p99 ms |\n|---|---|---|---|');
await measure('index.html (deep link)', '/namespaces/default/workflows');
await measure('app bundle (JS)', js);
await measure('inspector: standalone activity', '/api/v1/namespaces/default/chasm/executions/bench-act?archetype=activity.activity');
await measure('inspector: workflow (archetype looked up)', '/api/v1/namespaces/default/chasm/executions/bench-wf');
await measure('workflow list (HTTP API)', '/api/v1/namespaces/default/workflows?pageSize=20');
proc.kill('SIGTERM');
