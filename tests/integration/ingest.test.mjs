// The WebRTC ingest (issue 4): headless Chromium publishes through the daemon's publish page over
// WHIP; recorders' forwards deliver RTP that GStreamer decodes; every bad WHIP request gets a clear
// HTTP error; a publisher that vanishes without DELETE is noticed by the liveness watchdog.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { APP1, APP2, BIN, startDaemon, makeClient, userSig, userSigAt, until, TEST_OFFER } from './helpers.mjs';
import {
  chromium, launchChromium, launchChromiumServer, publishFromBrowser, roomState, waitRoom, freeUdpPorts, subscribeWhenFlowing, decodeForward,
  countSenderReports, internal,
} from './media.mjs';

const T = { timeout: 60000 };

const OFFER = TEST_OFFER;

// Headers only, announcing @length bytes: the reply must come without the body being sent.
function rawPost(port, urlPath, length) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port }, () => {
      sock.write(`POST ${urlPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sdp\r\nContent-Length: ${length}\r\n\r\n`);
    });
    let data = '';
    sock.on('data', (c) => { data += c; });
    sock.on('end', () => {
      const [head, ...body] = data.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]);
      const headers = new Map(head.split('\r\n').slice(1).map((l) => [l.split(':')[0].toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status, headers: { get: (k) => headers.get(k) }, text: body.join('\r\n\r\n') });
    });
    sock.on('error', reject);
    sock.setTimeout(5000, () => sock.destroy(new Error('no reply')));
  });
}

function whip(port, urlPath, { method = 'POST', sig, body = OFFER, contentType = 'application/sdp', headers = {} } = {}) {
  const h = { ...headers };
  if (sig !== undefined) h.Authorization = `Bearer ${sig}`;
  if (contentType) h['Content-Type'] = contentType;
  return fetch(`http://127.0.0.1:${port}${urlPath}`, { method, headers: h, body: method === 'POST' || method === 'PATCH' ? body : undefined })
    .then(async (res) => ({ status: res.status, headers: res.headers, text: await res.text() }));
}

