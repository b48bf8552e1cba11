import { stateMachine } from '@chasm/core';
import { encodeOutcome, type Failure, type UpdateOutcome } from '../proto.js';
import type { UpdateComponent, UpdateStatus } from './update.js';

const machine = stateMachine<UpdateComponent, UpdateStatus>({
  get: (u) => u.state.status,
  set: (u, s) => {
    u.state.status = s;
  },
});

/** The worker's validator accepted the update; UpdateAccepted was written with this id. */
export const Accept = machine.transition<{ acceptedEventId: number }>({
  name: 'workflowUpdate.accept',
  from: ['admitted'],
  to: 'accepted',
  apply: (u, _ctx, e) => {
    u.state.acceptedEventId = e.acceptedEventId;
  },
});

/** The worker (or the server, for an update the worker never answered) rejected it: no event. */
export const Reject = machine.transition<{ failure: Failure }>({
  name: 'workflowUpdate.reject',
  from: ['admitted'],
  to: 'rejected',
  apply: (u, _ctx, e) => {
    u.state.outcome = encodeOutcome({ failure: e.failure });
  },
});

/** The handler returned (UpdateCompleted written), or the run closed after acceptance (completedEventId 0). */
export const Complete = machine.transition<{ completedEventId: number; outcome: UpdateOutcome }>({
  name: 'workflowUpdate.complete',
  from: ['accepted'],
  to: 'completed',
  apply: (u, _ctx, e) => {
    u.state.completedEventId = e.completedEventId;
    u.state.outcome = encodeOutcome(e.outcome);
  },
});
