import { OPERATOR_SERVICE, type NamespaceResolver, type RpcHandlerSet } from '@chasm/core';
import type { NexusConfig } from '../config.js';
import { EndpointNotFoundError } from '../errors.js';
import type { NexusEndpoint } from '../endpoints/endpoint.js';
import type { EndpointService } from '../endpoints/endpoint-service.js';
import type { temporal } from '../proto.js';
import { decodePageToken, encodePageToken } from './page-token.js';
import { renderEndpoint } from './render-endpoint.js';
import { validatePageSize, validateId, validateVersion } from './validate-request.js';
import { validateSpec } from './validate-spec.js';


/** The five methods `nexusPlugin` declares in `serves`. */
export const ENDPOINT_METHODS = [
  'CreateNexusEndpoint',
  'GetNexusEndpoint',
  'UpdateNexusEndpoint',
  'DeleteNexusEndpoint',
  'ListNexusEndpoints',
] as const;

export interface EndpointHandlerDeps {
  readonly endpoints: EndpointService;
  readonly namespaces: NamespaceResolver;
  readonly config: NexusConfig;
}

/**
 * OperatorService's Nexus endpoint methods. Every request is validated in full (including the
 * target namespace's existence) before the store is touched, so a bad request stores nothing.
 */
export function endpointRpcHandlers({ endpoints, namespaces, config }: EndpointHandlerDeps): RpcHandlerSet {
  const render = (e: NexusEndpoint) => renderEndpoint(e, namespaces);
  return {
    service: OPERATOR_SERVICE,
    methods: {
      async CreateNexusEndpoint(req: temporal.api.operatorservice.v1.CreateNexusEndpointRequest) {
        const spec = await validateSpec(req.spec, config, namespaces);
        return { endpoint: await render(await endpoints.create(spec)) };
      },

      async UpdateNexusEndpoint(req: temporal.api.operatorservice.v1.UpdateNexusEndpointRequest) {
        const id = validateId(req.id);
        const version = validateVersion(req.version);
        const spec = await validateSpec(req.spec, config, namespaces);
        return { endpoint: await render(await endpoints.update(id, version, spec)) };
      },

      async DeleteNexusEndpoint(req: temporal.api.operatorservice.v1.DeleteNexusEndpointRequest) {
        await endpoints.delete(validateId(req.id), validateVersion(req.version));
        return {};
      },

      async GetNexusEndpoint(req: temporal.api.operatorservice.v1.GetNexusEndpointRequest) {
        const id = validateId(req.id);
        const endpoint = await endpoints.get(id);
        if (!endpoint) throw new EndpointNotFoundError(id);
        return { endpoint: await render(endpoint) };
      },

      async ListNexusEndpoints(req: temporal.api.operatorservice.v1.ListNexusEndpointsRequest) {
        // With a name, Temporal answers that endpoint alone (or none) and ignores paging.
        if (req.name) {
          const found = await endpoints.findByName(req.name);
          return { endpoints: found ? [await render(found)] : [] };
        }
        const pageSize = validatePageSize(req.pageSize, config);
        const page = await endpoints.list(pageSize, decodePageToken(req.nextPageToken));
        return {
          endpoints: await Promise.all(page.endpoints.map(render)),
          nextPageToken: encodePageToken(page.nextAfterName),
        };
      },
    },
  };
}
