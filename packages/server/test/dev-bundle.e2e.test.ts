import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { DEV_BUNDLE_DIR, spawnDevServer } from './dev-cli.js';

/**
 * `npm start` runs the bundle of the default composition (ADR 0056): the same server as the
 * module graph, driven here by the official SDK over real gRPC.
 */
describe('bundled dev server', () => {
  it('serves DescribeNamespace(default) and runs a workflow with the SDK worker', { timeout: 300_000 }, async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
    const [server, workflowBundle] = await Promise.all([
      spawnDevServer([]),
      bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./workflows/index.ts', import.meta.url)), logger: new DefaultLogger('ERROR') }),
    ]);
    try {
      expect(server.loadedBeforeServing()).toContain(join(DEV_BUNDLE_DIR, 'dev-server.js'));
      const connection = await Connection.connect({ address: server.started.address });
      try {
        const described = await connection.workflowService.describeNamespace({ namespace: 'default' });
        expect(described.namespaceInfo?.name).toBe('default');

        const client = new Client({ connection, namespace: 'default' });
        const taskQueue = `bundled-${randomUUID()}`;
        const native = await NativeConnection.connect({ address: server.started.address });
        try {
          const worker = await Worker.create({
            connection: native,
            namespace: 'default',
            taskQueue,
            workflowBundle,
            activities: { greet: async (name: string) => `hello ${name}` },
          });
          const result = await worker.runUntil(client.workflow.execute('greetWorkflow', { taskQueue, workflowId: `w-${randomUUID()}`, args: ['bundle'] }));
          expect(result).toBe('hello bundle');
        } finally {
          await native.close();
        }
      } finally {
        await connection.close();
      }
    } finally {
      await server.stop();
    }
  });
});
