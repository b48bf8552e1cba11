// A burst of long polls from a process of its own (issue 15): N PollWorkflowTaskQueue /
// PollActivityTaskQueue calls held open at once, all with the same deadline, over a few
// connections, on raw grpc-js with the requests encoded once beforehand. The caller's own CPU
// was the bottleneck when the burst came from the test process through the SDK's Connection
// (about 2.6 ms per call); here a call costs grpc-js alone, so a late answer is the server's.
//
// argv: address count deadlineMs connections runId. Prints one JSON line: counts by outcome
// ("empty", "task", or the status code), and how long issuing the burst took.
import { createRequire } from 'node:module';
import proto from '@temporalio/proto';

const [address, countArg, deadlineArg, connectionsArg, run] = process.argv.slice(2);
const count = Number(countArg);
const deadlineMs = Number(deadlineArg);
const connections = Number(connectionsArg);
// grpc-js as the SDK's client resolves it: the same copy, no dependency of our own to keep in step.
const require = createRequire(createRequire(import.meta.url).resolve('@temporalio/client'));
const grpc = require('@grpc/grpc-js');

const svc = proto.temporal.api.workflowservice.v1;
const clients = Array.from({ length: connections }, (_, i) =>
  // A distinct option per client so grpc-js gives each its own channel (connection).
  new grpc.Client(address, grpc.credentials.createInsecure(), { 'grpc.burst_poller_channel': i }),
);
await Promise.all(clients.map((c) => new Promise((resolve, reject) => c.waitForReady(Date.now() + 60_000, (e) => (e ? reject(e) : resolve())))));

const requests = Array.from({ length: count }, (_, i) => {
  const body = { namespace: 'default', taskQueue: { name: `burst-${run}-${i % 20}` }, identity: `burst-${i}` };
  return i % 2 === 0
    ? { path: '/temporal.api.workflowservice.v1.WorkflowService/PollWorkflowTaskQueue', bytes: Buffer.from(svc.PollWorkflowTaskQueueRequest.encode(body).finish()), decode: (b) => svc.PollWorkflowTaskQueueResponse.decode(b) }
    : { path: '/temporal.api.workflowservice.v1.WorkflowService/PollActivityTaskQueue', bytes: Buffer.from(svc.PollActivityTaskQueueRequest.encode(body).finish()), decode: (b) => svc.PollActivityTaskQueueResponse.decode(b) };
});

const identity = (b) => b;
const call = (r, i, deadline, done) =>
  clients[i % connections].makeUnaryRequest(r.path, identity, identity, r.bytes, new grpc.Metadata(), { deadline }, done);

// Warm-up: one round of polls on the burst's 40 queues with a short deadline, so the queues are
// loaded and the server's code is warm, as on a server whose workers have been polling. Waits
// for every answer (an event, not a sleep).
await Promise.all(requests.slice(0, 40).map((r, i) => new Promise((resolve) => call(r, i, Date.now() + 3000, () => resolve()))));
/** Min, median, p90 and max of when answers (or failures) came, in ms from the burst's start. */
const quantiles = (xs) => {
  if (xs.length === 0) return [];
  const s = [...xs].sort((a, b) => a - b);
  return [0, 0.5, 0.9, 1].map((q) => s[Math.min(s.length - 1, Math.floor(q * s.length))]);
};
const outcomes = new Map();
const note = (k) => outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
const answeredAt = [];
const failedAt = [];
const began = Date.now();
const deadline = began + deadlineMs;
await new Promise((resolve) => {
  let left = count;
  requests.forEach((r, i) => {
    call(r, i, deadline, (err, res) => {
      if (err) note(String(err.code));
      else note(r.decode(res).taskToken?.length ? 'task' : 'empty');
      (err ? failedAt : answeredAt).push(Date.now() - began);
      if (--left === 0) resolve();
    });
  });
});
const issuedMs = Date.now() - began;
for (const c of clients) c.close();
process.stdout.write(`${JSON.stringify({ outcomes: Object.fromEntries(outcomes), totalMs: issuedMs, answeredMs: quantiles(answeredAt), failedMs: quantiles(failedAt) })}\n`);
