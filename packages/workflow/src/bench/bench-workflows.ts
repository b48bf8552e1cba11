// The benchmark's workflow, bundled from dist/bench/bench-workflows.js by bundleWorkflowCode.
import { proxyActivities } from '@temporalio/workflow';

const { greet } = proxyActivities<{ greet(name: string): Promise<string> }>({ startToCloseTimeout: '60s' });

export async function helloActivity(name: string): Promise<string> {
  return greet(name);
}
