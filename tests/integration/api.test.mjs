// The four actions through the official Node SDK: POST (the default), GET (nested fields
// flattened by the SDK) and endpoint localhost:PORT (the SDK then signs service "localhost:PORT").
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  APP1, APP2, TASK_ID_RE, UUID_RE, startDaemon, makeClient, expectCode, createBodyCos,
  createBodyMixed, userSig, signedRequest, assertApiReply,
} from './helpers.mjs';

const T = { timeout: 20000 };

/** A GET query as the Go SDK writes one: nested fields flattened (A.B, L.0), keys sorted, values
 * escaped by url.QueryEscape (space -> "+", !'()* escaped). */
function goQuery(obj) {
  const flat = {};
  const walk = (o, prefix) => {
    for (const [k, v] of Object.entries(o)) {
      if (v === null || v === undefined) continue;
      if (typeof v === 'object') walk(v, `${prefix}${k}.`);
      else flat[`${prefix}${k}`] = String(v);
    }
  };
  walk(obj, '');
  const esc = (t) => encodeURIComponent(t).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
  return Object.keys(flat).sort().map((k) => `${esc(k)}=${esc(flat[k])}`).join('&');
}

function assertDescribe(res, taskId, status) {
  assert.equal(res.TaskId, taskId);
  assert.equal(res.Status, status);
  assert.deepEqual(res.StorageFileList, []);
  assert.match(res.RequestId, UUID_RE);
  // TRTC's model has RecorderKey (string); nothing else may appear.
  const extra = Object.keys(res).filter((k) => !['TaskId', 'Status', 'StorageFileList', 'RequestId', 'RecorderKey'].includes(k));
  assert.deepEqual(extra, [], 'unexpected members in the Describe reply');
  if ('RecorderKey' in res) assert.equal(res.RecorderKey, '');
}

/** Create (both modes) -> Describe -> Modify -> Delete -> Describe/Modify/Delete after delete. */
async function fullCycle(client, app) {
  const requestIds = new Set();
  const seen = (res) => {
    assert.match(res.RequestId, UUID_RE, 'every reply carries a RequestId UUID');
    assert.ok(!requestIds.has(res.RequestId), `RequestId ${res.RequestId} repeated`);
    requestIds.add(res.RequestId);
    return res;
  };

  const single = seen(await client.CreateCloudRecording(createBodyCos(app)));
  assert.match(single.TaskId, TASK_ID_RE);
  assert.deepEqual(Object.keys(single).sort(), ['RequestId', 'TaskId']);

  const mixed = seen(await client.CreateCloudRecording(createBodyMixed(app)));
  assert.match(mixed.TaskId, TASK_ID_RE);
  assert.notEqual(mixed.TaskId, single.TaskId);

  for (const id of [single.TaskId, mixed.TaskId]) {
    assertDescribe(seen(await client.DescribeCloudRecording({ SdkAppId: app.sdkAppId, TaskId: id })), id, 'Idle');
  }

  // Modify: the subscription lists of the single-stream task, a new custom layout for the mixed one.
  const m1 = seen(await client.ModifyCloudRecording({
    SdkAppId: app.sdkAppId, TaskId: single.TaskId,
    SubscribeStreamUserIds: { SubscribeVideoUserIds: ['alice'], SubscribeAudioUserIds: ['alice', 'carol'] },
  }));
  assert.deepEqual(Object.keys(m1).sort(), ['RequestId', 'TaskId']);
  assert.equal(m1.TaskId, single.TaskId);
  const m2 = seen(await client.ModifyCloudRecording({
    SdkAppId: app.sdkAppId, TaskId: mixed.TaskId,
    MixLayoutParams: {
      MixLayoutMode: 4,
      MixLayoutList: [{ Top: 0, Left: 0, Width: 1280, Height: 720, UserId: 'alice' },
        { Top: 520, Left: 1080, Width: 200, Height: 200, UserId: 'bob', ImageLayer: 1 }],
    },
    SubscribeStreamUserIds: { SubscribeVideoUserIds: ['alice', 'bob'] },
  }));
  assert.equal(m2.TaskId, mixed.TaskId);
  // Still Idle and describable after Modify.
  assertDescribe(seen(await client.DescribeCloudRecording({ SdkAppId: app.sdkAppId, TaskId: mixed.TaskId })), mixed.TaskId, 'Idle');

  for (const id of [single.TaskId, mixed.TaskId]) {
    const del = seen(await client.DeleteCloudRecording({ SdkAppId: app.sdkAppId, TaskId: id }));
    assert.deepEqual(Object.keys(del).sort(), ['RequestId', 'TaskId']);
    assert.equal(del.TaskId, id);
    assertDescribe(seen(await client.DescribeCloudRecording({ SdkAppId: app.sdkAppId, TaskId: id })), id, 'Exited');
    await expectCode(client.ModifyCloudRecording({
      SdkAppId: app.sdkAppId, TaskId: id, SubscribeStreamUserIds: { SubscribeVideoUserIds: ['alice'] },
    }), 'ResourceNotFound');
    await expectCode(client.DeleteCloudRecording({ SdkAppId: app.sdkAppId, TaskId: id }), 'ResourceNotFound');
  }
  return { single: single.TaskId, mixed: mixed.TaskId };
}

