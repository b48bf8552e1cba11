import type { HttpRequest, HttpResponse, HttpRoute, RpcCallContext } from '@chasm/core';
import type { Logger } from 'pino';
import type { GrpcFrontDoor } from '../grpc/grpc-server.js';
import { SERVED_SERVICES } from '../grpc/grpc-server.js';
import type { MappedError } from '../grpc/grpc-status.js';
import { lookupService, lookupType } from '../grpc/proto-root.js';
import { MalformedRequest, type ServedMethod } from '../grpc/service-definition.js';
import type { HttpApiMetrics } from '../metrics/http-api-metrics.js';
import { httpBindings, type AnnotatedMethod, type HttpBinding } from './http-rules.js';
import { httpStatusOfGrpc } from './http-status-of-grpc.js';
import { compileTemplate, type CompiledTemplate } from './path-template.js';
import type { Json } from './payload-shorthand.js';
import type { ReflectedType } from './proto-reflection.js';
import { setField } from './request-fields.js';
import { JsonMappingError, messageFromJson, messageToJson, type MappingOptions } from './temporal-json.js';

/** Query parameters of the API itself (Temporal's), never request fields. */
const API_QUERY_PARAMS = new Set(['pretty', 'noPayloadShorthand']);

/**
 * HTTP headers passed to handlers as call metadata, as Temporal's HTTP API forwards them
 * (plus grpc-gateway's `Grpc-Metadata-` prefix, stripped).
 */
// traceparent/tracestate: a traced HTTP client's span becomes the parent of the call's (ADR 0029).
const FORWARDED_HEADERS = new Set(['authorization', 'authorization-extras', 'x-forwarded-for', 'client-name', 'client-version', 'traceparent', 'tracestate']);
const METADATA_PREFIX = 'grpc-metadata-';

export interface HttpApiDeps {
  readonly frontDoor: GrpcFrontDoor;
  readonly logger: Logger;
  readonly metrics: HttpApiMetrics;
}

/**
 * Temporal's HTTP API: one route per `google.api.http` binding of every WorkflowService and
 * OperatorService method, read from the official protos when the server starts (nothing is
 * written route by route). A call goes through the gRPC front door's own chain
 * (GrpcFrontDoor.dispatch), so a method no package serves answers UNIMPLEMENTED (501) and
 * every status maps as grpc-gateway maps it. Bindings whose template the router cannot express
 * are skipped with a warning; two bindings on one method and path keep the first.
 */
export function httpApiRoutes(deps: HttpApiDeps): HttpRoute[] {
  const routes: HttpRoute[] = [];
  const seen = new Set<string>();
  for (const service of SERVED_SERVICES) {
    for (const protoMethod of Object.values(lookupService(service).methods)) {
      const served = deps.frontDoor.servedMethod(service, protoMethod.name);
      if (!served) continue; // streaming: not over HTTP, as in Temporal
      const resolved = protoMethod.resolve();
      const requestType = resolved.resolvedRequestType as unknown as ReflectedType;
      const responseType = resolved.resolvedResponseType as unknown as ReflectedType;
      for (const binding of httpBindings(protoMethod as unknown as AnnotatedMethod)) {
        let compiled: CompiledTemplate;
        try {
          compiled = compileTemplate(binding.template);
        } catch (e) {
          deps.logger.warn({ method: served.method, template: binding.template, err: (e as Error).message }, 'HTTP API binding skipped');
          continue;
        }
        const key = `${binding.method} ${compiled.routerPath.replace(/:[^/]+/g, ':')}`;
        if (seen.has(key)) continue;
        seen.add(key);
        routes.push({
          method: binding.method,
          path: compiled.routerPath,
          raw: true,
          handle: (req) => serve(deps, { served, binding, compiled, requestType, responseType }, req),
        });
      }
    }
  }
  return routes;
}

interface BoundMethod {
  readonly served: ServedMethod;
  readonly binding: HttpBinding;
  readonly compiled: CompiledTemplate;
  readonly requestType: ReflectedType;
  readonly responseType: ReflectedType;
}

