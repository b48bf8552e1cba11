import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { decodeStatusDetails } from '@chasm/runtime';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerOn, type ServerProcess } from './owned-postgres.js';

/**
 * Namespace isolation and backpressure at the front door (issue 15), on the built server CLI in a
 * child process, driven by raw gRPC calls (the SDK's WorkflowService with no retry interceptor,
 * so every call's own status is seen), on PGlite and on Postgres:
 *
 * - a namespace flooded past its small quota is refused RESOURCE_EXHAUSTED with a
 *   ResourceExhaustedFailure { RPS_LIMIT, NAMESPACE } while another namespace's calls all succeed;
 * - starts in a namespace flooded with polls are served (priority: polls last, as in Temporal);
 * - past the poll concurrency limit, polls are refused { CONCURRENT_LIMIT, SYSTEM };
 * - a burst of long polls held open at once with a short deadline all get their empty answer,
 *   none DEADLINE_EXCEEDED (the issue's 2,000; see BURST_POLLS).
 */
const RESOURCE_EXHAUSTED = 8;
const POLL_LIMIT = 25;
/**
 * The burst: the issue's 2,000 polls held open at once, from a process of their own
 * (burst-poller.mjs: raw grpc-js, requests encoded beforehand), so that the caller's CPU is not
 * what is measured: through the SDK's Connection in the test process a call cost ~2.6 ms of CPU
 * and the answers were read seconds late. The server answers a burst over the seconds before its
 * deadline (chasm-core's pollAnswerSlots: 200 a second), which is what made the 2,000 pass when
 * the server had the machine to itself.
 * The poller first warms the burst's queues up with one short round (a server whose workers
 * have been polling): on a server just started, reading the burst took over ten seconds on the
 * loaded machine, and a call read that late has a deadline the server sees as that much later.
 */
// The issue's 2,000. Until 2026-12-06 the suite ran 500 because at load average 30+ (seven
// sessions' builds on two cores) the server read the burst over tens of seconds; with the answer
// slots it passed 2,000 of 2,000 at load 3–27 on both dialects (docs/benchmarks.md, "Long-poll
// burst"). QUOTA_BURST_POLLS sets another size.
const BURST_POLLS = Number(process.env['QUOTA_BURST_POLLS'] ?? 2000);
const BURST_DEADLINE_MS = Number(process.env['QUOTA_BURST_DEADLINE_MS'] ?? 30_000);
const BURST_POLLER = fileURLToPath(new URL('./burst-poller.mjs', import.meta.url));

/** Runs the burst in its own process; its one JSON line of outcomes by kind. */
async function burstFromChild(address: string): Promise<{ outcomes: Record<string, number>; answeredMs: number[]; failedMs: number[] }> {
  const child = spawn(process.execPath, [BURST_POLLER, address, String(BURST_POLLS), String(BURST_DEADLINE_MS), '4', randomUUID()], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`burst poller exited ${code}: ${err}`);
  return JSON.parse(out.trim()) as { outcomes: Record<string, number>; answeredMs: number[]; failedMs: number[] };
}

interface Outcome {
  readonly code: number;
  readonly cause?: string;
  readonly scope?: string;
  readonly response?: { taskToken?: Uint8Array | null };
}

/** The call's status code (0 = OK) and, for RESOURCE_EXHAUSTED, the cause and scope it carried. */
async function outcomeOf(call: Promise<unknown>): Promise<Outcome> {
  try {
    return { code: 0, response: (await call) as Outcome['response'] & object };
  } catch (e) {
    // A grpc-js ServiceError: its code, and the status details trailer in its metadata.
    const err = e as { code?: unknown; metadata?: { get?(key: string): unknown[] } };
    const code = typeof err.code === 'number' ? err.code : -1;
    const bin = err.metadata?.get?.('grpc-status-details-bin')[0];
    if (code !== RESOURCE_EXHAUSTED || !(bin instanceof Buffer)) return { code };
    const detail = decodeStatusDetails(bin).find((d) => d.type === 'temporal.api.errordetails.v1.ResourceExhaustedFailure');
    return { code, cause: String(detail?.value['cause']), scope: String(detail?.value['scope']) };
  }
}

const start = (namespace: string, taskQueue: string) => ({
  namespace,
  workflowId: `quota-${randomUUID()}`,
  workflowType: { name: 'quotaWorkflow' },
  taskQueue: { name: taskQueue },
  requestId: randomUUID(),
  identity: 'quota-test',
});

const count = (outcomes: readonly Outcome[], pred: (o: Outcome) => boolean): number => outcomes.filter(pred).length;
const summary = (outcomes: readonly Outcome[]): string => {
  const by = new Map<string, number>();
  for (const o of outcomes) {
    const k = `${o.code}${o.cause ? ` ${o.cause}/${o.scope}` : ''}${o.code === 0 ? (o.response?.taskToken?.length ? ' task' : ' empty') : ''}`;
    by.set(k, (by.get(k) ?? 0) + 1);
  }
  return JSON.stringify(Object.fromEntries(by));
};

