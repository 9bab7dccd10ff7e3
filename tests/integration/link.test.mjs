// The daemon-worker link (docs/ARCHITECTURE.md "The daemon-worker link"): /internal/* is served
// on the Unix socket <data-dir>/worker.sock only, never on the TCP port; the socket is the
// daemon's user's alone and lives as long as the daemon; the task endpoints a worker uses
// instead of opening the store answer bad input with 400, not a crash.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { APP1, startDaemon, makeClient, createTask, expectCode, linkRequest, sleep } from './helpers.mjs';

const T = { timeout: 60000 };

describe('the daemon-worker link', () => {
  let d;
  let c;
  before(async () => {
    d = await startDaemon();
    c = makeClient(d.port, APP1);
  });
  after(async () => {
    await d.stop();
  });

  test('the TCP port answers 404 for every internal path, with or without a token', T, async () => {
    const headers = { 'X-Cloudrec-Token': 'anything', 'Content-Type': 'application/json' };
    const callback = JSON.stringify({ SdkAppId: APP1.sdkAppId, TaskId: 't', EventType: 301, Payload: { Status: 0 } });
    for (const [method, p, body] of [
      ['GET', `/internal/rooms/${APP1.sdkAppId}/room/8800?after=0`],
      ['GET', `/internal/rooms/${APP1.sdkAppId}/room/8800?after=0&wait=1000`],
      ['PUT', `/internal/rooms/${APP1.sdkAppId}/room/8800/members/robot?task=T`],
      ['POST', '/internal/callbacks', callback],
      ['GET', '/internal/forwards'],
      ['GET', `/internal/tasks/${APP1.sdkAppId}/nosuchtask`],
      ['GET', '/internal/whatever'],
    ]) {
      const r = await fetch(`http://127.0.0.1:${d.port}${p}`, { method, headers, body });
      assert.equal(r.status, 404, `${method} ${p} on TCP: ${r.status}`);
    }
    assert.equal(existsSync(path.join(d.dataDir, 'internal.token')), false);
    // Nobody joined: the PUT above did nothing.
    const room = await linkRequest(d, 'GET', `/internal/rooms/${APP1.sdkAppId}/room/8800?after=0`);
    assert.deepEqual(room.json.Members, []);
  });

  test('the socket serves them, mode 0600', T, async () => {
    const sock = path.join(d.dataDir, 'worker.sock');
    const st = statSync(sock);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o600);
    const room = await linkRequest(d, 'GET', `/internal/rooms/${APP1.sdkAppId}/room/8800?after=0`);
    assert.equal(room.status, 200, room.text);
    assert.equal(room.json.Exists, false);
    // The outbox stores an event before answering 202; one of a task the store does not have is
    // refused (500), not dropped silently (outbox.test.mjs covers the 202).
    const cb = await linkRequest(d, 'POST', '/internal/callbacks', { SdkAppId: APP1.sdkAppId, TaskId: 't', EventType: 301, Payload: { Status: 0 } });
    assert.equal(cb.status, 500, cb.text);
    const forwards = await linkRequest(d, 'GET', '/internal/forwards');
    assert.equal(forwards.status, 200);
    assert.deepEqual(forwards.json.Forwards, []);
    assert.equal((await linkRequest(d, 'GET', '/internal/whatever')).status, 404);
  });

  test('a task through the link: read, status, files, exit, finish', T, async () => {
    const TaskId = await createTask(c);
    const base = `/internal/tasks/${APP1.sdkAppId}/${TaskId}`;
    const got = await linkRequest(d, 'GET', base);
    assert.equal(got.status, 200, got.text);
    assert.equal(got.json.TaskId, TaskId);
    assert.equal(got.json.Status, 'Idle');
    assert.equal(got.json.LeaveCode, -1);
    assert.equal(typeof got.json.Revision, 'number');
    assert.equal(JSON.parse(got.json.Params).RecordParams.RecordMode, 1);
    // Another app's task does not exist.
    assert.equal((await linkRequest(d, 'GET', `/internal/tasks/${APP1.sdkAppId + 1}/${TaskId}`)).status, 404);

    const inProgress = await linkRequest(d, 'PUT', `${base}/status`, { Status: 'InProgress', LeaveCode: 0, Time: Date.now() });
    assert.equal(inProgress.status, 200, inProgress.text);
    assert.equal((await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId })).Status, 'InProgress');

    const file = await linkRequest(d, 'POST', `${base}/files`, { FileName: 'x.m3u8', UserId: 'alice', TrackType: 'audio_video', BeginTimeStamp: 1700000000000 });
    assert.equal(file.status, 200, file.text);
    const listed = (await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId })).StorageFileList;
    assert.deepEqual(listed.map((f) => [f.FileName, f.UserId, f.TrackType, f.BeginTimeStamp]), [['x.m3u8', 'alice', 'audio_video', 1700000000000]]);

    // Finishing a live task is refused with the store's code.
    const early = await linkRequest(d, 'POST', `${base}/finish`, {});
    assert.equal(early.status, 404);
    assert.equal(early.json.Code, 'ResourceNotFound');

    assert.equal((await linkRequest(d, 'PUT', `${base}/status`, { Status: 'Exited', LeaveCode: 99, Time: Date.now() })).status, 200);
    const exited = await linkRequest(d, 'GET', base);
    assert.equal(exited.json.Status, 'Exited');
    assert.equal(exited.json.LeaveCode, 99);
    // An exited task never changes again.
    const again = await linkRequest(d, 'PUT', `${base}/status`, { Status: 'Idle' });
    assert.equal(again.status, 404);
    assert.equal(again.json.Code, 'ResourceNotFound');
    assert.equal((await linkRequest(d, 'POST', `${base}/finish`, { Time: Date.now() })).status, 200);
    await expectCode(c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId }), 'ResourceNotFound');
  });

  test('a held task read (?after=REVISION&wait=MS) answers on a Modify or an end at once, not on a status change', T, async () => {
    // What the worker's task watch asks (src/link/link_task_watch.c).
    const TaskId = await createTask(c);
    const base = `/internal/tasks/${APP1.sdkAppId}/${TaskId}`;
    const rev = (await linkRequest(d, 'GET', base)).json.Revision;
    // A revision the caller does not know yet: answered at once.
    let t0 = Date.now();
    const stale = await linkRequest(d, 'GET', `${base}?after=${rev + 1}&wait=8000`);
    assert.equal(stale.status, 200, stale.text);
    assert.equal(stale.json.Revision, rev);
    assert.ok(Date.now() - t0 < 4000, `${Date.now() - t0} ms`);
    // Nothing new: held for the wait, then the task as it is; a status change is not news.
    t0 = Date.now();
    const held = linkRequest(d, 'GET', `${base}?after=${rev}&wait=2000`);
    await sleep(300);
    assert.equal((await linkRequest(d, 'PUT', `${base}/status`, { Status: 'InProgress', LeaveCode: 0, Time: Date.now() })).status, 200);
    const quiet = await held;
    assert.equal(quiet.status, 200, quiet.text);
    assert.ok(Date.now() - t0 >= 1900, `answered after ${Date.now() - t0} ms`);
    assert.equal(quiet.json.Status, 'InProgress');
    assert.equal(quiet.json.Revision, rev);
    // A Modify: answered with the new revision long before the wait.
    t0 = Date.now();
    const modified = linkRequest(d, 'GET', `${base}?after=${rev}&wait=20000`);
    await sleep(300);
    await c.ModifyCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId, SubscribeStreamUserIds: { SubscribeVideoUserIds: ['a'] } });
    const m = await modified;
    assert.equal(m.status, 200, m.text);
    assert.equal(m.json.Revision, rev + 1);
    assert.ok(Date.now() - t0 < 10000, `answered after ${Date.now() - t0} ms`);
    // A Delete: answered with the task exited.
    t0 = Date.now();
    const ended = linkRequest(d, 'GET', `${base}?after=${rev + 1}&wait=20000`);
    await sleep(300);
    await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
    const e = await ended;
    assert.ok(e.status === 200 || e.status === 404, `${e.status} ${e.text}`); // 404: already finished
    if (e.status === 200) assert.equal(e.json.Status, 'Exited');
    assert.ok(Date.now() - t0 < 10000, `answered after ${Date.now() - t0} ms`);
    // Bad after= or wait=: a 400.
    for (const q of ['after=x&wait=10', 'after=1&wait=-1', 'after=1&wait=soon']) {
      const r = await linkRequest(d, 'GET', `${base}?${q}`);
      assert.equal(r.status, 400, `${q}: ${r.status} ${r.text}`);
    }
  });

  test('bad input on the task endpoints is a 400 with a message', T, async () => {
    const TaskId = await createTask(c);
    const base = `/internal/tasks/${APP1.sdkAppId}/${TaskId}`;
    for (const [method, p, body] of [
      ['GET', `/internal/tasks/notanapp/${TaskId}`],
      ['GET', `/internal/tasks/${APP1.sdkAppId}`],
      ['GET', '/internal/tasks'],
      ['PUT', `${base}/status`, 'not json'],
      ['PUT', `${base}/status`, '[1,2]'],
      ['PUT', `${base}/status`, ''],
      ['PUT', `${base}/status`, { Status: 'Running' }],
      ['PUT', `${base}/status`, { Status: 'Exited', LeaveCode: 'x' }],
      ['PUT', `${base}/status`, { Status: 'Exited', LeaveCode: -5 }],
      ['PUT', `${base}/status`, { Status: 'Idle', Time: 'now' }],
      ['POST', `${base}/finish`, '{"Time":'],
      ['POST', `${base}/files`, { UserId: 'a', TrackType: 'audio', BeginTimeStamp: 1 }],
      ['POST', `${base}/files`, { FileName: '../x.m3u8', UserId: 'a', TrackType: 'audio', BeginTimeStamp: 1 }],
      ['POST', `${base}/files`, { FileName: 'x.m3u8', UserId: 'a', TrackType: 'audio', BeginTimeStamp: 'soon' }],
      ['POST', `${base}/files`, { FileName: 'x.m3u8', TrackType: 'audio', BeginTimeStamp: 1 }],
    ]) {
      const r = await linkRequest(d, method, p, body);
      assert.equal(r.status, 400, `${method} ${p} ${JSON.stringify(body)}: ${r.status} ${r.text}`);
      assert.ok(r.json?.Message, r.text);
    }
    assert.equal((await linkRequest(d, 'DELETE', base)).status, 404);
    assert.equal((await linkRequest(d, 'GET', `/internal/tasks/${APP1.sdkAppId}/nosuchtask`)).status, 404);
    // The daemon is still fine, the task untouched.
    const got = await linkRequest(d, 'GET', base);
    assert.equal(got.json.Status, 'Idle');
  });

  test('reads back (POST /internal/reads): only into the spool, only for a task of an object store', T, async () => {
    const TaskId = await createTask(c); // its vendor is kept in the local store here
    const spool = path.join(d.dataDir, 'spool');
    const read = (over = {}) => ({ SdkAppId: APP1.sdkAppId, TaskId, TimeoutS: 10, Objects: [{ Key: 'rec/a.ts', Path: path.join(spool, 'rec', '.end', 'a.ts') }], ...over });
    for (const body of [
      'not json',
      read({ TimeoutS: 0 }),
      read({ TaskId: undefined }),
      read({ Objects: [] }),
      read({ Objects: [{ Key: '../x', Path: path.join(spool, 'a.ts') }] }),
      read({ Objects: [{ Key: 'rec/a.ts', Path: path.join(d.dataDir, 'secret.key') }] }),
      read({ Objects: [{ Key: 'rec/a.ts', Path: `${spool}/rec/../../secret.key` }] }),
      read(), // the local store: nothing to read back
    ]) {
      const r = await linkRequest(d, 'POST', '/internal/reads', body);
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.status} ${r.text}`);
      assert.ok(r.json?.Message, r.text);
    }
    assert.equal((await linkRequest(d, 'POST', '/internal/reads', read({ TaskId: 'nosuchtask' }))).status, 404);
    assert.equal((await linkRequest(d, 'GET', '/internal/reads')).status, 405);
    assert.ok(!existsSync(path.join(spool, 'rec', '.end', 'a.ts')));
    const tcp = await fetch(`http://127.0.0.1:${d.port}/internal/reads`, { method: 'POST', body: JSON.stringify(read()) });
    assert.equal(tcp.status, 404);
  });
});

