// The daemon's port over HTTPS (tls-cert, tls-key): the official SDK and a scrape over TLS with
// the test's own CA, plain HTTP refused, `cloudrec publish --ca-file` publishing over https (and
// refusing the certificate without it), start errors for a half or mismatched pair; and
// ice-public-address adding the public copies of the host candidates to a WHIP answer.
import { describe, test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import http from 'node:http';
import { spawn, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { APP1, BIN, TrtcClient, startDaemon, makeTmpDir, userSig, until, runCli, TEST_OFFER } from './helpers.mjs';

const T = { timeout: 120000 };

/** A self-signed certificate for 127.0.0.1 (its own CA) and its key, as PEM files. */
function makeCert(dir, name) {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

function httpsGet(port, urlPath, ca) {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: urlPath, method: 'GET', ca, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.setTimeout(10000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('HTTPS and ice-public-address', () => {
  let dir;
  let pem;
  let caText;
  const daemons = [];
  const procs = [];
  before(() => {
    dir = makeTmpDir('cloudrec-tls-');
    pem = makeCert(dir, 'server');
    caText = execFileSync('cat', [pem.cert]);
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    for (const d of daemons) await d.stop().catch(() => {});
  });

  test('the SDK, a scrape and a publisher over HTTPS; plain HTTP and an unknown certificate refused', T, async () => {
    const d = await startDaemon({ args: ['--tls-cert', pem.cert, '--tls-key', pem.key], defaults: ['--api-rate-limit', '100000'] });
    daemons.push(d);
    assert.equal(d.scheme, 'https', 'the serving line says https');
    const client = new TrtcClient({
      credential: { secretId: APP1.secretId, secretKey: APP1.secretKey }, region: 'ap-guangzhou',
      profile: { httpProfile: { endpoint: `127.0.0.1:${d.port}`, protocol: 'https://', agent: new https.Agent({ ca: caText }) } },
    });
    const err = await client.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: 'z'.repeat(32) }).then(() => null, (e) => e);
    assert.ok(err?.code && err.requestId, `a TRTC error envelope over TLS: ${err}`);
    assert.match(err.code, /^(InvalidParameter|ResourceNotFound)/);

    const scrape = await httpsGet(d.port, '/metrics', caText);
    assert.equal(scrape.status, 200);
    assert.match(scrape.text, /^# HELP cloudrec_api_requests_total/m);
    // Without the test's CA the certificate is not trusted.
    await assert.rejects(httpsGet(d.port, '/metrics', undefined), /self[- ]signed|certificate/i);
    // Plain HTTP on the TLS port gets no HTTP answer.
    await assert.rejects(new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: d.port, path: '/metrics', agent: false }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
      req.setTimeout(10000, () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    }));

    // cloudrec publish refuses the unknown certificate, then publishes with --ca-file.
    const refused = await runCli(['publish', '--server', `https://127.0.0.1:${d.port}`, '--sdkappid', String(APP1.sdkAppId), '--room', '9801',
      '--user', 'tls_bob', '--usersig', userSig(APP1, 'tls_bob'), '--size', '160x90', '--fps', '5', '--duration', '3'], { timeoutMs: 30000 });
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /certificate|TLS/i);
    const pub = spawn(BIN, ['publish', '--server', `https://127.0.0.1:${d.port}`, '--ca-file', pem.cert, '--sdkappid', String(APP1.sdkAppId), '--room', '9801',
      '--user', 'tls_alice', '--usersig', userSig(APP1, 'tls_alice'), '--size', '160x90', '--fps', '5', '--duration', '120'], { stdio: 'ignore' });
    procs.push(pub);
    await until('alice publishes over https', async () => /cloudrec_whip_sessions 1\n/.test((await httpsGet(d.port, '/metrics', caText)).text)
      && /cloudrec_streams\{kind="main"\} 1\n/.test((await httpsGet(d.port, '/metrics', caText)).text), 60000);
    const bad = await runCli(['publish', '--server', `https://127.0.0.1:${d.port}`, '--ca-file', path.join(dir, 'missing.pem'), '--sdkappid', String(APP1.sdkAppId),
      '--room', '9801', '--user', 'x', '--usersig', 'y']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--ca-file/);
  });

  test('a half or mismatched pair stops the start with the setting named', T, async () => {
    const other = makeCert(dir, 'other');
    const runs = [
      [['--tls-cert', pem.cert], /tls-cert and tls-key go together: tls-cert is set, tls-key is not/],
      [['--tls-key', pem.key], /tls-key is set, tls-cert is not/],
      [['--tls-cert', pem.cert, '--tls-key', other.key], /tls-cert .*server\.crt.*tls-key .*other\.key/],
      [['--tls-cert', path.join(dir, 'nope.crt'), '--tls-key', pem.key], /nope\.crt/],
      [['--ice-public-address', 'not-an-ip'], /ice-public-address.*not a numeric IPv4 or IPv6 address/],
    ];
    for (const [args, re] of runs) {
      const dataDir = makeTmpDir();
      const r = await runCli(['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--workers', 'off', '--app', `${APP1.sdkAppId}:${APP1.secretId}:${APP1.secretKey}:${APP1.usersigKey}`, ...args], { timeoutMs: 15000 });
      assert.notEqual(r.status, 0, `${args.join(' ')} must not start`);
      assert.match(r.stderr, re, args.join(' '));
    }
  });

  test('ice-public-address: each UDP host candidate is offered again with the public address and the same port', T, async () => {
    const d = await startDaemon({ args: ['--ice-public-address', '203.0.113.7'] });
    daemons.push(d);
    const res = await fetch(`http://127.0.0.1:${d.port}/whip/${APP1.sdkAppId}/room/9802/pub_user/main`, {
      method: 'POST', headers: { Authorization: `Bearer ${userSig(APP1, 'pub_user')}`, 'Content-Type': 'application/sdp' }, body: TEST_OFFER,
    });
    const answer = await res.text();
    assert.equal(res.status, 201, answer);
    const cands = answer.split('\r\n').filter((l) => l.startsWith('a=candidate:')).map((l) => {
      const f = l.slice('a=candidate:'.length).split(' ');
      return { foundation: f[0], component: f[1], transport: f[2].toLowerCase(), priority: Number(f[3]), addr: f[4], port: f[5], type: f[7] };
    });
    const hosts = cands.filter((c) => c.type === 'host' && c.transport === 'udp' && c.addr !== '203.0.113.7' && !c.addr.includes(':'));
    assert.ok(hosts.length > 0, `the answer has IPv4 UDP host candidates:\n${answer}`);
    for (const h of hosts) {
      const pub = cands.find((c) => c.addr === '203.0.113.7' && c.port === h.port && c.component === h.component);
      assert.ok(pub, `a public copy of ${JSON.stringify(h)}`);
      assert.equal(pub.foundation, `P${h.foundation}`.slice(0, 32));
      assert.equal(pub.priority, h.priority - 1);
      assert.equal(pub.type, 'host');
    }
    assert.equal(cands.filter((c) => c.addr === '203.0.113.7').length, hosts.length, 'one public copy per IPv4 UDP host candidate, no more');
    await fetch(`http://127.0.0.1:${d.port}${res.headers.get('location')}`, { method: 'DELETE', headers: { Authorization: `Bearer ${userSig(APP1, 'pub_user')}` } });
  });
});
