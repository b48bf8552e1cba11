import { InvalidArgumentError, OPERATOR_SERVICE, WORKFLOW_SERVICE, type NamespacePurgeStep, type RpcHandlerSet } from '@chasm/core';
import { int64ToNumber, proto, type temporal } from '../grpc/proto-root.js';
import type { ServerFeatures } from '../system/server-features.js';
import { NamespaceState } from './namespace-record.js';
import { describeNamespaceResponse } from './namespace-response.js';
import {
  retentionSeconds,
  validateClusterName,
  validateData,
  validateNamespaceName,
} from './namespace-validation.js';
import type { Namespaces } from './namespaces.js';


const ARCHIVAL_ENABLED = proto.temporal.api.enums.v1.ArchivalState.ARCHIVAL_STATE_ENABLED;
const NS_STATE = proto.temporal.api.enums.v1.NamespaceState;
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

/** WorkflowService namespace methods: validate, call Namespaces, shape the response. */
export function namespaceHandlers(namespaces: Namespaces, features: ServerFeatures): RpcHandlerSet {
  return {
    service: WORKFLOW_SERVICE,
    methods: {
      async RegisterNamespace(req: temporal.api.workflowservice.v1.RegisterNamespaceRequest) {
        const name = validateNamespaceName(req.namespace);
        if (req.isGlobalNamespace) {
          throw new InvalidArgumentError('is_global_namespace', 'is_global_namespace: global namespaces need replication, which this server does not do');
        }
        validateClusterName(req.activeClusterName, 'active_cluster_name');
        for (const c of req.clusters ?? []) validateClusterName(c.clusterName, 'clusters');
        rejectArchival(req.historyArchivalState, 'history_archival_state');
        rejectArchival(req.visibilityArchivalState, 'visibility_archival_state');
        const retention = retentionSeconds(req.workflowExecutionRetentionPeriod, 'workflow_execution_retention_period');
        await namespaces.register({
          name,
          description: req.description ?? '',
          ownerEmail: req.ownerEmail ?? '',
          data: validateData(req.data, 'data'),
          ...(retention !== undefined ? { retentionSeconds: retention } : {}),
        });
        return {};
      },

      async DescribeNamespace(req: temporal.api.workflowservice.v1.DescribeNamespaceRequest) {
        if (!req.namespace && !req.id) throw new InvalidArgumentError('namespace', 'namespace or id is required');
        const record = await namespaces.describe(req.id ? { id: req.id } : { name: req.namespace });
        return describeNamespaceResponse(record, features);
      },

      async ListNamespaces(req: temporal.api.workflowservice.v1.ListNamespacesRequest) {
        const pageSize = req.pageSize > 0 ? Math.min(req.pageSize, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
        const page = await namespaces.list({
          pageSize,
          afterName: decodePageToken(req.nextPageToken),
          includeDeleted: req.namespaceFilter?.includeDeleted === true,
        });
        return {
          namespaces: page.namespaces.map((r) => describeNamespaceResponse(r, features)),
          nextPageToken: page.nextAfterName === undefined ? new Uint8Array() : encodePageToken(page.nextAfterName),
        };
      },

      async UpdateNamespace(req: temporal.api.workflowservice.v1.UpdateNamespaceRequest) {
        const name = validateNamespaceName(req.namespace);
        if (req.promoteNamespace) throw new InvalidArgumentError('promote_namespace', 'promote_namespace: this server has a single cluster');
        validateClusterName(req.replicationConfig?.activeClusterName, 'replication_config.active_cluster_name');
        rejectArchival(req.config?.historyArchivalState, 'config.history_archival_state');
        rejectArchival(req.config?.visibilityArchivalState, 'config.visibility_archival_state');
        const info = req.updateInfo;
        const retention = retentionSeconds(req.config?.workflowExecutionRetentionTtl, 'config.workflow_execution_retention_ttl');
        const data = validateData(info?.data, 'update_info.data');
        const state = updatedState(info?.state);
        const record = await namespaces.update(name, (current) => ({
          // As in Temporal: empty strings mean "unchanged", and data entries are merged.
          ...(info?.description ? { description: info.description } : {}),
          ...(info?.ownerEmail ? { ownerEmail: info.ownerEmail } : {}),
          ...(Object.keys(data).length > 0 ? { data: { ...current.data, ...data } } : {}),
          ...(retention !== undefined ? { retentionSeconds: retention } : {}),
          ...(state !== undefined ? { state } : {}),
        }));
        const { failoverHistory: _ignored, ...response } = describeNamespaceResponse(record, features);
        return response;
      },

      // Deprecated in Temporal's API (UpdateNamespace with state DEPRECATED does the same), still served.
      async DeprecateNamespace(req: temporal.api.workflowservice.v1.DeprecateNamespaceRequest) {
        const name = validateNamespaceName(req.namespace);
        await namespaces.deprecate(name);
        return {};
      },
    },
  };
}

/** What DeleteNamespace needs besides the namespaces (ADR 0036). */
export interface DeleteNamespaceOptions {
  /** How long a deleted namespace's row stays once its data is gone, unless the request says (Temporal's default: 0). */
  readonly defaultDelayMs: number;
  /** The packages' purge steps: each may refuse the delete first. */
  readonly steps: readonly NamespacePurgeStep[];
  /** Told once a namespace is marked deleted: its data is then removed in the background (NamespacePurger). */
  readonly deleted: () => void;
}

/** Temporal caps the delay its reclaim workflow accepts at 30 days. */
const MAX_DELETE_DELAY_MS = 30 * 24 * 3600_000;

/** OperatorService/DeleteNamespace: marks and renames the namespace; the purge runs in the background. */
export function namespaceOperatorHandlers(namespaces: Namespaces, options: DeleteNamespaceOptions): RpcHandlerSet {
  return {
    service: OPERATOR_SERVICE,
    methods: {
      async DeleteNamespace(req: temporal.api.operatorservice.v1.DeleteNamespaceRequest) {
        if (!req.namespace && !req.namespaceId) throw new InvalidArgumentError('namespace', 'namespace or namespace_id is required');
        // Temporal's message, word for word.
        if (req.namespace && req.namespaceId) throw new InvalidArgumentError('namespace_id', 'Only one of namespace name or Id should be set on request.');
        const delayMs = req.namespaceDeleteDelay ? deleteDelayMs(req.namespaceDeleteDelay) : options.defaultDelayMs;
        const record = await namespaces.delete(req.namespaceId ? { id: req.namespaceId } : { name: req.namespace }, {
          delayMs,
          check: async (ns) => {
            for (const step of options.steps) await step.checkDelete?.({ id: ns.id, name: ns.name });
          },
        });
        options.deleted();
        return { deletedNamespace: record.name };
      },
    },
  };
}

function deleteDelayMs(d: { seconds?: unknown; nanos?: number | null }): number {
  const ms = int64ToNumber(d.seconds) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_DELETE_DELAY_MS) {
    throw new InvalidArgumentError('namespace_delete_delay', 'namespace_delete_delay must be from 0 to 30 days');
  }
  return ms;
}

