import { createTestEngine, type TestEngine } from '@chasm/core/testing';
import type { ComponentRef } from '@chasm/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Activity } from '../activity/activity.js';
import { Callback } from '../callback/callback.js';
import { Enums } from '../proto.js';
import { ApplyParentClosePolicy, NotifyParent, type ParentClosePolicyPayload } from './child-tasks.js';
import { initRunState } from './start-run.js';
import { Workflow } from './workflow.js';

/**
 * The parent-close-policy task stays valid after it ran (its parent run is closed for good) and is
 * delivered at least once: after a kill -9 it can run again. By then the parent's next run
 * (continue-as-new keeps the workflow id) may have started a child with the same workflow id. The
 * repeat must not terminate that child: it is not the closed run's.
 */
const NS = 'ns';
const TERMINATE = Enums.ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE;
const library = { name: 'workflow', components: [Workflow, Activity, Callback], tasks: [NotifyParent, ApplyParentClosePolicy] };

describe('the parent close policy task, run again after it ran', () => {
  let t: TestEngine;
  beforeEach(async () => {
    t = await createTestEngine({ libraries: [library] });
  });
  afterEach(async () => {
    await t.stop();
  });

  /** Starts run `runId` of child `workflowId`, started by parent run `p/parentRunId`. */
  const startChild = (workflowId: string, runId: string, parentRunId: string) =>
    t.engine.start(Workflow, { namespaceId: NS, businessId: workflowId }, {
      runId,
      requestId: `start-${runId}`,
      init: (ctx) =>
        initRunState(
          {
            namespaceId: NS,
            started: { workflowType: { name: 'child' }, taskQueue: { name: 'q' }, parentWorkflowNamespaceId: NS, parentWorkflowExecution: { workflowId: 'p', runId: parentRunId } },
            requestId: `start-${runId}`,
          },
          ctx.key.runId,
          ctx.now.getTime(),
        ),
    });
  const statusOf = (workflowId: string, runId: string) => t.engine.read({ type: Workflow, namespaceId: NS, businessId: workflowId, runId }, (wf) => wf.state.status);
  /** Runs the task of closed parent run `p/P1`, as the processor would. */
  const apply = (payload: ParentClosePolicyPayload) => {
    const ref: ComponentRef = { namespaceId: NS, businessId: 'p', archetype: Workflow.name, runId: 'P1', path: '', initialTc: 1, executionTc: 1, taskId: 'x' };
    return ApplyParentClosePolicy.execute({ engine: t.engine, signal: new AbortController().signal, now: () => new Date() }, ref, payload, { scheduledAt: null, taskId: 'x' });
  };

  it('terminates the chain the closed run started, and not the child of the same id its next run started', async () => {
    await startChild('c', 'C1', 'P1');
    const task = { children: [{ namespaceId: NS, workflowId: 'c', policy: TERMINATE, runId: 'C1' }] };
    await apply(task);
    expect(await statusOf('c', 'C1')).toBe('terminated');

    // P1 continued as new as P2 (same workflow id 'p'), which started child 'c' again.
    await startChild('c', 'C2', 'P2');
    await apply(task);
    expect(await statusOf('c', 'C2')).toBe('running');
  });

  it('without the child run id (start not recorded; older tasks) it matches the parent run id', async () => {
    await startChild('d', 'D1', 'P1');
    await apply({ children: [{ namespaceId: NS, workflowId: 'd', policy: TERMINATE }] });
    expect(await statusOf('d', 'D1')).toBe('terminated');

    await startChild('d', 'D2', 'P2');
    await apply({ children: [{ namespaceId: NS, workflowId: 'd', policy: TERMINATE }] });
    expect(await statusOf('d', 'D2')).toBe('running');
  });
});
