import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';

/**
 * Helpers of the reliability suite: a Postgres instance the test owns (initdb into a temp dir,
 * its own port and socket dir; the shared instance of TEST_POSTGRES_URL is never touched), and
 * the built server CLI in a child process whose pino output is captured line by line.
 */

/** Whether the suite's Postgres tests run: CI names postgres in TEST_DIALECTS. */
export const postgresEnabled = (process.env['TEST_DIALECTS'] ?? 'pglite')
  .split(',')
  .map((d) => d.trim())
  .includes('postgres');

/** The Postgres server binaries: $PG_BIN, else Debian's /usr/lib/postgresql/<version>/bin (newest). */
const PG_BIN =
  process.env['PG_BIN'] ??
  (existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql')
        .filter((v) => existsSync(join('/usr/lib/postgresql', v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
        .map((v) => join('/usr/lib/postgresql', v, 'bin'))[0]
    : undefined) ??
  '/usr/lib/postgresql/15/bin';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '../../dist/cli.js');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

const asRoot = process.getuid?.() === 0;

/** Runs a Postgres binary, as the postgres user when this process is root (initdb refuses root). */
function pg(bin: string, args: string[]): void {
  const cmd = join(PG_BIN, bin);
  const r = asRoot ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8' }) : spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
}

/** A Postgres cluster owned by one test file, in a fresh temp dir. */
export class OwnedPostgres {
  readonly root = mkdtempSync(join(tmpdir(), 'chasm-pg-reliability-'));
  readonly data = join(this.root, 'data');
  private constructor(readonly port: number) {}

  /** initdb on a free port, and start it. */
  static async create(): Promise<OwnedPostgres> {
    const db = new OwnedPostgres(await freePort());
    if (asRoot) {
      const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
      const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
      chownSync(db.root, Number(uid.stdout.trim()), Number(gid.stdout.trim()));
    }
    pg('initdb', ['-D', db.data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    db.start();
    return db;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }
  start(): void {
    // -k: its own socket dir, so it never meets the shared instance's socket.
    pg('pg_ctl', ['-D', this.data, '-l', join(this.root, 'log'), '-o', `-p ${this.port} -k ${this.root} -c listen_addresses=127.0.0.1`, '-w', '-t', '120', 'start']);
  }
  /** One query's rows, tab-separated (psql over TCP; trust auth). */
  query(sqlText: string): string {
    const r = spawnSync(join(PG_BIN, 'psql'), ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', '-d', 'postgres', '-AtF', '\t', '-c', sqlText], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`psql failed (${r.status}): ${r.stderr}`);
    return r.stdout.trim();
  }
  /** A crash stop: the postmaster and backends are killed, clients' sockets drop mid-query. */
  stopImmediate(): void {
    pg('pg_ctl', ['-D', this.data, '-m', 'immediate', '-w', 'stop']);
  }
  destroy(): void {
    if (existsSync(join(this.data, 'postmaster.pid'))) {
      try {
        this.stopImmediate();
      } catch {
        // already gone
      }
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** The built server CLI in a child process, and every line it wrote (its pino JSON). */
export interface ServerProcess {
  readonly proc: ChildProcess;
  readonly address: string;
  readonly lines: string[];
  alive(): boolean;
  /** SIGKILL, if still running. */
  kill(): Promise<void>;
}

export interface ServerProcessOptions {
  readonly logLevel?: string;
  readonly packages?: readonly string[];
  /** The `namespaces:` value, as YAML (default `[default]`). */
  readonly namespaces?: string;
  /** More top-level YAML lines (e.g. a `limits:` section). */
  readonly extraYaml?: readonly string[];
}

export async function startServerProcess(db: OwnedPostgres, opts: ServerProcessOptions = {}): Promise<ServerProcess> {
  return startServerOn(`{ kind: postgres, url: '${db.url}' }`, db.root, opts);
}

/** The built server CLI on any database (`database:` as YAML), its config file written in `dir`. */
export async function startServerOn(databaseYaml: string, dir: string, opts: ServerProcessOptions = {}): Promise<ServerProcess> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm test does)`);
  const port = await freePort();
  const config = join(dir, `server-${port}.yaml`);
  writeFileSync(
    config,
    [
      `database: ${databaseYaml}`,
      'shards: 4',
      `grpc: { host: 127.0.0.1, port: ${port} }`,
      `packages: [${(opts.packages ?? ['matching', 'workflow']).join(', ')}]`,
      `namespaces: ${opts.namespaces ?? '[default]'}`,
      `log: { level: ${opts.logLevel ?? 'warn'} }`,
      ...(opts.extraYaml ?? []),
      '',
    ].join('\n'),
  );
  const proc = spawn(process.execPath, [CLI, 'start', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  // Lines may span chunks: keep the unfinished tail of each stream until its newline arrives.
  const collector = (): ((chunk: Buffer) => void) => {
    let tail = '';
    return (chunk) => {
      const parts = (tail + chunk.toString('utf8')).split('\n');
      tail = parts.pop() ?? '';
      for (const line of parts) if (line.trim() !== '') lines.push(line);
    };
  };
  proc.stdout!.on('data', collector());
  proc.stderr!.on('data', collector());
  const alive = (): boolean => proc.exitCode === null && proc.signalCode === null;
  const server: ServerProcess = {
    proc,
    address: `127.0.0.1:${port}`,
    lines,
    alive,
    async kill() {
      if (!alive()) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
    },
  };
  await waitReady(server);
  return server;
}

async function waitReady(server: ServerProcess): Promise<void> {
  const end = Date.now() + 120_000;
  for (;;) {
    if (!server.alive()) throw new Error(`server exited during start:\n${server.lines.slice(-20).join('\n')}`);
    try {
      const c = await Connection.connect({ address: server.address, connectTimeout: 1000 });
      await c.workflowService.getSystemInfo({});
      await c.close();
      return;
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * The forms a payload's bytes can take in a log line: as they are, base64 (bytes in JSON state
 * and in chasm_write's parameter; three alignments, edges cut) and hex (a bytea column quoted in
 * a Postgres message) of each. A marker is distinctive enough that any hit is a leak.
 */
export function leakFormsOf(marker: string): string[] {
  const forms = [marker];
  for (let shift = 0; shift < 3; shift++) {
    const b64 = Buffer.concat([Buffer.alloc(shift, 0x20), Buffer.from(marker)]).toString('base64');
    // Characters touching the padding or the unknown neighbours depend on them: drop 4 each side.
    forms.push(b64.slice(4, -4));
  }
  return [...forms, ...forms.map((f) => Buffer.from(f).toString('hex'))];
}

/** Log lines carrying any form of any marker (the first few, for a failure message). */
export function leaks(lines: readonly string[], markers: readonly string[]): string[] {
  const forms = markers.flatMap(leakFormsOf);
  return lines.filter((l) => forms.some((f) => l.includes(f) || l.toLowerCase().includes(f.toLowerCase()))).slice(0, 5);
}
