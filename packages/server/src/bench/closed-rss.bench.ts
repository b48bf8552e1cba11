/**
 * Closed-workflow memory benchmark (issue 16: "RSS after 100,000 closed workflows within 1.2× of
 * after 1,000"). Starts the built dev server (`node dist/cli.js dev`, as `npm start` runs it; PGlite
 * in memory) as a child process and drives workflows that complete in their first workflow task
 * through raw gRPC calls (start, poll, complete: no SDK worker, so the server is the bottleneck).
 * At each checkpoint it stops starting, lets the server settle (retention deletes, the 30 s
 * VACUUM + CHECKPOINT, the idle GC), and samples the server's RSS and its parts, split into data (the
 * database's files and WAL, which an in-memory cluster holds in the process) and the process's own.
 *
 *   node packages/server/dist/bench/closed-rss.bench.js             (pnpm bench closed-rss)
 *   BENCH_CHECKPOINTS=1000,10000,50000,100000 BENCH_CONCURRENCY=16
 *   BENCH_RETENTION_S=5 (namespace retention: closed runs are deleted this long after they close)
 *   BENCH_SETTLE_S=40 (at least this long between the last close and a sample)
 *   BENCH_ARGS='--db-file /tmp/x' (extra dev flags), BENCH_NPM_ENV=0 (without the malloc setting `npm start` adds)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { long } from '@chasm/matching';

const CHECKPOINTS = (process.env['BENCH_CHECKPOINTS'] ?? '1000,10000,50000,100000').split(',').map(Number);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 16);
const RETENTION_S = Number(process.env['BENCH_RETENTION_S'] ?? 5);
const SETTLE_S = Number(process.env['BENCH_SETTLE_S'] ?? 40);
const EXTRA = (process.env['BENCH_ARGS'] ?? '').split(' ').filter(Boolean);
const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
const MiB = 1024 * 1024;
/** What `npm start` (scripts/dev.mjs) adds to the dev server's environment (BENCH_NPM_ENV=0: not); a value set here wins. */
const NPM_START_ENV = process.env['BENCH_NPM_ENV'] === '0' ? {} : { MALLOC_MMAP_THRESHOLD_: '1048576' };
const CLOCK_TICKS = 100; // USER_HZ on Linux
const NAMESPACE = 'closed-rss';
const QUEUE = 'closed-rss';
// temporal.api.enums.v1: COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, TASK_QUEUE_KIND_NORMAL.
const COMPLETE_WORKFLOW = 4;
const KIND_NORMAL = 1;

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** VmRSS, RssAnon and RssFile from /proc/<pid>/status, in bytes. */
function rss(pid: number): { total: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(/\s(\d+) kB/.exec(status.split('\n').find((l) => l.startsWith(`${key}:`)) ?? '')?.[1] ?? 0) * 1024;
  return { total: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}

/**
 * Resident bytes of two mappings that hold most of what grows: glibc's `[heap]`, and the
 * WebAssembly memory (only PGlite has one): V8 reserves it with a guard region of several GiB
 * and makes its accessible length read-write in place, so it is the read-write mapping that ends
 * where such a reservation begins. Its Rss is PGlite's resident memory.
 */
function mappings(pid: number): { heap: number; wasm: number } {
  const maps: { start: bigint; end: bigint; perms: string; name: string; rss: number }[] = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) maps.push({ start: BigInt(`0x${head[1]}`), end: BigInt(`0x${head[2]}`), perms: head[3]!, name: head[4] ?? '', rss: 0 });
    const kb = /^Rss:\s+(\d+) kB/.exec(line);
    if (kb && maps.length > 0) maps[maps.length - 1]!.rss = Number(kb[1]) * 1024;
  }
  const guards = new Set(maps.filter((m) => m.perms.startsWith('---') && m.end - m.start >= 4n << 30n).map((m) => m.start));
  const heap = maps.filter((m) => m.name === '[heap]').reduce((n, m) => n + m.rss, 0);
  const wasm = maps.filter((m) => m.perms.startsWith('rw') && m.name === '' && guards.has(m.end)).reduce((n, m) => n + m.rss, 0);
  return { heap, wasm };
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** A few gauges from the server's /metrics (prom-client's default process metrics). */
async function metrics(port: number | undefined): Promise<Record<string, number>> {
  if (port === undefined) return {};
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(nodejs_heap_size_used_bytes|nodejs_heap_size_total_bytes|nodejs_external_memory_bytes|nodejs_heap_space_size_(?:used|total)_bytes\{space="(?:old|new|code|large_object)"\}|chasm_pglite_\w+_bytes) (\S+)/.exec(line);
    // Per V8 space: "old used/total" etc., to tell fragmentation (total ≫ used) from growth.
    if (m) out[m[1]!.replace(/nodejs_heap_space_size_(used|total)_bytes\{space="(\w+)"\}/, '$2 $1').replace(/nodejs_|_bytes/g, '')] = Number(m[2]);
  }
  return out;
}

