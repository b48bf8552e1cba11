/**
 * A transparent WorkflowService proxy for the rpc-capture bench: every unary call is forwarded as
 * raw bytes (metadata, deadline and cancellation included) to an upstream server, and recorded
 * with its arrival and answer times and sizes. Responses of the methods that feed the SDK worker
 * are decoded on demand (after the run, so decoding costs nothing on the timed path). Bench-only:
 * nothing of the server goes through it.
 */
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { temporalProto } from '@chasm/matching';

const { temporal } = temporalProto;

const SERVICE = 'temporal.api.workflowservice.v1.WorkflowService';

/** One forwarded call. Times are `performance.now()` ms of the proxy process. */
export interface CapturedCall {
  readonly method: string;
  readonly inMs: number;
  outMs: number;
  readonly request: Buffer;
  response?: Buffer;
  code?: number;
}

export interface CaptureProxy {
  readonly address: string;
  readonly calls: CapturedCall[];
  stop(): Promise<void>;
}

const identity = (b: Buffer): Buffer => b;

/**
 * The service's method names: every `XRequest` message with an `XResponse` beside it (a pair
 * that is no method only registers a path nobody calls).
 */
export function workflowServiceMethods(): string[] {
  const ns = temporal.api.workflowservice.v1 as unknown as Record<string, unknown>;
  return Object.keys(ns)
    .filter((k) => k.endsWith('Request') && ns[`${k.slice(0, -'Request'.length)}Response`] !== undefined)
    .map((k) => k.slice(0, -'Request'.length));
}

export async function startCaptureProxy(upstream: string): Promise<CaptureProxy> {
  const client = new grpc.Client(upstream, grpc.credentials.createInsecure());
  const server = new grpc.Server();
  const calls: CapturedCall[] = [];
  // `response` stays absent on errors (exactOptionalPropertyTypes: never set to undefined).
  const recorded = (rec: CapturedCall, res: Buffer | undefined): void => {
    if (res) rec.response = res;
  };
  const def: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const name of workflowServiceMethods()) {
    const path = `/${SERVICE}/${name}`;
    def[name] = { path, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity };
    handlers[name] = (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const rec: CapturedCall = { method: name, inMs: performance.now(), outMs: 0, request: call.request };
      calls.push(rec);
      const up = client.makeUnaryRequest(path, identity, identity, call.request, call.metadata, { deadline: call.getDeadline() }, (err, res) => {
        rec.outMs = performance.now();
        if (err) {
          rec.code = err.code;
          cb(err);
          return;
        }
        recorded(rec, res);
        cb(null, res);
      });
      call.on('cancelled', () => up.cancel());
    };
  }
  server.addService(def, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return {
    address: `127.0.0.1:${port}`,
    calls,
    stop: () =>
      new Promise<void>((resolve) => {
        client.close();
        server.tryShutdown(() => resolve());
      }),
  };
}

const ws = temporal.api.workflowservice.v1;
const decoders: Record<string, { res: { decode(b: Uint8Array): object; toObject(m: object, o: object): object }; req: { decode(b: Uint8Array): object; toObject(m: object, o: object): object } }> = {
  PollWorkflowTaskQueue: { req: ws.PollWorkflowTaskQueueRequest, res: ws.PollWorkflowTaskQueueResponse },
  PollActivityTaskQueue: { req: ws.PollActivityTaskQueueRequest, res: ws.PollActivityTaskQueueResponse },
  RespondWorkflowTaskCompleted: { req: ws.RespondWorkflowTaskCompletedRequest, res: ws.RespondWorkflowTaskCompletedResponse },
  RespondActivityTaskCompleted: { req: ws.RespondActivityTaskCompletedRequest, res: ws.RespondActivityTaskCompletedResponse },
  StartWorkflowExecution: { req: ws.StartWorkflowExecutionRequest, res: ws.StartWorkflowExecutionResponse },
  GetWorkflowExecutionHistory: { req: ws.GetWorkflowExecutionHistoryRequest, res: ws.GetWorkflowExecutionHistoryResponse },
};

const AS_JSON = { longs: String, enums: String, bytes: String, defaults: false };

/** The call's request and response as JSON-able objects (undefined for methods not decoded). */
export function decodeCall(c: CapturedCall): { request?: object; response?: object } {
  const d = decoders[c.method];
  if (!d) return {};
  return {
    request: d.req.toObject(d.req.decode(c.request), AS_JSON),
    ...(c.response ? { response: d.res.toObject(d.res.decode(c.response), AS_JSON) } : {}),
  };
}
