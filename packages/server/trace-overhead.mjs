// Ad hoc: RPC cost with traces off vs on (spans exported to a local OTLP sink).
import { createServer } from 'node:http';
import { startServer, devConfig } from '@chasm/runtime';
import { Connection } from '@temporalio/client';
import { BUILTIN_PLUGINS } from './dist/catalogue.js';

const sink = createServer((req, res) => { req.resume(); req.on('end', () => res.end('{}')); });
await new Promise((r) => sink.listen(0, '127.0.0.1', r));
const endpoint = `http://127.0.0.1:${sink.address().port}`;
const N = Number(process.argv[2] ?? 2000);
for (const traces of [false, true, false, true]) {
  const config = { ...devConfig({ port: 0, metricsPort: null, httpPort: null, logLevel: 'warn', logFormat: 'json', packages: ['matching', 'workflow'], ...(traces ? { tracesEndpoint: endpoint } : {}) }) };
  const server = await startServer(config, { catalogue: BUILTIN_PLUGINS });
  const conn = await Connection.connect({ address: server.address });
  for (let i = 0; i < 200; i++) await conn.workflowService.describeNamespace({ namespace: 'default' });
  let t = performance.now();
  for (let i = 0; i < N; i++) await conn.workflowService.describeNamespace({ namespace: 'default' });
  const describe = (performance.now() - t) / N;
  t = performance.now();
  const M = N / 4;
  for (let i = 0; i < M; i++) await conn.workflowService.startWorkflowExecution({ namespace: 'default', workflowId: `w-${traces}-${i}-${Math.random()}`, workflowType: { name: 'x' }, taskQueue: { name: 'q' }, requestId: crypto.randomUUID() });
  const start = (performance.now() - t) / M;
  console.log(JSON.stringify({ traces, describeNamespaceMsPerCall: +describe.toFixed(3), startWorkflowMsPerCall: +start.toFixed(3), n: N, m: M }));
  await conn.close();
  await server.stop();
}
sink.close();
