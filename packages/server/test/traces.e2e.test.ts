import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_PLUGINS } from '../src/catalogue.js';

/**
 * OpenTelemetry traces (ADR 0029): a real OTLP/HTTP receiver (a node http server taking the
 * exporter's JSON), the official SDK client with Temporal's OpenTelemetry interceptor, and a
 * plain HTTP client sending a W3C traceparent. The server's spans must continue the callers'
 * traces, and never carry payloads.
 */

interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** Collects the spans OTLP/HTTP JSON exports carry, and every request body as text. */
class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly bodies: string[] = [];
  private readonly server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      this.bodies.push(body);
      if (req.url === '/v1/traces' && (req.headers['content-type'] ?? '').includes('json')) this.collect(JSON.parse(body) as OtlpExport);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
  /** Resolves with the first span matching `pred`, as soon as an export brings it. */
  async waitFor(what: string, pred: (s: ReceivedSpan) => boolean): Promise<ReceivedSpan> {
    for (const deadline = Date.now() + 60_000; ; ) {
      const found = this.spans.find(pred);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`${what}: no such span exported within 60 s; got ${this.spans.map((s) => s.name).join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private collect(body: OtlpExport): void {
    for (const rs of body.resourceSpans ?? []) {
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          const attributes: Record<string, unknown> = {};
          for (const a of s.attributes ?? []) attributes[a.key] = Object.values(a.value ?? {})[0];
          this.spans.push({ traceId: hexId(s.traceId), spanId: hexId(s.spanId), parentSpanId: hexId(s.parentSpanId ?? ''), name: s.name, attributes });
        }
      }
    }
  }
}

interface OtlpExport {
  resourceSpans?: { scopeSpans?: { spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: { key: string; value?: Record<string, unknown> }[] }[] }[] }[];
}

/** OTLP/JSON ids are hex; accept base64 too (protobuf-JSON's default for bytes). */
function hexId(id: string): string {
  return /^[0-9a-f]*$/i.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex');
}

describe.each(testDatabaseConfigs('traces'))('OpenTelemetry traces ($name)', (tdb) => {
  const receiver = new OtlpReceiver();
  let server: TestServer;
  let drop: () => Promise<void>;
  let connection: Connection;
  const provider = new BasicTracerProvider();
  const tracer = provider.getTracer('traces-test');

  beforeAll(async () => {
    // The client side of the trace: Temporal's interceptor injects the active context through
    // the global propagator, so this process gets a context manager and the W3C propagator.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const endpoint = await receiver.start();
    const db = await tdb.open();
    drop = db.drop;
    server = await startTestServer({
      packages: ['matching', 'workflow'],
      catalogue: BUILTIN_PLUGINS,
      database: db.config,
      httpPort: 0,
      traces: { exporter: 'otlp', endpoint, serviceName: 'chasm-traces-test' },
    });
    connection = await Connection.connect({ address: server.address });
  }, 120_000);

  afterAll(async () => {
    await connection?.close();
    await server?.stop();
    await drop?.();
    await receiver.stop();
    context.disable();
    propagation.disable();
  });

  it("an SDK client's StartWorkflowExecution span is the parent of the server's RPC span, which parents the commit", { timeout: 120_000 }, async () => {
    const client = new Client({ connection, interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer })] } });
    const workflowId = `traced-${randomUUID()}`;
    const secret = `payload-${randomUUID()}`;
    const traceId = await tracer.startActiveSpan('test-root', async (root) => {
      await client.workflow.start('anyWorkflow', { taskQueue: `tq-${randomUUID()}`, workflowId, args: [secret] });
      root.end();
      return root.spanContext().traceId;
    });

    const rpc = await receiver.waitFor('StartWorkflowExecution', (s) => s.traceId === traceId && s.name.endsWith('/StartWorkflowExecution'));
    expect(rpc.attributes).toMatchObject({ 'rpc.system': 'grpc', 'rpc.method': 'StartWorkflowExecution', 'temporal.namespace': 'default', 'chasm.transport': 'grpc', 'rpc.grpc.status_code': 0 });
    expect(rpc.parentSpanId).not.toBe('');
    // The commit that created the run, inside the RPC span.
    const commit = await receiver.waitFor('the creating commit', (s) => s.name === 'chasm.commit' && s.parentSpanId === rpc.spanId);
    expect(commit.traceId).toBe(traceId);
    expect(commit.attributes).toMatchObject({ 'chasm.business_id': workflowId, 'chasm.create': true });
    expect(String(commit.attributes['chasm.archetype'])).toMatch(/workflow/);
    // Ids and names only: the workflow's argument never leaves in a span.
    expect(receiver.bodies.some((b) => b.includes(secret))).toBe(false);
  });

  it("a W3C traceparent on the HTTP API parents the call's span", { timeout: 120_000 }, async () => {
    const traceId = randomUUID().replaceAll('-', '');
    const parentSpanId = randomUUID().replaceAll('-', '').slice(0, 16);
    const res = await fetch(`http://127.0.0.1:${server.httpPort!}/api/v1/namespaces/default`, { headers: { traceparent: `00-${traceId}-${parentSpanId}-01` } });
    expect(res.status).toBe(200);
    const span = await receiver.waitFor('DescribeNamespace over HTTP', (s) => s.traceId === traceId);
    expect(span).toMatchObject({ name: 'temporal.api.workflowservice.v1.WorkflowService/DescribeNamespace', parentSpanId });
    expect(span.attributes).toMatchObject({ 'chasm.transport': 'http', 'rpc.grpc.status_code': 0 });
  });

  it('a gRPC call without trace context starts its own trace', { timeout: 120_000 }, async () => {
    const before = receiver.spans.length;
    await connection.workflowService.describeNamespace({ namespace: 'default' });
    const span = await receiver.waitFor('DescribeNamespace over gRPC', (s) => receiver.spans.indexOf(s) >= before && s.name.endsWith('/DescribeNamespace') && s.attributes['chasm.transport'] === 'grpc');
    expect(span.parentSpanId).toBe('');
    expect(trace.getSpan(context.active())).toBeUndefined();
  });
});
