// Workflow code for the mixed test (bundled by the SDK; not type-checked by the package build).
import { proxyActivities } from '@temporalio/workflow';

const { greet } = proxyActivities<{ greet(name: string): Promise<string> }>({ startToCloseTimeout: '10s' });

export async function greetWorkflow(name: string): Promise<string> {
  return await greet(name);
}