describe('a worker\'s idle link connection', () => {
  test('is still served after an idle time past api-timeout (it was neither served nor closed again)', T, async () => {
    const d = await startDaemon({ args: ['--api-timeout', '2'] });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () => new Promise((resolve) => {
      const req = http.request({ socketPath: path.join(d.dataDir, 'worker.sock'), path: '/internal/forwards', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, reused: req.reusedSocket }));
      });
      req.setTimeout(10000, () => { req.destroy(); resolve({ status: 0, reused: req.reusedSocket }); });
      req.on('error', () => resolve({ status: -1, reused: req.reusedSocket }));
      req.end();
    });
    try {
      assert.deepEqual(await get(), { status: 200, reused: false });
      await new Promise((resolve) => setTimeout(resolve, 4500)); // idle past the 2 s api-timeout
      assert.deepEqual(await get(), { status: 200, reused: true }, 'the same connection answers');
    } finally {
      agent.destroy();
      await d.stop();
    }
  });
});

describe('the socket file', () => {
  test('removed at stop, a stale one replaced at start, a live one not taken over', T, async () => {
    const d = await startDaemon();
    const sock = path.join(d.dataDir, 'worker.sock');
    assert.ok(existsSync(sock));
    await d.stop();
    assert.equal(existsSync(sock), false);

    const killed = await startDaemon({ dataDir: d.dataDir });
    killed.proc.kill('SIGKILL');
    await killed.exited;
    assert.ok(existsSync(sock), 'a killed daemon leaves its socket behind');
    const next = await startDaemon({ dataDir: d.dataDir });
    assert.equal((await linkRequest(next, 'GET', '/internal/forwards')).status, 200);

    await assert.rejects(startDaemon({ dataDir: d.dataDir }), /another daemon serves/);
    assert.equal((await linkRequest(next, 'GET', '/internal/forwards')).status, 200);
    await next.stop();
  });
});
