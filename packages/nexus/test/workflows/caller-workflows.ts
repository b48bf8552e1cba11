/**
 * Workflows for the Nexus caller e2e tests, crash test and benchmark: caller workflows that
 * schedule Nexus operations through the SDK's workflow Nexus client, and the handler workflows
 * the operations start (through @temporalio/nexus's WorkflowRunOperationHandler). One bundle
 * serves both the caller and the handler workers.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  createNexusServiceClient,
  defineSignal,
  isCancellation,
  proxyActivities,
  setHandler,
  TimeoutFailure,
  Trigger,
} from '@temporalio/workflow';
import { callerTestService } from './service.js';

export { callerTestService };

/** One link of an error's cause chain, as the caller workflow saw it (plain data, for the test to check). */
export interface FailureLink {
  readonly name: string;
  readonly message: string;
  /** ApplicationFailure */
  readonly type?: string | null;
  readonly nonRetryable?: boolean;
  /** TimeoutFailure */
  readonly timeoutType?: string;
  /** NexusOperationFailure */
  readonly endpoint?: string;
  readonly service?: string;
  readonly operation?: string;
  readonly scheduledEventId?: number;
  readonly operationToken?: string;
}

interface NexusOperationFailureLike extends Error {
  readonly endpoint: string;
  readonly service: string;
  readonly operation: string;
  readonly scheduledEventId?: number;
  readonly operationToken?: string;
}

/** The cause chain of `e`, outermost first. */
export function describeFailure(e: unknown): FailureLink[] {
  const out: FailureLink[] = [];
  for (let c: unknown = e; c instanceof Error && out.length < 10; c = c.cause) {
    const link: { -readonly [K in keyof FailureLink]: FailureLink[K] } = { name: c.name, message: c.message };
    if (c instanceof ApplicationFailure) {
      link.type = c.type ?? null;
      link.nonRetryable = c.nonRetryable === true;
    }
    if (c instanceof TimeoutFailure) link.timeoutType = String(c.timeoutType);
    // nexus-rpc's HandlerError (a Nexus handler failure): its type, e.g. BAD_REQUEST.
    if (c.name === 'HandlerError') link.type = (c as Error & { type?: string }).type ?? null;
    // NexusOperationFailure is not re-exported by @temporalio/workflow: recognised by its name.
    if (c.name === 'NexusOperationFailure') {
      const n = c as NexusOperationFailureLike;
      link.endpoint = n.endpoint;
      link.service = n.service;
      link.operation = n.operation;
      if (n.scheduledEventId !== undefined) link.scheduledEventId = n.scheduledEventId;
      if (n.operationToken !== undefined) link.operationToken = n.operationToken;
    }
    out.push(link);
  }
  return out;
}

const nexusClient = (endpoint: string) => createNexusServiceClient({ endpoint, service: callerTestService });

// ---- callers ----

/** A sync operation's result. */
export async function callEcho(endpoint: string, text: string): Promise<string> {
  return nexusClient(endpoint).executeOperation('echo', text);
}

/** An async workflow-backed operation: its token and its result. */
export async function callWorkflowOperation(endpoint: string, name: string, workflowId: string): Promise<{ token: string | null; result: string }> {
  const handle = await nexusClient(endpoint).startOperation('runWorkflow', { name, workflowId });
  return { token: handle.token ?? null, result: await handle.result() };
}

/** Runs an operation expected to fail and returns the failure's cause chain (or throws if it succeeded). */
export async function callExpectingFailure(
  endpoint: string,
  op: 'failSync' | 'failWorkflow' | 'hang' | 'badRequest',
  input: { text?: string; message?: string; workflowId?: string },
  scheduleToCloseMs?: number,
): Promise<FailureLink[]> {
  const c = nexusClient(endpoint);
  const options = scheduleToCloseMs !== undefined ? { scheduleToCloseTimeout: scheduleToCloseMs } : {};
  try {
    let r: string;
    if (op === 'failSync') r = await c.executeOperation('failSync', input.text ?? '', options);
    else if (op === 'hang') r = await c.executeOperation('hang', input.text ?? '', options);
    else if (op === 'badRequest') r = await c.executeOperation('badRequest', input.text ?? '', options);
    else r = await c.executeOperation('failWorkflow', { message: input.message ?? '', workflowId: input.workflowId ?? '' }, options);
    throw ApplicationFailure.nonRetryable(`operation ${op} unexpectedly returned ${JSON.stringify(r)}`, 'UnexpectedSuccess');
  } catch (e) {
    if (e instanceof ApplicationFailure && e.type === 'UnexpectedSuccess') throw e;
    return describeFailure(e);
  }
}

