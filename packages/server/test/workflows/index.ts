// Workflow code for the cross-feature tests (bundled by the SDK; not type-checked by the package build).
import { condition, defineQuery, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';

const { greet } = proxyActivities<{ greet(name: string): Promise<string> }>({ startToCloseTimeout: '10s' });
const { flaky } = proxyActivities<{ flaky(failures: number): Promise<string> }>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '50ms', backoffCoefficient: 1, maximumAttempts: 5 },
});

export async function greetWorkflow(name: string): Promise<string> {
  return await greet(name);
}

export async function retryActivity(failures: number): Promise<string> {
  return await flaky(failures);
}

// The HTTP API test (http-api.e2e.test.ts): a counter that signals add to and a query reads,
// running until it is terminated.
export async function counterWorkflow(start: number): Promise<number> {
  let count = start;
  setHandler(defineSignal<[number]>('add'), (n) => {
    count += n;
  });
  setHandler(defineQuery<number>('count'), () => count);
  await condition(() => count < 0);
  return count;
}
