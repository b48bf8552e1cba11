/**
 * How a package contributes gRPC methods. Packages export handler sets; the server registers
 * every method of the Temporal services and routes each to the handler set that provides it.
 * Request objects are decoded protobufjs messages (`@temporalio/proto` types); handlers return
 * plain objects shaped like the response message. Handlers throw only ChasmError subclasses;
 * the server owns the one table mapping error codes to gRPC statuses.
 */
export interface RpcCallContext {
  /** Aborted when the client cancels or disconnects, or the server shuts down. */
  readonly signal: AbortSignal;
  /** The caller's gRPC deadline, if it sent one. Long polls answer empty shortly before it. */
  readonly deadline: Date | undefined;
  /** Incoming metadata, lower-cased keys, first value only. */
  readonly metadata: Readonly<Record<string, string>>;
  /** True for in-process calls through the `ServiceClient` (another package, not a network caller). */
  readonly internal?: boolean;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RpcMethod = (request: any, call: RpcCallContext) => Promise<unknown>;

export interface RpcHandlerSet {
  /** Fully qualified service, e.g. 'temporal.api.workflowservice.v1.WorkflowService'. */
  readonly service: string;
  /** Method name (as in the proto, e.g. 'StartActivityExecution') to implementation. */
  readonly methods: Readonly<Record<string, RpcMethod>>;
}

export const WORKFLOW_SERVICE = 'temporal.api.workflowservice.v1.WorkflowService';
export const OPERATOR_SERVICE = 'temporal.api.operatorservice.v1.OperatorService';

/**
 * A response may carry some message fields already encoded, under this key: field name → the
 * encoded bytes of that field's message. The server appends them to the encoded response, so a
 * feature that stores protobuf bytes (workflow history) can send them without decoding and
 * re-encoding. The plain part of the response must not set those fields as well. In-process
 * readers of such a response do not see the field.
 */
export const PRE_ENCODED_FIELDS = Symbol.for('chasm.rpc.preEncodedFields');
export type PreEncodedFields = Readonly<Record<string, Uint8Array>>;
