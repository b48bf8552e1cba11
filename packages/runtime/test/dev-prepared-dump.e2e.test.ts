import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { RUNTIME_CLI } from '../src/testing/index.js';

/**
 * The dev server in memory boots from a PGlite dump prepared after its migrations (ADR 0033):
 * the first boot that finds none writes it, every later boot loads it and runs no migration,
 * and the server it gives is a working one. Runs the built CLI (dist).
 */
describe('dev server boot from a prepared dump', () => {
  const children: ChildProcess[] = [];
  afterEach(async () => {
    await Promise.all(
      children.splice(0).map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
          }),
      ),
    );
  });

  /** Starts `cli.js dev --port 0` and resolves with its 'server started' log line. */
  interface StartedLine {
    readonly msg?: string;
    readonly schema?: string;
    readonly httpPort?: number;
    readonly startupMs?: { readonly migrations?: number };
  }
  const startDev = async (): Promise<StartedLine> => {
    const child = spawn(process.execPath, [RUNTIME_CLI, 'dev', '--port', '0', '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`dev exited with ${String(code)}: ${stderr}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const entry = JSON.parse(line) as StartedLine;
        if (entry.msg === 'server started') resolve(entry);
      });
    });
  };
  const stopAll = async (): Promise<void> => {
    for (const c of children.splice(0)) {
      const exited = new Promise((resolve) => c.once('exit', resolve));
      c.kill('SIGTERM');
      await exited;
    }
  };

  it('writes the dump at the first boot, loads it at the next, and serves from it', { timeout: 300_000 }, async () => {
    const first = await startDev();
    // An earlier run (or the build) may have written it already.
    expect(['prepared-dump', 'migrations+dump-written']).toContain(first.schema);
    await stopAll();

    const second = await startDev();
    expect(second.schema).toBe('prepared-dump');
    expect(second.startupMs?.migrations).toBe(0);
    // The seeded namespace went through the namespace tables, which only migrations create.
    const res = await fetch(`http://127.0.0.1:${second.httpPort}/api/v1/namespaces/default`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ namespaceInfo: { name: 'default' } });
  });
});
