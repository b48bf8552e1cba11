/**
 * What the SDK worker and client see, and when (issue 16, worker path): hello-activity workflows
 * one at a time through a capturing gRPC proxy (rpc-capture-proxy.ts) in front of the zero-cost
 * fake server and of ours (Postgres), with the same SDK worker and client processes as the
 * workflow bench. Prints, per target, the median time of each RPC's arrival and answer since the
 * client's StartWorkflowExecution arrived, response sizes, and writes the decoded calls of one
 * workflow per target to a JSON file for a field-by-field comparison.
 *
 *   node packages/workflow/dist/bench/rpc-capture.bench.js
 *   BENCH_WORKFLOWS=100   BENCH_TARGETS=fake,postgres   BENCH_CAPTURE_OUT=/tmp/capture.json
 *   BENCH_CALLERS=50   (the timeline needs 1; with more, only the per-workflow counts are printed)
 *   BENCH_SERVER_SETTINGS='{"workflow":{"lazyStickyStart":false}}'   (our server's per-plugin settings)
 *
 * The proxy adds a hop to every call (the same for both targets): compare offsets between
 * targets, not with the workflow bench's latencies. It runs in the bench's own process, so at
 * many callers it is the bottleneck: there, read the counts, not the times.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ChildProcess } from 'node:child_process';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { temporalProto } from '@chasm/matching';

const { temporal } = temporalProto;
import { metricsDelta, runBench, scrapeMetrics, withBenchPostgres } from '@chasm/core/testing';
import { freePort, spawnServer } from '../testing/server-process.js';
import { exited, runClientProcess, startWorkerProcess, tell, waitForPort } from './bench-processes.js';
import { findFakeServer, prepareFakeServer, startFakeServer } from './fake-server.js';
import { decodeCall, startCaptureProxy, type CapturedCall } from './rpc-capture-proxy.js';

const WORKFLOWS = Number(process.env['BENCH_WORKFLOWS'] ?? 100);
const CALLERS = Number(process.env['BENCH_CALLERS'] ?? 1);
const TARGETS = process.env['BENCH_TARGETS'] ?? 'fake,postgres';
const SETTINGS = process.env['BENCH_SERVER_SETTINGS'] ? { settings: JSON.parse(process.env['BENCH_SERVER_SETTINGS']) as Record<string, unknown> } : {};
const OUT = process.env['BENCH_CAPTURE_OUT'] ?? join(tmpdir(), `rpc-capture-${Date.now()}.json`);
const REPO_ROOT = resolve(fileURLToPath(new URL('../../../../', import.meta.url)));

interface Upstream {
  readonly name: string;
  readonly address: string;
  readonly metricsPort?: number;
  stop(): Promise<void>;
}

const ws = temporal.api.workflowservice.v1;

/** A label per call: method, and for polls the queue kind (normal or sticky). */
function label(c: CapturedCall): string {
  if (c.method === 'PollWorkflowTaskQueue') {
    const r = ws.PollWorkflowTaskQueueRequest.decode(c.request);
    return `PollWorkflowTaskQueue(${r.taskQueue?.kind === temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_STICKY ? 'sticky' : 'normal'})`;
  }
  return c.method;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};

/** Per measured workflow, the answered calls in order; polls count at their answer. */
function timelines(calls: CapturedCall[]): { rows: Map<string, { inMs: number[]; outMs: number[]; bytes: number[] }>; first: CapturedCall[] } {
  const starts = calls
    .filter((c) => c.method === 'StartWorkflowExecution')
    .filter((c) => ws.StartWorkflowExecutionRequest.decode(c.request).workflowId?.startsWith('b-'));
  const rows = new Map<string, { inMs: number[]; outMs: number[]; bytes: number[] }>();
  let first: CapturedCall[] = [];
  for (const [k, s] of starts.entries()) {
    const end = starts[k + 1]?.inMs ?? Infinity;
    const mine = calls
      .filter((c) => c.response && (c.response.length > 0 || !c.method.startsWith('Poll')) && c.outMs >= s.inMs && c.outMs < end && (c.method.startsWith('Poll') || c.inMs >= s.inMs))
      .sort((a, b) => a.outMs - b.outMs);
    if (k === 0) first = mine;
    const seen = new Map<string, number>();
    for (const c of mine) {
      const l = label(c);
      const n = (seen.get(l) ?? 0) + 1;
      seen.set(l, n);
      const key = `${l}#${n}`;
      const row = rows.get(key) ?? { inMs: [], outMs: [], bytes: [] };
      row.inMs.push(c.inMs - s.inMs);
      row.outMs.push(c.outMs - s.inMs);
      row.bytes.push(c.response?.length ?? 0);
      rows.set(key, row);
    }
  }
  return { rows, first };
}

