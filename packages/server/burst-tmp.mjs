import { Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
const [address, nStr, dStr] = process.argv.slice(2);
const N = Number(nStr), D = Number(dStr ?? 8000);
const conns = [];
for (let i = 0; i < 4; i++) conns.push(await Connection.connect({ address, interceptors: [] }));
const t0 = Date.now(); const at = t0 + D; const run = randomUUID();
const res = await Promise.all(Array.from({ length: N }, async (_, i) => {
  const c = conns[i % 4];
  const req = { namespace: 'default', taskQueue: { name: `b-${run}-${i % 20}` }, identity: `b-${i}` };
  try { await c.withDeadline(at, () => i % 2 ? c.workflowService.pollActivityTaskQueue(req) : c.workflowService.pollWorkflowTaskQueue(req)); return ['ok', Date.now() - t0]; }
  catch (e) { return [String(e.code), Date.now() - t0]; }
}));
const by = {}; for (const [k] of res) by[k] = (by[k] ?? 0) + 1;
const ts = res.map(r => r[1]).sort((a, b) => a - b);
console.log(N, by, 'first', ts[0], 'p50', ts[N >> 1], 'last', ts[N - 1]);
for (const c of conns) await c.close();
