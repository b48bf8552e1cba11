import { lib } from '../library-builder.js';
import { ExecutionAlreadyStartedError } from '@chasm/core';
import { depsOf } from './deps.js';
import type { HistoryWriter } from './history-writer.js';
import { initRunState, startRun, StartedAttributesMsg, type StartedAttributes } from './start-run.js';
import { Workflow } from './workflow.js';

/** The run that follows a closing one (continue-as-new, retry). */
export interface NextRun {
  readonly runId: string;
  readonly started: StartedAttributes;
}

export interface StartNextRunPayload {
  readonly runId: string;
  readonly namespace: string;
  /** Encoded WorkflowExecutionStartedEventAttributes of the new run. */
  readonly started: Uint8Array;
}

/**
 * Starts the next run of a chain. The closing run already named it (`new_execution_run_id`),
 * so the new run gets exactly that id; the request id makes a re-run of this task harmless.
 */
export const StartNextRun = lib.sideEffectTask<typeof Workflow, StartNextRunPayload>({
  name: 'startNextRun',
  component: Workflow,
  validate: (_ctx, wf, p) => wf.state.newExecutionRunId === p.runId,
  async execute(ctx, ref, p) {
    const { engine } = depsOf(ctx.engine);
    const started = StartedAttributesMsg.decode(p.started);
    const spec = { namespaceId: ref.namespaceId, started, requestId: `next-run-${p.runId}` };
    try {
      await engine.start(
        Workflow,
        { namespaceId: ref.namespaceId, businessId: ref.businessId },
        {
          runId: p.runId,
          requestId: spec.requestId,
          reusePolicy: 'allowDuplicate',
          init: (tx) => initRunState(spec, p.runId, tx.now.getTime()),
          run: (wf, tx) => startRun(wf, tx, spec, p.namespace),
        },
      );
    } catch (e) {
      // Someone started another run of this id in between: the chain ends here.
      if (e instanceof ExecutionAlreadyStartedError) return;
      throw e;
    }
  },
});

export function closeWithNextRun(w: HistoryWriter, next: NextRun): void {
  const s = w.wf.state;
  s.newExecutionRunId = next.runId;
  w.ctx.addTask(w.wf, StartNextRun, {
    runId: next.runId,
    namespace: s.namespace,
    started: StartedAttributesMsg.encode(StartedAttributesMsg.fromObject(next.started)).finish(),
  });
}
