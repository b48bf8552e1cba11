// The benchmark's workflow, bundled from dist/bench/bench-workflows.js by bundleWorkflowCode.
export async function quick(): Promise<string> {
  return 'done';
}
