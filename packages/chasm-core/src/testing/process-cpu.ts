import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time of processes from /proc (Linux): the bench charges the server child and the local
 * Postgres with what they burn during the measured phase. Clock ticks are 100 per second on Linux.
 */
const TICK_MS = 10;

function ticks(pid: number): { comm: string; ticks: number; user: number; system: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces; the fields after it start past the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const f = stat.slice(close + 2).split(' ');
    return { comm, ticks: Number(f[11]) + Number(f[12]), user: Number(f[11]), system: Number(f[12]) };
  } catch {
    return undefined;
  }
}

/** CPU ms of one process so far, user and system (undefined off Linux). */
export function processCpuMs(pid: number | undefined): { user: number; system: number } | undefined {
  if (pid === undefined) return undefined;
  const t = ticks(pid);
  return t === undefined ? undefined : { user: t.user * TICK_MS, system: t.system * TICK_MS };
}

/** A snapshot of every `postgres` process's CPU ticks, by pid. */
export function postgresSnapshot(): Map<number, number> {
  const out = new Map<number, number>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const p of pids) {
    const t = ticks(Number(p));
    if (t?.comm === 'postgres') out.set(Number(p), t.ticks);
  }
  return out;
}

/**
 * Postgres CPU ms between two snapshots: processes present at the end are charged from their
 * start value (0 if they were born in between). Backends that exited in between are missed, so
 * take the end snapshot before closing the server's pool.
 */
export function postgresCpuMs(before: Map<number, number>, after: Map<number, number>): number {
  let ticksSum = 0;
  for (const [pid, t] of after) ticksSum += t - (before.get(pid) ?? 0);
  return ticksSum * TICK_MS;
}