describe.each(testDatabaseConfigs('quota'))('namespace quotas and backpressure ($name)', (db) => {
  let dir: string;
  let drop: () => Promise<void>;
  let databaseYaml: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chasm-quota-'));
    const opened = await db.open();
    drop = opened.drop;
    databaseYaml = opened.config.kind === 'postgres' ? `{ kind: postgres, url: '${opened.config.url}' }` : '{ kind: pglite }';
  });
  afterAll(async () => {
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('a server with a small quota on one namespace and a small poll concurrency limit', () => {
    let server: ServerProcess;
    let raw: Connection;

    beforeAll(async () => {
      server = await startServerOn(databaseYaml, dir, {
        namespaces: '[default, { name: noisy, rps: 5, burst: 5 }, quiet, { name: polled, rps: 5, burst: 5 }]',
        extraYaml: [`limits: { concurrency: { poll: ${POLL_LIMIT} } }`],
      });
      raw = await Connection.connect({ address: server.address, interceptors: [] });
    }, 180_000);
    afterAll(async () => {
      await raw?.close();
      await server?.kill();
    });

    it('refuses the flooded namespace RPS_LIMIT/NAMESPACE while the other namespace is served', { timeout: 120_000 }, async () => {
      const svc = raw.workflowService;
      const [noisy, quiet] = await Promise.all([
        Promise.all(Array.from({ length: 200 }, () => outcomeOf(svc.startWorkflowExecution(start('noisy', 'quota-noisy'))))),
        Promise.all(Array.from({ length: 50 }, () => outcomeOf(svc.startWorkflowExecution(start('quiet', 'quota-quiet'))))),
      ]);
      // The burst of 5 plus what 5/s refills while the flood is served; the rest refused, each
      // with the cause and scope the SDK reads.
      const served = count(noisy, (o) => o.code === 0);
      expect(served, summary(noisy)).toBeGreaterThanOrEqual(1);
      expect(served, summary(noisy)).toBeLessThan(100);
      expect(count(noisy, (o) => o.code === RESOURCE_EXHAUSTED && o.cause === 'RESOURCE_EXHAUSTED_CAUSE_RPS_LIMIT' && o.scope === 'RESOURCE_EXHAUSTED_SCOPE_NAMESPACE'), summary(noisy)).toBe(
        200 - served,
      );
      expect(count(quiet, (o) => o.code === 0), summary(quiet)).toBe(50);
    });

    it('serves starts in a namespace flooded with polls, which come last as in Temporal', { timeout: 120_000 }, async () => {
      const svc = raw.workflowService;
      const at = Date.now() + 5000;
      // Polls are Temporal's priority 4, starts 1: a poll is charged to its own level and below,
      // so a poll flood empties only the poll bucket. (Before, polls came first and were charged
      // to the start level: the starts below were refused.)
      // The first refusal shows the poll bucket empty; the starts go right after it. (Waiting
      // for a count of refusals hung once on the loaded machine: polls sent slower than the
      // bucket refills are all admitted.)
      let refusedOnce!: () => void;
      const refused = new Promise<void>((r) => (refusedOnce = r));
      const polls = Promise.all(
        Array.from({ length: 60 }, () =>
          outcomeOf(raw.withDeadline(at, () => svc.pollWorkflowTaskQueue({ namespace: 'polled', taskQueue: { name: `quota-poll-${randomUUID()}` }, identity: 'quota-test' }))).then((o) => {
            if (o.cause === 'RESOURCE_EXHAUSTED_CAUSE_RPS_LIMIT') refusedOnce();
            return o;
          }),
        ),
      );
      await Promise.race([refused, polls]);
      const starts = await Promise.all(Array.from({ length: 3 }, () => outcomeOf(svc.startWorkflowExecution(start('polled', 'quota-polled')))));
      expect(count(starts, (o) => o.code === 0), summary(starts)).toBe(3);
      const done = await polls;
      expect(count(done, (o) => o.cause === 'RESOURCE_EXHAUSTED_CAUSE_RPS_LIMIT' && o.scope === 'RESOURCE_EXHAUSTED_SCOPE_NAMESPACE'), summary(done)).toBeGreaterThanOrEqual(1);
    });

    it('refuses polls past the poll concurrency limit CONCURRENT_LIMIT/SYSTEM', { timeout: 120_000 }, async () => {
      const svc = raw.workflowService;
      const taskQueue = `quota-concurrency-${randomUUID()}`;
      const at = Date.now() + 6000;
      const polls = await Promise.all(
        Array.from({ length: POLL_LIMIT + 10 }, () =>
          outcomeOf(raw.withDeadline(at, () => svc.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, identity: 'quota-test' }))),
        ),
      );
      // Every poll is held for about five seconds, so the ones past the limit find it full.
      expect(count(polls, (o) => o.code === 0 && !o.response?.taskToken?.length), summary(polls)).toBe(POLL_LIMIT);
      expect(count(polls, (o) => o.cause === 'RESOURCE_EXHAUSTED_CAUSE_CONCURRENT_LIMIT' && o.scope === 'RESOURCE_EXHAUSTED_SCOPE_SYSTEM'), summary(polls)).toBe(10);
    });
  });

  describe('a server with the default limits', () => {
    let server: ServerProcess;

    beforeAll(async () => {
      server = await startServerOn(databaseYaml, dir, {});
    }, 180_000);
    afterAll(async () => {
      await server?.kill();
    });

    it(`answers ${BURST_POLLS} long polls held open at once empty before their deadline`, { timeout: 300_000 }, async () => {
      // Half PollWorkflowTaskQueue, half PollActivityTaskQueue, on 20 queues no task reaches,
      // over 4 connections, one deadline for all.
      const burst = await burstFromChild(server.address);
      expect(burst.outcomes, JSON.stringify(burst)).toEqual({ empty: BURST_POLLS });
    });
  });
});
