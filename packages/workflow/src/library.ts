import type { Library } from '@chasm/core';
import { lib } from './library-builder.js';
import { Activity } from './activity/activity.js';
import { Callback } from './callback/callback.js';
import { CallbackBackoff, InvokeCallback } from './callback/callback.tasks.js';
import { ActivityTimeout, DispatchActivity } from './activity/activity.tasks.js';
import { SearchAttributes } from './grpc/search-attribute-registry.js';
import { registerDeps, type WorkflowDeps } from './workflow/deps.js';
import { StartNextRun } from './workflow/next-run.js';
import { ApplyParentClosePolicy, CancelExternal, NotifyParent, SignalExternal, StartChild } from './workflow/child-tasks.js';
import { hooks } from './workflow/mutable-state.js';
import { cronHooks } from './workflow/cron.js';
import { Workflow } from './workflow/workflow.js';
import { DispatchWorkflowTask, RunTimeout, TimerFire, WorkflowBackoff, WorkflowTaskStartGuard, WorkflowTaskTimeout } from './workflow/workflow.tasks.js';

/** The workflow library: the run (root `workflow.workflow`), its activities, its completion callbacks and its tasks. */
export function createWorkflowLibrary(deps: WorkflowDeps): Library {
  registerDeps(deps);
  hooks.closed = (status) => deps.metrics?.closed.inc({ status });
  cronHooks.continued = (closed) => deps.metrics?.cronContinued.inc({ closed });
  return lib.build({
    components: [Workflow, Activity, Callback, SearchAttributes],
    tasks: [DispatchWorkflowTask, WorkflowTaskTimeout, WorkflowTaskStartGuard, TimerFire, WorkflowBackoff, RunTimeout, StartNextRun, StartChild, NotifyParent, ApplyParentClosePolicy, SignalExternal, CancelExternal, DispatchActivity, ActivityTimeout, InvokeCallback, CallbackBackoff],
  });
}
