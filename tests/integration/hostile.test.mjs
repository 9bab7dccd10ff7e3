// Hostile input: correctly signed requests with bodies no SDK would send, stalled clients, other
// paths and methods, and a burst of concurrent requests. The daemon must answer each with the
// TRTC envelope (or the HTTP status documented in docs/api.md) and keep serving.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  APP1, startDaemon, makeClient, createBodyCos, signedRequest, rawRequest, assertApiReply,
  connectRaw, tc3Authorization,
} from './helpers.mjs';

const T = { timeout: 15000 };
const BODY_ERR = 'InvalidParameter.BodyParamsError';
// What the schema validator may answer for a value of the wrong type, size or range.
const VALIDATOR_ERR = /^(InvalidParameter(\.[A-Za-z]+)?|MissingParameter\.[A-Za-z]+)$/;

describe('hostile bodies (correctly signed)', () => {
  let d;
  let taskId;
  // A body limit above 1 MB so that the 1 MB string reaches the parser and the validator.
  before(async () => {
    d = await startDaemon({ args: ['--api-max-body', String(4 * 1024 * 1024)] });
    taskId = (await makeClient(d.port).CreateCloudRecording(createBodyCos(APP1))).TaskId;
  });
  after(async () => { await d.stop(); });

  const describeOk = async () => {
    const r = assertApiReply(await signedRequest(d.port, { body: { SdkAppId: APP1.sdkAppId, TaskId: taskId } }), null);
    assert.equal(r.TaskId, taskId);
    assert.equal(r.Status, 'Idle');
  };
  const app = APP1.sdkAppId;
  const nested = (n, inner = '1') => '['.repeat(n) + inner + ']'.repeat(n);

  // [name, action, body (string or Buffer), expected code or RegExp, options]
  const cases = [
    ['malformed JSON', 'DescribeCloudRecording', `{"SdkAppId":${app},"TaskId":`, BODY_ERR],
    ['malformed JSON (trailing garbage)', 'DescribeCloudRecording', `{"SdkAppId":${app},"TaskId":"x"} x`, BODY_ERR],
    ['an empty body', 'DescribeCloudRecording', '', BODY_ERR],
    ['a JSON array', 'DescribeCloudRecording', `[{"SdkAppId":${app},"TaskId":"x"}]`, BODY_ERR],
    ['a JSON string', 'DescribeCloudRecording', '"SdkAppId"', BODY_ERR],
    ['JSON null', 'DescribeCloudRecording', 'null', BODY_ERR],
    ['invalid UTF-8 bytes', 'DescribeCloudRecording',
      Buffer.concat([Buffer.from(`{"SdkAppId":${app},"TaskId":"`), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}')]), BODY_ERR],
    ['an overlong UTF-8 encoding of "/"', 'DescribeCloudRecording',
      Buffer.concat([Buffer.from(`{"SdkAppId":${app},"TaskId":"`), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), BODY_ERR],
    ['an embedded NUL byte', 'DescribeCloudRecording', Buffer.from(`{"SdkAppId":${app},"TaskId":"ab\0cd"}`), BODY_ERR],
    ['a NUL byte after the object', 'DescribeCloudRecording', Buffer.from(`{"SdkAppId":${app},"TaskId":"${'A'.repeat(32)}"}\0`), BODY_ERR],
    ['an escaped \\u0000 in a string', 'DescribeCloudRecording', `{"SdkAppId":${app},"TaskId":"ab\\u0000cd"}`, /^InvalidParameter\.(TaskId|BodyParamsError)$/],
    ['10,000 nested arrays as the body', 'DescribeCloudRecording', nested(10000), BODY_ERR],
    ['10,000 nested arrays in a field', 'DescribeCloudRecording', `{"SdkAppId":${app},"TaskId":"x","RecorderKey":${nested(10000)}}`, BODY_ERR],
    ['10,000 nested objects in a field', 'DescribeCloudRecording', `{"SdkAppId":${app},"TaskId":${'{"a":'.repeat(10000)}1${'}'.repeat(10000)}}`, BODY_ERR],
    ['a 1 MB string as TaskId', 'DescribeCloudRecording', `{"SdkAppId":${app},"TaskId":"${'A'.repeat(1 << 20)}"}`, VALIDATOR_ERR, { maxReply: 65536 }],
    ['a 1 MB string as RoomId', 'CreateCloudRecording', JSON.stringify({ ...createBodyCos(APP1), RoomId: '1'.repeat(1 << 20) }), VALIDATOR_ERR, { maxReply: 65536 }],
    ['a 1 MB unknown field name', 'DescribeCloudRecording', `{"SdkAppId":${app},"TaskId":"x","${'k'.repeat(1 << 20)}":1}`, /^(UnknownParameter|InvalidParameter(\.[A-Za-z]+)?)$/, { maxReply: 65536 }],
    ['SdkAppId 1e400', 'DescribeCloudRecording', `{"SdkAppId":1e400,"TaskId":"${taskId}"}`, /^InvalidParameter(\.[A-Za-z]+)?$/],
    ['SdkAppId 99999999999999999999', 'DescribeCloudRecording', `{"SdkAppId":99999999999999999999,"TaskId":"${taskId}"}`, /^InvalidParameter(\.[A-Za-z]+)?$/],
    ['SdkAppId -1', 'DescribeCloudRecording', `{"SdkAppId":-1,"TaskId":"${taskId}"}`, /^InvalidParameter(\.[A-Za-z]+)?$/],
    ['SdkAppId 2^64 + app', 'DescribeCloudRecording', `{"SdkAppId":${(2n ** 64n + BigInt(app)).toString()},"TaskId":"${taskId}"}`, /^InvalidParameter(\.[A-Za-z]+)?$/],
    ['MaxIdleTime 1e400', 'CreateCloudRecording', JSON.stringify(createBodyCos(APP1)).replace('"MaxIdleTime":30', '"MaxIdleTime":1e400'), /^InvalidParameter(\.[A-Za-z]+)?$/],
    ['MaxIdleTime 99999999999999999999', 'CreateCloudRecording', JSON.stringify(createBodyCos(APP1)).replace('"MaxIdleTime":30', '"MaxIdleTime":99999999999999999999'), /^InvalidParameter(\.[A-Za-z]+)?$/],
    ['a float SdkAppId', 'DescribeCloudRecording', `{"SdkAppId":${app}.5,"TaskId":"${taskId}"}`, /^InvalidParameter(\.[A-Za-z]+)?$/],
    ['a float MaxIdleTime', 'CreateCloudRecording', JSON.stringify(createBodyCos(APP1)).replace('"MaxIdleTime":30', '"MaxIdleTime":30.5'), /^InvalidParameter(\.[A-Za-z]+)?$/],
    ['a float RecordMode', 'CreateCloudRecording', JSON.stringify(createBodyCos(APP1)).replace('"RecordMode":1', '"RecordMode":1.5'), /^InvalidParameter(\.[A-Za-z]+)?$/],
    ['TaskId null', 'DescribeCloudRecording', `{"SdkAppId":${app},"TaskId":null}`, /^(MissingParameter\.TaskId|InvalidParameter(\.[A-Za-z]+)?)$/],
    ['SdkAppId null', 'DescribeCloudRecording', `{"SdkAppId":null,"TaskId":"${taskId}"}`, /^(MissingParameter\.SdkAppId|InvalidParameter(\.[A-Za-z]+)?)$/],
    ['RecordParams null', 'CreateCloudRecording', JSON.stringify({ ...createBodyCos(APP1), RecordParams: null }), /^(MissingParameter\.RecordParams|InvalidParameter(\.[A-Za-z]+)?)$/],
    ['an object where a string goes', 'DescribeCloudRecording', `{"SdkAppId":${app},"TaskId":{"a":1}}`, /^InvalidParameter(\.[A-Za-z]+)?$/],
    ['an array where an object goes', 'CreateCloudRecording', JSON.stringify({ ...createBodyCos(APP1), RecordParams: [1] }), /^InvalidParameter(\.[A-Za-z]+)?$/],
    ['a boolean where a number goes', 'DescribeCloudRecording', `{"SdkAppId":true,"TaskId":"${taskId}"}`, /^InvalidParameter(\.[A-Za-z]+)?$/],
  ];

  for (const [name, action, body, code, opts = {}] of cases) {
    test(`${name} -> ${code}; the daemon keeps serving`, T, async () => {
      const res = await signedRequest(d.port, { action, body });
      const r = assertApiReply(res, code);
      if (opts.maxReply) assert.ok(res.body.length <= opts.maxReply, `a ${res.body.length}-byte reply echoes the input`);
      assert.ok(r.Error.Message.length > 0);
      await describeOk();
    });
  }

  // A JSON string may carry U+0000 as the escape \u0000. The daemon must refuse it (no TRTC
  // field allows it), not cut the string at the NUL: that would act on another value than the
  // one sent and skip the format checks for everything after the NUL.
  test('an escaped \\u0000 after a valid TaskId does not address that task', T, async () => {
    const res = await signedRequest(d.port, { body: `{"SdkAppId":${app},"TaskId":"${taskId}\\u0000xyz"}` });
    const r = assertApiReply(res);
    assert.ok(r.Error, `TaskId "${taskId}\\u0000xyz" was served as task ${taskId}: ${res.text.slice(0, 200)}`);
    assert.match(r.Error.Code, /^InvalidParameter\.(TaskId|BodyParamsError)$/);
    await describeOk();
  });

  test('an escaped \\u0000 does not smuggle characters past a format check', T, async () => {
    // RecorderKey allows only [A-Za-z0-9_-]; "<script>" after a NUL must not pass unseen.
    const res = await signedRequest(d.port, { body: `{"SdkAppId":${app},"TaskId":"${taskId}","RecorderKey":"ab\\u0000<script>"}` });
    const r = assertApiReply(res);
    assert.ok(r.Error, `RecorderKey "ab\\u0000<script>" was accepted (echoed as ${JSON.stringify(r.RecorderKey)})`);
    assert.match(r.Error.Code, /^InvalidParameter(\.OutOfRange|\.BodyParamsError)?$/);
    await describeOk();
  });

  test('an integer too large for 64 bits is reported as written, not as -1', T, async () => {
    const res = await signedRequest(d.port, { body: `{"SdkAppId":99999999999999999999,"TaskId":"${taskId}"}` });
    const r = assertApiReply(res, /^InvalidParameter(\.SdkAppId|\.BodyParamsError)?$/);
    assert.match(r.Error.Message, /SdkAppId/);
    assert.doesNotMatch(r.Error.Message, /got -1\b/, `the message misstates the value: ${r.Error.Message}`);
  });

  test('Content-Type text/plain (signed as sent) -> InvalidParameter.BodyParamsError', T, async () => {
    const res = await signedRequest(d.port, { body: { SdkAppId: APP1.sdkAppId, TaskId: taskId }, contentType: 'text/plain' });
    assertApiReply(res, BODY_ERR);
    await describeOk();
  });

  test('Content-Type application/x-www-form-urlencoded on POST -> InvalidParameter.BodyParamsError', T, async () => {
    const res = await signedRequest(d.port, { body: `SdkAppId=${APP1.sdkAppId}&TaskId=${taskId}`, contentType: 'application/x-www-form-urlencoded' });
    assertApiReply(res, BODY_ERR);
    await describeOk();
  });

  test('a GET with a broken query -> InvalidParameter.UrlParamsError', T, async () => {
    for (const query of [`SdkAppId=${APP1.sdkAppId}&TaskId=%FF%FE`, `SdkAppId=${APP1.sdkAppId}&SdkAppId=${APP1.sdkAppId}&TaskId=x`]) {
      assertApiReply(await signedRequest(d.port, { method: 'GET', query }), 'InvalidParameter.UrlParamsError');
    }
    await describeOk();
  });
});

describe('connections, paths, methods, concurrency (--api-timeout 2)', () => {
  let d;
  let taskId;
  let burstLatencies = [];
  before(async () => {
    d = await startDaemon({ args: ['--api-timeout', '2'] });
    taskId = (await makeClient(d.port).CreateCloudRecording(createBodyCos(APP1))).TaskId;
  });
  after(async () => { await d.stop(); });

  /** Resolves the ms until the server closes @sock (or 'open' after @limitMs). */
  const closedAfter = (sock, limitMs) => new Promise((resolve) => {
    const t0 = Date.now();
    const timer = setTimeout(() => { sock.destroy(); resolve('open'); }, limitMs);
    sock.on('data', () => {});
    sock.on('error', () => {});
    sock.on('close', () => { clearTimeout(timer); resolve(Date.now() - t0); });
  });

  test('a client that sends half the headers and stalls is disconnected within the timeout', T, async () => {
    const sock = await connectRaw(d.port);
    sock.write(`POST / HTTP/1.1\r\nHost: 127.0.0.1:${d.port}\r\nContent-Type: appl`);
    const ms = await closedAfter(sock, 6000);
    assert.notEqual(ms, 'open', 'still connected 6 s after stalling (--api-timeout 2)');
    assert.ok(ms >= 1000 && ms <= 4500, `closed after ${ms} ms (--api-timeout 2)`);
    const r = assertApiReply(await signedRequest(d.port, { body: { SdkAppId: APP1.sdkAppId, TaskId: taskId } }), null);
    assert.equal(r.Status, 'Idle');
  });

  test('a client that connects and sends nothing is disconnected within the timeout', T, async () => {
    const sock = await connectRaw(d.port);
    const ms = await closedAfter(sock, 6000);
    assert.notEqual(ms, 'open', 'still connected 6 s after connecting (--api-timeout 2)');
    assert.ok(ms <= 4500, `closed after ${ms} ms`);
  });

  test('a client that stalls inside the body is disconnected within the timeout', T, async () => {
    const sock = await connectRaw(d.port);
    const ts = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ SdkAppId: APP1.sdkAppId, TaskId: taskId });
    const auth = tc3Authorization({ secretId: APP1.secretId, secretKey: APP1.secretKey, contentType: 'application/json', host: '127.0.0.1', body, timestamp: ts });
    sock.write(`POST / HTTP/1.1\r\nHost: 127.0.0.1:${d.port}\r\nContent-Type: application/json\r\nX-TC-Action: DescribeCloudRecording\r\n`
      + `X-TC-Version: 2019-07-22\r\nX-TC-Timestamp: ${ts}\r\nAuthorization: ${auth}\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
    const ms = await closedAfter(sock, 6000);
    assert.notEqual(ms, 'open', 'still connected 6 s after stalling in the body (--api-timeout 2)');
    assert.ok(ms >= 1000 && ms <= 4500, `closed after ${ms} ms`);
  });

  test('several stalled clients do not block others', T, async () => {
    const stalled = await Promise.all(Array.from({ length: 20 }, () => connectRaw(d.port)));
    for (const s of stalled) { s.on('error', () => {}); s.write('POST / HTTP/1.1\r\nHost: x\r\n'); }
    const t0 = Date.now();
    const r = assertApiReply(await signedRequest(d.port, { body: { SdkAppId: APP1.sdkAppId, TaskId: taskId } }), null);
    assert.equal(r.Status, 'Idle');
    assert.ok(Date.now() - t0 < 1000, 'a request waited behind stalled connections');
    for (const s of stalled) s.destroy();
  });

  test('GET/POST /other -> 404; PUT and DELETE / -> 405', T, async () => {
    assert.equal((await rawRequest(d.port, { method: 'GET', path: '/other' })).status, 404);
    assert.equal((await rawRequest(d.port, { method: 'POST', path: '/other', headers: { 'Content-Type': 'application/json' }, body: '{}' })).status, 404);
    // A correctly signed API request to another path is still 404.
    const ts = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ SdkAppId: APP1.sdkAppId, TaskId: taskId });
    const auth = tc3Authorization({ secretId: APP1.secretId, secretKey: APP1.secretKey, contentType: 'application/json', host: '127.0.0.1', body, timestamp: ts });
    const other = await rawRequest(d.port, {
      path: '/v2/', body,
      headers: { 'Content-Type': 'application/json', 'X-TC-Action': 'DescribeCloudRecording', 'X-TC-Version': '2019-07-22', 'X-TC-Timestamp': String(ts), Authorization: auth },
    });
    assert.equal(other.status, 404);
    const put = await rawRequest(d.port, { method: 'PUT', path: '/', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(put.status, 405);
    assert.match(put.headers.allow ?? '', /GET/);
    assert.match(put.headers.allow ?? '', /POST/);
    assert.equal((await rawRequest(d.port, { method: 'DELETE', path: '/' })).status, 405);
    const r = assertApiReply(await signedRequest(d.port, { body: { SdkAppId: APP1.sdkAppId, TaskId: taskId } }), null);
    assert.equal(r.Status, 'Idle');
  });

  test('200 concurrent requests are all answered', { timeout: 30000 }, async () => {
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => {
      const t0 = Date.now();
      return signedRequest(d.port, { body: { SdkAppId: APP1.sdkAppId, TaskId: taskId }, headers: { 'X-TC-TraceId': `trace-${i}` }, timeoutMs: 25000 })
        .then((res) => ({ i, res, ms: Date.now() - t0 }), (err) => ({ i, err }));
    }));
    const failed = results.filter((x) => x.err).map((x) => `${x.i}: ${x.err.message}`);
    assert.deepEqual(failed, [], 'requests without an answer');
    const ids = new Set();
    for (const { i, res } of results) {
      const r = assertApiReply(res, null);
      assert.equal(r.Status, 'Idle');
      assert.equal(res.headers['x-tc-traceid'], `trace-${i}`, 'each reply belongs to its request');
      ids.add(r.RequestId);
    }
    assert.equal(ids.size, 200, 'RequestIds are unique');
    burstLatencies = results.map((x) => x.ms).sort((a, b) => a - b);
  });

  test('... and promptly: no request of the burst waits for a TCP SYN retransmission (>= 1 s)', T, () => {
    // 200 small local requests take ~100 ms in all. A request that took a second or more had its
    // connection dropped from a full accept queue (listen backlog) and retransmitted by TCP
    // (1 s, then 3 s, 7 s ...); with the SDK's reqTimeout such calls fail.
    assert.ok(burstLatencies.length === 200, 'the burst test did not run');
    const slow = burstLatencies.filter((ms) => ms >= 1000);
    assert.deepEqual(slow, [], `${slow.length} of 200 requests took >= 1 s (median ${burstLatencies[100]} ms, max ${burstLatencies[199]} ms)`);
  });

  test('200 concurrent SDK calls are all answered', { timeout: 30000 }, async () => {
    const c = makeClient(d.port);
    const results = await Promise.allSettled(Array.from({ length: 200 }, () =>
      c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: taskId })));
    const failed = results.filter((x) => x.status === 'rejected').map((x) => `${x.reason.code}: ${x.reason.message}`);
    assert.deepEqual(failed, []);
  });
});
