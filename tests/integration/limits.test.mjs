// The configurable limits: --api-rate-limit, --api-max-tasks, --api-max-body.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  APP1, APP2, TASK_ID_RE, startDaemon, makeClient, expectCode, createBodyCos, signedRequest,
  assertApiReply, connectRaw, tc3Authorization, sleep,
} from './helpers.mjs';

const T = { timeout: 20000 };

describe('--api-rate-limit 5', () => {
  let d;
  before(async () => { d = await startDaemon({ apps: [APP1, APP2], args: ['--api-rate-limit', '5'] }); });
  after(async () => { await d.stop(); });

  test('12 rapid calls: RequestLimitExceeded for some, success for at least 5; calls succeed again after 1.2 s', T, async () => {
    const c = makeClient(d.port, APP1);
    const { TaskId } = await c.CreateCloudRecording(createBodyCos(APP1));
    await sleep(1200); // refill the bucket used by the Create
    const burst = await Promise.allSettled(Array.from({ length: 12 }, () =>
      c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId })));
    const ok = burst.filter((r) => r.status === 'fulfilled');
    const limited = burst.filter((r) => r.status === 'rejected' && r.reason.code === 'RequestLimitExceeded');
    const other = burst.filter((r) => r.status === 'rejected' && r.reason.code !== 'RequestLimitExceeded');
    assert.deepEqual(other.map((r) => `${r.reason.code}: ${r.reason.message}`), [], 'only RequestLimitExceeded may fail');
    for (const r of ok) assert.equal(r.value.Status, 'Idle');
    assert.ok(ok.length >= 5, `${ok.length} of 12 succeeded; the limit is 5/s`);
    // 12 calls in well under a second: the bucket (5) plus what refills meanwhile.
    assert.ok(ok.length <= 8, `${ok.length} of 12 succeeded with a limit of 5/s`);
    assert.equal(ok.length + limited.length, 12);
    assert.match(limited[0].reason.message, /5/, 'the message names the limit');

    await sleep(1200);
    const again = await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
    assert.equal(again.Status, 'Idle');
  });

  test('the limit is per SdkAppId: app 2 is not throttled by app 1', T, async () => {
    await sleep(1200);
    const c1 = makeClient(d.port, APP1);
    const c2 = makeClient(d.port, APP2);
    const body = { SdkAppId: APP1.sdkAppId, TaskId: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' };
    const burst = await Promise.allSettled(Array.from({ length: 10 }, () => c1.DescribeCloudRecording(body)));
    assert.ok(burst.some((r) => r.status === 'rejected' && r.reason.code === 'RequestLimitExceeded'));
    // App 1 is throttled now; app 2 still has its own full bucket.
    await expectCode(c2.DescribeCloudRecording({ SdkAppId: APP2.sdkAppId, TaskId: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }), 'ResourceNotFound');
  });
});

describe('--api-max-tasks 3', () => {
  let d;
  before(async () => { d = await startDaemon({ apps: [APP1, APP2], args: ['--api-max-tasks', '3'] }); });
  after(async () => { await d.stop(); });

  test('the 4th Create -> FailedOperation.RestrictedConcurrency; after a Delete a Create succeeds', T, async () => {
    const c = makeClient(d.port, APP1);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await c.CreateCloudRecording(createBodyCos(APP1))).TaskId);
    for (const id of ids) assert.match(id, TASK_ID_RE);
    await expectCode(c.CreateCloudRecording(createBodyCos(APP1)), 'FailedOperation.RestrictedConcurrency', /\b3\b/);
    // The refused Create left no task behind: still refused.
    await expectCode(c.CreateCloudRecording(createBodyCos(APP1)), 'FailedOperation.RestrictedConcurrency');
    // Another app has its own quota.
    assert.match((await makeClient(d.port, APP2).CreateCloudRecording(createBodyCos(APP2))).TaskId, TASK_ID_RE);

    await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: ids[0] });
    const { TaskId } = await c.CreateCloudRecording(createBodyCos(APP1));
    assert.match(TaskId, TASK_ID_RE);
    await expectCode(c.CreateCloudRecording(createBodyCos(APP1)), 'FailedOperation.RestrictedConcurrency');
  });
});

