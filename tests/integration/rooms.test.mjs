// Room administration through the official SDK: RemoveUser / RemoveUserByStrRoomId kick users
// that `cloudrec publish` put in a room, DismissRoom / DismissRoomByStrRoomId end rooms; the
// room's event log shows it; bad input and missing rooms get TRTC error codes. A room nobody
// publishes in for room-idle-timeout is destroyed, and its recording ends with LeaveCode 100.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { APP1, APP2, BIN, UUID_RE, TASK_ID_RE, startDaemon, makeClient, expectCode, userSig, until, callbackServer } from './helpers.mjs';
import { internal, roomState, waitRoom } from './media.mjs';

const T = { timeout: 60000 };

function publish(port, { room, strRoom, user, duration = 60, args = [] }) {
  const proc = spawn(BIN, ['publish', '--server', `http://127.0.0.1:${port}`, '--sdkappid', String(APP1.sdkAppId),
    ...(strRoom ? ['--str-room', strRoom] : ['--room', String(room)]), '--user', user, '--usersig', userSig(APP1, user),
    '--size', '160x90', '--fps', '5', '--duration', String(duration), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  proc.exited = new Promise((resolve) => proc.on('exit', (code) => resolve({ code, stderr })));
  return proc;
}

describe('RemoveUser and DismissRoom', () => {
  let d;
  let c;
  const procs = [];
  before(async () => {
    d = await startDaemon({ apps: [APP1, APP2] });
    c = makeClient(d.port, APP1);
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await d.stop();
  });

  test('RemoveUser kicks the named users who are in the room; the others stay', T, async () => {
    const alice = publish(d.port, { room: 8201, user: 'alice' });
    procs.push(alice, publish(d.port, { room: 8201, user: 'bob' }));
    await waitRoom(d, APP1.sdkAppId, 8201, (s) => s.Streams.length === 2, { timeoutMs: 20000 });
    const r = await c.RemoveUser({ SdkAppId: APP1.sdkAppId, RoomId: 8201, UserIds: ['alice', 'nobody'] });
    assert.match(r.RequestId, UUID_RE);
    const s = await waitRoom(d, APP1.sdkAppId, 8201, (st) => st.Streams.length === 1);
    assert.equal(s.Streams[0].UserId, 'bob');
    const aliceEvents = s.Events.filter((e) => e.UserId === 'alice').map((e) => `${e.Type}:${e.Reason ?? ''}`);
    assert.deepEqual(aliceEvents.slice(-3), ['kick:kicked', 'unpublish:kicked', 'leave:kicked']);
    // The kicked publisher learns it and exits 1: its session resource is gone, or, when the kick
    // comes while its offer is still being answered (it is in the room from the offer on), the
    // answer is a refusal that says why.
    const exit = await alice.exited;
    assert.equal(exit.code, 1, exit.stderr);
    assert.match(exit.stderr, /cloudrec publish: (the server ended the session|the server refused to publish \(HTTP 503\): .*kicked)/);
  });

  test('DismissRoom ends an integer room: everyone leaves', T, async () => {
    const r = await c.DismissRoom({ SdkAppId: APP1.sdkAppId, RoomId: 8201 });
    assert.match(r.RequestId, UUID_RE);
    const s = await waitRoom(d, APP1.sdkAppId, 8201, (st) => st.Streams.length === 0);
    const types = s.Events.map((e) => `${e.Type}:${e.UserId ?? ''}:${e.Reason ?? ''}`);
    assert.ok(types.includes('dismiss::dismissed'), types.join(' '));
    assert.deepEqual(types.slice(-2), ['unpublish:bob:dismissed', 'leave:bob:dismissed']);
  });

  test('the string-room twins act on string rooms only', T, async () => {
    procs.push(publish(d.port, { strRoom: 'hall 8202', user: 'carol' }));
    procs.push(publish(d.port, { strRoom: 'hall 8202', user: 'dan' }));
    procs.push(publish(d.port, { room: 8202, user: 'erin' }));
    await waitRoom(d, APP1.sdkAppId, 'hall 8202', (s) => s.Streams.length === 2, { str: true, timeoutMs: 20000 });
    await waitRoom(d, APP1.sdkAppId, 8202, (s) => s.Streams.length === 1, { timeoutMs: 20000 });
    await c.RemoveUserByStrRoomId({ SdkAppId: APP1.sdkAppId, RoomId: 'hall 8202', UserIds: ['carol'] });
    await waitRoom(d, APP1.sdkAppId, 'hall 8202', (s) => s.Streams.length === 1 && s.Streams[0].UserId === 'dan', { str: true });
    await c.DismissRoomByStrRoomId({ SdkAppId: APP1.sdkAppId, RoomId: 'hall 8202' });
    await waitRoom(d, APP1.sdkAppId, 'hall 8202', (s) => s.Streams.length === 0, { str: true });
    // The integer room with the same digits is untouched; a string room "8202" does not exist.
    await waitRoom(d, APP1.sdkAppId, 8202, (s) => s.Streams.length === 1);
    await expectCode(c.DismissRoomByStrRoomId({ SdkAppId: APP1.sdkAppId, RoomId: '8202' }), 'FailedOperation.RoomNotExist', /string room 8202 does not exist/);
  });

  test('a room that does not exist: FailedOperation.RoomNotExist for each action', T, async () => {
    await expectCode(c.RemoveUser({ SdkAppId: APP1.sdkAppId, RoomId: 9999, UserIds: ['a'] }), 'FailedOperation.RoomNotExist', /integer room 9999/);
    await expectCode(c.RemoveUserByStrRoomId({ SdkAppId: APP1.sdkAppId, RoomId: 'none', UserIds: ['a'] }), 'FailedOperation.RoomNotExist', /string room none/);
    await expectCode(c.DismissRoom({ SdkAppId: APP1.sdkAppId, RoomId: 9999 }), 'FailedOperation.RoomNotExist', /integer room 9999/);
    await expectCode(c.DismissRoomByStrRoomId({ SdkAppId: APP1.sdkAppId, RoomId: 'none' }), 'FailedOperation.RoomNotExist', /string room none/);
  });

  test('bad input is refused with the TRTC codes', T, async () => {
    await expectCode(c.RemoveUser({ SdkAppId: APP1.sdkAppId, RoomId: 8201 }), 'MissingParameter', /UserIds is required/);
    await expectCode(c.RemoveUser({ SdkAppId: APP1.sdkAppId, RoomId: 8201, UserIds: [] }), 'InvalidParameter.UserId', /1 to 10 entries/);
    await expectCode(c.RemoveUser({ SdkAppId: APP1.sdkAppId, RoomId: 8201, UserIds: Array.from({ length: 11 }, (_, i) => `u${i}`) }), 'InvalidParameter.UserId', /got 11/);
    await expectCode(c.RemoveUser({ SdkAppId: APP1.sdkAppId, RoomId: '8201', UserIds: ['a'] }), 'InvalidParameter.RoomId', /RoomId/);
    await expectCode(c.DismissRoom({ SdkAppId: APP1.sdkAppId, RoomId: 0 }), 'InvalidParameter.RoomId', /\[1, 4294967294\]/);
    await expectCode(c.DismissRoomByStrRoomId({ SdkAppId: APP1.sdkAppId, RoomId: 'a/b' }), 'InvalidParameter.RoomId', /string RoomId/);
    await expectCode(c.DismissRoom({ SdkAppId: APP1.sdkAppId }), 'MissingParameter.RoomId', /RoomId is required/);
    // Another app's room, with this app's key.
    await expectCode(c.DismissRoom({ SdkAppId: APP2.sdkAppId, RoomId: 8202 }), 'AuthFailure.UnauthorizedOperation');
  });
});

describe('idle rooms', () => {
  let d;
  let c;
  let cb;
  const procs = [];
  before(async () => {
    cb = await callbackServer();
    const app = { ...APP1, callbackKey: 'k', callbackUrl: `http://127.0.0.1:${cb.port}/cb` };
    // Workers on (a recording task follows the room); rooms die 3 s after their last stream.
    d = await startDaemon({ apps: [app], defaults: ['--api-rate-limit', '100000', '--room-idle-timeout', '3'] });
    c = makeClient(d.port, APP1);
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await d.stop();
    cb.server.close();
  });

  test('the only publisher leaves: the room is destroyed and the task ends with LeaveCode 100', { timeout: 90000 }, async () => {
    const room = 8301;
    const robot = 'recorder_8301';
    const alice = publish(d.port, { room, user: 'alice', duration: 60 });
    procs.push(alice);
    await waitRoom(d, APP1.sdkAppId, room, (s) => s.Streams.length === 1, { timeoutMs: 20000 });
    const { TaskId } = await c.CreateCloudRecording({
      SdkAppId: APP1.sdkAppId, RoomId: String(room), UserId: robot, UserSig: userSig(APP1, robot),
      // MaxIdleTime far beyond the room's idle timeout: 99 must not come first.
      RecordParams: { RecordMode: 1, MaxIdleTime: 600 },
      StorageParams: { CloudStorage: { Vendor: 0, Region: 'ap-guangzhou', Bucket: 'b-1250000000', AccessKey: 'ak', SecretKey: 'sk' } },
    });
    assert.match(TaskId, TASK_ID_RE);
    await until('InProgress', async () => (await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId })).Status === 'InProgress', 30000);
    // The robot is a member of the room, yet the room is idle once alice has gone.
    await waitRoom(d, APP1.sdkAppId, room, (s) => s.Members.some((m) => m.UserId === robot && m.TaskId === TaskId));
    alice.kill('SIGTERM'); // DELETE: alice leaves
    const left = Date.now();
    const stop = await until('the 302 callback', () => cb.received.map((r) => r.json).find((b) => b.EventType === 302 && b.EventInfo.TaskId === TaskId), 30000);
    console.log(`# the task ended ${((Date.now() - left) / 1000).toFixed(1)} s after the last publisher left (room-idle-timeout 3 s)`);
    assert.deepEqual(stop.EventInfo.Payload, { LeaveCode: 100 });
    assert.equal(stop.EventInfo.RoomId, String(room));
    // The destroyed room's log ends with the destroy, by the server; the room no longer exists.
    const s = await roomState(d, APP1.sdkAppId, room);
    assert.equal(s.Exists, false);
    const destroy = s.Events.find((e) => e.Type === 'destroy');
    assert.ok(destroy, JSON.stringify(s.Events));
    assert.deepEqual([destroy.Reason, destroy.Origin], ['idle', 'server']);
    assert.deepEqual(s.Members, []);
    // RemoveUser and DismissRoom find no room any more.
    await expectCode(c.DismissRoom({ SdkAppId: APP1.sdkAppId, RoomId: room }), 'FailedOperation.RoomNotExist');
  });

  test('RemoveUser and DismissRoom are a client\'s: their events say so (LeaveCode 1 and 2, not 3 and 4)', { timeout: 60000 }, async () => {
    const room = 8302;
    procs.push(publish(d.port, { room, user: 'bob' }), publish(d.port, { room, user: 'carol' }));
    await waitRoom(d, APP1.sdkAppId, room, (s) => s.Streams.length === 2, { timeoutMs: 20000 });
    await c.RemoveUser({ SdkAppId: APP1.sdkAppId, RoomId: room, UserIds: ['bob'] });
    await c.DismissRoom({ SdkAppId: APP1.sdkAppId, RoomId: room });
    const s = await waitRoom(d, APP1.sdkAppId, room, (st) => st.Events.some((e) => e.Type === 'dismiss'));
    const origins = s.Events.filter((e) => e.Type === 'kick' || e.Type === 'dismiss').map((e) => `${e.Type}:${e.Origin}`);
    assert.deepEqual(origins, ['kick:client', 'dismiss:client']);
  });
});

