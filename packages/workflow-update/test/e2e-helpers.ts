import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { testDatabaseConfigs, type TestDatabaseConfig } from '@chasm/core/testing';
import type { WorkflowUpdateConfig } from '../src/index.js';

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
    workflowsPath: fileURLToPath(new URL('./workflows/index.ts', import.meta.url)),
    logger: new DefaultLogger('ERROR'),
  });
}

/** Server settings that change this package's limits (the config file's `settings:`). */
export function updateConfig(overrides: Partial<WorkflowUpdateConfig>): Readonly<Record<string, unknown>> {
  return { 'workflow-update': overrides };
}

/** A database for an in-process e2e server: PGlite in memory, and Postgres when TEST_DIALECTS names it. */
export type E2eDialect = TestDatabaseConfig;

export function e2eDialects(): E2eDialect[] {
  return testDatabaseConfigs('chasm_upd_e2e');
}

export async function waitUntil(fn: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}
