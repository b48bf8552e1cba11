import { Client, credentials, Server, ServerCredentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthService } from './health-service.js';
import { lookupType } from './proto-root.js';

describe('HealthService', () => {
  const health = new HealthService({ '': 'SERVING', 'temporal.api.workflowservice.v1.WorkflowService': 'NOT_SERVING' });
  const server = new Server();
  let client: Client;

  beforeAll(async () => {
    health.addToServer(server);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  });
  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  function call(method: string, request: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) =>
      client.makeUnaryRequest(
        `/grpc.health.v1.Health/${method}`,
        (b: Buffer) => b,
        (b: Buffer) => b,
        request,
        (err, res) => (err ? reject(err) : resolve(res!)),
      ),
    );
  }
  const req = lookupType('grpc.health.v1.HealthCheckRequest');
  const res = lookupType('grpc.health.v1.HealthCheckResponse');
  const check = async (service: string): Promise<Record<string, unknown>> =>
    res.toObject(res.decode(await call('Check', Buffer.from(req.encode(req.fromObject({ service })).finish()))), { enums: String });

  it('answers Check with each service status, and NOT_FOUND for an unknown service', async () => {
    expect(await check('')).toEqual({ status: 'SERVING' });
    expect(await check('temporal.api.workflowservice.v1.WorkflowService')).toEqual({ status: 'NOT_SERVING' });
    health.setStatus('temporal.api.workflowservice.v1.WorkflowService', 'SERVING');
    expect(await check('temporal.api.workflowservice.v1.WorkflowService')).toEqual({ status: 'SERVING' });
    await expect(check('nope')).rejects.toMatchObject({ code: 5 });
  });

  it('answers List with every status as a map of HealthCheckResponse', async () => {
    health.setStatus('x', 'NOT_SERVING');
    const bytes = await call('List', Buffer.alloc(0));
    // Decode map<string, HealthCheckResponse> statuses = 1 by hand: entries of (1: key, 2: value).
    const statuses: Record<string, number> = {};
    let i = 0;
    while (i < bytes.length) {
      expect(bytes[i++]).toBe(0x0a);
      const len = bytes[i++]!;
      const entry = bytes.subarray(i, i + len);
      i += len;
      expect(entry[0]).toBe(0x0a);
      const key = entry.subarray(2, 2 + entry[1]!).toString('utf8');
      const rest = entry.subarray(2 + entry[1]!);
      expect(rest[0]).toBe(0x12);
      statuses[key] = Number((res.toObject(res.decode(rest.subarray(2, 2 + rest[1]!))) as { status?: number }).status ?? 0);
    }
    expect(statuses).toEqual({ '': 1, 'temporal.api.workflowservice.v1.WorkflowService': 1, x: 2 });
  });
});
