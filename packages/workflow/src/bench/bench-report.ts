import { percentile, type Cost } from '@chasm/core/testing';
import type { ClientResult } from './bench-protocol.js';

/** One measured round: a target at a number of callers. */
export interface Measurement {
  readonly target: string;
  /** Which pass over all targets and levels (BENCH_ROUNDS), to compare within one pass. */
  readonly round: number;
  /** The zero-cost server: ours are compared with it. */
  readonly fake: boolean;
  readonly callers: number;
  readonly workflows: number;
  readonly client: ClientResult;
  /** CPU ms of each process over the measured phase (Postgres: the bench database's backends). */
  readonly cpuMs: { readonly worker: number; readonly server: number; readonly postgres?: number };
  /** Our server's counters per workflow (the fake has none). */
  readonly cost?: Cost;
}

const f1 = (n: number): string => n.toFixed(1);
const f2 = (n: number): string => n.toFixed(2);

const HEADER = [
  'Callers',
  'Target',
  'Workflows/s',
  'Workflow p50 / p99 ms',
  'Start p50 / p99 ms',
  'CPU ms/wf: client / worker / server / Postgres',
  'Engine commits/wf',
  'DB round trips/wf',
  'DB transactions/wf (writes)',
  'RPCs/wf',
  'Ours / fake: wf/s, server+PG CPU',
];

const throughput = (m: Measurement): number => m.workflows / m.client.seconds;
const perWf = (m: Measurement, ms: number): number => ms / m.workflows;
const serverSideCpu = (m: Measurement): number => perWf(m, m.cpuMs.server + (m.cpuMs.postgres ?? 0));

function row(m: Measurement, fake: Measurement | undefined): string[] {
  const c = m.cost;
  const rpcs = c ? Object.values(c.rpcs).reduce((a, b) => a + b, 0) : undefined;
  const ratio =
    fake && !m.fake ? `${f2(throughput(m) / throughput(fake))} ×, ${f1(serverSideCpu(m) / serverSideCpu(fake))} ×` : m.fake ? '1' : 'n/a';
  return [
    String(m.callers),
    m.target,
    throughput(m).toFixed(0),
    `${f1(percentile(m.client.workflowMs, 50))} / ${f1(percentile(m.client.workflowMs, 99))}`,
    `${f1(percentile(m.client.startMs, 50))} / ${f1(percentile(m.client.startMs, 99))}`,
    [perWf(m, m.client.cpuMs), perWf(m, m.cpuMs.worker), perWf(m, m.cpuMs.server)].map(f2).join(' / ') +
      ` / ${m.cpuMs.postgres !== undefined ? f2(perWf(m, m.cpuMs.postgres)) : '–'}`,
    c ? f2(c.engineCommits) : '–',
    c ? f2(c.dbRoundTrips) : '–',
    c ? `${f2(c.dbTransactions)} (${f2(c.dbWriteTransactions)})` : '–',
    rpcs !== undefined ? f2(rpcs) : '–',
    ratio,
  ];
}

/** The results as a Markdown table (pasted as is into docs/benchmarks.md). */
export function table(ms: readonly Measurement[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const out = [line(HEADER), line(HEADER.map(() => '---'))];
  for (const m of ms) {
    const fake = ms.find((x) => x.fake && x.callers === m.callers && x.round === m.round);
    out.push(line(row(m, fake)));
  }
  return out.join('\n');
}

/** BENCH_RPCS=1: our server's requests per workflow by method. */
export function rpcBreakdown(m: Measurement): string {
  const parts = Object.entries(m.cost?.rpcs ?? {}).map(([op, n]) => `${op} ${f2(n)}`);
  return `${m.target}, ${m.callers} callers: ${parts.join(', ')}`;
}