function rejectArchival(state: number | null | undefined, field: string): void {
  if (state === ARCHIVAL_ENABLED) throw new InvalidArgumentError(field, `${field}: archival is not supported by this server`);
}

function updatedState(state: number | null | undefined): NamespaceState | undefined {
  switch (state ?? NS_STATE.NAMESPACE_STATE_UNSPECIFIED) {
    case NS_STATE.NAMESPACE_STATE_UNSPECIFIED:
      return undefined;
    case NS_STATE.NAMESPACE_STATE_REGISTERED:
      return NamespaceState.Registered;
    case NS_STATE.NAMESPACE_STATE_DEPRECATED:
      return NamespaceState.Deprecated;
    default:
      throw new InvalidArgumentError('update_info.state', 'update_info.state: use OperatorService/DeleteNamespace to delete a namespace');
  }
}

/** Page tokens are opaque to clients: the last name of the previous page, JSON in bytes. */
function encodePageToken(afterName: string): Uint8Array {
  return Buffer.from(JSON.stringify({ after: afterName }), 'utf8');
}

function decodePageToken(token: Uint8Array | null | undefined): string | undefined {
  if (!token || token.length === 0) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token).toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string') return parsed.after;
  } catch {
    // fall through
  }
  throw new InvalidArgumentError('next_page_token', 'next_page_token is not a token this server issued');
}
