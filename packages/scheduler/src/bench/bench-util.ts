import { readFileSync } from 'node:fs';

/** Resident set size of a process in MiB, from /proc (undefined off Linux or once it exited). */
export function rssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** `--name value` or `--name=value` from argv, as a number. */
export function numberFlag(argv: readonly string[], name: string, fallback: number): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === `--${name}` && argv[i + 1] !== undefined) return Number(argv[i + 1]);
    if (a.startsWith(`--${name}=`)) return Number(a.slice(name.length + 3));
  }
  return fallback;
}

/** A two-column table. */
export function printTable(title: string, rows: readonly (readonly [string, string])[]): void {
  const w = Math.max(...rows.map(([k]) => k.length));
  const v = Math.max(...rows.map(([, x]) => x.length));
  const line = `+${'-'.repeat(w + 2)}+${'-'.repeat(v + 2)}+`;
  console.log(`\n${title}\n${line}`);
  for (const [k, x] of rows) console.log(`| ${k.padEnd(w)} | ${x.padStart(v)} |`);
  console.log(line);
}

/** RFC 3339 seconds at the end of a scheduled workflow id: its nominal time in ms. */
export function nominalMs(workflowId: string): number | undefined {
  const m = /-(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)$/.exec(workflowId);
  return m ? Date.parse(m[1]!) : undefined;
}
