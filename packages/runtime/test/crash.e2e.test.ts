import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresDatabase, dropPostgresDatabase } from '@chasm/core';

/**
 * Crash test: a child process runs the server on a durable store (a PGlite directory, and
 * Postgres when TEST_DIALECTS includes it) and schedules 200 timers on the reference component,
 * one acknowledged commit each. It is killed with SIGKILL; a restarted server must fire every
 * acknowledged timer exactly once, as seen in state.
 */
const CHILD = join(dirname(fileURLToPath(import.meta.url)), '../dist/testing/timer-crash-child.js');
const COUNT = 200;

interface ChildRun {
  readonly proc: ChildProcess;
  readonly lines: AsyncIterableIterator<string>;
}

function run(args: string[]): ChildRun {
  if (!existsSync(CHILD)) throw new Error(`${CHILD} is missing: build first (npm test does)`);
  const proc = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return { proc, lines: createInterface({ input: proc.stdout! })[Symbol.asyncIterator]() };
}

async function readUntil(r: ChildRun, pred: (line: string) => boolean): Promise<string> {
  for (;;) {
    const next = await r.lines.next();
    if (next.done) throw new Error('child exited before the expected output');
    if (pred(next.value)) return next.value;
  }
}

async function kill9(r: ChildRun): Promise<void> {
  const exited = new Promise((res) => r.proc.once('exit', res));
  r.proc.kill('SIGKILL');
  await exited;
}

interface Result {
  done: boolean;
  firedTotal: number;
  items: { key: string; status: string; firedCount: number }[];
}

async function awaitAll(db: string, count: number): Promise<Result> {
  const r = run(['await', '--db', db, '--count', String(count)]);
  const line = await readUntil(r, (l) => l.startsWith('result '));
  await new Promise((res) => r.proc.once('exit', res));
  return JSON.parse(line.slice('result '.length)) as Result;
}

/** A durable store for the child: a directory or a fresh database, removed by `drop`. */
const stores: { name: string; make(): Promise<{ db: string; drop(): Promise<void> }> }[] = [
  {
    name: 'pglite',
    make: async () => {
      const db = mkdtempSync(join(tmpdir(), 'chasm-crash-'));
      return { db, drop: async () => rmSync(db, { recursive: true, force: true }) };
    },
  },
];
if ((process.env['TEST_DIALECTS'] ?? '').includes('postgres')) {
  const base = process.env['TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  stores.push({
    name: 'postgres',
    make: async () => {
      const name = `chasm_crash_${Date.now().toString(36)}`;
      return { db: await createPostgresDatabase(base, name), drop: () => dropPostgresDatabase(base, name) };
    },
  });
}

describe.each(stores)('crash recovery on $name', (kind) => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('fires all 200 acknowledged timers exactly once after a SIGKILL while they are firing', async () => {
    const { db, drop } = await kind.make();
    cleanups.push(drop);
    const child = run(['schedule', '--db', db, '--count', String(COUNT), '--delay-ms', '1500', '--spread-ms', '2500']);
    cleanups.push(() => child.proc.kill('SIGKILL'));
    await readUntil(child, (l) => l === 'scheduled');
    // Kill in the middle of the firing: once a quarter of the timers have fired, most have not.
    await readUntil(child, (l) => l.startsWith('fired ') && Number(l.slice(6)) >= COUNT / 4);
    await kill9(child);

    const result = await awaitAll(db, COUNT);
    expect(result.done).toBe(true);
    expect(result.items).toHaveLength(COUNT);
    expect(result.items.filter((i) => i.firedCount !== 1 || i.status !== 'expired')).toEqual([]);
    expect(result.firedTotal).toBe(COUNT);
  });

  it('loses no acknowledged timer when killed while scheduling', async () => {
    const { db, drop } = await kind.make();
    cleanups.push(drop);
    const child = run(['schedule', '--db', db, '--count', String(COUNT), '--delay-ms', '500', '--spread-ms', '500']);
    cleanups.push(() => child.proc.kill('SIGKILL'));
    await readUntil(child, (l) => l === 'acked 99');
    await kill9(child);

    const result = await awaitAll(db, 100);
    expect(result.done).toBe(true);
    const acked = result.items.filter((i) => Number(i.key.slice(1)) < 100);
    expect(acked).toHaveLength(100);
    expect(acked.every((i) => i.firedCount === 1)).toBe(true);
    // A commit that landed without its acknowledgement may exist too; it never fires twice either.
    expect(result.items.every((i) => i.firedCount <= 1)).toBe(true);
  });
});
