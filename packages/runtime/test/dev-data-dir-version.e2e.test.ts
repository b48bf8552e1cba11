import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@chasm/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { RUNTIME_CLI } from '../src/testing/index.js';

/**
 * `dev --db-file DIR` on a directory written by an older PGlite (another Postgres major, ADR
 * 0052): one line on stderr saying what to do and exit code 1, not PGlite's "failed to
 * initialize properly" with a stack trace; the directory is not touched.
 */
describe('dev server on a data directory of another Postgres major', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dev-pg17-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stops with one line naming the directory and what to do', { timeout: 120_000 }, async () => {
    writeFileSync(join(dir, 'PG_VERSION'), '17\n');
    const port = await freePort();
    const child = spawn(process.execPath, [RUNTIME_CLI, 'dev', '--db-file', dir, '--port', String(port), '--metrics-port', 'off', '--http-port', 'off'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^error: the PGlite data directory ${dir} holds a Postgres 17 database .*cannot open it: use another directory`));
    expect(readdirSync(dir)).toEqual(['PG_VERSION']);
  });
});