/**
 * Starts the workflow-backed `cancellable` operation in a cancellation scope, waits until it has
 * started (NexusOperationStarted), cancels the scope (default cancellation type
 * WAIT_CANCELLATION_COMPLETED) and returns the failure the operation's result promise rejected with.
 */
export async function callAndCancel(endpoint: string, workflowId: string): Promise<{ token: string | null; failure: FailureLink[] }> {
  const started = new Trigger<string | null>();
  const scope = new CancellationScope();
  const result = scope.run(async () => {
    const handle = await nexusClient(endpoint).startOperation('cancellable', { workflowId });
    started.resolve(handle.token ?? null);
    return handle.result();
  });
  const token = await started;
  scope.cancel();
  try {
    const r = await result;
    throw ApplicationFailure.nonRetryable(`cancelled operation unexpectedly returned ${JSON.stringify(r)}`, 'UnexpectedSuccess');
  } catch (e) {
    if (e instanceof ApplicationFailure && e.type === 'UnexpectedSuccess') throw e;
    return { token, failure: describeFailure(e) };
  }
}

/** A sync operation whose handler fails with a retryable error `failures` times first. */
export async function callFlaky(endpoint: string, failures: number, key: string): Promise<string> {
  return nexusClient(endpoint).executeOperation('flaky', { failures, key });
}

/** The crash test's caller: one async operation whose handler workflow waits for a signal. */
export async function callSignalled(endpoint: string, n: number, workflowId: string): Promise<string> {
  return nexusClient(endpoint).executeOperation('waitSignal', { n, workflowId });
}

/** An operation on `endpoint` that is expected not to be schedulable (an unknown endpoint). */
export async function callUnknownEndpoint(endpoint: string): Promise<string> {
  return nexusClient(endpoint).executeOperation('echo', 'never');
}

/** An operation whose input is `bytes` characters long (over the server's 2 MiB input limit, it is refused). */
export async function callWithBigInput(endpoint: string, bytes: number): Promise<string> {
  return nexusClient(endpoint).executeOperation('echo', 'x'.repeat(bytes));
}

// ---- handlers (started by the Nexus operations) ----

export async function greetHandler(name: string): Promise<string> {
  return `Hello, ${name}!`;
}

export async function failingHandler(message: string): Promise<string> {
  throw ApplicationFailure.nonRetryable(message, 'HandlerWorkflowFailure');
}

/**
 * Waits until cancelled. A cancellation (the operation's cancel, which cancels this workflow)
 * rejects the wait with a CancelledFailure, rethrown so that the workflow ends CANCELED; any
 * other outcome is a failure the test would see.
 */
export async function cancellableHandler(): Promise<string> {
  try {
    await condition(() => false);
  } catch (e) {
    if (isCancellation(e)) throw e;
    throw ApplicationFailure.nonRetryable(`expected a cancellation, got ${String(e)}`, 'NotCancelled');
  }
  throw ApplicationFailure.nonRetryable('the wait ended without a cancellation', 'NotCancelled');
}

export const releaseSignal = defineSignal('release');

export async function signalledHandler(n: number): Promise<string> {
  let released = false;
  setHandler(releaseSignal, () => void (released = true));
  await condition(() => released);
  return `done-${n}`;
}

// ---- benchmark baseline ----

interface GreetActivities {
  greet(name: string): Promise<string>;
}

/** One activity, as packages/workflow's benchmark runs it. */
export async function helloActivity(name: string): Promise<string> {
  const { greet } = proxyActivities<GreetActivities>({ startToCloseTimeout: '1 minute' });
  return greet(name);
}
