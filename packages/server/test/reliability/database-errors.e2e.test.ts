import { randomBytes, randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leaks, OwnedPostgres, postgresEnabled, startServerProcess, type ServerProcess } from './owned-postgres.js';

/**
 * What callers see and what the log says when the database fails (issue 15, reliability suite),
 * on a Postgres instance this file owns and the built server CLI in a child process, its pino
 * output captured at debug level. Calls go through the official SDK's raw WorkflowService with
 * no retry interceptor, so the gRPC status code each call got is asserted as it was sent.
 *
 * - While Postgres is stopped (`pg_ctl -m immediate`), a start and a describe answer UNAVAILABLE
 *   (which SDKs retry), never INTERNAL, and the server keeps running.
 * - A statement that fails on a row carrying a payload (a CHECK constraint this test adds; the
 *   Postgres error quotes the whole row) answers INTERNAL with a short error reference, and the
 *   server's error line carries the same reference, the method and the execution.
 * - No log line carries a byte of any payload or memo used, in any encoding.
 */
const PAYLOAD_MARK = `payload-mark-${randomBytes(12).toString('hex')}`;
const MEMO_MARK = `memo-mark-${randomBytes(12).toString('hex')}`;
const UNAVAILABLE = 14;
const INTERNAL = 13;

/** A JSON payload as the SDK's default converter writes it. */
const jsonPayload = (value: unknown) => ({ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(value)) });

function startRequest(workflowId: string, label: string) {
  return {
    namespace: 'default',
    workflowId,
    workflowType: { name: 'greetWorkflow' },
    taskQueue: { name: 'reliability' },
    input: { payloads: [jsonPayload(`${PAYLOAD_MARK} ${label}`)] },
    memo: { fields: { note: jsonPayload(MEMO_MARK) } },
    requestId: randomUUID(),
    identity: 'reliability-test',
  };
}

/** The gRPC status code (and details) a call failed with; fails the test if it succeeded. */
async function statusOf(call: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await call;
  } catch (e) {
    const err = e as { code?: unknown; details?: unknown; message?: unknown };
    return { code: typeof err.code === 'number' ? err.code : -1, details: String(err.details ?? err.message) };
  }
  throw new Error('expected the call to fail');
}

describe.runIf(postgresEnabled)('database errors: status codes, error references and scrubbed logs (own Postgres instance)', () => {
  let db: OwnedPostgres;
  let server: ServerProcess;
  /** No retry interceptor: each call's own status is seen. */
  let raw: Connection;

  beforeAll(async () => {
    db = await OwnedPostgres.create();
    server = await startServerProcess(db, { logLevel: 'debug' });
    raw = await Connection.connect({ address: server.address, interceptors: [] });
  }, 240_000);

  afterAll(async () => {
    await raw?.close();
    await server?.kill();
    db?.destroy();
  });

  it('answers UNAVAILABLE to a start and a describe while Postgres is down, and serves them again once it is back', { timeout: 300_000 }, async () => {
    const svc = raw.workflowService;
    // Before the outage: the store answers (a workflow started; an unknown id is NOT_FOUND).
    await svc.startWorkflowExecution(startRequest('before-outage', 'before'));
    expect((await statusOf(svc.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: 'never-started' } }))).code).toBe(5);

    db.stopImmediate();
    try {
      // A start writes (its statement carries the payload and memo); a describe of an id this node
      // has not cached must read. Both need the database, which is away.
      const start = await statusOf(svc.startWorkflowExecution(startRequest(`during-outage-${randomUUID()}`, 'during')));
      expect(start.code, start.details).toBe(UNAVAILABLE);
      const describe = await statusOf(svc.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: 'never-started' } }));
      expect(describe.code, describe.details).toBe(UNAVAILABLE);
      // Several more calls: still UNAVAILABLE, and logged as a short line at most every 5 s.
      for (let i = 0; i < 10; i++) {
        const s = await statusOf(svc.startWorkflowExecution(startRequest(`during-outage-${i}`, `during ${i}`)));
        expect(s.code, s.details).toBe(UNAVAILABLE);
      }
      expect(server.alive(), server.lines.slice(-20).join('\n')).toBe(true);
    } finally {
      db.start();
    }

    // Back: the same calls succeed again, without restarting the server (the pool reconnects).
    const end = Date.now() + 120_000;
    for (;;) {
      try {
        await svc.startWorkflowExecution(startRequest('after-outage', 'after'));
        break;
      } catch (e) {
        // Only UNAVAILABLE while the pool finds its way back; anything else is a failure.
        expect((e as { code?: unknown }).code, String(e)).toBe(UNAVAILABLE);
        if (Date.now() > end) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const described = await svc.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: 'after-outage' } });
    expect(described.workflowExecutionInfo?.execution?.workflowId).toBe('after-outage');

    const unavailable = server.lines.filter((l) => l.includes('"rpc unavailable"'));
    expect(unavailable.length).toBeGreaterThan(0);
    // 12 failed calls within a few seconds: one line (two if they straddled the 5 s window), no stack.
    expect(unavailable.length).toBeLessThanOrEqual(3);
    for (const l of unavailable) expect(l).not.toMatch(/"stack"/);
    expect(server.lines.filter((l) => /internal error/i.test(l))).toEqual([]);
  });

  it('answers INTERNAL with an error reference that the log line carries, when a statement carrying a payload fails', { timeout: 120_000 }, async () => {
    // A real Postgres error whose detail quotes the failing row ("Failing row contains (…)"),
    // payload bytes included: the node rows of executions whose id starts with "poisoned-".
    db.query(`alter table chasm_nodes add constraint reliability_poison check (business_id not like 'poisoned-%') not valid`);
    try {
      const workflowId = `poisoned-${randomUUID()}`;
      const failed = await statusOf(raw.workflowService.startWorkflowExecution(startRequest(workflowId, 'poisoned')));
      expect(failed.code, failed.details).toBe(INTERNAL);
      const ref = /\(ref ([0-9a-f]{8})\)/.exec(failed.details)?.[1];
      expect(ref, failed.details).toBeDefined();
      // The client is told nothing about the statement.
      expect(failed.details).not.toMatch(/chasm_nodes|Failing row|constraint/);

      // The line is written before the answer is sent, but reaches us through the child's stdout
      // pipe, which can lag behind the gRPC answer on a loaded machine: wait for it, with a deadline.
      let line: string | undefined;
      for (const until = Date.now() + 10_000; !(line = server.lines.find((l) => l.includes(`"ref":"${ref}"`))) && Date.now() < until; ) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(line, `no log line with ref ${ref}`).toBeDefined();
      const entry = JSON.parse(line!) as { level: number; method: string; execution?: string; err: Record<string, unknown> };
      expect(entry.level).toBe(50);
      expect(entry.method).toBe('WorkflowService/StartWorkflowExecution');
      expect(entry.execution).toBe(workflowId);
      // What went wrong, without the row: SQLSTATE 23514 (check_violation) and the constraint.
      expect(entry.err).toMatchObject({ code: '23514', constraint: 'reliability_poison' });
      expect(entry.err['detail']).toBeUndefined();
      expect(entry.err['where']).toBeUndefined();
    } finally {
      db.query('alter table chasm_nodes drop constraint reliability_poison');
    }
  });

  it('writes no payload or memo byte to any log line', () => {
    expect(server.lines.length).toBeGreaterThan(0);
    expect(leaks(server.lines, [PAYLOAD_MARK, MEMO_MARK])).toEqual([]);
    expect(server.alive()).toBe(true);
  });
});
