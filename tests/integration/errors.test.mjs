// Request errors as the SDK reports them: each a thrown error whose .code is the TRTC code and
// whose message names the offending field.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  APP1, APP2, TASK_ID_RE, startDaemon, makeClient, expectCode, createBodyCos, createBodyMixed,
  userSig, userSigAt, freshRoom, TLSSigAPIv2, clip, UUID_RE,
} from './helpers.mjs';

/** Like expectCode, for a family of codes. */
async function expectCodeLike(promise, codeRe, messageRe) {
  const err = await promise.then((r) => assert.fail(`expected an error ${codeRe}, the call succeeded: ${clip(JSON.stringify(r))}`), (e) => e);
  assert.ok(codeRe.test(err.code ?? ''), `error code ${err.code} should match ${codeRe}: ${clip(err.message)}`);
  assert.match(err.requestId ?? '', UUID_RE);
  if (messageRe) assert.ok(messageRe.test(err.message), `message should match ${messageRe}: ${clip(err.message)}`);
  return err;
}

const T = { timeout: 15000 };

/** A deep copy of @body with the member at the dotted @path removed. */
function without(body, dotted) {
  const copy = structuredClone(body);
  const parts = dotted.split('.');
  let o = copy;
  for (const p of parts.slice(0, -1)) o = o[p];
  delete o[parts.at(-1)];
  return copy;
}

/** A deep copy of @body with the member at the dotted @path set to @value. */
function withValue(body, dotted, value) {
  const copy = structuredClone(body);
  const parts = dotted.split('.');
  let o = copy;
  for (const p of parts.slice(0, -1)) o = o[p];
  o[parts.at(-1)] = value;
  return copy;
}

