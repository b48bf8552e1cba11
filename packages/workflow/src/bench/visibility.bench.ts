/**
 * Visibility at scale (issue 14): what the UI's workflow list, filters, counts and a long history
 * cost the server with 100,000 closed and 1,000 running workflows in one namespace on Postgres.
 *
 * A fresh database on BENCH_POSTGRES_URL's server (dropped at the end) and a server process
 * (the runtime CLI with matching + workflow, gRPC and the HTTP API) on it. Seeding:
 *  - through the server: BENCH_REAL (1,000) workflows started over gRPC with no worker (so they
 *    stay running), half of them then terminated; and one workflow signalled until its history
 *    holds BENCH_HISTORY_EVENTS (10,000) events;
 *  - with SQL: the rest of the visibility rows, built like the real ones (same columns, the same
 *    search attribute keys and value shapes, read back from a real row), with several workflow
 *    types and task queues, the four closed statuses, start/close times spread over 30 days and
 *    two custom keyword attributes. Only `visibility` rows: List and Count read nothing else.
 * Then VACUUM ANALYZE (autovacuum would do it soon after such a load) and, per query shape,
 * BENCH_CALLS (20) timed calls (a timer around the call on localhost: server time plus one
 * loopback round trip) over gRPC and over HTTP, the EXPLAIN ANALYZE of the statement the store
 * runs (plan's top nodes and whether any node scans the table sequentially), and the whole
 * history read page by page as the UI does.
 *
 *   node packages/workflow/dist/bench/visibility.bench.js        (pnpm bench visibility)
 *   BENCH_CLOSED=100000 BENCH_RUNNING=1000 BENCH_REAL=1000 BENCH_HISTORY_EVENTS=10000
 *   BENCH_PAGE_SIZE=20 BENCH_CALLS=20
 *   BENCH_KEEP_DB=1  keep the database (its URL is printed); BENCH_VIS_DB_URL=<that URL> then
 *   measures it again without seeding (after a code or index change: the server migrates it)
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Connection } from '@temporalio/client';
import { sql, type RawBuilder } from 'kysely';
import {
  createPostgresDatabase,
  dropPostgresDatabase,
  listVisibilitySql,
  countVisibilitySql,
  openDatabase,
  parseVisibilityQuery,
  type Database,
  type SearchAttributeTypeName,
} from '@chasm/core';
import { freePort, percentile, pool, runBench } from '@chasm/core/testing';
import { spawnServer } from '../testing/server-process.js';
import { workflowQueryLanguage } from '../query/workflow-query.js';
import { Enums, type temporal } from '../proto.js';

const env = (name: string, dflt: number): number => Number(process.env[name] ?? dflt);
const CLOSED = env('BENCH_CLOSED', 100_000);
const RUNNING = env('BENCH_RUNNING', 1_000);
const REAL = env('BENCH_REAL', 1_000);
const HISTORY_EVENTS = env('BENCH_HISTORY_EVENTS', 10_000);
const PAGE_SIZE = env('BENCH_PAGE_SIZE', 20);
const CALLS = env('BENCH_CALLS', 20);
const REUSE_URL = process.env['BENCH_VIS_DB_URL'];
const ADMIN_URL = process.env['BENCH_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const NS = 'default';
const TYPES = ['OrderWorkflow', 'PaymentWorkflow', 'ShipmentWorkflow', 'RefundWorkflow', 'ReportWorkflow', 'NotifyWorkflow'];
const QUEUES = ['orders', 'payments', 'shipping', 'reports'];
const REGIONS = ['eu-west', 'eu-north', 'us-east', 'us-west', 'ap-south'];
const CUSTOM: Readonly<Record<string, SearchAttributeTypeName>> = { CustomerId: 'Keyword', Region: 'Keyword' };
const HISTORY_WF = 'history-10k';


interface Timing {
  readonly p50: number;
  readonly p99: number;
  /** The server process's CPU ms per call (user + system): steadier than wall time on a busy machine. */
  readonly cpu: number;
}

/** CPU ms (user + system) a process has used so far, from /proc (Linux); 0 elsewhere. */
function cpuMsOf(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

let serverPid: number | undefined;

async function time(calls: number, fn: () => Promise<unknown>): Promise<Timing> {
  await fn(); // warm: the first call pays connection set-up and the plan cache
  const ms: number[] = [];
  const cpu0 = cpuMsOf(serverPid);
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  const cpu = (cpuMsOf(serverPid) - cpu0) / calls;
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p99: percentile(ms, 99), cpu };
}

