/**
 * The workflow bench's SDK worker, in its own process as users run it (the bench charges its
 * CPU separately): one `@temporalio/worker` on one target, until the parent says stop.
 */
import { readFileSync } from 'node:fs';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { ChildMessage, ParentMessage, WorkerOptions } from './bench-protocol.js';

const send = (m: ChildMessage): void => void process.send?.(m);

async function main(): Promise<void> {
  const o = JSON.parse(process.env['BENCH_WORKER_OPTIONS'] ?? '{}') as WorkerOptions;
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  const connection = await NativeConnection.connect({ address: o.address });
  const worker = await Worker.create({
    connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    workflowBundle: { code: readFileSync(o.bundleFile, 'utf8') },
    maxConcurrentActivityTaskExecutions: 200,
    maxConcurrentWorkflowTaskExecutions: 100,
    activities: {
      async greet(name: string) {
        return `Hello, ${name}!`;
      },
    },
  });
  process.on('message', (m: ParentMessage) => {
    if (m.kind === 'stop') worker.shutdown();
  });
  const running = worker.run();
  send({ kind: 'ready' });
  await running;
  await connection.close();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
