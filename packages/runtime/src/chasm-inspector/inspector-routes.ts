/**
 * The CHASM inspector's read-only HTTP endpoints (not part of Temporal's API, so in a module of
 * their own, under `/api/v1/…/chasm/`):
 *
 *   GET /api/v1/namespaces/{namespace}/chasm/executions/{businessId}?archetype=&runId=
 *       the execution's component tree as persisted (`inspectExecution`): every node's type,
 *       decoded state, lifecycle, pending tasks with deadlines, and transitions. Without
 *       `archetype`, the one archetype with a current run for that business id (several: 400
 *       naming them). Without `runId`, the current run.
 *   GET /api/v1/chasm/components
 *       every library the server registered, with its component and task types.
 *
 * Both go through the front door's chain (`dispatchCustom`), so auth (read access: a namespace
 * reader, or for the registry a system reader), admission, metrics and the error mapping are
 * the RPCs'. They read the store, not the engine: no lock is taken and the cache is untouched.
 */
import {
  InvalidArgumentError,
  NotFoundError,
  describeRegistry,
  inspectExecution,
  type ExecutionStore,
  type HttpRequest,
  type HttpResponse,
  type HttpRoute,
  type NamespaceResolver,
  type Registry,
  type RpcCallContext,
  type RpcMethod,
} from '@chasm/core';
import type { GrpcFrontDoor } from '../grpc/grpc-server.js';
import { errorResponse, json } from '../http-api/http-api-routes.js';

/** The service name the inspector's calls carry in metrics, logs and auth decisions. */
export const INSPECTOR_SERVICE = 'ChasmInspector';

export interface InspectorDeps {
  readonly frontDoor: GrpcFrontDoor;
  readonly store: ExecutionStore;
  readonly registry: Registry;
  readonly namespaces: NamespaceResolver;
}

interface DescribeRequest {
  readonly namespace: string;
  readonly businessId: string;
  readonly archetype: string;
  readonly runId: string;
}

export function inspectorRoutes(deps: InspectorDeps): HttpRoute[] {
  const describeExecution: RpcMethod = (request: DescribeRequest) => describe(deps, request);
  const listComponents: RpcMethod = () => Promise.resolve(describeRegistry(deps.registry));
  return [
    {
      method: 'GET',
      path: '/api/v1/namespaces/:namespace/chasm/executions/:businessId',
      handle: (req) =>
        call(deps, 'DescribeChasmExecution', describeExecution, req, {
          namespace: req.params['namespace'] ?? '',
          businessId: req.params['businessId'] ?? '',
          archetype: req.query.get('archetype') ?? '',
          runId: req.query.get('runId') ?? '',
        }),
    },
    { method: 'GET', path: '/api/v1/chasm/components', handle: (req) => call(deps, 'ListChasmComponents', listComponents, req, {}) },
  ];
}

async function call(deps: InspectorDeps, method: string, handler: RpcMethod, req: HttpRequest, request: object): Promise<HttpResponse> {
  const authorization = req.headers['authorization'];
  const context: RpcCallContext = {
    signal: AbortSignal.any([req.signal, deps.frontDoor.shutdownSignal]),
    deadline: undefined,
    metadata: authorization === undefined ? {} : { authorization },
  };
  const pretty = req.query.has('pretty');
  const outcome = await deps.frontDoor.dispatchCustom(INSPECTOR_SERVICE, method, handler, request, context);
  if (!outcome.ok) return errorResponse(outcome.status, pretty);
  return json(200, outcome.response as never, pretty);
}

async function describe(deps: InspectorDeps, r: DescribeRequest): Promise<object> {
  if (r.businessId === '') throw new InvalidArgumentError('businessId', 'businessId is required');
  if (r.archetype !== '' && !deps.registry.hasComponent(r.archetype)) {
    throw new InvalidArgumentError('archetype', `archetype '${r.archetype}' is not a component type this server knows`);
  }
  const namespaceId = await deps.namespaces.idOf(r.namespace);
  const archetype = r.archetype !== '' ? r.archetype : await findArchetype(deps, namespaceId, r);
  let runId = r.runId;
  if (runId === '') {
    const current = await deps.store.getCurrentExecution(namespaceId, r.businessId, archetype);
    if (!current) throw new NotFoundError(`no ${archetype} execution with business id '${r.businessId}' in namespace '${r.namespace}'`);
    runId = current.runId;
  }
  const loaded = await deps.store.loadExecution({ namespaceId, businessId: r.businessId, archetype, runId });
  if (!loaded) throw new NotFoundError(`no ${archetype} execution '${r.businessId}' with run id '${runId}' in namespace '${r.namespace}'`);
  return { namespace: r.namespace, businessId: r.businessId, archetype, runId, ...inspectExecution(deps.registry, loaded) };
}

/**
 * The archetype of the business id's current run when none is given. The registry does not
 * say which component types are roots, so every type is asked (one indexed lookup each).
 */
async function findArchetype(deps: InspectorDeps, namespaceId: string, r: DescribeRequest): Promise<string> {
  const types = describeRegistry(deps.registry).libraries.flatMap((l) => l.components.map((c) => c.name));
  const found = (await Promise.all(types.map(async (t) => ((await deps.store.getCurrentExecution(namespaceId, r.businessId, t)) ? t : undefined)))).filter(
    (t): t is string => t !== undefined,
  );
  if (found.length === 0) throw new NotFoundError(`no execution with business id '${r.businessId}' in namespace '${r.namespace}'`);
  if (found.length > 1) throw new InvalidArgumentError('archetype', `archetype is required: business id '${r.businessId}' has executions of ${found.join(', ')}`);
  return found[0]!;
}
