/**
 * Child process for the crash test (packages/runtime/test/crash.e2e.test.ts): runs a real server
 * with the reference library on a durable store, then either schedules timers or waits for
 * them. The parent kills it with SIGKILL mid-way and restarts it; stdout lines are the protocol:
 *   schedule: prints `acked <i>` after each timer's commit is acknowledged, then `scheduled`.
 *   await:    prints `result <json>` once every item has fired (or the wait times out).
 *
 *   node timer-crash-child.js schedule|await --db <pglite dir | postgres url> --count N --delay-ms D
 */
import { parseArgs } from 'node:util';
import { asComponent, TOKENS, type ChasmEngine, type DatabaseConfig } from '@chasm/core';
import { addItem, createStore, Item, storeTarget } from '@chasm/core/testing';
import { startTestServer } from './index.js';

const NS = 'crash-ns';
const STORE = 'crash-store';

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { db: { type: 'string' }, count: { type: 'string' }, 'delay-ms': { type: 'string' }, 'spread-ms': { type: 'string' } },
  });
  const mode = positionals[0];
  const db = values.db!;
  const count = Number(values.count ?? 200);
  const database: DatabaseConfig = db.startsWith('postgres') ? { kind: 'postgres', url: db } : { kind: 'pglite', dataDir: db };
  const server = await startTestServer({ packages: ['tests'], database, shards: 4 });
  const engine = server.container.get<ChasmEngine>(TOKENS.Engine);
  const out = (line: string): void => void process.stdout.write(`${line}\n`);

  if (mode === 'schedule') {
    await createStore(engine, NS, STORE, { requestId: 'crash-store', conflictPolicy: 'useExisting' });
    const delay = Number(values['delay-ms'] ?? 1500);
    const spread = Number(values['spread-ms'] ?? 2000);
    for (let i = 0; i < count; i++) {
      // One commit per timer, so each acknowledgement is a durable promise on its own.
      await engine.update(storeTarget(NS, STORE), (s, ctx) => void addItem(s, ctx, `t${String(i).padStart(4, '0')}`, 'x', { ttlMs: delay + Math.floor((spread * i) / count) }));
      out(`acked ${i}`);
    }
    out('scheduled');
    // Report progress as timers fire (a long poll on the store), so the parent can kill us in the
    // middle of the firing on an event rather than after a guessed delay. Runs until killed.
    for (let seen = 0; ; ) {
      const r = await engine.poll(storeTarget(NS, STORE), (s) => (s.state.firedTotal > seen ? s.state.firedTotal : undefined), {
        deadline: new Date(Date.now() + 60_000),
      });
      if (r.value !== undefined) out(`fired ${(seen = r.value)}`);
    }
  } else {
    const r = await engine.poll(
      storeTarget(NS, STORE),
      (s) => (s.state.firedTotal >= count ? true : undefined),
      { deadline: new Date(Date.now() + 60_000) },
    );
    const result = await engine.read(storeTarget(NS, STORE), (s) => ({
      done: r.value === true,
      firedTotal: s.state.firedTotal,
      items: s.fields.items.keys().map((k) => {
        const item = asComponent(s.fields.items.get(k)!, Item);
        return { key: k, status: item.state.status, firedCount: item.state.firedCount };
      }),
    }));
    out(`result ${JSON.stringify(result)}`);
    await server.stop();
    process.exit(0);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