describe('the four actions through the Node SDK', () => {
  let d;
  before(async () => { d = await startDaemon({ apps: [APP1, APP2] }); });
  after(async () => { await d.stop(); });

  test('POST (the SDK default): Create x2, Describe, Modify, Delete, and after Delete', T, async () => {
    await fullCycle(makeClient(d.port, APP1), APP1);
  });

  test('GET: nested fields flattened by the SDK into the query string', T, async () => {
    await fullCycle(makeClient(d.port, APP1, { method: 'GET' }), APP1);
  });

  test('endpoint localhost:PORT (SDK signs service "localhost:PORT")', T, async () => {
    await fullCycle(makeClient(d.port, APP1, { host: 'localhost' }), APP1);
  });

  test('endpoint localhost:PORT with GET', T, async () => {
    const c = makeClient(d.port, APP2, { host: 'localhost', method: 'GET' });
    const { TaskId } = await c.CreateCloudRecording(createBodyCos(APP2));
    assertDescribe(await c.DescribeCloudRecording({ SdkAppId: APP2.sdkAppId, TaskId }), TaskId, 'Idle');
    assert.equal((await c.DeleteCloudRecording({ SdkAppId: APP2.sdkAppId, TaskId })).TaskId, TaskId);
  });

  test('GET: "+" in the query is a space, as Go, Python and Java encode it (Node writes %20)', T, async () => {
    // Observable through TRTC's robot rule: a Create with the same robot UserId in the same room
    // ends the earlier task. The string room "rec room" is created through the SDK (POST); a GET
    // Create encoded like Go's url.Values.Encode (space -> "+") must land in the same room.
    const c = makeClient(d.port, APP1);
    const userId = `robot_plus_${process.pid}`;
    const body = createBodyCos(APP1, { RoomIdType: 0, RoomId: 'rec room', UserId: userId, UserSig: userSig(APP1, userId) });
    const first = (await c.CreateCloudRecording(body)).TaskId;
    const r = assertApiReply(await signedRequest(d.port, { method: 'GET', action: 'CreateCloudRecording', query: goQuery(body) }), null);
    assert.match(r.TaskId, TASK_ID_RE);
    assert.equal((await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: first })).Status, 'Exited',
      'the GET Create with RoomId=rec+room did not replace the robot of room "rec room"');
    // A literal plus (%2B) is another room: the robot there does not end the task in "rec room".
    const second = r.TaskId;
    const other = assertApiReply(await signedRequest(d.port, {
      method: 'GET', action: 'CreateCloudRecording', query: goQuery({ ...body, RoomId: 'rec+room' }),
    }), null);
    assert.match(other.TaskId, TASK_ID_RE);
    assert.equal((await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: second })).Status, 'Idle');
  });

  test('the second app works the same way', T, async () => {
    await fullCycle(makeClient(d.port, APP2), APP2);
  });

  test('Describe/Modify/Delete of an unknown TaskId -> ResourceNotFound', T, async () => {
    const c = makeClient(d.port, APP1);
    const unknown = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    await expectCode(c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: unknown }), 'ResourceNotFound', /AAAAAAAA/);
    await expectCode(c.ModifyCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: unknown, SubscribeStreamUserIds: { SubscribeVideoUserIds: ['a'] } }), 'ResourceNotFound');
    await expectCode(c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: unknown }), 'ResourceNotFound');
  });

  test("another app's TaskId is not visible", T, async () => {
    const c1 = makeClient(d.port, APP1);
    const c2 = makeClient(d.port, APP2);
    const { TaskId } = await c1.CreateCloudRecording(createBodyCos(APP1));
    // App 2, with its own key and its own SdkAppId, cannot see app 1's task ...
    await expectCode(c2.DescribeCloudRecording({ SdkAppId: APP2.sdkAppId, TaskId }), 'ResourceNotFound');
    await expectCode(c2.ModifyCloudRecording({ SdkAppId: APP2.sdkAppId, TaskId, SubscribeStreamUserIds: { SubscribeVideoUserIds: ['a'] } }), 'ResourceNotFound');
    await expectCode(c2.DeleteCloudRecording({ SdkAppId: APP2.sdkAppId, TaskId }), 'ResourceNotFound');
    // ... nor act on app 1's SdkAppId with app 2's key.
    await expectCode(c2.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId }), 'AuthFailure.UnauthorizedOperation');
    await expectCode(c2.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId }), 'AuthFailure.UnauthorizedOperation');
    await expectCode(c2.CreateCloudRecording(createBodyCos(APP1)), 'AuthFailure.UnauthorizedOperation');
    // The task is untouched.
    assertDescribe(await c1.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId }), TaskId, 'Idle');
  });

  test('a second robot with the same UserId in the same room ends the earlier task', T, async () => {
    const c = makeClient(d.port, APP1);
    const first = createBodyCos(APP1);
    const { TaskId: a } = await c.CreateCloudRecording(first);
    const { TaskId: b } = await c.CreateCloudRecording({ ...first });
    assert.notEqual(a, b);
    assertDescribe(await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: a }), a, 'Exited');
    assertDescribe(await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: b }), b, 'Idle');
  });

  test('a string room (RoomIdType 0) and RecorderKey are accepted', T, async () => {
    const c = makeClient(d.port, APP1);
    const body = createBodyCos(APP1, { RoomIdType: 0, RoomId: 'room-abc_1', UserId: 'recorder_str', UserSig: userSig(APP1, 'recorder_str') });
    const { TaskId } = await c.CreateCloudRecording(body);
    const res = await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId, RecorderKey: 'rk_1' });
    assert.equal(res.Status, 'Idle');
    assert.equal(res.RecorderKey, 'rk_1');
  });
});
