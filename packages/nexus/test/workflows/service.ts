import * as nexus from 'nexus-rpc';

/**
 * The Nexus service the caller e2e tests call, shared by the caller workflows (bundled into the
 * worker) and the handler implementation (in the test process, hosted by the handler worker).
 */
export const callerTestService = nexus.service('caller-test', {
  /** Sync: the handler returns `echo: <input>`. */
  echo: nexus.operation<string, string>(),
  /** Async, backed by the `greetHandler` workflow (id from the input): `Hello, <name>!`. */
  runWorkflow: nexus.operation<{ name: string; workflowId: string }, string>(),
  /** Sync failure: the handler throws OperationError('failed', `the operation failed: <input>`). */
  failSync: nexus.operation<string, string>(),
  /** Async, backed by the `failingHandler` workflow, which fails with an ApplicationFailure. */
  failWorkflow: nexus.operation<{ message: string; workflowId: string }, string>(),
  /** The handler throws a non-retryable HandlerError BAD_REQUEST. */
  badRequest: nexus.operation<string, string>(),
  /** The handler throws a retryable HandlerError INTERNAL on the first `<n>` attempts of a request, then returns `recovered: <input>`. */
  flaky: nexus.operation<{ failures: number; key: string }, string>(),
  /** Async with a token that is never completed. */
  hang: nexus.operation<string, string>(),
  /** Async, backed by the `cancellableHandler` workflow, which waits until it is cancelled. */
  cancellable: nexus.operation<{ workflowId: string }, string>(),
  /** Async, backed by the `signalledHandler` workflow, which returns `done-<n>` once signalled `release`. */
  waitSignal: nexus.operation<{ n: number; workflowId: string }, string>(),
});
