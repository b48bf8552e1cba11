/**
 * Boot benchmark: the built dev server (`node dist/cli.js dev`, as `npm start` runs it) started
 * N times in a row. For each boot it prints the wall time from spawn to the `server started`
 * line (the front door listens by then), the server's own start-up breakdown, the CPU the
 * process used to get there, and its RSS at serving and after idling a while.
 *
 *   node packages/server/dist/bench/boot.bench.js              (pnpm bench boot)
 *   BENCH_BOOTS=5 BENCH_IDLE_S=10 BENCH_ARGS='--db-file /tmp/x' (extra dev flags),
 *   BENCH_NPM_ENV=0 (without the malloc setting `npm start` adds)
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const BOOTS = Number(process.env['BENCH_BOOTS'] ?? 5);
const IDLE_S = Number(process.env['BENCH_IDLE_S'] ?? 10);
const EXTRA = (process.env['BENCH_ARGS'] ?? '').split(' ').filter(Boolean);
const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
const MiB = 1024 * 1024;
/** What `npm start` (scripts/dev.mjs) adds to the dev server's environment (BENCH_NPM_ENV=0: not); a value set here wins. */
const NPM_START_ENV = process.env['BENCH_NPM_ENV'] === '0' ? {} : { MALLOC_MMAP_THRESHOLD_: '1048576' };
const CLOCK_TICKS = 100; // USER_HZ on Linux

interface Boot {
  readonly wallMs: number;
  readonly startupMs: Record<string, number>;
  readonly cpuMs: number;
  readonly rssAtServing: number;
  readonly rssIdle: number;
}

/** utime + stime of a process, from /proc (Linux only; 0 elsewhere). */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

function rssBytes(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return Number(line?.split(/\s+/)[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

async function bootOnce(): Promise<Boot> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, 'dev', '--port', '0', '--log-level', 'info', ...EXTRA], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...NPM_START_ENV, ...process.env } });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const started = await new Promise<{ startupMs: Record<string, number> }>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`server exited (${code}) before serving`)));
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (!line.includes('"server started"')) return;
        resolve(JSON.parse(line) as { startupMs: Record<string, number> });
      });
    });
    const wallMs = performance.now() - t0;
    const pid = child.pid!;
    const cpu = cpuMs(pid);
    const rssAtServing = rssBytes(pid);
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    return { wallMs, startupMs: started.startupMs, cpuMs: cpu, rssAtServing, rssIdle: rssBytes(pid) };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

async function main(): Promise<void> {
  const boots: Boot[] = [];
  for (let i = 0; i < BOOTS; i++) {
    const b = await bootOnce();
    boots.push(b);
    console.log(
      `boot ${i + 1}: ${Math.round(b.wallMs)} ms to serving (server: ${JSON.stringify(b.startupMs)}), CPU ${Math.round(b.cpuMs)} ms, ` +
        `RSS ${(b.rssAtServing / MiB).toFixed(0)} MiB at serving, ${(b.rssIdle / MiB).toFixed(0)} MiB after ${IDLE_S} s idle`,
    );
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(
    `median of ${BOOTS}: ${Math.round(median(boots.map((b) => b.wallMs)))} ms to serving, CPU ${Math.round(median(boots.map((b) => b.cpuMs)))} ms, ` +
      `RSS ${(median(boots.map((b) => b.rssAtServing)) / MiB).toFixed(0)} MiB at serving, ${(median(boots.map((b) => b.rssIdle)) / MiB).toFixed(0)} MiB idle; load average ${readLoad()}`,
  );
}

function readLoad(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '?';
  }
}

await main();
