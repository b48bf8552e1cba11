import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { DatabaseConfig } from '@chasm/core';
import { testDatabaseConfigs, type TestDatabaseConfig } from '@chasm/core/testing';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { matchingPlugin } from '@chasm/matching';
import { standaloneActivityPlugin } from '../src/index.js';

let runtimeInstalled = false;

/** Keeps core and the TS runtime quiet (errors only). */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
  });
}

export interface Harness {
  readonly server: TestServer;
  readonly client: Client;
  readonly connection: Connection;
  close(): Promise<void>;
}

/** An in-process server with matching and standalone activities, plus an SDK client. */
export async function startHarness(opts: { namespaces?: readonly string[]; database?: DatabaseConfig } = {}): Promise<Harness> {
  quietRuntime();
  const server = await startTestServer({
    plugins: [matchingPlugin, standaloneActivityPlugin],
    ...(opts.namespaces ? { namespaces: opts.namespaces } : {}),
    ...(opts.database ? { database: opts.database } : {}),
  });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  return {
    server,
    client,
    connection,
    async close() {
      await connection.close();
      await server.stop();
    },
  };
}

/** Runs an SDK worker (activities only) on `taskQueue` until the returned stop is called. */
export async function runWorker(
  address: string,
  taskQueue: string,
  activities: Record<string, (...args: never[]) => Promise<unknown>>,
): Promise<{ stop(): Promise<void>; worker: Worker }> {
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({ connection, namespace: 'default', taskQueue, activities });
  const running = worker.run();
  return {
    worker,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

/** A database for an in-process e2e server: PGlite in memory, and Postgres when TEST_DIALECTS names it. */
export type E2eDialect = TestDatabaseConfig;

export function e2eDialects(): E2eDialect[] {
  return testDatabaseConfigs('chasm_sa_e2e');
}