describe('--api-max-body 4096', () => {
  let d;
  let taskId;
  before(async () => {
    d = await startDaemon({ args: ['--api-max-body', '4096'] });
    taskId = (await makeClient(d.port).CreateCloudRecording(createBodyCos(APP1))).TaskId;
  });
  after(async () => { await d.stop(); });

  const describeOk = async () => {
    const r = assertApiReply(await signedRequest(d.port, { body: { SdkAppId: APP1.sdkAppId, TaskId: taskId } }), null);
    assert.equal(r.Status, 'Idle');
  };

  test('a 10 KB signed body -> RequestSizeLimitExceeded (HTTP 200 JSON); the daemon still serves', T, async () => {
    const body = JSON.stringify({ SdkAppId: APP1.sdkAppId, TaskId: taskId, RecorderKey: 'k'.repeat(10 * 1024) });
    assert.ok(body.length > 10 * 1024);
    const r = assertApiReply(await signedRequest(d.port, { body }), 'RequestSizeLimitExceeded');
    assert.match(r.Error.Message, /4096/);
    await describeOk();
  });

  test('a body just under the limit is not refused for its size', T, async () => {
    const base = JSON.stringify({ SdkAppId: APP1.sdkAppId, TaskId: taskId, RecorderKey: '' });
    const body = JSON.stringify({ SdkAppId: APP1.sdkAppId, TaskId: taskId, RecorderKey: 'k'.repeat(4000 - base.length) });
    assert.ok(body.length <= 4096);
    const res = await signedRequest(d.port, { body });
    const r = assertApiReply(res);
    assert.notEqual(r.Error?.Code, 'RequestSizeLimitExceeded');
  });

  test('the SDK sees RequestSizeLimitExceeded as .code', T, async () => {
    await expectCode(makeClient(d.port).DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: taskId, RecorderKey: 'k'.repeat(8192) }),
      'RequestSizeLimitExceeded');
  });

  test('Content-Length: 100000000 with a small body -> a JSON error reply; the daemon still serves', T, async () => {
    const sock = await connectRaw(d.port);
    const body = JSON.stringify({ SdkAppId: APP1.sdkAppId, TaskId: taskId });
    const ts = Math.floor(Date.now() / 1000);
    const auth = tc3Authorization({
      secretId: APP1.secretId, secretKey: APP1.secretKey, contentType: 'application/json', host: '127.0.0.1', body, timestamp: ts,
    });
    const head = [
      'POST / HTTP/1.1', `Host: 127.0.0.1:${d.port}`, 'Content-Type: application/json',
      'X-TC-Action: DescribeCloudRecording', `X-TC-Version: 2019-07-22`, `X-TC-Timestamp: ${ts}`,
      `Authorization: ${auth}`, 'Content-Length: 100000000', '', '',
    ].join('\r\n');
    const reply = await new Promise((resolve, reject) => {
      let data = '';
      const timer = setTimeout(() => { sock.destroy(); reject(new Error(`no reply within 5 s; got ${JSON.stringify(data)}`)); }, 5000);
      sock.setEncoding('utf8');
      sock.on('data', (s) => {
        data += s;
        const i = data.indexOf('\r\n\r\n');
        if (i >= 0) {
          const m = /content-length:\s*(\d+)/i.exec(data.slice(0, i));
          if (m && data.length >= i + 4 + Number(m[1])) { clearTimeout(timer); sock.destroy(); resolve(data); }
        }
      });
      sock.on('end', () => { clearTimeout(timer); resolve(data); });
      sock.on('error', (e) => { clearTimeout(timer); reject(e); });
      sock.write(head + body);
    });
    const [headText, bodyText] = [reply.slice(0, reply.indexOf('\r\n\r\n')), reply.slice(reply.indexOf('\r\n\r\n') + 4)];
    assert.match(headText, /^HTTP\/1\.1 200 /, `status line of ${JSON.stringify(reply.slice(0, 200))}`);
    assert.match(headText, /\r\ncontent-type: application\/json/i);
    const json = JSON.parse(bodyText);
    assert.equal(json.Response.Error.Code, 'RequestSizeLimitExceeded');
    await describeOk();
  });

  test('a chunked body over the limit is refused (reply or closed connection); the daemon still serves', T, async () => {
    const sock = await connectRaw(d.port);
    const chunk = 'x'.repeat(1024);
    let head = `POST / HTTP/1.1\r\nHost: 127.0.0.1:${d.port}\r\nContent-Type: application/json\r\nX-TC-Action: DescribeCloudRecording\r\nX-TC-Version: 2019-07-22\r\nTransfer-Encoding: chunked\r\n\r\n`;
    for (let i = 0; i < 16; i++) head += `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
    head += '0\r\n\r\n';
    const reply = await new Promise((resolve) => {
      let data = '';
      const timer = setTimeout(() => { sock.destroy(); resolve(`TIMEOUT ${data}`); }, 5000);
      sock.setEncoding('utf8');
      sock.on('data', (s) => { data += s; });
      sock.on('close', () => { clearTimeout(timer); resolve(data); });
      sock.on('error', () => {});
      sock.write(head);
    });
    assert.ok(!reply.startsWith('TIMEOUT'), 'the connection was neither answered nor closed within 5 s');
    if (reply.length > 0) {
      assert.match(reply, /^HTTP\/1\.1 200 /);
      assert.match(reply, /"Code":"RequestSizeLimitExceeded"/);
    }
    await describeOk();
  });
});

describe('--api-clock-skew 10', () => {
  let d;
  before(async () => { d = await startDaemon({ args: ['--api-clock-skew', '10'] }); });
  after(async () => { await d.stop(); });

  test('a timestamp 30 s off -> AuthFailure.SignatureExpire; 3 s off is accepted', T, async () => {
    const now = Math.floor(Date.now() / 1000);
    const body = { SdkAppId: APP1.sdkAppId, TaskId: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' };
    assertApiReply(await signedRequest(d.port, { body, timestamp: now - 30 }), 'AuthFailure.SignatureExpire');
    assertApiReply(await signedRequest(d.port, { body, timestamp: now + 30 }), 'AuthFailure.SignatureExpire');
    assertApiReply(await signedRequest(d.port, { body, timestamp: now - 3 }), 'ResourceNotFound');
  });
});