describe('room changes pushed to a waiting request (?wait=MS)', () => {
  let d;
  const procs = [];
  before(async () => { d = await startDaemon({ apps: [APP1] }); });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await d.stop();
  });
  const roomPath = (room, after, wait) => `/internal/rooms/${APP1.sdkAppId}/room/${room}?after=${after}${wait !== undefined ? `&wait=${wait}` : ''}`;
  const held = async (room, after, wait) => {
    const start = Date.now();
    const r = await internal(d, 'GET', roomPath(room, after, wait));
    assert.equal(r.status, 200, r.text);
    return { ...r.json, ms: Date.now() - start, at: Date.now() };
  };

  test('a request waiting on a room returns when someone publishes there, not before', { timeout: 60000 }, async () => {
    const room = 8401;
    const { LastSeq } = await roomState(d, APP1.sdkAppId, room);
    // Client 1 waits (up to 25 s) for anything after LastSeq; client 2 publishes.
    const waiting = held(room, LastSeq, 25000);
    await new Promise((r) => setTimeout(r, 1500));
    // Meanwhile the daemon answers other requests: the held one does not block the main loop.
    const quick = await held(room, LastSeq);
    assert.deepEqual(quick.Events, []);
    assert.ok(quick.ms < 5000, `an unheld request took ${quick.ms} ms while another was held`);
    procs.push(publish(d.port, { room, user: 'frank' }));
    const r = await waiting;
    const pub = r.Events.find((e) => e.Type === 'publish' && e.UserId === 'frank');
    assert.ok(pub, `the held request returned without the publish: ${JSON.stringify(r.Events)}`);
    assert.ok(r.ms < 25000, 'the held request ran to its timeout');
    assert.ok(r.ms >= 1400, `the held request returned after ${r.ms} ms, before anything happened`);
    console.log(`# the held request returned ${r.at - pub.Time} ms after the publish event (held ${r.ms} ms)`);
    assert.equal(r.Exists, true);
    assert.equal(r.LastSeq >= pub.Seq, true);
  });

  test('a camera turned off and on: the held request returns with the media event', { timeout: 60000 }, async () => {
    const room = 8402;
    procs.push(publish(d.port, { room, user: 'gina', args: ['--video-pause', '5:6'] }));
    const s = await waitRoom(d, APP1.sdkAppId, room, (st) => st.Streams.some((x) => x.VideoActive && x.AudioActive), { timeoutMs: 20000 });
    const off = await held(room, s.LastSeq, 25000);
    const ev = off.Events.find((e) => e.Type === 'media');
    assert.ok(ev, JSON.stringify(off.Events));
    assert.deepEqual([ev.UserId, ev.Stream, ev.AudioActive, ev.VideoActive], ['gina', 'main', true, false]);
    assert.deepEqual(off.Streams.map((x) => [x.AudioActive, x.VideoActive]), [[true, false]]);
    const on = await held(room, off.LastSeq, 25000);
    const back = on.Events.find((e) => e.Type === 'media');
    assert.ok(back, JSON.stringify(on.Events));
    assert.deepEqual([back.AudioActive, back.VideoActive], [true, true]);
  });

  test('with nothing happening the request is answered after the wait (longer than api-timeout)', { timeout: 60000 }, async () => {
    const room = 8403;
    const { LastSeq } = await roomState(d, APP1.sdkAppId, room);
    const r = await held(room, LastSeq, 8000);
    assert.deepEqual(r.Events, []);
    assert.equal(r.Exists, false);
    assert.ok(r.ms >= 7500, `returned after ${r.ms} ms`);
    const bad = await internal(d, 'GET', roomPath(room, LastSeq, 'soon'));
    assert.equal(bad.status, 400);
    assert.match(bad.text, /wait= takes milliseconds/);
    // Something already after SEQ (a robot joined): answered at once, whatever the wait.
    const join = await internal(d, 'PUT', `/internal/rooms/${APP1.sdkAppId}/room/${room}/members/recorder_8403?task=T8403`);
    assert.equal(join.status, 200, join.text);
    const now = await held(room, LastSeq, 30000);
    assert.deepEqual(now.Events.map((e) => `${e.Type}:${e.UserId}`), ['join:recorder_8403']);
    assert.ok(now.ms < 5000, `answered after ${now.ms} ms`);
  });
});
