import type { Library } from '@chasm/core';
import { Backfiller } from './backfiller/backfiller.js';
import { Generator } from './generator/generator.js';
import { Invoker } from './invoker/invoker.js';
import { lib } from './library-builder.js';
import { Scheduler } from './scheduler/scheduler.js';
import { BackfillTask, executeTaskType, GenerateTask, IdleCloseTask, ProcessBufferTask, wakeTaskType, type ExecuteDeps } from './tasks.js';

/** The `scheduler` CHASM library: the schedule's component tree and its tasks. */
export function createSchedulerLibrary(deps: ExecuteDeps): Library {
  return lib.build({
    components: [Scheduler, Generator, Invoker, Backfiller],
    tasks: [GenerateTask, ProcessBufferTask, BackfillTask, IdleCloseTask, executeTaskType(deps), wakeTaskType(deps)],
  });
}
