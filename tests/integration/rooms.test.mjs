// Room administration through the official SDK: RemoveUser / RemoveUserByStrRoomId kick users
// that `cloudrec publish` put in a room, DismissRoom / DismissRoomByStrRoomId end rooms; the
// room's event log shows it; bad input and missing rooms get TRTC error codes.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { APP1, APP2, BIN, UUID_RE, startDaemon, makeClient, expectCode, userSig } from './helpers.mjs';
import { waitRoom } from './media.mjs';

const T = { timeout: 60000 };

function publish(port, { room, strRoom, user }) {
  const proc = spawn(BIN, ['publish', '--server', `http://127.0.0.1:${port}`, '--sdkappid', String(APP1.sdkAppId),
    ...(strRoom ? ['--str-room', strRoom] : ['--room', String(room)]), '--user', user, '--usersig', userSig(APP1, user),
    '--size', '160x90', '--fps', '5', '--duration', '60'], { stdio: ['ignore', 'ignore', 'pipe'] });
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
