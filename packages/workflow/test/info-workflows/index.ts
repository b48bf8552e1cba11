// Workflows for workflow-info.e2e.test.ts (bundled on their own): what workflowInfo() reports.
import { continueAsNew, executeChild, workflowInfo } from '@temporalio/workflow';

export interface InfoSnapshot {
  readonly workflowId: string;
  readonly runId: string;
  readonly root: { readonly workflowId: string; readonly runId: string } | null;
  readonly historyLength: number;
  readonly currentBuildId: string | null;
}

function snapshot(): InfoSnapshot {
  const i = workflowInfo();
  return {
    workflowId: i.workflowId,
    runId: i.runId,
    root: i.root ? { workflowId: i.root.workflowId, runId: i.root.runId } : null,
    historyLength: i.historyLength,
    currentBuildId: i.currentBuildId ?? null,
  };
}

/** Top of a three-level tree: its child continues as new once, then starts the grandchild. */
export async function infoTop(): Promise<InfoSnapshot[]> {
  const below = await executeChild(infoMiddle, {
    workflowId: `${workflowInfo().workflowId}-child`,
    args: [1],
    staticSummary: 'child summary',
    staticDetails: 'child **details**',
  });
  return [snapshot(), ...below];
}

export async function infoMiddle(hops: number): Promise<InfoSnapshot[]> {
  if (hops > 0) await continueAsNew<typeof infoMiddle>(hops - 1);
  const below = await executeChild(infoLeaf, { workflowId: `${workflowInfo().workflowId}-grandchild` });
  return [snapshot(), ...below];
}

export async function infoLeaf(): Promise<InfoSnapshot[]> {
  return [snapshot()];
}

/** A top-level workflow that continues as new: each run is its own root. */
export async function infoContinued(hops: number): Promise<InfoSnapshot[]> {
  if (hops > 0) await continueAsNew<typeof infoContinued>(hops - 1);
  return [snapshot()];
}