async function startServer(): Promise<{ child: ChildProcess; address: string; metricsPort: number | undefined }> {
  const child = spawn(process.execPath, [CLI, 'dev', '--port', '0', '--http-port', 'off', '--ui-port', 'off', '--log-level', 'info', ...EXTRA], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...NPM_START_ENV, ...process.env },
  });
  const started = await new Promise<{ address: string; metricsPort?: number }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before serving`)));
    // Keep reading after the start line: a full pipe would stall the server's logger.
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes('"server started"')) resolve(JSON.parse(line) as { address: string; metricsPort?: number });
    });
  });
  return { child, address: started.address, metricsPort: started.metricsPort };
}

/** Waits `minS` seconds, then until the server used < 5 % of a core for 10 s in a row. */
async function settle(pid: number, minS: number): Promise<void> {
  await new Promise((r) => setTimeout(r, minS * 1000));
  let quiet = 0;
  let last = cpuMs(pid);
  while (quiet < 5) {
    await new Promise((r) => setTimeout(r, 2000));
    const now = cpuMs(pid);
    quiet = now - last < 100 ? quiet + 1 : 0;
    last = now;
  }
}

async function main(): Promise<void> {
  const { child, address, metricsPort } = await startServer();
  const pid = child.pid!;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // Stopped early (Ctrl-C, kill): stop the server too rather than leave it running.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      child.kill('SIGTERM');
      process.exitCode = 130;
      void exited.then(() => process.exit());
    });
  }
  const connection = await Connection.connect({ address });
  const svc = connection.workflowService;
  try {
    await svc.registerNamespace({ namespace: NAMESPACE, workflowExecutionRetentionPeriod: { seconds: long(RETENTION_S) } });
    console.log(
      `closed-rss: dev server pid ${pid} at ${address}, namespace ${NAMESPACE} retention ${RETENTION_S} s, ${CONCURRENCY} lanes, ` +
        `checkpoints ${CHECKPOINTS.join(', ')}; load average ${loadAverage()}`,
    );
    await settle(pid, 0);
    const boot = rss(pid);
    const bootMaps = mappings(pid);
    console.log(
      `after boot: RSS ${(boot.total / MiB).toFixed(0)} MiB (anon ${(boot.anon / MiB).toFixed(0)}, file ${(boot.file / MiB).toFixed(0)}); ` +
        `[heap] ${(bootMaps.heap / MiB).toFixed(0)}, wasm ${(bootMaps.wasm / MiB).toFixed(0)}`,
    );

    let closed = 0;
    let failed = 0;
    const samples: { closed: number; rss: number; data: number }[] = [];
    for (const target of CHECKPOINTS) {
      const t0 = performance.now();
      const cpu0 = cpuMs(pid);
      const from = closed;
      // Each lane starts one run, takes one workflow task from the queue (any run's) and completes
      // that run; lanes stop once `target` runs have been started.
      let started = closed;
      const lane = async (): Promise<void> => {
        while (started < target) {
          started++;
          try {
            await svc.startWorkflowExecution({
              namespace: NAMESPACE,
              workflowId: `closed-rss-${randomUUID()}`,
              workflowType: { name: 'closed-rss' },
              taskQueue: { name: QUEUE, kind: KIND_NORMAL },
              requestId: randomUUID(),
              identity: 'closed-rss',
            });
            for (;;) {
              const task = await svc.pollWorkflowTaskQueue({ namespace: NAMESPACE, taskQueue: { name: QUEUE, kind: KIND_NORMAL }, identity: 'closed-rss' });
              if (!task.taskToken || task.taskToken.length === 0) continue; // empty long poll
              await svc.respondWorkflowTaskCompleted({
                namespace: NAMESPACE,
                taskToken: task.taskToken,
                identity: 'closed-rss',
                commands: [{ commandType: COMPLETE_WORKFLOW, completeWorkflowExecutionCommandAttributes: {} }],
              });
              closed++;
              break;
            }
          } catch (e) {
            failed++;
            if (failed <= 5) console.error(`closed-rss: call failed: ${(e as Error).message}`);
          }
          if (closed % 5000 === 0 && closed > 0) console.log(`  ${closed} closed (${loadAverage()})`);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, lane));
      const wallS = (performance.now() - t0) / 1000;
      const cpu = cpuMs(pid) - cpu0;
      await settle(pid, SETTLE_S);
      const r = rss(pid);
      const maps = mappings(pid);
      const m = await metrics(metricsPort);
      const left = await svc.countWorkflowExecutions({ namespace: NAMESPACE, query: '' });
      // The split asked of this bench: the database's files (tables, indexes, WAL: in the process's
      // memory for an in-memory cluster; retained closed runs live there) and the rest, the process.
      const data = (m['chasm_pglite_database'] ?? 0) + (m['chasm_pglite_wal'] ?? 0);
      samples.push({ closed, rss: r.total, data });
      console.log(
        `${closed} closed (+${closed - from} in ${wallS.toFixed(0)} s, ${((closed - from) / wallS).toFixed(0)}/s, server CPU ${(cpu / Math.max(1, closed - from)).toFixed(1)} ms/wf, ` +
          `${failed} failed calls): RSS ${(r.total / MiB).toFixed(0)} MiB (anon ${(r.anon / MiB).toFixed(0)}, file ${(r.file / MiB).toFixed(0)}); ` +
          `[heap] ${(maps.heap / MiB).toFixed(0)}, wasm ${(maps.wasm / MiB).toFixed(0)}; ` +
          `${Object.entries(m).map(([k, v]) => `${k} ${(v / MiB).toFixed(1)}`).join(', ')} MiB; ` +
          `${String(left.count ?? '?')} runs still visible; load average ${loadAverage()}`,
      );
      console.log(
        `  split: data (database files + WAL) ${(data / MiB).toFixed(1)} MiB, process (RSS − data) ${((r.total - data) / MiB).toFixed(1)} MiB; ` +
          `${String(left.count ?? '?')} closed runs retained`,
      );
    }
    const first = samples[0]!;
    for (const s of samples.slice(1)) {
      console.log(
        `RSS at ${s.closed} / at ${first.closed}: ${(s.rss / first.rss).toFixed(2)}× ` +
          `(process ${((s.rss - s.data) / (first.rss - first.data)).toFixed(2)}×, data ${((s.data - first.data) / MiB).toFixed(1)} MiB more)`,
      );
    }
  } finally {
    await connection.close();
    child.kill('SIGTERM');
    await exited;
  }
}

await main();