/** Mean time at the server per RPC (its `service_latency`) and per commit, from its metrics. */
function serverSide(before: Map<string, number>, after: Map<string, number>): string {
  const mean = (prefix: string): Map<string, { ms: number; n: number }> => {
    const sums = metricsDelta(before, after, `${prefix}_sum`);
    const counts = metricsDelta(before, after, `${prefix}_count`);
    const out = new Map<string, { ms: number; n: number }>();
    for (const [series, sum] of Object.entries(sums)) {
      const n = counts[series.replace(`${prefix}_sum`, `${prefix}_count`)] ?? 0;
      const op = /operation="([^"]+)"/.exec(series)?.[1] ?? series;
      if (n > 0) out.set(op, { ms: (sum * 1000) / n, n });
    }
    return out;
  };
  const rpc = [...mean('service_latency')].filter(([op]) => !op.startsWith('Poll') && op !== 'GetWorkflowExecutionHistory');
  const commits = [...mean('chasm_commit_latency_seconds')];
  return `server, mean ms: ${rpc.map(([op, v]) => `${op} ${v.ms.toFixed(2)}`).join(', ')}; commit ${commits.map(([, v]) => `${v.ms.toFixed(2)} (${(v.n / WORKFLOWS).toFixed(2)}/wf)`).join(', ')}`;
}

/** Calls per workflow by method, polls split into answered with a task and empty; events per workflow task. */
function perWorkflow(calls: CapturedCall[]): string {
  const counts = new Map<string, number>();
  let tasks = 0;
  let events = 0;
  let full = 0;
  for (const c of calls) {
    let l = label(c);
    if (l.startsWith('Poll')) l += !c.response || c.response.length === 0 ? ' empty' : ' task';
    counts.set(l, (counts.get(l) ?? 0) + 1);
    if (c.method === 'PollWorkflowTaskQueue' && c.response && c.response.length > 0) {
      const r = ws.PollWorkflowTaskQueueResponse.decode(c.response);
      tasks++;
      events += r.history?.events?.length ?? 0;
      if (Number(r.history?.events?.[0]?.eventId ?? 0) === 1) full++;
    }
  }
  const per = [...counts].sort().map(([k, n]) => `${k} ${(n / WORKFLOWS).toFixed(2)}`);
  return `per workflow: ${per.join(', ')}; workflow tasks polled ${tasks}, events per task ${(events / Math.max(1, tasks)).toFixed(2)}, full histories ${full}`;
}