const f1 = (n: number): string => n.toFixed(1);
const ms = (t: Timing): string => `${f1(t.p50)} / ${f1(t.p99)} (${f1(t.cpu)})`;

/** Real workflows through the server: REAL started with no worker, half terminated; and the long history. */
async function seedReal(connection: Connection): Promise<void> {
  const svc = connection.workflowService;
  await connection.operatorService.addSearchAttributes({
    namespace: NS,
    searchAttributes: {
      CustomerId: Enums.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      Region: Enums.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    },
  });
  const keyword = (v: string): temporal.api.common.v1.IPayload => ({
    metadata: { encoding: Buffer.from('json/plain'), type: Buffer.from('Keyword') },
    data: Buffer.from(JSON.stringify(v)),
  });
  const t0 = Date.now();
  await pool(
    Array.from({ length: REAL }, (_, i) => i),
    16,
    async (i) => {
      await svc.startWorkflowExecution({
        namespace: NS,
        workflowId: `real-${i}`,
        requestId: `real-${i}`,
        workflowType: { name: TYPES[i % TYPES.length]! },
        taskQueue: { name: QUEUES[i % QUEUES.length]! },
        searchAttributes: { indexedFields: { CustomerId: keyword(`cust-${i % 500}`), Region: keyword(REGIONS[i % REGIONS.length]!) } },
      });
    },
  );
  await pool(
    Array.from({ length: Math.floor(REAL / 2) }, (_, i) => 2 * i),
    16,
    async (i) => {
      await svc.terminateWorkflowExecution({ namespace: NS, workflowExecution: { workflowId: `real-${i}` }, reason: 'bench' });
    },
  );
  console.log(`seeded ${REAL} workflows through the server (${Math.floor(REAL / 2)} terminated) in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  // Started (1) and its first workflow task scheduled (2); each signal adds one event.
  const t1 = Date.now();
  await svc.startWorkflowExecution({
    namespace: NS,
    workflowId: HISTORY_WF,
    requestId: HISTORY_WF,
    workflowType: { name: 'LongHistoryWorkflow' },
    taskQueue: { name: 'no-worker' },
  });
  await pool(
    Array.from({ length: HISTORY_EVENTS - 2 }, (_, i) => i),
    8,
    async (i) => {
      await svc.signalWorkflowExecution({
        namespace: NS,
        workflowExecution: { workflowId: HISTORY_WF },
        signalName: 'tick',
        requestId: `tick-${i}`,
        input: { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify({ i })) }] },
      });
    },
  );
  console.log(`signalled ${HISTORY_WF} ${HISTORY_EVENTS - 2} times in ${((Date.now() - t1) / 1000).toFixed(0)} s`);
}

/**
 * The rest with SQL, shaped after a real terminated row: the same namespace id, archetype,
 * search attribute keys and value shapes (keywords as stored, ExecutionTime as an ISO string).
 */
async function seedSql(database: Database): Promise<void> {
  const real = await sql<{ namespace_id: string; archetype: string; search_attributes: Record<string, unknown> }>`
    select namespace_id, archetype, search_attributes from visibility where status = 'terminated' limit 1`.execute(database.db);
  const row = real.rows[0];
  if (!row) throw new Error('no real terminated workflow to copy the shape of');
  console.log(`a real row's search attributes: ${JSON.stringify(row.search_attributes)}`);
  const sa = row.search_attributes;
  // Keyword values are stored as the SDK sent them: a string, or a one-element list.
  const kw = (key: string, expr: string): string => (Array.isArray(sa[key]) ? `jsonb_build_array(${expr})` : `to_jsonb(${expr})`);
  const closed = Math.max(0, CLOSED - Math.floor(REAL / 2));
  const running = Math.max(0, RUNNING - (REAL - Math.floor(REAL / 2)));
  const t0 = Date.now();
  const arr = (xs: readonly string[]): string => `array[${xs.map((x) => `'${x}'`).join(',')}]`;
  // One statement per 10,000 rows keeps each transaction (and its WAL) moderate.
  const insert = async (from: number, to: number, open: boolean): Promise<void> => {
    await sql`
      insert into visibility (namespace_id, archetype, business_id, run_id, status, start_time, close_time, search_attributes, memo, transition_count)
      select ${row.namespace_id}::text, ${row.archetype}::text, w.id, gen_random_uuid()::text, w.status, w.start_time, w.close_time,
        jsonb_build_object(
          'WorkflowType', ${sql.raw(kw('WorkflowType', `(${arr(TYPES)})[1 + g % ${TYPES.length}]`))},
          'TaskQueue', ${sql.raw(kw('TaskQueue', `(${arr(QUEUES)})[1 + g % ${QUEUES.length}]`))},
          'ExecutionTime', to_jsonb(to_char(w.start_time at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
          'CustomerId', ${sql.raw(kw('CustomerId', `'cust-' || (g % 500)`))},
          'Region', ${sql.raw(kw('Region', `(${arr(REGIONS)})[1 + (g / 7) % ${REGIONS.length}]`))}),
        null, 3
      from generate_series(${from}::int, ${to}::int) g,
      lateral (select
        ${sql.raw(open ? `'run-' || g` : `'wf-' || lpad(g::text, 6, '0')`)} as id,
        ${sql.raw(open ? `'running'` : `case when g % 20 < 14 then 'completed' when g % 20 < 17 then 'failed' when g % 20 < 19 then 'terminated' else 'timedOut' end`)} as status,
        now() - (((g * 7919) % 2592000) || ' seconds')::interval - interval '1 hour' as start_time) s0,
      lateral (select s0.id, s0.status, s0.start_time,
        ${sql.raw(open ? 'null::timestamptz' : `s0.start_time + ((g % 3600) || ' seconds')::interval`)} as close_time) w`.execute(database.db);
  };
  for (let from = 1; from <= closed; from += 10_000) await insert(from, Math.min(closed, from + 9_999), false);
  if (running > 0) await insert(1, running, true);
  console.log(`seeded ${closed} closed and ${running} running visibility rows with SQL in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

/** A plan node of EXPLAIN (FORMAT JSON), only the fields read here. */
interface PlanNode {
  readonly 'Node Type': string;
  readonly 'Index Name'?: string;
  readonly 'Relation Name'?: string;
  readonly 'Actual Total Time'?: number;
  readonly Plans?: readonly PlanNode[];
}

function describePlan(node: PlanNode, depth = 0): string[] {
  const name = node['Index Name'] ? ` using ${node['Index Name']}` : node['Relation Name'] ? ` on ${node['Relation Name']}` : '';
  const lines = [`${'  '.repeat(depth)}${node['Node Type']}${name}`];
  for (const c of node.Plans ?? []) lines.push(...describePlan(c, depth + 1));
  return lines;
}

async function explain(database: Database, statement: RawBuilder<unknown>): Promise<{ plan: string[]; ms: number; seqScan: boolean }> {
  const r = await sql<{ 'QUERY PLAN': [{ Plan: PlanNode; 'Execution Time': number }] }>`explain (analyze, format json) ${statement}`.execute(
    database.db,
  );
  const top = r.rows[0]!['QUERY PLAN'][0];
  const plan = describePlan(top.Plan);
  return { plan, ms: top['Execution Time'], seqScan: plan.some((l) => l.includes('Seq Scan')) };
}

async function main(): Promise<void> {
  let url = REUSE_URL;
  let dbName: string | undefined;
  if (url === undefined) {
    dbName = `chasm_visbench_${Date.now().toString(36)}`;
    url = await createPostgresDatabase(ADMIN_URL, dbName);
  }
  const port = await freePort();
  const httpPort = await freePort();
  const server = await spawnServer({ database: { kind: 'postgres', url }, port, extraConfig: { http: { host: '127.0.0.1', port: httpPort } } });
  const database = await openDatabase({ kind: 'postgres', url, poolSize: 2 });
  serverPid = server.proc.pid;
  const connection = await Connection.connect({ address: server.address });
  try {
    const svc = connection.workflowService;
    if (REUSE_URL === undefined) {
      await seedReal(connection);
      await seedSql(database);
      const t0 = Date.now();
      await sql`vacuum analyze visibility`.execute(database.db);
      console.log(`VACUUM ANALYZE visibility: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    const counts = await sql<{ status: string; n: string }>`select status, count(*) as n from visibility group by status order by status`.execute(database.db);
    console.log(`visibility rows: ${counts.rows.map((r) => `${r.status} ${r.n}`).join(', ')}`);
    const ids = await sql<{ namespace_id: string; archetype: string }>`select namespace_id, archetype from visibility where business_id = ${HISTORY_WF} limit 1`.execute(database.db);
    const { namespace_id: namespaceId, archetype } = ids.rows[0]!;
    const language = workflowQueryLanguage(new Map(Object.entries(CUSTOM)));

    const day = 24 * 3600 * 1000;
    const shapes: readonly (readonly [string, string])[] = [
      ['first page (no filter)', ''],
      ["WorkflowType = 'x' AND ExecutionStatus = 'Running'", `WorkflowType = 'OrderWorkflow' AND ExecutionStatus = 'Running'`],
      ['ExecutionStatus = Failed', `ExecutionStatus = 'Failed'`],
      ["WorkflowId STARTS_WITH 'wf-01'", `WorkflowId STARTS_WITH 'wf-01'`],
      ['StartTime > now - 2 d', `StartTime > '${new Date(Date.now() - 2 * day).toISOString()}'`],
      ['StartTime BETWEEN 20 d and 19 d ago', `StartTime BETWEEN '${new Date(Date.now() - 20 * day).toISOString()}' AND '${new Date(Date.now() - 19 * day).toISOString()}'`],
      ["CustomerId = 'cust-42' (custom keyword)", `CustomerId = 'cust-42'`],
      ["WorkflowType = 'x' (keyword, 1/6 of rows)", `WorkflowType = 'PaymentWorkflow'`],
    ];
    const rows: string[] = [];
    const plans: string[] = [];
    const explainList = async (label: string, query: string, pageToken?: string): Promise<void> => {
      const parsed = parseVisibilityQuery(query, language);
      const statement = listVisibilitySql({
        namespaceId,
        archetype,
        pageSize: PAGE_SIZE,
        ...(parsed.filter ? { filter: parsed.filter } : {}),
        ...(parsed.orderBy.length ? { orderBy: parsed.orderBy } : {}),
        ...(pageToken ? { pageToken } : {}),
      });
      const e = await explain(database, statement);
      plans.push(`${label}: ${f1(e.ms)} ms${e.seqScan ? '  ** SEQ SCAN **' : ''}\n    ${e.plan.join('\n    ')}`);
    };
    for (const [label, query] of shapes) {
      const list = (): Promise<temporal.api.workflowservice.v1.ListWorkflowExecutionsResponse> =>
        svc.listWorkflowExecutions({ namespace: NS, query, pageSize: PAGE_SIZE });
      const first = await list();
      const grpc = await time(CALLS, list);
      const httpUrl = `http://127.0.0.1:${httpPort}/api/v1/namespaces/${NS}/workflows?pageSize=${PAGE_SIZE}&query=${encodeURIComponent(query)}`;
      const http = await time(CALLS, async () => {
        const res = await fetch(httpUrl);
        if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
        await res.json();
      });
      rows.push(`| ${label} | ${first.executions.length} | ${ms(grpc)} | ${ms(http)} |`);
      await explainList(label, query);
      if (label.startsWith('first page')) {
        // The next pages through the page token: the second, and the 50th (deep keyset paging).
        const token = first.nextPageToken;
        const next = await time(CALLS, () => svc.listWorkflowExecutions({ namespace: NS, query, pageSize: PAGE_SIZE, nextPageToken: token }));
        rows.push(`| next page (page token) | ${PAGE_SIZE} | ${ms(next)} | |`);
        await explainList('next page (page token)', query, Buffer.from(token).toString('utf8'));
        let deep = token;
        for (let p = 2; p < 50; p++) deep = (await svc.listWorkflowExecutions({ namespace: NS, query, pageSize: PAGE_SIZE, nextPageToken: deep })).nextPageToken;
        const page50 = await time(CALLS, () => svc.listWorkflowExecutions({ namespace: NS, query, pageSize: PAGE_SIZE, nextPageToken: deep }));
        rows.push(`| 50th page (page token) | ${PAGE_SIZE} | ${ms(page50)} | |`);
        await explainList('50th page (page token)', query, Buffer.from(deep).toString('utf8'));
        // Deep: the token after row 60,000 (reached in pages of 1,000; a token is the order's, not the page size's).
        let far: Uint8Array = new Uint8Array();
        for (let p = 0; p < 60; p++) far = (await svc.listWorkflowExecutions({ namespace: NS, query, pageSize: 1000, ...(far.length ? { nextPageToken: far } : {}) })).nextPageToken;
        const page3001 = await time(CALLS, () => svc.listWorkflowExecutions({ namespace: NS, query, pageSize: PAGE_SIZE, nextPageToken: far }));
        rows.push(`| the page after row 60,000 (page token) | ${PAGE_SIZE} | ${ms(page3001)} | |`);
        await explainList('the page after row 60,000 (page token)', query, Buffer.from(far).toString('utf8'));
      }
    }
    for (const [label, query] of [
      ['Count (all)', ''],
      ['Count GROUP BY ExecutionStatus', 'GROUP BY ExecutionStatus'],
      ["Count WorkflowType = 'x'", `WorkflowType = 'PaymentWorkflow'`],
    ] as const) {
      const t = await time(CALLS, () => svc.countWorkflowExecutions({ namespace: NS, query }));
      rows.push(`| ${label} | | ${ms(t)} | |`);
    }
    const parsedCount = parseVisibilityQuery(`ExecutionStatus = 'Completed'`, language);
    const ec = await explain(database, countVisibilitySql({ namespaceId, archetype, ...(parsedCount.filter ? { filter: parsedCount.filter } : {}) }));
    plans.push(`Count ExecutionStatus = 'Completed' (one of GROUP BY's counts): ${f1(ec.ms)} ms${ec.seqScan ? '  ** SEQ SCAN **' : ''}\n    ${ec.plan.join('\n    ')}`);

    // The history as the UI reads it: page after page with the server's page size, to the end.
    let events = 0;
    const wholeHistory = async (): Promise<void> => {
      let token: Uint8Array | undefined;
      events = 0;
      do {
        const r = await svc.getWorkflowExecutionHistory({ namespace: NS, execution: { workflowId: HISTORY_WF }, ...(token ? { nextPageToken: token } : {}) });
        events += r.history?.events?.length ?? 0;
        token = r.nextPageToken.length ? r.nextPageToken : undefined;
      } while (token);
    };
    const hist = await time(Math.min(CALLS, 10), wholeHistory);
    rows.push(`| GetWorkflowExecutionHistory, whole (${events} events, all pages) | | ${ms(hist)} | |`);
    const histHttp = await time(Math.min(CALLS, 10), async () => {
      let token = '';
      events = 0;
      do {
        const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/namespaces/${NS}/workflows/${HISTORY_WF}/history${token ? `?nextPageToken=${encodeURIComponent(token)}` : ''}`);
        if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
        const body = (await res.json()) as { history?: { events?: unknown[] }; nextPageToken?: string };
        events += body.history?.events?.length ?? 0;
        token = body.nextPageToken ?? '';
      } while (token);
    });
    rows.push(`| history over HTTP, whole (${events} events, all pages) | | | ${ms(histHttp)} |`);
    const firstPage = await time(CALLS, () => svc.getWorkflowExecutionHistory({ namespace: NS, execution: { workflowId: HISTORY_WF } }));
    rows.push(`| GetWorkflowExecutionHistory, first page | | ${ms(firstPage)} | |`);

    console.log(`\npage size ${PAGE_SIZE}, ${CALLS} calls each (after one warm-up), ms from a timer around the call on localhost;`);
    console.log('in parentheses the server process CPU ms per call (Postgres not included); load average', loadavg().map(f1).join(' '));
    console.log('| Query | Rows | gRPC p50 / p99 ms (server CPU) | HTTP p50 / p99 ms (server CPU) |');
    console.log('|---|---|---|---|');
    for (const r of rows) console.log(r);
    console.log('\nEXPLAIN ANALYZE of the statements the store runs (execution time, plan nodes):');
    for (const p of plans) console.log(p);
  } finally {
    await connection.close();
    await server.stop();
    await database.close();
    if (dbName !== undefined && process.env['BENCH_KEEP_DB'] !== '1') await dropPostgresDatabase(ADMIN_URL, dbName);
    else console.log(`database kept: ${url}`);
  }
}

runBench(main);
