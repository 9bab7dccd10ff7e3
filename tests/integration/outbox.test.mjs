// The durable outbox: callback events survive a receiver that is down, slow or failing and a
// daemon killed with SIGKILL; they arrive in order per task, each signed, with no duplicate of an
// event the receiver already acknowledged; a given-up event is listed and sent again through the
// CloudrecDescribeEvents / CloudrecResendEvents extensions and `cloudrec events`.
//
// Events are queued the way a worker queues them (POST /internal/callbacks on the daemon-worker
// link), on tasks created through the SDK with --workers off, so the receiver's behaviour is the
// only thing that varies.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { APP1, APP2, startDaemon, makeClient, createTask, linkRequest, runCli, until, expectCode } from './helpers.mjs';

const T = { timeout: 180000 };
const KEY = 'outboxCallbackKey';
const FAST_RETRY = ['--callback-retry-max', '1'];

/** A callback receiver whose answer can be switched: 'ok' (200), 'fail' (500), 'slow' (answers
 * 200 after 8 s, past the daemon's 5 s timeout) or 'down' (not listening). Every request is kept
 * with what it was answered ('slow' ones count as not acknowledged). */
async function flakyReceiver() {
  const rx = { mode: 'ok', received: [], port: 0, server: null, sockets: new Set() };
  const handler = (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const entry = { at: Date.now(), headers: req.headers, raw, json: JSON.parse(raw), answer: rx.mode };
      rx.received.push(entry);
      if (rx.mode === 'fail') {
        res.writeHead(500);
        res.end('no');
      } else if (rx.mode === 'slow') {
        setTimeout(() => { res.writeHead(200); res.end('{}'); }, 8000).unref();
      } else {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"code":0}');
      }
    });
  };
  rx.listen = () => new Promise((resolve) => {
    rx.server = http.createServer(handler);
    rx.server.on('connection', (s) => { rx.sockets.add(s); s.on('close', () => rx.sockets.delete(s)); });
    rx.server.listen(rx.port, '127.0.0.1', () => { rx.port = rx.server.address().port; resolve(); });
  });
  rx.down = () => new Promise((resolve) => {
    rx.mode = 'down';
    for (const s of rx.sockets) s.destroy();
    rx.server.close(() => resolve());
  });
  rx.up = async (mode = 'ok') => { rx.mode = mode; if (!rx.server.listening) await rx.listen(); };
  await rx.listen();
  return rx;
}

const app = (rx) => ({ ...APP1, callbackKey: KEY, callbackUrl: `http://127.0.0.1:${rx.port}/cb` });

/** The requests of one task, each checked against its Sign header and SdkAppId header. */
function arrivals(rx, TaskId) {
  return rx.received.filter((r) => r.json.EventInfo.TaskId === TaskId).map((r) => {
    assert.equal(r.headers.sign, createHmac('sha256', KEY).update(r.raw).digest('base64'), `Sign of ${r.raw}`);
    assert.equal(r.headers.sdkappid, String(APP1.sdkAppId));
    return r;
  });
}

/** Queues event @type {Seq: seq} of a task as a worker does. */
async function queue(d, TaskId, type, seq) {
  const r = await linkRequest(d, 'POST', '/internal/callbacks', { SdkAppId: APP1.sdkAppId, TaskId, EventType: type, Payload: { Seq: seq } });
  assert.equal(r.status, 202, r.text);
}

/** Every event of the task arrived, acknowledged exactly once, in order: an event is first posted
 * only after the one before it was acknowledged, and never again after its own acknowledgement. */
function assertInOrderOnce(rx, TaskId, n) {
  const got = arrivals(rx, TaskId);
  const acked = got.filter((r) => r.answer === 'ok').map((r) => r.json.EventInfo.Payload.Seq);
  assert.deepEqual(acked, [...Array(n).keys()], `acknowledged once each, in order (arrivals: ${got.map((r) => `${r.json.EventInfo.Payload.Seq}:${r.answer}`)})`);
  const ackAt = new Map(got.filter((r) => r.answer === 'ok').map((r) => [r.json.EventInfo.Payload.Seq, r.at]));
  for (const r of got) {
    const seq = r.json.EventInfo.Payload.Seq;
    if (seq > 0) assert.ok(r.at >= ackAt.get(seq - 1), `event ${seq} posted before ${seq - 1} was acknowledged`);
    if (r.answer !== 'ok') assert.ok(r.at <= ackAt.get(seq), `event ${seq} posted again after its acknowledgement`);
  }
  // The same bytes at every attempt: the body is built from the stored event.
  for (let s = 0; s < n; s++) {
    const bodies = new Set(got.filter((r) => r.json.EventInfo.Payload.Seq === s).map((r) => r.raw));
    assert.equal(bodies.size, 1, `event ${s} posted with one body`);
  }
}