// On both engines (ingest-engine): the default's and the other's.
for (const engine of ['lean', 'webrtcbin']) describe(`WHIP ingest with headless Chromium (${engine})`, () => {
  let d;
  let browser;
  before(async () => {
    d = await startDaemon({ apps: [APP1, APP2], args: ['--ingest-liveness-timeout', '3', '--ingest-engine', engine] });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close().catch(() => {});
    await d.stop();
  });

  test('Chromium publishes camera and microphone; two subscribers each decode video and audio; sender reports arrive', T, async () => {
    const room = 7001;
    const page = await publishFromBrowser(browser, d.port, { sdkAppId: APP1.sdkAppId, room, user: 'alice', usersig: userSig(APP1, 'alice') });
    const state = await waitRoom(d, APP1.sdkAppId, room, (s) => s.Streams.length === 1);
    assert.deepEqual(state.Streams.map(({ UserId, Stream, HasAudio, HasVideo }) => ({ UserId, Stream, HasAudio, HasVideo })),
      [{ UserId: 'alice', Stream: 'main', HasAudio: true, HasVideo: true }]);
    // (media events follow once the RTP arrives: not counted here)
    assert.deepEqual(state.Events.filter((e) => e.Type !== 'media').map((e) => `${e.Type}:${e.UserId}${e.Stream ? ':' + e.Stream : ''}`), ['join:alice', 'publish:alice:main']);
    for (const e of state.Events) assert.ok(Math.abs(e.Time - Date.now()) < 60000, `event time ${e.Time} is a Unix ms timestamp`);

    // Learn the negotiated codecs with a first forward, then let the receivers bind their ports
    // before they subscribe, as a recorder does.
    const ports = await freeUdpPorts(10); // all at once: udpsrc binds with SO_REUSEADDR
    const caps = {};
    for (const media of ['video', 'audio']) {
      const probe = await subscribeWhenFlowing(d, { sdkAppId: APP1.sdkAppId, room, user: 'alice', media, rtpPort: ports.pop(), rtcpPort: 0 });
      caps[media] = probe.caps;
      assert.equal((await internal(d, 'DELETE', `/internal/forwards/${probe.forwardId}`)).status, 200);
    }
    assert.match(caps.video, /encoding-name=\(string\)H264/, 'Chromium offers H.264 and the ingest prefers it');
    assert.match(caps.audio, /encoding-name=\(string\)OPUS/);
    const decoders = [];
    for (let sub = 0; sub < 2; sub++) {
      for (const media of ['video', 'audio']) {
        const [rtpPort, rtcpPort] = ports.splice(0, 2);
        const dec = { media, sub, ...decodeForward(rtpPort, caps[media], media === 'video' ? 30 : 100) };
        if (sub === 0 && media === 'video') dec.srs = countSenderReports(rtcpPort, 6000);
        await dec.bound;
        await subscribeWhenFlowing(d, { sdkAppId: APP1.sdkAppId, room, user: 'alice', media, rtpPort, rtcpPort });
        decoders.push(dec);
      }
    }
    for (const dec of decoders) {
      const r = await dec.done;
      assert.equal(r.code, 0, `subscriber ${dec.sub} ${dec.media}: the decoder did not get its buffers: ${r.code} ${r.stderr}`);
    }
    // The RTCP port was taken by the SR counter, not by the decoder: sender reports of the publisher.
    const srs = await decoders.find((x) => x.srs).srs;
    assert.ok(srs >= 1, `no RTCP sender report reached the subscriber's RTCP port in 6 s (${srs})`);

    await page.click('#stop');
    const left = await waitRoom(d, APP1.sdkAppId, room, (s) => s.Streams.length === 0);
    assert.deepEqual(left.Events.slice(-2).map((e) => `${e.Type}:${e.Reason}`), ['unpublish:left', 'leave:left']);
    await page.close();
  });

  test('a second publisher of the same stream is refused with 409; aux of the same user is accepted', T, async () => {
    const room = 7002;
    const page = await publishFromBrowser(browser, d.port, { sdkAppId: APP1.sdkAppId, room, user: 'bob', usersig: userSig(APP1, 'bob') });
    const r = await whip(d.port, `/whip/${APP1.sdkAppId}/room/${room}/bob/main`, { sig: userSig(APP1, 'bob') });
    assert.equal(r.status, 409, r.text);
    assert.match(r.text, /bob already publishes the main stream/);
    const aux = await publishFromBrowser(browser, d.port, { sdkAppId: APP1.sdkAppId, room, user: 'bob', usersig: userSig(APP1, 'bob'), source: 'screen' }).catch(() => null);
    if (aux) {
      const s = await waitRoom(d, APP1.sdkAppId, room, (st) => st.Streams.length === 2);
      assert.deepEqual(s.Streams.map((x) => x.Stream).sort(), ['aux', 'main']);
      await aux.close();
    }
    await page.close();
  });

  test('string rooms are separate from integer rooms with the same digits', T, async () => {
    const page = await publishFromBrowser(browser, d.port, { sdkAppId: APP1.sdkAppId, room: '7003', roomType: 'str-room', user: 'carol', usersig: userSig(APP1, 'carol') });
    await waitRoom(d, APP1.sdkAppId, '7003', (s) => s.Streams.length === 1, { str: true });
    const intRoom = await roomState(d, APP1.sdkAppId, 7003);
    assert.equal(intRoom.Exists, false);
    await page.close();
  });

  test('a publisher that vanishes without DELETE is ended by the liveness watchdog (3 s here)', T, async () => {
    const room = 7004;
    const server = await launchChromiumServer();
    const other = await chromium.connect(server.wsEndpoint());
    await publishFromBrowser(other, d.port, { sdkAppId: APP1.sdkAppId, room, user: 'dave', usersig: userSig(APP1, 'dave') });
    await waitRoom(d, APP1.sdkAppId, room, (s) => s.Streams.length === 1);
    server.process().kill('SIGKILL'); // no DELETE, no DTLS close: the publisher is just gone
    const s = await waitRoom(d, APP1.sdkAppId, room, (st) => st.Streams.length === 0, { timeoutMs: 20000 });
    const last = s.Events.slice(-2);
    assert.equal(last[0].Type, 'unpublish');
    assert.match(last[0].Reason, /^(liveness-timeout|connection-failed|closed)$/);
    assert.equal(last[1].Type, 'leave');
  });
});

