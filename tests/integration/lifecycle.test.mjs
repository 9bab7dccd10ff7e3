// The task's life cycle in the daemon: a failover after a daemon restart, counted across
// restarts (kill -9 of the worker, three failovers and the fourth's 302: drills.test.mjs); a
// worker that dies with its daemon; Delete and the finish; a worker that cannot start ends its
// task with a 301 Status 1 and frees its concurrency slot. Callbacks are checked with their Sign
// header.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { APP1, BIN, TASK_ID_RE, startDaemon, makeClient, makeTmpDir, userSig, until, expectCode, callbackServer, workerPids } from './helpers.mjs';

const T = { timeout: 240000 };
const CALLBACK_KEY = 'lifecycleKey';

function publish(port, room, user) {
  return spawn(BIN, ['publish', '--server', `http://127.0.0.1:${port}`, '--sdkappid', String(APP1.sdkAppId), '--room', String(room),
    '--user', user, '--usersig', userSig(APP1, user), '--size', '160x90', '--fps', '5', '--duration', '180'], { stdio: 'ignore' });
}

function body(room, robot, prefix = ['life']) {
  return {
    SdkAppId: APP1.sdkAppId, RoomId: String(room), UserId: robot, UserSig: userSig(APP1, robot),
    RecordParams: { RecordMode: 1, StreamType: 1, MaxIdleTime: 300 },
    StorageParams: { CloudStorage: { Vendor: 0, Region: 'ap-guangzhou', Bucket: 'b-1250000000', AccessKey: 'ak', SecretKey: 'sk', FileNamePrefix: prefix } },
  };
}

// The callbacks of one task, each checked against its Sign header.
function events(cb, TaskId) {
  return cb.received.map((r) => {
    const sign = createHmac('sha256', CALLBACK_KEY).update(r.raw).digest('base64');
    assert.equal(r.headers.sign, sign, `callback signed with the app's key: ${r.raw}`);
    return JSON.parse(r.raw);
  }).filter((j) => j.EventInfo.TaskId === TaskId);
}

const describeTask = (c, TaskId) => c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });

async function fileWithPrefix(c, TaskId, prefix) {
  return until(`a ${prefix || 'first'} file in the StorageFileList`, async () => {
    const r = await describeTask(c, TaskId);
    return r.StorageFileList.find((f) => (prefix ? f.FileName.startsWith(prefix) : !/^ha\d_/.test(f.FileName)));
  }, 60000);
}

