/**
 * Captures every `chasm_write` call a server sends to Postgres, for `write-replay.bench.js`:
 * preloaded into the server's process (`node --import …/capture-writes.js`), it reads the JSON
 * parameter of each Bind message written to a socket on port 5432 and appends it, one call per
 * line, to BENCH_WRITE_CAPTURE. A measuring aid, never part of a server: it copies every write.
 *
 *   BENCH_WRITE_CAPTURE=/tmp/writes.jsonl \
 *   CHASM_SERVER_NODE_ARGS="--import $PWD/packages/chasm-core/dist/bench/capture-writes.js" \
 *   BENCH_QUICK=1 BENCH_TARGETS=postgres BENCH_WORKFLOWS=1000 node packages/workflow/dist/bench/workflow.bench.js
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';

const path = process.env['BENCH_WRITE_CAPTURE'];
if (path !== undefined) {
  const out = openSync(path, 'w');
  process.on('exit', () => closeSync(out));
  type Writev = (this: Socket, chunks: { chunk: Buffer }[], cb: (e?: Error | null) => void) => void;
  const proto = Socket.prototype as unknown as { _writev: Writev };
  const original = proto._writev;
  proto._writev = function (chunks, cb) {
    if (this.remotePort === 5432) {
      const bytes = Buffer.concat(chunks.map((c) => c.chunk));
      // The call's only parameter is a JSON array of writes, each an object with a kind `k`.
      const at = bytes.indexOf('[{"');
      if (at >= 4) writeSync(out, bytes.subarray(at, at + bytes.readInt32BE(at - 4)).toString('utf8') + '\n');
    }
    original.call(this, chunks, cb);
  };
}
