import { searchAttributeValue } from '@chasm/matching';
import { BadCommandError } from '../activity/activity-state-machine.js';
import type { WorkflowConfig } from '../config.js';
import {
  invalidSearchAttributes,
  searchAttributesSizeProblem,
  type NamespaceSearchAttributes,
  type SearchAttributeProblem,
} from '../grpc/search-attribute-checks.js';
import { api, CommandType, Enums, type Payload, type temporal } from '../proto.js';
import type { WorkflowComponent } from './workflow.js';

const Cause = Enums.WorkflowTaskFailedCause;
type Command = temporal.api.command.v1.ICommand;
type SA = temporal.api.common.v1.ISearchAttributes | null | undefined;

/**
 * The registered search attributes a completion's commands are checked against, read before its
 * transaction (the registry is asynchronous): by the namespace a command names, '' for the run's
 * own. A namespace missing from it is not checked here (the child start will refuse it).
 */
export type CompletionSearchAttributes = ReadonlyMap<string, NamespaceSearchAttributes>;

/**
 * The search attributes a command carries, checked before it is applied as Temporal's
 * `handleCommand*` check them:
 * - UpsertWorkflowSearchAttributes: attributes present and not empty, then `Validate` (count,
 *   names, types) fails the task with BAD_SEARCH_ATTRIBUTES and the worker retries it; the
 *   attributes over limit.blobSize.error, or the run's attributes merged with them over the
 *   search attribute size limits, fail the task and terminate the run (retrying would send the
 *   same attributes again);
 * - ContinueAsNew and StartChildWorkflowExecution: `Validate` fails the task with
 *   BAD_SEARCH_ATTRIBUTES, `ValidateSize` with the command's own cause and terminates the run.
 */
export function checkCommandSearchAttributes(
  wf: WorkflowComponent,
  cmd: Command,
  schemas: CompletionSearchAttributes | undefined,
  limits: WorkflowConfig,
): void {
  switch (cmd.commandType) {
    case CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
      const BAD = Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES;
      const a = cmd.upsertWorkflowSearchAttributesCommandAttributes;
      if (!a) throw new BadCommandError(BAD, 'UpsertWorkflowSearchAttributesCommandAttributes is not set on command.');
      if (!a.searchAttributes) throw new BadCommandError(BAD, 'SearchAttributes is not set on command.');
      const fields = a.searchAttributes.indexedFields ?? {};
      if (Object.keys(fields).length === 0) throw new BadCommandError(BAD, 'IndexedFields is empty on command.');
      refuse(invalid(a.searchAttributes, schemas?.get(''), limits), BAD, BAD);
      if (payloadsMapSize(fields) > limits.blobSizeLimitBytes) {
        throw new BadCommandError(BAD, 'UpsertWorkflowSearchAttributesCommandAttributes exceeds size limit.', true);
      }
      refuse(searchAttributesSizeProblem({ indexedFields: merged(wf, fields) }, limits), BAD, BAD);
      return;
    }
    case CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION: {
      const sa = cmd.continueAsNewWorkflowExecutionCommandAttributes?.searchAttributes;
      if (!sa) return;
      const p = invalid(sa, schemas?.get(''), limits);
      if (p) throw new BadCommandError(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES, `invalid SearchAttributes on ContinueAsNewWorkflowExecutionCommand: ${p.message}`);
      refuse(searchAttributesSizeProblem(sa, limits), 0, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES);
      return;
    }
    case CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: {
      const a = cmd.startChildWorkflowExecutionCommandAttributes;
      const sa = a?.searchAttributes;
      if (!sa) return;
      const p = invalid(sa, schemas?.get(a.namespace ?? ''), limits);
      if (p) throw new BadCommandError(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES, `invalid SearchAttributes on StartChildWorkflowCommand: ${p.message}`);
      refuse(searchAttributesSizeProblem(sa, limits), 0, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES);
      return;
    }
  }
}

/** Whether any command carries search attributes the registry must be read for. */
export function commandsCarrySearchAttributes(commands: readonly Command[]): boolean {
  return commands.some(
    (c) =>
      (c.commandType === CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES && c.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes) ||
      (c.commandType === CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION && c.continueAsNewWorkflowExecutionCommandAttributes?.searchAttributes) ||
      (c.commandType === CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION && c.startChildWorkflowExecutionCommandAttributes?.searchAttributes),
  );
}

/** The other namespaces child starts with search attributes name (their registries are read too). */
export function childSearchAttributeNamespaces(commands: readonly Command[]): string[] {
  const out = new Set<string>();
  for (const c of commands) {
    const a = c.startChildWorkflowExecutionCommandAttributes;
    if (c.commandType === CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION && a?.searchAttributes && a.namespace) out.add(a.namespace);
  }
  return [...out];
}

function invalid(sa: SA, schema: NamespaceSearchAttributes | undefined, limits: WorkflowConfig): SearchAttributeProblem | undefined {
  return schema ? invalidSearchAttributes(sa, schema, limits) : undefined;
}

/** Throws for a problem: an invalid one fails the task with `invalidCause`, one of size with `sizeCause` and terminates. */
function refuse(p: SearchAttributeProblem | undefined, invalidCause: number, sizeCause: number): void {
  if (!p) return;
  if (p.kind === 'size') throw new BadCommandError(sizeCause, p.message, true);
  throw new BadCommandError(invalidCause, p.message);
}

/** Temporal's `payloadsMapSize`: names and value bytes together. */
function payloadsMapSize(fields: Readonly<Record<string, temporal.api.common.v1.IPayload | null | undefined>>): number {
  let n = 0;
  for (const [k, v] of Object.entries(fields)) n += Buffer.byteLength(k) + (v?.data?.length ?? 0);
  return n;
}

/** The run's attributes with the upsert applied (Temporal's MergeMapOfPayload). */
function merged(wf: WorkflowComponent, upsert: Readonly<Record<string, temporal.api.common.v1.IPayload | null | undefined>>): Record<string, Payload> {
  const bytes = wf.state.searchAttributesBytes;
  const out: Record<string, Payload> = { ...(bytes ? api.common.v1.SearchAttributes.decode(bytes).indexedFields : {}) };
  for (const [name, p] of Object.entries(upsert)) {
    // As upsertSearchAttributes applies it: a value that decodes to nothing unsets the attribute.
    if (!p || searchAttributeValue(p) === null) delete out[name];
    else out[name] = p as Payload;
  }
  return out;
}