describe('WHIP requests that are refused', () => {
  let d;
  before(async () => { d = await startDaemon({ apps: [APP1], args: ['--api-max-body', '100000'] }); });
  const whipBig = (port, urlPath) => whip(port, urlPath, { sig: userSig(APP1, 'eve'), body: OFFER + 'a=x:' + 'y'.repeat(70000) + '\r\n' });
  after(async () => { await d.stop(); });
  const ep = (user = 'eve', room = '7100', kind = 'room', stream = 'main') => `/whip/${APP1.sdkAppId}/${kind}/${room}/${user}/${stream}`;

  const cases = [
    ['no Authorization header', () => whip(d.port, ep()), 401, /Authorization: Bearer/],
    ['a malformed UserSig', () => whip(d.port, ep(), { sig: 'not-a-usersig' }), 401, /UserSig is not valid/],
    ['a UserSig of another user', () => whip(d.port, ep(), { sig: userSig(APP1, 'mallory') }), 401, /not valid for user eve/],
    ['an expired UserSig', () => whip(d.port, ep(), { sig: userSigAt(APP1, 'eve', 60, Math.floor(Date.now() / 1000) - 3600) }), 401, /expired/i],
    ['a UserSig signed with another key', () => whip(d.port, ep(), { sig: userSig(APP2, 'eve') }), 401, /not valid/],
    ['an unknown SdkAppId', () => whip(d.port, `/whip/1400009999/room/7100/eve/main`, { sig: userSig(APP1, 'eve') }), 404, /1400009999 is not an application/],
    ['a bad room id', () => whip(d.port, ep('eve', '0'), { sig: userSig(APP1, 'eve') }), 400, /integer room id/],
    ['a string room id over 64 bytes', () => whip(d.port, ep('eve', 'r'.repeat(65), 'str-room'), { sig: userSig(APP1, 'eve') }), 400, /1 to 64 bytes/],
    ['a path segment with an escaped slash', () => whip(d.port, ep('eve', 'a%2Fb', 'str-room'), { sig: userSig(APP1, 'eve') }), 404, /no WHIP resource/],
    ['a bad UserId', () => whip(d.port, ep('e%20ve'), { sig: userSig(APP1, 'e ve') }), 400, /UserId may use/],
    ['a bad stream name', () => whip(d.port, ep('eve', '7100', 'room', 'side'), { sig: userSig(APP1, 'eve') }), 400, /"main" or "aux"/],
    ['a wrong Content-Type', () => whip(d.port, ep(), { sig: userSig(APP1, 'eve'), contentType: 'application/json', body: '{}' }), 415, /application\/sdp/],
    ['an empty offer', () => whip(d.port, ep(), { sig: userSig(APP1, 'eve'), body: '' }), 400, /empty/],
    ['text that is not SDP', () => whip(d.port, ep(), { sig: userSig(APP1, 'eve'), body: 'hello' }), 400, /not an SDP offer/],
    ['an offer without media', () => whip(d.port, ep(), { sig: userSig(APP1, 'eve'), body: OFFER.split('m=audio')[0] }), 400, /no m-line/],
    ['an offer without a fingerprint', () => whip(d.port, ep(), { sig: userSig(APP1, 'eve'), body: OFFER.replace(/a=fingerprint[^\r]*\r\n/, '') }), 400, /fingerprint/],
    ['an offer with only VP9 video', () => whip(d.port, ep(), { sig: userSig(APP1, 'eve'), body: OFFER.replace('a=rtpmap:96 H264/90000', 'a=rtpmap:96 VP9/90000') }), 400, /no video codec/],
    ['an offer that only receives', () => whip(d.port, ep(), { sig: userSig(APP1, 'eve'), body: OFFER.replaceAll('a=sendonly', 'a=recvonly') }), 400, /does not send/],
    ['an oversized body (Content-Length, refused before it is read)', () => rawPost(d.port, ep(), 10_000_000), 413, /larger than 100000 bytes/],
    ['an offer over 64 KiB within the body limit', () => whipBig(d.port, ep()), 400, /larger than 65536 bytes/],
    ['PATCH (trickle ICE)', () => whip(d.port, '/whip/session/0123456789abcdef0123456789abcdef', { method: 'PATCH', body: 'a=candidate', contentType: 'application/trickle-ice-sdpfrag' }), 405, /trickle/],
    ['DELETE of an unknown session', () => whip(d.port, '/whip/session/0123456789abcdef0123456789abcdef', { method: 'DELETE', contentType: null }), 404, /no WHIP session/],
    ['GET on an endpoint', () => whip(d.port, ep(), { method: 'GET', contentType: null }), 405, /not allowed/],
    ['a path that is no WHIP resource', () => whip(d.port, '/whip/1/2/3', { sig: userSig(APP1, 'eve') }), 404, /no WHIP resource/],
  ];
  for (const [name, run, status, re] of cases) {
    test(`${name} -> ${status}`, T, async () => {
      const r = await run();
      if (Array.isArray(status)) assert.ok(status.includes(r.status), `${r.status} ${r.text}`);
      else assert.equal(r.status, status, r.text);
      assert.match(r.text, re);
      if (r.status !== 200) assert.equal(r.headers.get('connection'), 'close');
    });
  }

  test('OPTIONS advertises POST and application/sdp with CORS headers', T, async () => {
    const r = await whip(d.port, ep(), { method: 'OPTIONS', contentType: null });
    assert.equal(r.status, 204);
    assert.equal(r.headers.get('accept-post'), 'application/sdp');
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    assert.match(r.headers.get('access-control-allow-headers'), /Authorization/);
  });

  test('the refused requests left no room behind; the internal API is not on the TCP port', T, async () => {
    assert.equal((await roomState(d, APP1.sdkAppId, 7100)).Exists, false);
    const res = await fetch(`http://127.0.0.1:${d.port}/internal/rooms/${APP1.sdkAppId}/room/7100`);
    assert.equal(res.status, 404);
    const bad = await internal(d, 'POST', '/internal/forwards', { SdkAppId: APP1.sdkAppId, RoomId: '7100', UserId: 'eve', Stream: 'main', Media: 'video', RtpPort: 0 });
    assert.equal(bad.status, 400);
    const none = await internal(d, 'POST', '/internal/forwards', { SdkAppId: APP1.sdkAppId, RoomId: '7100', UserId: 'eve', Stream: 'main', Media: 'video', RtpPort: 40000 });
    assert.equal(none.status, 404);
    assert.match(none.text, /publishes no main video/);
  });
});