describe('task life cycle', () => {
  let cb;
  const procs = [];
  const app = () => ({ ...APP1, callbackKey: CALLBACK_KEY, callbackUrl: `http://127.0.0.1:${cb.port}/cb` });
  before(async () => { cb = await callbackServer(); });
  after(() => {
    for (const p of procs) p.kill('SIGKILL');
    cb.server.close();
  });

  test('a daemon restart counts as one failover (306, ha1_ files) and the count survives it', T, async () => {
    const dataDir = makeTmpDir();
    let d = await startDaemon({ apps: [app()], dataDir, defaults: ['--api-rate-limit', '100000'] });
    const port = d.port;
    const room = 9502;
    let c = makeClient(d.port, APP1);
    const pub1 = publish(d.port, room, 'bob');
    procs.push(pub1);
    const { TaskId } = await c.CreateCloudRecording(body(room, 'recorder_9502'));
    await fileWithPrefix(c, TaskId, '');
    assert.equal(events(cb, TaskId).filter((j) => j.EventType === 306).length, 0);
    await d.stop();
    pub1.kill('SIGKILL');

    d = await startDaemon({ apps: [app()], dataDir, defaults: ['--api-rate-limit', '100000'], args: ['--listen', `127.0.0.1:${port}`] });
    try {
      c = makeClient(d.port, APP1);
      procs.push(publish(d.port, room, 'bob'));
      const failover = await until('the 306 after the restart', () => events(cb, TaskId).find((j) => j.EventType === 306), 60000);
      assert.deepEqual(failover.EventInfo.Payload, { Status: 0 });
      assert.match(d.stderr, new RegExp(`task ${TaskId}: starting a new worker \\(failover 1\\)`));
      const f = await fileWithPrefix(c, TaskId, 'ha1_');
      assert.match(f.FileName, /^ha1_/);
      assert.notEqual((await describeTask(c, TaskId)).Status, 'Exited');
      const ext = await c.request('CloudrecDescribeTask', { SdkAppId: APP1.sdkAppId, TaskId });
      assert.equal(ext.Failovers, 1);
      assert.equal(ext.Finished, false);
      assert.equal(ext.LeaveCode, -1);
    } finally {
      await d.stop();
    }
    // A second restart is failover 2: the count lives in the store.
    d = await startDaemon({ apps: [app()], dataDir, defaults: ['--api-rate-limit', '100000'] });
    try {
      await until('the second 306', () => events(cb, TaskId).filter((j) => j.EventType === 306).length === 2, 60000);
      assert.match(d.stderr, new RegExp(`task ${TaskId}: starting a new worker \\(failover 2\\)`));
      await makeClient(d.port, APP1).DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
    } finally {
      await d.stop();
    }
  });

  test('a worker dies with its daemon (kill -9 of the daemon alone leaves no worker behind)', T, async () => {
    const d = await startDaemon({ apps: [app()], defaults: ['--api-rate-limit', '100000'] });
    const c = makeClient(d.port, APP1);
    const room = 9506;
    procs.push(publish(d.port, room, 'erin'));
    const { TaskId } = await c.CreateCloudRecording(body(room, 'recorder_9506'));
    const [pid] = await until('the worker started', () => workerPids(d, TaskId).length > 0 && workerPids(d, TaskId), 30000);
    process.kill(pid, 0); // alive
    d.proc.kill('SIGKILL');
    await d.exited;
    await until('the worker gone with its daemon', () => { try { process.kill(pid, 0); return false; } catch { return true; } }, 10000);
  });

  test('Delete: Describe answers Exited while the worker finishes, then ResourceNotFound; CloudrecDescribeTask keeps the files', T, async () => {
    const d = await startDaemon({ apps: [app()], defaults: ['--api-rate-limit', '100000'] });
    try {
      const c = makeClient(d.port, APP1);
      const room = 9505;
      procs.push(publish(d.port, room, 'dave'));
      const { TaskId } = await c.CreateCloudRecording(body(room, 'recorder_9505'));
      const first = await fileWithPrefix(c, TaskId, '');
      await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
      // Right after the Delete the worker is still closing its files: Exited (or, on a fast
      // machine, already finished). Every answer until the 302 is one of the two.
      const seen = new Set();
      await until('ResourceNotFound after the finish', async () => {
        try {
          seen.add((await describeTask(c, TaskId)).Status);
          return false;
        } catch (err) {
          assert.equal(err.code, 'ResourceNotFound');
          return true;
        }
      }, 60000);
      for (const s of seen) assert.equal(s, 'Exited', `Describe between Delete and the finish: ${[...seen]}`);
      // The 302 is queued in the same transaction as the finish; the outbox posts it right after.
      await until('the 302', () => events(cb, TaskId).some((j) => j.EventType === 302), 15000);
      const stop = events(cb, TaskId).find((j) => j.EventType === 302);
      assert.deepEqual(stop.EventInfo.Payload, { LeaveCode: 0 });
      const ext = await c.request('CloudrecDescribeTask', { SdkAppId: APP1.sdkAppId, TaskId });
      assert.equal(ext.TaskId, TaskId);
      assert.equal(ext.Status, 'Exited');
      assert.equal(ext.Finished, true);
      assert.equal(ext.Failovers, 0);
      assert.ok(ext.StorageFileList.some((f) => f.FileName === first.FileName));
      // An unknown TaskId is not found by the extension either.
      await expectCode(c.request('CloudrecDescribeTask', { SdkAppId: APP1.sdkAppId, TaskId: 'x'.repeat(32) }), 'ResourceNotFound');
    } finally {
      await d.stop();
    }
  });

  test('a worker whose first link calls go unanswered keeps asking: its task starts (301 Status 0)', T, async () => {
    // The daemon stopped (SIGSTOP) right after the Create: the new worker's first read of its
    // task gets no answer within the link's 5 s timeout, as when the daemon is busy forking many
    // workers at once. It asks again (for up to 30 s) instead of ending the task with 301 Status 1.
    const d = await startDaemon({ apps: [app()], defaults: ['--api-rate-limit', '100000'] });
    let stopped = false;
    try {
      const c = makeClient(d.port, APP1);
      const { TaskId } = await c.CreateCloudRecording(body(9505, 'recorder_9505'));
      d.proc.kill('SIGSTOP');
      stopped = true;
      await new Promise((resolve) => setTimeout(resolve, 9000));
      d.proc.kill('SIGCONT');
      stopped = false;
      const start = await until('the 301', () => events(cb, TaskId).find((j) => j.EventType === 301), 60000);
      assert.deepEqual(start.EventInfo.Payload, { Status: 0 }, `301 of a worker that waited for the daemon\n${d.stderr.slice(-3000)}`);
      assert.match(d.stderr, new RegExp(`task ${TaskId}: no answer from the daemon .*; asking again`), 'the worker was left unanswered and asked again');
      assert.equal(workerPids(d, TaskId).length, 1, 'one worker, no failover');
      const ext = await c.request('CloudrecDescribeTask', { SdkAppId: APP1.sdkAppId, TaskId });
      assert.notEqual(ext.Status, 'Exited');
      await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
      const stop = await until('the 302', () => events(cb, TaskId).find((j) => j.EventType === 302), 60000);
      assert.deepEqual(stop.EventInfo.Payload, { LeaveCode: 0 });
    } finally {
      if (stopped) d.proc.kill('SIGCONT');
      await d.stop();
    }
  });

  test('a worker that cannot start ends its task with a signed 301 Status 1 and frees the slot', T, async () => {
    // The task's storage directory would be under a regular file: the worker cannot create it.
    const dataDir = makeTmpDir();
    mkdirSync(path.join(dataDir, 'storage'), { recursive: true });
    writeFileSync(path.join(dataDir, 'storage', 'blocked'), 'not a directory');
    const d = await startDaemon({ apps: [app()], dataDir, defaults: ['--api-rate-limit', '100000', '--api-max-tasks', '1'] });
    try {
      const c = makeClient(d.port, APP1);
      const { TaskId } = await c.CreateCloudRecording(body(9503, 'recorder_9503', ['blocked', 'x']));
      const start = await until('the 301', () => events(cb, TaskId).find((j) => j.EventType === 301), 30000);
      assert.deepEqual(start.EventInfo.Payload, { Status: 1 });
      assert.equal(events(cb, TaskId).filter((j) => j.EventType === 306).length, 0, 'no failover');
      assert.equal(workerPids(d, TaskId).length, 1, 'no second worker');
      // Its slot is free: with a limit of one task, a new Create succeeds.
      const next = await c.CreateCloudRecording(body(9504, 'recorder_9504'));
      assert.match(next.TaskId, TASK_ID_RE);
      await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: next.TaskId });
      await expectCode(c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId }), 'ResourceNotFound');
      await expectCode(describeTask(c, TaskId), 'ResourceNotFound');
      const ext = await c.request('CloudrecDescribeTask', { SdkAppId: APP1.sdkAppId, TaskId });
      assert.equal(ext.Status, 'Exited');
      assert.equal(ext.Failovers, 0);
      assert.deepEqual(ext.StorageFileList, []);
    } finally {
      await d.stop();
    }
  });
});
