// TC3-HMAC-SHA256 and the header checks, with hand-signed requests (helpers.tc3Authorization is
// reference §3.1 in node:crypto). Every failure is HTTP 200 + application/json + a RequestId.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  APP1, APP2, startDaemon, makeClient, signedRequest, rawRequest, assertApiReply,
  createBodyCos, createBodyMixed, tc3Authorization, utcDate,
} from './helpers.mjs';

const T = { timeout: 15000 };
const TRACE = '6d7a746a-7d96-4fa5-bfb8-b943f5ac95b8';

describe('TC3 signature and headers', () => {
  let d;
  let taskId;
  let describeBody;
  before(async () => {
    d = await startDaemon({ apps: [APP1, APP2] });
    taskId = (await makeClient(d.port).CreateCloudRecording(createBodyCos(APP1))).TaskId;
    describeBody = { SdkAppId: APP1.sdkAppId, TaskId: taskId };
  });
  after(async () => { await d.stop(); });

  test('the raw signer is right: Node style (service "127", host without port) succeeds', T, async () => {
    const r = assertApiReply(await signedRequest(d.port, { body: describeBody, headers: { 'X-TC-TraceId': TRACE } }), null);
    assert.equal(r.TaskId, taskId);
    assert.equal(r.Status, 'Idle');
  });

  test('Go style (service "trtc", host with port) succeeds', T, async () => {
    const r = assertApiReply(await signedRequest(d.port, { body: describeBody, service: 'trtc', signedHost: `127.0.0.1:${d.port}` }), null);
    assert.equal(r.TaskId, taskId);
  });

  test('Java style Content-Type "application/json; charset=utf-8", signed as sent, succeeds', T, async () => {
    const r = assertApiReply(await signedRequest(d.port, { body: describeBody, contentType: 'application/json; charset=utf-8' }), null);
    assert.equal(r.TaskId, taskId);
  });

  test('GET signed over the raw query string succeeds', T, async () => {
    const query = `SdkAppId=${APP1.sdkAppId}&TaskId=${encodeURIComponent(taskId)}`;
    const r = assertApiReply(await signedRequest(d.port, { method: 'GET', query }), null);
    assert.equal(r.TaskId, taskId);
  });

  test('GET: the signature covers the query as sent; Java URLEncoder writes ~ as %7E', T, async () => {
    // Reference §3.4 (4): verify over the query string of the request line. Java's URLEncoder
    // escapes '~' (allowed in image URLs) as %7E; Node, Go and Python leave it as is.
    // (Lower-case escapes and escaped letters/digits are normalised by the HTTP layer before
    // verification; no SDK produces them, so they are not tested.)
    const mixed = (await makeClient(d.port).CreateCloudRecording(createBodyMixed(APP1))).TaskId;
    for (const url of ['http%3A%2F%2Fimg.example.com%2F~bg%2Fa.png', 'http%3A%2F%2Fimg.example.com%2F%7Ebg%2Fa.png']) {
      const query = `MixLayoutParams.BackgroundImageUrl=${url}&MixLayoutParams.MixLayoutMode=3&SdkAppId=${APP1.sdkAppId}&TaskId=${mixed}`;
      const r = assertApiReply(await signedRequest(d.port, { method: 'GET', action: 'ModifyCloudRecording', query }), null);
      assert.equal(r.TaskId, mixed, query);
    }
  });

  test('X-TC-Content-SHA256: UNSIGNED-PAYLOAD is honoured', T, async () => {
    const r = assertApiReply(await signedRequest(d.port, {
      body: describeBody, signBody: 'UNSIGNED-PAYLOAD', headers: { 'X-TC-Content-SHA256': 'UNSIGNED-PAYLOAD' },
    }), null);
    assert.equal(r.TaskId, taskId);
  });

  test('X-TC-Token, X-TC-Language and X-TC-RequestClient are accepted (reference §4.3)', T, async () => {
    const r = assertApiReply(await signedRequest(d.port, {
      body: describeBody,
      headers: { 'X-TC-Token': 'TMPTOKEN', 'X-TC-Language': 'en-US', 'X-TC-RequestClient': 'SDK_GO_1.3.166' },
    }), null);
    assert.equal(r.TaskId, taskId);
  });

  test('X-TC-TraceId is echoed back, on success and on error', T, async () => {
    const ok = await signedRequest(d.port, { body: describeBody, headers: { 'X-TC-TraceId': TRACE } });
    assertApiReply(ok, null);
    assert.equal(ok.headers['x-tc-traceid'], TRACE);
    const bad = await signedRequest(d.port, { body: describeBody, secretKey: 'wrong', headers: { 'X-TC-TraceId': TRACE } });
    assertApiReply(bad, 'AuthFailure.SignatureFailure');
    assert.equal(bad.headers['x-tc-traceid'], TRACE);
  });

  test('wrong SecretKey -> AuthFailure.SignatureFailure', T, async () => {
    assertApiReply(await signedRequest(d.port, { body: describeBody, secretKey: `${APP1.secretKey}x` }), 'AuthFailure.SignatureFailure');
    // Another app's key under this app's SecretId.
    assertApiReply(await signedRequest(d.port, { body: describeBody, secretKey: APP2.secretKey }), 'AuthFailure.SignatureFailure');
  });

  test('unknown SecretId -> AuthFailure.SecretIdNotFound', T, async () => {
    assertApiReply(await signedRequest(d.port, { body: describeBody, secretId: 'AKIDnobodyHasThisSecretId0000000' }), 'AuthFailure.SecretIdNotFound');
  });

  test('timestamp 400 s old or 400 s ahead -> AuthFailure.SignatureExpire', T, async () => {
    const now = Math.floor(Date.now() / 1000);
    assertApiReply(await signedRequest(d.port, { body: describeBody, timestamp: now - 400 }), 'AuthFailure.SignatureExpire');
    assertApiReply(await signedRequest(d.port, { body: describeBody, timestamp: now + 400 }), 'AuthFailure.SignatureExpire');
    // 200 s off is inside the 300 s window.
    assertApiReply(await signedRequest(d.port, { body: describeBody, timestamp: now - 200 }), null);
  });

  test('missing or malformed Authorization -> AuthFailure.InvalidAuthorization', T, async () => {
    assertApiReply(await signedRequest(d.port, { body: describeBody, headers: { Authorization: undefined } }), 'AuthFailure.InvalidAuthorization');
    for (const value of ['', 'Bearer abc', 'TC3-HMAC-SHA256', 'TC3-HMAC-SHA256 Credential=AKID/2020-01-01/trtc/tc3_request',
      `TC3-HMAC-SHA256 Credential=${APP1.secretId}/${utcDate(Math.floor(Date.now() / 1000))}/127/tc3_request, SignedHeaders=content-type;host, Signature=nothex`]) {
      assertApiReply(await signedRequest(d.port, { body: describeBody, headers: { Authorization: value } }), 'AuthFailure.InvalidAuthorization');
    }
  });

  test('missing X-TC-Timestamp -> an AuthFailure', T, async () => {
    assertApiReply(await signedRequest(d.port, { body: describeBody, headers: { 'X-TC-Timestamp': undefined } }), /^AuthFailure\./);
  });

  test('malformed X-TC-Timestamp -> AuthFailure.InvalidAuthorization', T, async () => {
    for (const ts of ['abc', '1.5e9', '']) {
      assertApiReply(await signedRequest(d.port, { body: describeBody, headers: { 'X-TC-Timestamp': ts } }), /^AuthFailure\.(InvalidAuthorization|SignatureExpire)$/);
    }
    assertApiReply(await signedRequest(d.port, { body: describeBody, headers: { 'X-TC-Timestamp': 'abc' } }), 'AuthFailure.InvalidAuthorization');
  });

  test('a scope date that is not the date of X-TC-Timestamp is refused', T, async () => {
    const now = Math.floor(Date.now() / 1000);
    assertApiReply(await signedRequest(d.port, { body: describeBody, timestamp: now, date: utcDate(now - 86400 * 2) }), /^AuthFailure\./);
  });

  test('another algorithm than TC3-HMAC-SHA256 -> AuthFailure.InvalidAuthorization', T, async () => {
    assertApiReply(await signedRequest(d.port, { body: describeBody, algorithm: 'TC3-HMAC-SHA1' }), 'AuthFailure.InvalidAuthorization');
  });

  test('SignedHeaders without host -> AuthFailure.InvalidAuthorization', T, async () => {
    assertApiReply(await signedRequest(d.port, { body: describeBody, extraSigned: { host: undefined } }), 'AuthFailure.InvalidAuthorization');
  });

  test('a further signed header (x-tc-action) is verified: accepted as signed, refused when changed', T, async () => {
    const ok = await signedRequest(d.port, { body: describeBody, extraSigned: { 'x-tc-action': 'DescribeCloudRecording' } });
    assert.equal(assertApiReply(ok, null).TaskId, taskId);
    const changed = await signedRequest(d.port, {
      action: 'DeleteCloudRecording', body: describeBody, extraSigned: { 'x-tc-action': 'DescribeCloudRecording' },
    });
    assertApiReply(changed, 'AuthFailure.SignatureFailure');
    assert.equal(assertApiReply(await signedRequest(d.port, { body: describeBody }), null).Status, 'Idle');
  });

  test('body tampered with after signing -> AuthFailure.SignatureFailure', T, async () => {
    const signed = JSON.stringify(describeBody);
    const tampered = JSON.stringify({ SdkAppId: APP1.sdkAppId, TaskId: `${taskId.slice(0, 31)}${taskId[31] === 'A' ? 'B' : 'A'}` });
    assert.equal(signed.length, tampered.length);
    assertApiReply(await signedRequest(d.port, { body: tampered, signBody: signed }), 'AuthFailure.SignatureFailure');
    // And a Delete whose body was swapped must not have deleted anything.
    assertApiReply(await signedRequest(d.port, { action: 'DeleteCloudRecording', body: describeBody, signBody: JSON.stringify({ SdkAppId: APP1.sdkAppId, TaskId: 'x' }) }),
      'AuthFailure.SignatureFailure');
    assert.equal(assertApiReply(await signedRequest(d.port, { body: describeBody }), null).Status, 'Idle');
  });

  test('Content-Type changed after signing -> AuthFailure.SignatureFailure', T, async () => {
    const headers = { 'Content-Type': 'application/json; charset=utf-8' };
    assertApiReply(await signedRequest(d.port, { body: describeBody, headers }), 'AuthFailure.SignatureFailure');
  });

  test('signed for another host -> AuthFailure.SignatureFailure', T, async () => {
    assertApiReply(await signedRequest(d.port, { body: describeBody, signedHost: 'trtc.tencentcloudapi.com' }), 'AuthFailure.SignatureFailure');
  });

  test('X-TC-Version 2020-01-01 -> NoSuchVersion', T, async () => {
    assertApiReply(await signedRequest(d.port, { body: describeBody, version: '2020-01-01' }), 'NoSuchVersion');
  });

  test('missing X-TC-Version -> MissingParameter', T, async () => {
    assertApiReply(await signedRequest(d.port, { body: describeBody, headers: { 'X-TC-Version': undefined } }), 'MissingParameter');
  });

  test('unknown action (signed) -> InvalidAction', T, async () => {
    const r = assertApiReply(await signedRequest(d.port, { action: 'StartMCUMixTranscode', body: describeBody }), 'InvalidAction');
    assert.match(r.Error.Message, /StartMCUMixTranscode/);
    assertApiReply(await signedRequest(d.port, { action: 'createcloudrecording', body: describeBody }), 'InvalidAction');
  });

  test('missing X-TC-Action -> MissingParameter', T, async () => {
    const r = assertApiReply(await signedRequest(d.port, { body: describeBody, headers: { 'X-TC-Action': undefined } }), 'MissingParameter');
    assert.match(r.Error.Message, /X-TC-Action/);
  });

  test('an unsigned request with no TC3 headers at all gets a JSON error', T, async () => {
    const res = await rawRequest(d.port, { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(describeBody) });
    assertApiReply(res, /^(MissingParameter|AuthFailure\.InvalidAuthorization)$/);
  });

  test('the SDK with a wrong SecretKey sees .code AuthFailure.SignatureFailure', T, async () => {
    const c = makeClient(d.port, { ...APP1, secretKey: 'not-the-key' });
    await assert.rejects(c.DescribeCloudRecording(describeBody), (e) => e.code === 'AuthFailure.SignatureFailure');
  });

  test('a signed body replayed under another X-TC-Action is judged as that action', T, async () => {
    // The SDKs sign only content-type and host, so the signature stays valid when X-TC-Action is
    // changed; the daemon must then validate the body for the new action (Create with a
    // Describe body misses its required fields) rather than misroute or crash.
    const res = await signedRequest(d.port, { action: 'CreateCloudRecording', body: describeBody });
    assertApiReply(res, /^(MissingParameter\.[A-Za-z]+|UnknownParameter)$/);
    assert.equal(assertApiReply(await signedRequest(d.port, { body: describeBody }), null).Status, 'Idle');
  });

  test('tc3Authorization reproduces reference vector V1', T, () => {
    const auth = tc3Authorization({
      secretId: 'AKIDEXAMPLEEXAMPLEEXAMPLEEXAMPLE', secretKey: 'ExampleSecretKeyExampleSecretKey',
      contentType: 'application/json', host: 'trtc.tencentcloudapi.com', service: 'trtc',
      body: '{"SdkAppId":1400000001,"TaskId":"task-1"}', timestamp: 1700000000,
    });
    assert.equal(auth, 'TC3-HMAC-SHA256 Credential=AKIDEXAMPLEEXAMPLEEXAMPLEEXAMPLE/2023-11-14/trtc/tc3_request, '
      + 'SignedHeaders=content-type;host, Signature=73adc8473059532d3d2d1dcbb6a539b49a0be4fcb2aec2b96984031173d0727e');
  });
});
