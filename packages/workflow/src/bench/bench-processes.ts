import { fork, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ClientOptions, ClientResult, ParentMessage, WorkerOptions } from './bench-protocol.js';

/** Starting and talking to the bench's SDK processes (see bench-protocol.ts). */

const script = (name: string): string => fileURLToPath(new URL(`./${name}`, import.meta.url));

/** The next message of `kind` from a child; rejects if it exits first. */
export function nextMessage<K extends ChildMessage['kind']>(child: ChildProcess, kind: K): Promise<Extract<ChildMessage, { kind: K }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: ChildMessage): void => {
      if (m.kind !== kind) return;
      cleanup();
      resolve(m as Extract<ChildMessage, { kind: K }>);
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`bench child exited (code ${String(code)}) before '${kind}'`));
    };
    const cleanup = (): void => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

export const tell = (child: ChildProcess, m: ParentMessage): void => void child.send(m);

/** Waits for a child's exit, SIGKILL after `ms`. */
export async function exited(child: ChildProcess, ms = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await done;
  clearTimeout(timer);
}

/** A worker process, resolved once it polls. */
export async function startWorkerProcess(o: WorkerOptions): Promise<ChildProcess> {
  const child = fork(script('bench-worker.js'), [], { env: { ...process.env, BENCH_WORKER_OPTIONS: JSON.stringify(o) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await nextMessage(child, 'ready');
  return child;
}

/** A client process for one round; `onWarm` runs between its warm-up and its measured phase. */
export async function runClientProcess(o: ClientOptions, onWarm: (pid: number) => Promise<void>): Promise<ClientResult> {
  const child = fork(script('bench-client.js'), [], { env: { ...process.env, BENCH_CLIENT_OPTIONS: JSON.stringify(o) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    await nextMessage(child, 'warm');
    await onWarm(child.pid ?? 0);
    const done = nextMessage(child, 'done');
    tell(child, { kind: 'go' });
    return (await done).result;
  } finally {
    await exited(child);
  }
}

/** Resolves once something listens on the port (deadline 30 s). */
export async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (open) return;
    if (child.exitCode !== null) throw new Error(`process exited (code ${child.exitCode}) before listening on ${port}`);
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port} after 30 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