async function serve(deps: HttpApiDeps, bound: BoundMethod, req: HttpRequest): Promise<HttpResponse> {
  const options: MappingOptions = { payloadShorthand: !req.query.has('noPayloadShorthand') };
  const pretty = req.query.has('pretty');
  deps.metrics.request(bound.served.method);
  // A request that does not map is the caller's mistake: the chain answers INVALID_ARGUMENT
  // naming the field, as it does for a gRPC request that does not decode.
  const request = buildRequest(bound, req, options);
  const context: RpcCallContext = {
    signal: AbortSignal.any([req.signal, deps.frontDoor.shutdownSignal]),
    deadline: deadlineOf(req.headers['grpc-timeout']),
    metadata: metadataOf(req.headers),
  };
  const outcome = await deps.frontDoor.dispatch(bound.served, request, context, 'http');
  if (!outcome.ok) return errorResponse(outcome.status, pretty);
  // The gRPC codec first (it appends pre-encoded fields), so HTTP shows exactly what gRPC sends.
  const bytes = bound.served.definition.responseSerialize(outcome.response);
  const message = bound.responseType.decode(bytes);
  return json(200, messageToJson(message, bound.responseType, options), pretty);
}

function buildRequest(bound: BoundMethod, req: HttpRequest, options: MappingOptions): object {
  const { binding, compiled, requestType } = bound;
  try {
    let document: { [key: string]: Json } = {};
    if (binding.body !== undefined) {
      const body = parseBody(req.rawBody);
      if (binding.body === '*') {
        if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new JsonMappingError('the request body must be a JSON object');
        document = { ...body };
      } else {
        document = { [binding.body]: body };
      }
    } else {
      // No body: fields come from query parameters (and the path).
      for (const [name, value] of req.query) {
        if (!API_QUERY_PARAMS.has(name)) setField(requestType, document, name.split('.'), value, 'query parameter');
      }
    }
    // Path variables last: they win over the body, as in grpc-gateway.
    for (const variable of compiled.variables) {
      const value = req.params[variable.param] ?? '';
      if (!setField(requestType, document, variable.fieldPath, value, 'path')) {
        throw new JsonMappingError(`path variable ${variable.fieldPath.join('.')} is not a field of the request`);
      }
    }
    const message = messageFromJson(requestType, document, options);
    // The gRPC codec both ways: the handler sees what a gRPC caller's request decodes to.
    return bound.served.definition.requestDeserialize(bound.served.definition.requestSerialize(message));
  } catch (e) {
    if (e instanceof JsonMappingError) return new MalformedRequest(e.message);
    throw e;
  }
}

function parseBody(bytes: Uint8Array | undefined): Json {
  if (!bytes || bytes.length === 0) return {};
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8')) as Json;
  } catch (e) {
    throw new JsonMappingError(`the request body is not valid JSON: ${(e as Error).message}`);
  }
}

/** grpc-gateway's error body: a google.rpc.Status as JSON, its details as typed Anys. */
export function errorResponse(status: MappedError['status'], pretty: boolean): HttpResponse {
  const bin = status.metadata.get('grpc-status-details-bin')[0];
  let details: Json = [];
  if (bin instanceof Buffer) {
    const type = lookupType('google.rpc.Status');
    const decoded = messageToJson(type.decode(bin), type as unknown as ReflectedType, { payloadShorthand: false });
    const d = (decoded as { details?: Json } | null)?.details;
    if (Array.isArray(d)) details = d;
  }
  return json(httpStatusOfGrpc(status.code), { code: status.code, message: status.details, details }, pretty);
}

export function json(status: number, body: Json, pretty: boolean): HttpResponse {
  return {
    status,
    rawBody: Buffer.from(pretty ? `${JSON.stringify(body, null, 2)}\n` : JSON.stringify(body)),
    headers: { 'content-type': 'application/json' },
  };
}

function metadataOf(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (FORWARDED_HEADERS.has(name)) out[name] = value;
    else if (name.startsWith(METADATA_PREFIX)) out[name.slice(METADATA_PREFIX.length)] = value;
  }
  return out;
}

const TIMEOUT_UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000_001 };

/** A `Grpc-Timeout` header (`10S`, `500m`), as grpc-gateway reads it, to a deadline. */
function deadlineOf(header: string | undefined): Date | undefined {
  const m = header === undefined ? null : /^(\d{1,8})([HMSmun])$/.exec(header);
  if (!m) return undefined;
  return new Date(Date.now() + Number(m[1]) * (TIMEOUT_UNIT_MS[m[2] ?? 'S'] ?? 1000));
}