describe('forwards belong to their task', () => {
  let d;
  const procs = [];
  before(async () => {
    d = await startDaemon({ apps: [APP1], defaults: ['--api-rate-limit', '100000'] }); // workers on
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await d.stop();
  });

  test('a worker killed with SIGKILL: its forwards stop by themselves (its ports refuse packets)', { timeout: 90000 }, async () => {
    const room = 7201;
    const robot = 'recorder_7201';
    procs.push(spawn(BIN, ['publish', '--server', `http://127.0.0.1:${d.port}`, '--sdkappid', String(APP1.sdkAppId), '--room', String(room),
      '--user', 'erin', '--usersig', userSig(APP1, 'erin'), '--size', '160x90', '--fps', '10', '--duration', '80'], { stdio: 'ignore' }));
    await waitRoom(d, APP1.sdkAppId, room, (s) => s.Streams.length === 1, { timeoutMs: 20000 });
    const c = makeClient(d.port, APP1);
    const { TaskId } = await c.CreateCloudRecording({
      SdkAppId: APP1.sdkAppId, RoomId: String(room), UserId: robot, UserSig: userSig(APP1, robot),
      RecordParams: { RecordMode: 1, MaxIdleTime: 600 },
      StorageParams: { CloudStorage: { Vendor: 0, Region: 'ap-guangzhou', Bucket: 'b-1250000000', AccessKey: 'ak', SecretKey: 'sk' } },
    });
    const listForwards = async () => {
      const r = await internal(d, 'GET', '/internal/forwards');
      assert.equal(r.status, 200, r.text);
      return r.json.Forwards;
    };
    // The worker subscribes audio and video of erin, each forward marked with the task.
    const mine = await until('the task\'s two forwards', async () => {
      const f = (await listForwards()).filter((x) => x.TaskId === TaskId && x.Packets > 0);
      return f.length === 2 ? f : null;
    }, 30000);
    assert.deepEqual(mine.map((x) => `${x.UserId}/${x.Stream}/${x.Media}`).sort(), ['erin/main/audio', 'erin/main/video']);
    const pid = Number(spawnSync('pgrep', ['-f', `record .*--task ${TaskId}`], { encoding: 'utf8' }).stdout.trim().split('\n')[0]);
    assert.ok(pid > 0, 'no worker process');
    process.kill(pid, 'SIGKILL');
    const killed = Date.now();
    const old = new Set(mine.map((x) => x.ForwardId));
    await until('the dead worker\'s forwards gone', async () => !(await listForwards()).some((x) => old.has(x.ForwardId)), 20000);
    console.log(`# the dead worker's forwards were gone ${((Date.now() - killed) / 1000).toFixed(2)} s after SIGKILL`);
    await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId }).catch(() => {});
  });
});