describe('durable callbacks (outbox)', () => {
  const receivers = [];
  after(() => { for (const rx of receivers) rx.server.close(); });

  test('a receiver that fails, is down, is slow and comes back gets every event of two tasks in order, signed, once acknowledged', T, async () => {
    const rx = await flakyReceiver();
    receivers.push(rx);
    const d = await startDaemon({ apps: [app(rx)], args: FAST_RETRY });
    try {
      const c = makeClient(d.port, APP1);
      const tasks = [await createTask(c), await createTask(c)];
      rx.mode = 'fail';
      for (let i = 0; i < 4; i++) for (const t of tasks) await queue(d, t, 303 + (i % 3), i);
      await until('a few failed attempts', () => rx.received.filter((r) => r.answer === 'fail').length >= 4, 20000);
      await rx.down();
      await new Promise((r) => setTimeout(r, 2500)); // refused connections meanwhile
      await rx.up('slow');
      await until('a slow attempt', () => rx.received.some((r) => r.answer === 'slow'), 20000);
      rx.mode = 'ok';
      for (const t of tasks) await queue(d, t, 307, 4);
      await until('every event acknowledged', () => tasks.every((t) => arrivals(rx, t).filter((r) => r.answer === 'ok').length === 5), 60000);
      for (const t of tasks) assertInOrderOnce(rx, t, 5);
      // The store agrees: all delivered, the first events after several attempts.
      const r = await c.request('CloudrecDescribeEvents', { SdkAppId: APP1.sdkAppId, TaskId: tasks[0] });
      assert.equal(r.TotalCount, 5);
      assert.deepEqual(r.Events.map((e) => e.State), Array(5).fill('Delivered'));
      assert.ok(r.Events[0].Attempts >= 2, `first event attempts ${r.Events[0].Attempts}`);
      assert.equal(r.Events[0].LastHttpStatus, 200);
      assert.ok(r.Events.every((e, i) => i === 0 || e.EventId > r.Events[i - 1].EventId));
      const acked = arrivals(rx, tasks[0]).find((x) => x.answer === 'ok' && x.json.EventInfo.Payload.Seq === 0);
      assert.equal(r.Events[0].Body, acked.raw, 'Body is the exact bytes posted');
    } finally {
      await d.stop();
    }
  });

  test('events pending when the daemon is killed (SIGKILL) are delivered after its restart, in order', T, async () => {
    const rx = await flakyReceiver();
    receivers.push(rx);
    const d = await startDaemon({ apps: [app(rx)], args: FAST_RETRY });
    const c = makeClient(d.port, APP1);
    const TaskId = await createTask(c);
    rx.mode = 'fail';
    for (let i = 0; i < 6; i++) await queue(d, TaskId, 304, i);
    await until('a failed attempt', () => arrivals(rx, TaskId).length >= 2, 20000);
    d.proc.kill('SIGKILL');
    await d.exited;
    rx.mode = 'ok';
    const again = await startDaemon({ apps: [app(rx)], args: FAST_RETRY, dataDir: d.dataDir });
    try {
      await until('all six acknowledged', () => arrivals(rx, TaskId).filter((r) => r.answer === 'ok').length === 6, 30000);
      assertInOrderOnce(rx, TaskId, 6);
    } finally {
      await again.stop();
    }
  });

  test('past callback-retry-window an event is given up, listed as GaveUp, and `cloudrec events resend` sends it after the task ended', T, async () => {
    const rx = await flakyReceiver();
    receivers.push(rx);
    const d = await startDaemon({ apps: [app(rx)], args: [...FAST_RETRY, '--callback-retry-window', '3'] });
    try {
      const c = makeClient(d.port, APP1);
      const TaskId = await createTask(c);
      await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
      rx.mode = 'fail';
      await queue(d, TaskId, 302, 0);
      await queue(d, TaskId, 310, 1);
      const given = await until('both given up', async () => {
        const r = await c.request('CloudrecDescribeEvents', { SdkAppId: APP1.sdkAppId, TaskId });
        return r.Events.every((e) => e.State === 'GaveUp') && r;
      }, 30000);
      assert.equal(given.Events[0].LastHttpStatus, 500);
      assert.match(given.Events[0].LastError, /500/);
      assert.ok(given.Events[0].Attempts >= 2);
      assert.match(d.stderr, /callback 302 of task \S+ not delivered after \d+ attempts/);

      rx.mode = 'ok';
      const before = arrivals(rx, TaskId).length;
      const env = { TENCENTCLOUD_SECRET_ID: APP1.secretId, TENCENTCLOUD_SECRET_KEY: APP1.secretKey };
      const api = `http://127.0.0.1:${d.port}/`;
      const one = runCli(['events', 'resend', '--api', api, '--sdkappid', String(APP1.sdkAppId), '--task', TaskId, '--event', String(given.Events[1].EventId)], { env });
      assert.equal(one.status, 0, one.stderr);
      assert.match(one.stdout, /^1 event\(s\) of task \S+ queued again$/m);
      await until('the resent event', () => arrivals(rx, TaskId).slice(before).some((r) => r.answer === 'ok'), 20000);
      const after1 = arrivals(rx, TaskId).slice(before);
      assert.deepEqual(after1.map((r) => r.json.EventType), [310], 'only the event asked for');
      const all = runCli(['events', 'resend', '--api', api, '--sdkappid', String(APP1.sdkAppId), '--task', TaskId], { env });
      assert.equal(all.status, 0, all.stderr);
      assert.match(all.stdout, /^2 event\(s\)/m);
      await until('both sent again', () => arrivals(rx, TaskId).slice(before).filter((r) => r.answer === 'ok').length === 3, 20000);
      assert.deepEqual(arrivals(rx, TaskId).slice(before + 1).map((r) => r.json.EventType), [302, 310], 'in order');

      const list = runCli(['events', 'list', '--api', api, '--sdkappid', String(APP1.sdkAppId), '--task', TaskId], { env });
      assert.equal(list.status, 0, list.stderr);
      const rows = list.stdout.trim().split('\n');
      assert.match(rows[0], /^EVENT\s+TYPE\s+STATE\s+ATTEMPTS/);
      assert.equal(rows.length, 3);
      assert.match(rows[1], /^\d+\s+302\s+Delivered\s+1\s/);
      const json = JSON.parse(runCli(['events', 'list', '--json', '--api', api, '--sdkappid', String(APP1.sdkAppId), '--task', TaskId], { env }).stdout);
      assert.equal(json.TotalCount, 2);
      const bad = runCli(['events', 'list', '--api', api, '--sdkappid', String(APP1.sdkAppId), '--task', TaskId], { env: { TENCENTCLOUD_SECRET_ID: APP1.secretId, TENCENTCLOUD_SECRET_KEY: 'wrong' } });
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /AuthFailure\.SignatureFailure/);
    } finally {
      await d.stop();
    }
  });

  test('a callback URL in a fetch-deny range is never connected to; the event says why', T, async () => {
    const rx = await flakyReceiver();
    receivers.push(rx);
    const d = await startDaemon({ apps: [app(rx)], args: [...FAST_RETRY, '--callback-retry-window', '2', '--fetch-deny', '127.0.0.1/32'] });
    try {
      const c = makeClient(d.port, APP1);
      const TaskId = await createTask(c);
      await queue(d, TaskId, 301, 0);
      const r = await until('given up', async () => {
        const x = await c.request('CloudrecDescribeEvents', { SdkAppId: APP1.sdkAppId, TaskId });
        return x.Events[0].State === 'GaveUp' && x;
      }, 20000);
      assert.match(r.Events[0].LastError, /connecting to 127\.0\.0\.1 is refused \(fetch-deny 127\.0\.0\.1\/32\)/);
      assert.equal(r.Events[0].LastHttpStatus, 0);
      assert.equal(rx.received.length, 0, 'the receiver saw no request');
    } finally {
      await d.stop();
    }
  });

  test('CloudrecDescribeEvents / CloudrecResendEvents: clear errors for unknown tasks, other apps, bad EventIds; no URL keeps events', T, async () => {
    const d = await startDaemon({ apps: [APP1, APP2] });
    try {
      const c = makeClient(d.port, APP1);
      const TaskId = await createTask(c);
      await queue(d, TaskId, 301, 0);
      const r = await until('kept without a callback URL', async () => {
        const x = await c.request('CloudrecDescribeEvents', { SdkAppId: APP1.sdkAppId, TaskId });
        return x.Events.length === 1 && x.Events[0].State === 'NoCallbackUrl' && x;
      }, 15000);
      assert.equal(r.Events[0].EventType, 301);
      assert.deepEqual(JSON.parse(r.Events[0].Body).EventInfo.Payload, { Seq: 0 });
      const c2 = makeClient(d.port, APP2);
      await expectCode(c2.request('CloudrecDescribeEvents', { SdkAppId: APP2.sdkAppId, TaskId }), 'ResourceNotFound');
      await expectCode(c.request('CloudrecDescribeEvents', { SdkAppId: APP1.sdkAppId, TaskId: 'x'.repeat(32) }), 'ResourceNotFound');
      await expectCode(c.request('CloudrecResendEvents', { SdkAppId: APP1.sdkAppId, TaskId, EventId: 999999 }), 'ResourceNotFound');
      await expectCode(c.request('CloudrecResendEvents', { SdkAppId: APP1.sdkAppId, TaskId, EventId: 'one' }), 'InvalidParameter');
      await expectCode(c.request('CloudrecResendEvents', { SdkAppId: APP1.sdkAppId, TaskId, EventId: 0 }), 'InvalidParameter.OutOfRange');
      await expectCode(c.request('CloudrecDescribeEvents', { SdkAppId: APP1.sdkAppId }), 'MissingParameter.TaskId');
      const bad = await linkRequest(d, 'POST', '/internal/callbacks', { SdkAppId: APP1.sdkAppId, TaskId: 'nope', EventType: 301, Payload: {} });
      assert.equal(bad.status, 500, 'an event of an unknown task is refused, not dropped silently');
    } finally {
      await d.stop();
    }
  });
});
