import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection, type WorkflowExecutionInfo } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { DatabaseConfig } from '@chasm/core';
import { eventually, testDatabaseConfigs, type TestDatabaseConfig } from '@chasm/core/testing';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { matchingPlugin } from '@chasm/matching';
import { workflowPlugin } from '@chasm/workflow';
import { schedulerPlugin } from '../src/index.js';

let runtimeInstalled = false;

/** Keeps core and the TS runtime quiet (errors only); once per process. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
  });
}

export async function bundleTestWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
    logger: new DefaultLogger('ERROR'),
  });
}

/** PGlite in memory, and Postgres when TEST_DIALECTS names it. */
export function e2eDialects(): TestDatabaseConfig[] {
  return testDatabaseConfigs('chasm_sched_e2e');
}

export interface Harness {
  readonly server: TestServer;
  readonly connection: Connection;
  readonly client: Client;
  /** A task queue served by a worker running test/workflows.ts. */
  readonly taskQueue: string;
  close(): Promise<void>;
}

/**
 * An in-process server with matching, workflow and scheduler on `database`, an SDK client, and an
 * SDK worker running the test workflows on a fresh task queue.
 */
export async function startHarness(database: DatabaseConfig): Promise<Harness> {
  quietRuntime();
  const [server, bundle] = await Promise.all([
    startTestServer({ plugins: [matchingPlugin, workflowPlugin, schedulerPlugin], database }),
    bundleTestWorkflows(),
  ]);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  const native = await NativeConnection.connect({ address: server.address });
  const taskQueue = `sched-${randomUUID()}`;
  const worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: bundle });
  const running = worker.run();
  return {
    server,
    connection,
    client,
    taskQueue,
    async close() {
      worker.shutdown();
      await running.catch(() => undefined);
      await native.close();
      await connection.close();
      await server.stop();
    },
  };
}

// The one polling wait of the test suites; callers pass (fn, timeoutMs, what).
export { eventually };

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** RFC 3339 at whole seconds, UTC, as Temporal appends it to a scheduled workflow's id. */
export function rfc3339Seconds(d: Date): string {
  return new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

const NOMINAL = /-(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)$/;

/** The nominal time a scheduled workflow id ends with (`<action id>-<RFC 3339 seconds>`). */
export function nominalOf(workflowId: string, prefix: string): Date {
  if (!workflowId.startsWith(`${prefix}-`)) throw new Error(`${workflowId} does not start with ${prefix}-`);
  const m = NOMINAL.exec(workflowId);
  if (!m || workflowId.length !== prefix.length + 1 + m[1]!.length) throw new Error(`${workflowId} is not ${prefix}-<RFC 3339 seconds>`);
  return new Date(m[1]!);
}

/** Every workflow execution a schedule started (visibility query on TemporalScheduledById). */
export async function scheduledWorkflows(client: Client, scheduleId: string): Promise<WorkflowExecutionInfo[]> {
  const out: WorkflowExecutionInfo[] = [];
  for await (const w of client.workflow.list({ query: `TemporalScheduledById = '${scheduleId}'` })) out.push(w);
  return out;
}

/** A gRPC error's status code (undefined for anything else). */
export function grpcCode(e: unknown): number | undefined {
  const err = e as { code?: unknown; cause?: { code?: unknown } };
  if (typeof err?.code === 'number') return err.code;
  if (typeof err?.cause?.code === 'number') return err.cause.code;
  return undefined;
}

export const Status = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, ALREADY_EXISTS: 6, FAILED_PRECONDITION: 9 } as const;

/** The whole-second start of the next second at least `leadMs` from now. */
export function nextSecondAfter(leadMs: number): Date {
  return new Date(Math.ceil((Date.now() + leadMs) / 1000) * 1000);
}

/** Seconds since the epoch of a protobuf timestamp. */
export function tsMs(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return Number(ts?.seconds ?? 0) * 1000 + Math.floor((ts?.nanos ?? 0) / 1e6);
}
