import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { Context } from '@temporalio/activity';
import type { TestActivities } from './workflows/index.js';

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

export const activities: TestActivities = {
  async greet(name: string) {
    return `Hello, ${name}!`;
  },
  async flaky(failures: number) {
    const attempt = Context.current().info.attempt;
    if (attempt <= failures) throw new Error(`attempt ${attempt} failed`);
    return `succeeded on attempt ${attempt}`;
  },
};

/**
 * Polls `fn` until it returns a value (not undefined), for at most `ms`: for state the server
 * reaches on its own (a backlog, a visibility record, a timer's effect) with no event to wait on.
 */
export async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