describe('request errors reported through the SDK', () => {
  let d;
  let c;
  before(async () => {
    d = await startDaemon({ apps: [APP1, APP2] });
    c = makeClient(d.port, APP1);
  });
  after(async () => { await d.stop(); });

  test('a complete body is accepted (control for the cases below)', T, async () => {
    const { TaskId } = await c.CreateCloudRecording(createBodyCos(APP1));
    assert.match(TaskId, TASK_ID_RE);
  });

  // [field removed from a valid Create body, expected code, what the message must name]
  const missing = [
    ['SdkAppId', 'MissingParameter.SdkAppId', /SdkAppId/],
    ['RoomId', 'MissingParameter.RoomId', /RoomId/],
    ['UserId', 'MissingParameter.UserId', /UserId/],
    ['UserSig', 'MissingParameter.UserSig', /UserSig/],
    ['RecordParams', 'MissingParameter.RecordParams', /RecordParams/],
    ['RecordParams.RecordMode', 'MissingParameter.RecordMode', /RecordMode/],
    ['StorageParams', 'MissingParameter.StorageParams', /StorageParams/],
    ['StorageParams.CloudStorage', 'MissingParameter.CloudStorage', /CloudStorage/],
    ['StorageParams.CloudStorage.Vendor', 'MissingParameter.Vendor', /Vendor/],
    ['StorageParams.CloudStorage.Region', 'MissingParameter.Region', /Region/],
    ['StorageParams.CloudStorage.Bucket', 'MissingParameter.Bucket', /Bucket/],
    ['StorageParams.CloudStorage.AccessKey', 'MissingParameter.AccessKey', /AccessKey/],
    ['StorageParams.CloudStorage.SecretKey', 'MissingParameter.SecretKey', /SecretKey/],
  ];
  for (const [field, code, re] of missing) {
    test(`Create without ${field} -> ${code}`, T, async () => {
      await expectCode(c.CreateCloudRecording(without(createBodyCos(APP1), field)), code, re);
    });
  }

  test('Describe/Modify/Delete without TaskId -> MissingParameter.TaskId, without SdkAppId -> MissingParameter.SdkAppId', T, async () => {
    for (const action of ['DescribeCloudRecording', 'ModifyCloudRecording', 'DeleteCloudRecording']) {
      await expectCode(c[action]({ SdkAppId: APP1.sdkAppId }), 'MissingParameter.TaskId', /TaskId/);
      await expectCode(c[action]({ TaskId: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }), 'MissingParameter.SdkAppId', /SdkAppId/);
    }
  });

  test('RecordParams.MaxIdleTime 3 -> InvalidParameter.OutOfRange naming the field', T, async () => {
    await expectCode(c.CreateCloudRecording(withValue(createBodyCos(APP1), 'RecordParams.MaxIdleTime', 3)),
      'InvalidParameter.OutOfRange', /MaxIdleTime/);
    // The bounds themselves are accepted: [5, 86400].
    for (const v of [5, 86400]) {
      const { TaskId } = await c.CreateCloudRecording(withValue(createBodyCos(APP1), 'RecordParams.MaxIdleTime', v));
      assert.match(TaskId, TASK_ID_RE);
    }
    await expectCode(c.CreateCloudRecording(withValue(createBodyCos(APP1), 'RecordParams.MaxIdleTime', 86401)),
      'InvalidParameter.OutOfRange', /MaxIdleTime/);
  });

  test('other out-of-range values name their field', T, async () => {
    await expectCode(c.CreateCloudRecording(withValue(createBodyCos(APP1), 'RecordParams.RecordMode', 3)),
      /* RecordMode is an enum */ 'InvalidParameter.OutOfRange', /RecordMode/);
    await expectCode(c.CreateCloudRecording(withValue(createBodyCos(APP1), 'ResourceExpiredHour', 5)),
      'InvalidParameter.OutOfRange', /ResourceExpiredHour/);
    await expectCode(c.CreateCloudRecording(withValue(createBodyMixed(APP1), 'MixTranscodeParams.VideoParams.Fps', 61)),
      'InvalidParameter.OutOfRange', /Fps/);
  });

  test('an SdkAppId that is no app of this server -> InvalidParameter.SdkAppId', T, async () => {
    await expectCode(c.CreateCloudRecording({ ...createBodyCos(APP1), SdkAppId: 1400009999 }),
      'InvalidParameter.SdkAppId', /1400009999/);
    await expectCode(c.DescribeCloudRecording({ SdkAppId: 1400009999, TaskId: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }),
      'InvalidParameter.SdkAppId', /SdkAppId/);
  });

  test('UserSig for another user -> InvalidParameter.UserSig', T, async () => {
    const body = createBodyCos(APP1);
    body.UserSig = userSig(APP1, 'someone_else');
    await expectCode(c.CreateCloudRecording(body), 'InvalidParameter.UserSig', /UserSig/);
  });

  test('UserSig signed with another key -> InvalidParameter.UserSig', T, async () => {
    const body = createBodyCos(APP1);
    body.UserSig = userSig({ ...APP1, usersigKey: APP2.usersigKey }, body.UserId);
    await expectCode(c.CreateCloudRecording(body), 'InvalidParameter.UserSig', /UserSig/);
  });

  test('UserSig for another SdkAppId -> InvalidParameter.UserSig', T, async () => {
    const body = createBodyCos(APP1);
    body.UserSig = userSig({ ...APP1, sdkAppId: APP2.sdkAppId }, body.UserId);
    await expectCode(c.CreateCloudRecording(body), 'InvalidParameter.UserSig', /UserSig/);
  });

  test('expired UserSig -> InvalidParameter.UserSig; one still inside its validity is accepted', T, async () => {
    const now = Math.floor(Date.now() / 1000);
    const body = createBodyCos(APP1);
    body.UserSig = userSigAt(APP1, body.UserId, 60, now - 3600); // issued an hour ago, valid 60 s
    await expectCode(c.CreateCloudRecording(body), 'InvalidParameter.UserSig', /UserSig/);
    const ok = createBodyCos(APP1);
    ok.UserSig = userSigAt(APP1, ok.UserId, 7200, now - 3600); // issued an hour ago, valid 2 h
    assert.match((await c.CreateCloudRecording(ok)).TaskId, TASK_ID_RE);
  });

  test('a UserSig that is not a UserSig at all -> InvalidParameter.UserSig', T, async () => {
    for (const bad of ['abc', 'eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwhWZiflZpXlQqeKU7', '***', '']) {
      const body = createBodyCos(APP1);
      body.UserSig = bad;
      const err = await c.CreateCloudRecording(body).then(() => null, (e) => e);
      assert.ok(err, `UserSig ${JSON.stringify(bad)} was accepted`);
      // An empty string may count as missing.
      const allowed = bad === '' ? ['InvalidParameter.UserSig', 'MissingParameter.UserSig'] : ['InvalidParameter.UserSig'];
      assert.ok(allowed.includes(err.code), `UserSig ${JSON.stringify(bad)}: got ${err.code}: ${err.message}`);
    }
  });

  test('a UserId with an escaped NUL (\\u0000) is refused, not cut short', T, async () => {
    // JSON.stringify writes U+0000 as \u0000; the SDK sends it as is.
    const body = createBodyCos(APP1);
    const robot = body.UserId;
    body.UserId = `${robot}\u0000evil`;
    body.UserSig = userSig(APP1, robot); // valid for the name before the NUL
    const err = await c.CreateCloudRecording(body).then((r) => assert.fail(`Create accepted UserId "${robot}\\u0000evil": ${JSON.stringify(r)}`), (e) => e);
    assert.match(err.code ?? '', /^InvalidParameter\.(UserId|BodyParamsError)$/, err.message);
  });

  // PrivateMapKey: a TLSSigAPIv2 ticket whose userbuf carries the room it opens (reference §9.4).
  const pmk = (app, userId, room, privileges = 255) =>
    new TLSSigAPIv2.Api(app.sdkAppId, app.usersigKey).genPrivateMapKey(userId, 300, Number(room), privileges);
  const pmkStr = (app, userId, room) =>
    new TLSSigAPIv2.Api(app.sdkAppId, app.usersigKey).genPrivateMapKeyWithStringRoomID(userId, 300, room, 255);

  test('a PrivateMapKey for the room is accepted (integer and string rooms)', T, async () => {
    const body = createBodyCos(APP1);
    body.PrivateMapKey = pmk(APP1, body.UserId, body.RoomId);
    assert.match((await c.CreateCloudRecording(body)).TaskId, TASK_ID_RE);
    const { userId } = freshRoom();
    const str = createBodyCos(APP1, { RoomIdType: 0, RoomId: `pmk-room-${process.pid}`, UserId: userId, UserSig: userSig(APP1, userId) });
    str.PrivateMapKey = pmkStr(APP1, userId, str.RoomId);
    assert.match((await c.CreateCloudRecording(str)).TaskId, TASK_ID_RE);
  });

  test('a PrivateMapKey for another room is refused', T, async () => {
    const body = createBodyCos(APP1);
    body.PrivateMapKey = pmk(APP1, body.UserId, Number(body.RoomId) + 1);
    await expectCodeLike(c.CreateCloudRecording(body), /^InvalidParameter(\.[A-Za-z]+)?$/, /PrivateMapKey/);
    const { userId } = freshRoom();
    const str = createBodyCos(APP1, { RoomIdType: 0, RoomId: `pmk-room-a-${process.pid}`, UserId: userId, UserSig: userSig(APP1, userId) });
    str.PrivateMapKey = pmkStr(APP1, userId, `pmk-room-b-${process.pid}`);
    await expectCodeLike(c.CreateCloudRecording(str), /^InvalidParameter(\.[A-Za-z]+)?$/, /PrivateMapKey/);
  });

  test('a PrivateMapKey is not a UserSig, and a UserSig is not a PrivateMapKey (reference §9.2: userbuf present exactly when expected)', T, async () => {
    const body = createBodyCos(APP1);
    body.UserSig = pmk(APP1, body.UserId, body.RoomId);
    await expectCode(c.CreateCloudRecording(body), 'InvalidParameter.UserSig', /UserSig/);
    const body2 = createBodyCos(APP1);
    body2.PrivateMapKey = userSig(APP1, body2.UserId);
    await expectCodeLike(c.CreateCloudRecording(body2), /^InvalidParameter(\.[A-Za-z]+)?$/, /PrivateMapKey/);
  });

  test('RoomId "abc" with RoomIdType 1 -> InvalidParameter.RoomId', T, async () => {
    await expectCode(c.CreateCloudRecording(createBodyCos(APP1, { RoomId: 'abc', RoomIdType: 1 })),
      'InvalidParameter.RoomId', /RoomId/);
    // RoomIdType defaults to 1.
    const body = createBodyCos(APP1, { RoomId: 'abc' });
    delete body.RoomIdType;
    await expectCode(c.CreateCloudRecording(body), 'InvalidParameter.RoomId', /RoomId/);
    // The same RoomId is fine as a string room.
    const { userId } = freshRoom();
    const ok = createBodyCos(APP1, { RoomId: 'abc', RoomIdType: 0, UserId: userId, UserSig: userSig(APP1, userId) });
    assert.match((await c.CreateCloudRecording(ok)).TaskId, TASK_ID_RE);
  });

  test('an unknown field -> UnknownParameter naming it', T, async () => {
    await expectCode(c.CreateCloudRecording({ ...createBodyCos(APP1), NoSuchField: 1 }), 'UnknownParameter', /NoSuchField/);
    await expectCode(c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', Bogus: 'x' }),
      'UnknownParameter', /Bogus/);
    // Nested: the message carries the full path.
    await expectCode(c.CreateCloudRecording(withValue(createBodyCos(APP1), 'RecordParams.Bogus', 1)),
      'UnknownParameter', /RecordParams\.Bogus/);
  });

  // A field with a TRTC code of its own (SdkAppId, RoomId, TaskId) reports type errors under it;
  // the others under plain InvalidParameter.
  test('a string where a number goes -> InvalidParameter naming the field', T, async () => {
    await expectCode(c.CreateCloudRecording(withValue(createBodyCos(APP1), 'RecordParams.MaxIdleTime', '30')),
      'InvalidParameter', /RecordParams\.MaxIdleTime.*integer/);
    await expectCode(c.CreateCloudRecording(withValue(createBodyCos(APP1), 'RecordParams.RecordMode', '1')),
      'InvalidParameter', /RecordMode.*integer/);
    await expectCode(c.CreateCloudRecording(withValue(createBodyMixed(APP1), 'MixTranscodeParams.VideoParams.Width', '1280')),
      'InvalidParameter', /MixTranscodeParams\.VideoParams\.Width/);
    await expectCode(c.DescribeCloudRecording({ SdkAppId: String(APP1.sdkAppId), TaskId: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }),
      'InvalidParameter.SdkAppId', /SdkAppId.*integer/);
  });

  test('a number where a string goes -> InvalidParameter naming the field', T, async () => {
    await expectCode(c.CreateCloudRecording(createBodyCos(APP1, { RoomId: 8888 })), 'InvalidParameter.RoomId', /RoomId.*string/);
    await expectCode(c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: 12345 }), 'InvalidParameter.TaskId', /TaskId.*string/);
    await expectCode(c.CreateCloudRecording(withValue(createBodyCos(APP1), 'StorageParams.CloudStorage.Bucket', 5)),
      'InvalidParameter', /StorageParams\.CloudStorage\.Bucket.*string/);
  });

  test('errors carry the RequestId of the reply and the TraceId the SDK sent', T, async () => {
    const err = await expectCode(c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId }), 'MissingParameter.TaskId');
    // The SDK takes traceId from the X-TC-TraceId response header, which the daemon echoes.
    assert.match(err.traceId, /^[0-9a-f-]{36}$/);
  });
});
