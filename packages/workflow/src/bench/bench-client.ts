/**
 * The workflow bench's SDK client, in its own process: `callers` concurrent callers each start a
 * hello-activity workflow and wait for its result, first `warmup` of them unmeasured, then
 * `workflows` measured (after the parent's `go`, so it can snapshot the other processes).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { pool } from '@chasm/core/testing';
import type { ChildMessage, ClientOptions, ParentMessage } from './bench-protocol.js';

// Resolves once the message is handed to the channel, so exiting right after loses nothing.
const send = (m: ChildMessage): Promise<void> => new Promise((resolve) => (process.send ? process.send(m, undefined, {}, () => resolve()) : resolve()));

async function main(): Promise<void> {
  const o = JSON.parse(process.env['BENCH_CLIENT_OPTIONS'] ?? '{}') as ClientOptions;
  const connection = await Connection.connect({ address: o.address });
  const client = new Client({ connection, namespace: o.namespace });
  const run = async (prefix: string, count: number, startMs: number[], workflowMs: number[]): Promise<void> => {
    const ids = Array.from({ length: count }, (_, i) => i);
    await pool(ids, o.callers, async (i) => {
      const t0 = performance.now();
      const h = await client.workflow.start('helloActivity', { workflowId: `${prefix}-${i}-${randomUUID()}`, taskQueue: o.taskQueue, args: [String(i)] });
      startMs.push(performance.now() - t0);
      await h.result();
      workflowMs.push(performance.now() - t0);
    });
  };
  await run('warm', o.warmup, [], []);
  const go = new Promise<void>((resolve) => process.on('message', (m: ParentMessage) => m.kind === 'go' && resolve()));
  await send({ kind: 'warm' });
  await go;
  const startMs: number[] = [];
  const workflowMs: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run('b', o.workflows, startMs, workflowMs);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  startMs.sort((a, b) => a - b);
  workflowMs.sort((a, b) => a - b);
  await send({ kind: 'done', result: { seconds, cpuMs: (cpu.user + cpu.system) / 1000, startMs, workflowMs } });
  await connection.close();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
