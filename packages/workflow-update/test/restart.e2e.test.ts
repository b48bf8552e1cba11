import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { DatabaseConfig } from '@chasm/core';
import { startTestServer } from '@chasm/runtime/testing';
import { describe, expect, it } from 'vitest';
import { bundleTestWorkflows, e2eDialects, quietRuntime } from './e2e-helpers.js';
import * as wf from './workflows/index.js';
import { matchingPlugin } from '@chasm/matching';
import { workflowPlugin } from '@chasm/workflow';
import { workflowUpdatePlugin } from '../src/index.js';

const Stage = temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;
const PLUGINS = [matchingPlugin, workflowPlugin, workflowUpdatePlugin];
const utf8 = new TextEncoder();
const json = (v: unknown): temporal.api.common.v1.IPayload => ({ metadata: { encoding: utf8.encode('json/plain') }, data: utf8.encode(JSON.stringify(v)) });

/** Admission is durable: an update admitted before a restart is delivered and completed after it. */
describe.each(e2eDialects())('update across a server restart on $name', (dialect) => {
  it('an admitted update survives the restart and completes once a worker polls', async () => {
    quietRuntime();
    const dir = mkdtempSync(join(tmpdir(), 'chasm-upd-restart-'));
    const db = dialect.name === 'pglite' ? { config: { kind: 'pglite', dataDir: dir } as DatabaseConfig, drop: async () => undefined } : await dialect.open();
    const taskQueue = `restart-${randomUUID().slice(0, 8)}`;
    const workflowId = `restart-${randomUUID()}`;
    try {
      const first = await startTestServer({ plugins: PLUGINS, database: db.config });
      try {
        const raw = await Connection.connect({ address: first.address, interceptors: [] });
        const client = new Client({ connection: raw });
        await client.workflow.start(wf.counter, { taskQueue, workflowId });
        const r = await raw.withDeadline(new Date(Date.now() + 4_000), () =>
          raw.workflowService.updateWorkflowExecution({
            namespace: 'default',
            workflowExecution: { workflowId },
            waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED },
            request: { meta: { updateId: 'durable' }, input: { name: 'add', args: { payloads: [json(6)] } } },
          }),
        );
        expect(r.stage).toBe(Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED);
        await raw.close();
      } finally {
        await first.stop();
      }
      const second = await startTestServer({ plugins: PLUGINS, database: db.config });
      const native = await NativeConnection.connect({ address: second.address });
      const client = new Client({ connection: await Connection.connect({ address: second.address }) });
      const worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: await bundleTestWorkflows() });
      const running = worker.run();
      try {
        const h = client.workflow.getHandle(workflowId);
        expect(await h.getUpdateHandle<number>('durable').result()).toBe(6);
        expect(await h.query(wf.runsQuery)).toBe(1);
        await h.signal(wf.finishSignal);
        expect(await h.result()).toBe(6);
      } finally {
        worker.shutdown();
        await running;
        await native.close();
        await client.connection.close();
        await second.stop();
      }
    } finally {
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
