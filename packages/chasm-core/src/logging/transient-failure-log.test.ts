import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { TransientFailureLog } from './transient-failure-log.js';

function capture(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.push(chunk.toString());
      done();
    },
  });
  const logger: Logger = pino({ level: 'info' as const }, sink);
  return { logger, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('TransientFailureLog', () => {
  it('writes one short line per interval while the database is away, with the count left out', () => {
    let now = 0;
    const { logger, lines } = capture();
    const log = new TransientFailureLog(logger, 5_000, () => now);
    // What node's net module throws when nothing listens on the database port.
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    for (let i = 0; i < 10; i++) log.report('error', { taskQueue: 'q' }, 'backlog read failed; retrying', refused);
    now = 5_000;
    log.report('error', { taskQueue: 'q' }, 'backlog read failed; retrying', refused);
    expect(lines()).toHaveLength(2);
    expect(lines()[0]).toMatchObject({ level: 40, taskQueue: 'q', reason: 'connect ECONNREFUSED 127.0.0.1:5432', suppressed: 0 });
    expect(lines()[1]).toMatchObject({ suppressed: 9 });
    expect(lines()[0]!['err']).toBeUndefined();
  });

  it('logs any other failure as it is, every time, with the error', () => {
    const { logger, lines } = capture();
    const log = new TransientFailureLog(logger);
    log.report('error', { task: 't' }, 'task failed', new TypeError('a bug'));
    log.report('error', { task: 't' }, 'task failed', new TypeError('a bug'));
    expect(lines()).toHaveLength(2);
    expect(lines()[0]).toMatchObject({ level: 50, task: 't', err: { type: 'TypeError', message: 'a bug' } });
  });
});
