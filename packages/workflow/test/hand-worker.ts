import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { TestDatabaseConfig } from '@chasm/core/testing';
import { startTestServer, type TestServer, type TestServerOptions } from '@chasm/runtime/testing';
import { matchingPlugin } from '@chasm/matching';
import { afterAll, beforeAll } from 'vitest';
import { workflowPlugin } from '../src/index.js';

type Command = temporal.api.command.v1.ICommand;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** A call's gRPC outcome: code 0 when it succeeded (so a test can assert refusals and successes alike). */
export interface Outcome {
  readonly code: number;
  readonly details: string;
}

export function outcomeOf(call: Promise<unknown>): Promise<Outcome> {
  return call.then(
    () => ({ code: 0, details: '' }),
    (e: unknown) => e as Outcome,
  );
}

/**
 * A test server (matching + workflow) driven over raw gRPC by a hand-made worker: the limits
 * tests start a run, take its first workflow task with one poll and answer it with exactly the
 * commands under test, so every refusal is seen with its own status (no SDK retries, no
 * interceptors). Registers its own beforeAll/afterAll in the calling describe.
 */
export interface HandWorker {
  readonly server: () => TestServer;
  readonly connection: () => Connection;
  readonly svc: () => Connection['workflowService'];
  history(workflowId: string, namespace?: string): Promise<HistoryEvent[]>;
  status(workflowId: string, namespace?: string): Promise<number | null | undefined>;
  /** Starts a run of type `wf` on a fresh queue and takes its first workflow task. */
  startAndPoll(namespace?: string): Promise<{ workflowId: string; queue: string; token: Uint8Array; task: temporal.api.workflowservice.v1.IPollWorkflowTaskQueueResponse }>;
  complete(token: Uint8Array, commands: Command[], namespace?: string): Promise<Outcome>;
}

export function useHandWorker(
  dialect: TestDatabaseConfig,
  opts: Pick<TestServerOptions, 'settings' | 'namespaces'> & { readonly idPrefix: string; readonly namespace?: string },
): HandWorker {
  const defaultNamespace = opts.namespace ?? 'default';
  let server: TestServer | undefined;
  let connection: Connection | undefined;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const db = await dialect.open();
    drop = db.drop;
    server = await startTestServer({
      plugins: [matchingPlugin, workflowPlugin],
      database: db.config,
      ...(opts.settings ? { settings: opts.settings } : {}),
      ...(opts.namespaces ? { namespaces: opts.namespaces } : {}),
    });
    connection = await Connection.connect({ address: server.address, interceptors: [] });
  }, 60_000);
  afterAll(async () => {
    await connection?.close();
    await server?.stop();
    await drop?.();
  });
  const svc = (): Connection['workflowService'] => connection!.workflowService;
  return {
    server: () => server!,
    connection: () => connection!,
    svc,
    async history(workflowId, namespace = defaultNamespace) {
      return (await svc().getWorkflowExecutionHistory({ namespace, execution: { workflowId } })).history?.events ?? [];
    },
    async status(workflowId, namespace = defaultNamespace) {
      return (await svc().describeWorkflowExecution({ namespace, execution: { workflowId } })).workflowExecutionInfo?.status;
    },
    async startAndPoll(namespace = defaultNamespace) {
      const workflowId = `${opts.idPrefix}-${randomUUID()}`;
      const queue = `${opts.idPrefix}-${randomUUID()}`;
      await svc().startWorkflowExecution({ namespace, workflowId, workflowType: { name: 'wf' }, taskQueue: { name: queue }, requestId: randomUUID() });
      const task = await svc().pollWorkflowTaskQueue({ namespace, taskQueue: { name: queue, kind: 1 }, identity: 'hand' });
      return { workflowId, queue, token: task.taskToken!, task };
    },
    complete(token, commands, namespace = defaultNamespace) {
      return outcomeOf(svc().respondWorkflowTaskCompleted({ namespace, taskToken: token, identity: 'hand', commands }));
    },
  };
}