async function captureOne(up: Upstream, bundleFile: string): Promise<{ table: string; first: object[] }> {
  const proxy = await startCaptureProxy(up.address);
  const taskQueue = `capture-${randomUUID()}`;
  let worker: ChildProcess | undefined;
  try {
    worker = await startWorkerProcess({ address: proxy.address, namespace: 'default', taskQueue, bundleFile });
    let warmAt = Infinity;
    let before: Map<string, number> | undefined;
    const result = await runClientProcess({ address: proxy.address, namespace: 'default', taskQueue, callers: CALLERS, warmup: Math.max(10, CALLERS), workflows: WORKFLOWS }, async () => {
      warmAt = performance.now();
      if (up.metricsPort !== undefined) before = await scrapeMetrics(up.metricsPort);
    });
    const serverTimes = up.metricsPort !== undefined && before ? serverSide(before, await scrapeMetrics(up.metricsPort)) : undefined;
    // Polls count where they are answered: one that waited through the warm-up belongs to the measured phase.
    const measured = proxy.calls.filter((c) => c.outMs >= warmAt);
    const lines = [`${up.name}: workflow p50 ${median([...result.workflowMs]).toFixed(1)} ms (through the proxy), ${WORKFLOWS} workflows, ${CALLERS} caller(s)`];
    lines.push(perWorkflow(measured));
    if (serverTimes) lines.push(serverTimes);
    if (CALLERS !== 1) return { table: lines.join('\n'), first: [] };
    const { rows, first } = timelines(proxy.calls);
    lines.push('| call (answered, in order) | seen | arrives ms p50 | answered ms p50 | server ms p50 | response bytes p50 |', '| --- | --- | --- | --- | --- | --- |');
    const ordered = [...rows.entries()].sort((a, b) => median(a[1].outMs) - median(b[1].outMs));
    for (const [k, r] of ordered) {
      const server = r.outMs.map((o, i) => o - r.inMs[i]!);
      const isPoll = k.startsWith('Poll');
      lines.push(
        `| ${k} | ${r.outMs.length} | ${isPoll ? '(poll)' : median(r.inMs).toFixed(2)} | ${median(r.outMs).toFixed(2)} | ${isPoll ? '' : median(server).toFixed(2)} | ${median(r.bytes)} |`,
      );
    }
    return { table: lines.join('\n'), first: first.map((c) => ({ method: label(c), inMs: c.inMs, outMs: c.outMs, bytes: c.response?.length, ...decodeCall(c) })) };
  } finally {
    if (worker) {
      tell(worker, { kind: 'stop' });
      await exited(worker);
    }
    await proxy.stop();
  }
}

async function withUpstreams(bundleFile: string, postgresUrl: string | undefined): Promise<void> {
  const out: Record<string, object[]> = {};
  const report: string[] = [];
  const run = async (up: Upstream): Promise<void> => {
    try {
      const r = await captureOne(up, bundleFile);
      report.push(r.table);
      out[up.name] = r.first;
    } finally {
      await up.stop();
    }
  };
  if (TARGETS.includes('fake')) {
    const src = findFakeServer(REPO_ROOT);
    if (!src) console.log('fake server: not found (BENCH_FAKE_SERVER=dir)');
    else {
      const dir = prepareFakeServer(src);
      const port = await freePort();
      const proc = startFakeServer(dir, port);
      await waitForPort(port, proc);
      await run({
        name: 'fake',
        address: `127.0.0.1:${port}`,
        stop: async () => {
          proc.kill('SIGTERM');
          await exited(proc);
        },
      });
    }
  }
  if (postgresUrl) {
    const metricsPort = await freePort();
    const server = await spawnServer({ database: { kind: 'postgres', url: postgresUrl }, port: await freePort(), metricsPort, ...SETTINGS });
    await run({ name: 'ours, Postgres', address: server.address, metricsPort, stop: () => server.stop() });
  }
  if (TARGETS.includes('pglite')) {
    const metricsPort = await freePort();
    const server = await spawnServer({ database: { kind: 'pglite' }, port: await freePort(), metricsPort, ...SETTINGS });
    await run({ name: 'ours, PGlite', address: server.address, metricsPort, stop: () => server.stop() });
  }
  console.log(report.join('\n\n'));
  writeFileSync(OUT, JSON.stringify(out, null, 1));
  console.log(`\ndecoded calls of one workflow per target: ${OUT}`);
}

async function main(): Promise<void> {
  const bundle = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./bench-workflows.js', import.meta.url)), logger: new DefaultLogger('ERROR') });
  const bundleFile = join(mkdtempSync(join(tmpdir(), 'chasm-capture-')), 'bundle.js');
  writeFileSync(bundleFile, bundle.code);
  if (!TARGETS.includes('postgres')) return withUpstreams(bundleFile, undefined);
  await withBenchPostgres('chasm_capture_bench', (pg) => withUpstreams(bundleFile, pg.url));
}

runBench(main);
