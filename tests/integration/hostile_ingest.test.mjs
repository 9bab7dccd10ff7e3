// Hostile WHIP clients (issue 13), each while a single-stream recording runs beside it: stalled
// and half-open connections on the WHIP endpoint, oversized and malformed SDP offers, malformed
// JSON on the worker link's routes, many sessions from one address (whip-max-sessions-per-ip),
// and publishers that get an answer and never connect (ICE/DTLS): each gets a clear error or a
// timeout. At the end the recording is checked for gaps: its segments follow each other, they
// add up to the wall time it ran, and no packet of its media is more than 0.5 s after the last.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { APP1, BIN, startDaemon, makeClient, userSig, sleep, until, connectRaw, linkRequest, TEST_OFFER } from './helpers.mjs';
import { roomState, waitRoom } from './media.mjs';

const T = { timeout: 60000 };
const API_TIMEOUT_S = 2;
const CONNECT_TIMEOUT_S = 3;
const PER_IP = 4;
const REC_ROOM = 9601;
const HOSTILE_ROOM = 9602;

const OFFER = TEST_OFFER;

const endpoint = (user, room = HOSTILE_ROOM) => `/whip/${APP1.sdkAppId}/room/${room}/${user}/main`;

function whip(port, urlPath, { method = 'POST', user, body = OFFER, contentType = 'application/sdp' } = {}) {
  const h = {};
  if (user) h.Authorization = `Bearer ${userSig(APP1, user)}`;
  if (contentType) h['Content-Type'] = contentType;
  return fetch(`http://127.0.0.1:${port}${urlPath}`, { method, headers: h, body: method === 'POST' ? body : undefined })
    .then(async (res) => ({ status: res.status, headers: res.headers, text: await res.text() }));
}

/** Writes @head (and @body) on a raw connection; resolves the reply's status and text, or
 * 'closed' if the daemon closed the connection without one. */
function rawExchange(port, head, body, { timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port }, () => {
      sock.write(head);
      if (body) sock.write(body, () => {});
    });
    let data = '';
    sock.on('data', (c) => { data += c; });
    sock.on('error', () => {}); // EPIPE/ECONNRESET while the body is still being written
    sock.on('close', () => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.1 (\d+)/.exec(data);
      resolve(m ? { status: Number(m[1]), text: data.split('\r\n\r\n').slice(1).join('\r\n\r\n') } : 'closed');
    });
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`no close within ${timeoutMs} ms`)); }, timeoutMs);
  });
}

/** Resolves the ms until the daemon closes @sock (or 'open' after @limitMs). */
const closedAfter = (sock, limitMs) => new Promise((resolve) => {
  const t0 = Date.now();
  const timer = setTimeout(() => { sock.destroy(); resolve('open'); }, limitMs);
  sock.on('data', () => {});
  sock.on('error', () => {});
  sock.on('close', () => { clearTimeout(timer); resolve(Date.now() - t0); });
});

function packetTimes(file) {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.trim() !== '').map((l) => Number(l.split(',')[0])).filter((x) => Number.isFinite(x));
}

describe('hostile WHIP clients beside a running recording', () => {
  let d;
  let c;
  let publisher;
  let taskId;
  const alive = () => assert.equal(d.proc.exitCode ?? d.proc.signalCode, null, `the daemon died:\n${d.stderr.slice(-3000)}`);

  before(async () => {
    d = await startDaemon({
      defaults: ['--api-rate-limit', '100000'],
      args: ['--api-timeout', String(API_TIMEOUT_S), '--ingest-connect-timeout', String(CONNECT_TIMEOUT_S),
        '--whip-max-sessions-per-ip', String(PER_IP), '--api-max-body', '200000'],
    });
    c = makeClient(d.port, APP1);
    publisher = spawn(BIN, ['publish', '--server', `http://127.0.0.1:${d.port}`, '--sdkappid', String(APP1.sdkAppId), '--room', String(REC_ROOM),
      '--user', 'steady', '--usersig', userSig(APP1, 'steady'), '--size', '160x90', '--fps', '10', '--duration', '600'], { stdio: 'ignore' });
    await waitRoom(d, APP1.sdkAppId, REC_ROOM, (s) => s.Streams.some((x) => x.UserId === 'steady' && x.VideoActive), { timeoutMs: 30000 });
    ({ TaskId: taskId } = await c.CreateCloudRecording({
      SdkAppId: APP1.sdkAppId, RoomId: String(REC_ROOM), UserId: 'rec_robot', UserSig: userSig(APP1, 'rec_robot'),
      RecordParams: { RecordMode: 1, MaxIdleTime: 60, StreamType: 0 },
      StorageParams: { CloudStorage: { Vendor: 0, Region: 'ap-guangzhou', Bucket: 'b-1250000000', AccessKey: 'ak', SecretKey: 'sk', FileNamePrefix: ['hostile'] } },
    }));
    await until('the recording has files', async () => (await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: taskId })).StorageFileList.length > 0, 40000);
  });
  after(async () => {
    publisher?.kill('SIGKILL');
    await d.stop();
  });

  test('a client stalled in the headers of a WHIP POST is disconnected within api-timeout', T, async () => {
    const sock = await connectRaw(d.port);
    sock.write(`POST ${endpoint('slow1')} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl`);
    const ms = await closedAfter(sock, 8000);
    console.log('STALLED-HEADERS closed after', ms, 'ms');
    assert.notEqual(ms, 'open', `still connected 8 s after stalling (--api-timeout ${API_TIMEOUT_S})`);
    assert.ok(ms <= (API_TIMEOUT_S + 3) * 1000, `closed after ${ms} ms`);
    alive();
  });

  test('a client stalled inside its SDP offer (half the body sent) is disconnected within api-timeout', T, async () => {
    const sock = await connectRaw(d.port);
    sock.write(`POST ${endpoint('slow2')} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${userSig(APP1, 'slow2')}\r\n`
      + `Content-Type: application/sdp\r\nContent-Length: ${OFFER.length}\r\n\r\n${OFFER.slice(0, 100)}`);
    const ms = await closedAfter(sock, 8000);
    console.log('STALLED-BODY closed after', ms, 'ms');
    assert.notEqual(ms, 'open', 'still connected 8 s after stalling in the body');
    assert.ok(ms <= (API_TIMEOUT_S + 3) * 1000, `closed after ${ms} ms`);
    const st = await roomState(d, APP1.sdkAppId, HOSTILE_ROOM);
    assert.ok(!st.Streams.some((x) => x.UserId === 'slow2'), 'the half-sent offer made a session');
  });

  test('a half-open connection (the client shuts its side after half the headers) is closed and leaves nothing behind', T, async () => {
    const sock = await connectRaw(d.port);
    sock.end(`POST ${endpoint('slow3')} HTTP/1.1\r\nHost: 127.0.0.1\r\n`);
    const ms = await closedAfter(sock, 8000);
    console.log('HALF-OPEN closed after', ms, 'ms');
    assert.notEqual(ms, 'open', 'the daemon kept a half-closed connection open');
    const st = await roomState(d, APP1.sdkAppId, HOSTILE_ROOM);
    assert.ok(!st.Streams.some((x) => x.UserId === 'slow3'));
    alive();
  });

  test('30 stalled WHIP connections do not block a WHIP request of another client', T, async () => {
    const stalled = await Promise.all(Array.from({ length: 30 }, () => connectRaw(d.port)));
    for (const s of stalled) { s.on('error', () => {}); s.write(`POST ${endpoint('slow4')} HTTP/1.1\r\nHost: x\r\n`); }
    const t0 = Date.now();
    const r = await whip(d.port, endpoint('probe'), { method: 'OPTIONS', contentType: null });
    assert.equal(r.status, 204);
    assert.ok(Date.now() - t0 < 2000, `OPTIONS took ${Date.now() - t0} ms behind stalled connections`);
    for (const s of stalled) s.destroy();
  });

  // Oversized and malformed offers: each a 4xx with a message naming the problem.
  const bigAttr = OFFER + 'a=x:' + 'y'.repeat(70000) + '\r\n';
  const manyRejected = OFFER + 'm=video 0 RTP/AVP 96\r\n'.repeat(1000);
  const manyActive = OFFER.split('m=audio')[0] + ('m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n'
    + 'a=rtpmap:111 opus/48000/2\r\n').repeat(1000).slice(0, 60000);
  const sdpCases = [
    ['random bytes', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)), 400, /not an SDP offer/],
    ['text that is not SDP', 'hello, server', 400, /not an SDP offer/],
    ['"v=0" and garbage', 'v=0\r\n' + '\x01\x02garbage line\r\n'.repeat(100), 400, /SDP offer/],
    ['a NUL byte inside the offer', OFFER.replace('s=-', 's=\0'), 400, /not an SDP offer/],
    ['invalid UTF-8', Buffer.concat([Buffer.from(OFFER), Buffer.from([0xff, 0xfe])]), 400, /not an SDP offer/],
    ['an offer without m-lines', OFFER.split('m=audio')[0], 400, /no m-line/],
    ['1000 m-lines (all but two rejected by the offerer)', manyRejected, 400, /1002 m-lines/],
    ['hundreds of active audio m-lines', manyActive, 400, /m-line/],
    ['an offer over 64 KiB within the body limit', bigAttr, 400, /larger than 65536 bytes/],
  ];
  for (const [name, body, status, re] of sdpCases) {
    test(`SDP: ${name} -> ${status}`, T, async () => {
      const r = await whip(d.port, endpoint('sdp'), { user: 'sdp', body });
      assert.equal(r.status, status, r.text);
      assert.match(r.text, re);
      alive();
    });
  }

  // WebRTC ignores the m-line's port (the candidates count), so an absurd one is no reason to
  // refuse; 2000 payload types are read and the one wanted chosen. Answered, then ended.
  test('SDP: an m-line with an absurd port and 2000 payload types -> answered (201), and DELETE ends it', T, async () => {
    const body = OFFER.replace('m=audio 9 UDP/TLS/RTP/SAVPF 111', `m=audio 99999999999 UDP/TLS/RTP/SAVPF ${'111 '.repeat(2000)}`);
    const r = await whip(d.port, endpoint('odd'), { user: 'odd', body });
    assert.equal(r.status, 201, r.text);
    const del = await whip(d.port, r.headers.get('location'), { method: 'DELETE', contentType: null });
    assert.equal(del.status, 200);
    alive();
  });

  test('SDP: a Content-Length over api-max-body -> 413 without the body being read', T, async () => {
    const r = await rawExchange(d.port, `POST ${endpoint('big')} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sdp\r\n`
      + `Authorization: Bearer ${userSig(APP1, 'big')}\r\nContent-Length: 1000000000\r\n\r\n`);
    assert.notEqual(r, 'closed', 'closed without a reply');
    assert.equal(r.status, 413);
    assert.match(r.text, /larger than 200000 bytes/);
  });

  test('SDP: a chunked body past api-max-body is cut off (connection closed), nothing is kept', T, async () => {
    const chunk = 'a=x:' + 'y'.repeat(16000) + '\r\n';
    const body = Array.from({ length: 40 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join('') + '0\r\n\r\n';
    const r = await rawExchange(d.port, `POST ${endpoint('chunky')} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sdp\r\n`
      + `Authorization: Bearer ${userSig(APP1, 'chunky')}\r\nTransfer-Encoding: chunked\r\n\r\n`, body);
    assert.ok(r === 'closed' || r.status >= 400, `a 640 KB chunked offer was answered ${JSON.stringify(r).slice(0, 200)}`);
    const st = await roomState(d, APP1.sdkAppId, HOSTILE_ROOM);
    assert.ok(!st.Streams.some((x) => x.UserId === 'chunky'));
    alive();
  });

  // The link's routes take JSON from the workers: broken JSON is refused there too (local
  // processes only, but a worker with a bug must not take the daemon down).
  const linkRoutes = [
    ['POST', '/internal/forwards'],
    ['PUT', `/internal/tasks/${APP1.sdkAppId}/nosuchtask/status`],
    ['POST', `/internal/tasks/${APP1.sdkAppId}/nosuchtask/finish`],
    ['POST', `/internal/tasks/${APP1.sdkAppId}/nosuchtask/files`],
    ['POST', '/internal/uploads'],
    ['POST', `/internal/vod/${APP1.sdkAppId}/nosuchtask`],
    ['POST', '/internal/callbacks'],
  ];
  const badJson = [
    ['malformed', '{"SdkAppId":'],
    ['an array', '[1,2,3]'],
    ['10,000 nested arrays', '['.repeat(10000) + ']'.repeat(10000)],
    ['a 150 KB string', `{"Path":"${'A'.repeat(150000)}"}`],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]).toString('latin1')],
  ];
  test('JSON: broken bodies on every JSON route of the worker link -> 4xx, the daemon keeps serving', { timeout: 120000 }, async () => {
    const seen = [];
    for (const [method, route] of linkRoutes) {
      for (const [name, body] of badJson) {
        const r = await linkRequest(d, method, route, body);
        seen.push(`${method} ${route} (${name}): ${r.status}`);
        assert.ok(r.status >= 400 && r.status < 500, `${method} ${route} with ${name} JSON: ${r.status} ${r.text.slice(0, 200)}`);
      }
    }
    alive();
    const st = await roomState(d, APP1.sdkAppId, REC_ROOM);
    assert.ok(st.Streams.some((x) => x.UserId === 'steady' && x.VideoActive), 'the recorded publisher is still there');
  });

  test('an answered offer in the recorded room that never connects: gone after ingest-connect-timeout, no file for it', T, async () => {
    const r = await whip(d.port, endpoint('ghost', REC_ROOM), { user: 'ghost' });
    assert.equal(r.status, 201, r.text);
    const t0 = Date.now();
    const st = await roomState(d, APP1.sdkAppId, REC_ROOM);
    const ghost = st.Streams.find((x) => x.UserId === 'ghost');
    assert.ok(ghost === undefined || (!ghost.AudioActive && !ghost.VideoActive), `ghost shows media: ${JSON.stringify(ghost)}`);
    const gone = await waitRoom(d, APP1.sdkAppId, REC_ROOM, (s) => !s.Streams.some((x) => x.UserId === 'ghost'), { timeoutMs: (CONNECT_TIMEOUT_S + 10) * 1000 });
    console.log('GHOST gone after', Date.now() - t0, 'ms');
    assert.ok(Date.now() - t0 <= (CONNECT_TIMEOUT_S + 5) * 1000, `ghost's session lasted ${Date.now() - t0} ms`);
    assert.equal(gone.Events.filter((e) => e.UserId === 'ghost' && e.Type === 'unpublish').at(-1)?.Reason, 'connect-timeout');
    assert.ok(gone.Streams.some((x) => x.UserId === 'steady' && x.VideoActive), 'the recorded publisher is still there');
    await sleep(2000);
    const { StorageFileList: files, Status } = await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: taskId });
    assert.equal(Status, 'InProgress');
    assert.deepEqual(files.filter((f) => f.UserId === 'ghost'), [], 'a file for a publisher that never sent anything');
  });

  test(`many sessions from one address: beyond whip-max-sessions-per-ip (${PER_IP}) -> 429; offers that never connect end after ingest-connect-timeout`, T, async () => {
    // "steady" (the recorded publisher) is one session from 127.0.0.1 already.
    const replies = [];
    for (let i = 0; i < PER_IP + 2; i++) replies.push(await whip(d.port, endpoint(`h${i}`), { user: `h${i}` }));
    const statuses = replies.map((r) => r.status);
    assert.deepEqual(statuses, [...Array(PER_IP - 1).fill(201), 429, 429, 429], replies.map((r) => r.text).join(' | '));
    assert.match(replies[PER_IP - 1].text, /address 127\.0\.0\.1 already has 4 publishing sessions .*whip-max-sessions-per-ip/);
    const answered = replies.filter((r) => r.status === 201);
    for (const r of answered) assert.match(r.text, /^v=0/, 'an SDP answer');
    const t0 = Date.now();

    // Answered, never connected: listed with no media at all, then gone within the timeout.
    const pending = await roomState(d, APP1.sdkAppId, HOSTILE_ROOM);
    for (const s of pending.Streams) assert.deepEqual([s.AudioActive, s.VideoActive], [false, false], `${s.UserId} shows media it never sent`);
    const gone = await waitRoom(d, APP1.sdkAppId, HOSTILE_ROOM, (s) => s.Streams.length === 0, { timeoutMs: (CONNECT_TIMEOUT_S + 10) * 1000 });
    const ms = Date.now() - t0;
    console.log('UNCONNECTED gone after', ms, 'ms');
    assert.ok(ms <= (CONNECT_TIMEOUT_S + 5) * 1000, `the unconnected sessions lasted ${ms} ms (ingest-connect-timeout ${CONNECT_TIMEOUT_S})`);
    const hostile = new Set(Array.from({ length: PER_IP - 1 }, (_, i) => `h${i}`));
    const unpublished = gone.Events.filter((e) => e.Type === 'unpublish' && hostile.has(e.UserId));
    assert.equal(unpublished.length, PER_IP - 1);
    for (const e of unpublished) assert.equal(e.Reason, 'connect-timeout');
    assert.ok(!gone.Events.some((e) => e.Type === 'media' && hostile.has(e.UserId) && (e.AudioActive || e.VideoActive)), 'media events for sessions that never connected');
    for (const r of answered) {
      const del = await whip(d.port, r.headers.get('location'), { method: 'DELETE', contentType: null });
      assert.equal(del.status, 404, 'the session resource is gone');
    }
    // The address's sessions are free again.
    const again = await whip(d.port, endpoint('h9'), { user: 'h9' });
    assert.equal(again.status, 201, again.text);
    const del = await whip(d.port, again.headers.get('location'), { method: 'DELETE', contentType: null });
    assert.equal(del.status, 200);
    alive();
  });

  test('the recording beside all this has no gap', { timeout: 120000 }, async () => {
    const stopAt = Date.now();
    const { StorageFileList: files } = await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: taskId });
    await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: taskId });
    const dir = path.join(d.dataDir, 'storage', 'hostile', taskId);
    const mine = files.filter((f) => f.UserId === 'steady' && f.FileName.endsWith('.m3u8'));
    assert.ok(mine.length >= 1, `no playlist of the publisher: ${JSON.stringify(files)}`);
    await until('every playlist ended', () => mine.every((f) => {
      const m = path.join(dir, f.FileName);
      return existsSync(m) && readFileSync(m, 'utf8').includes('#EXT-X-ENDLIST');
    }), 30000);
    for (const f of mine) {
      const text = readFileSync(path.join(dir, f.FileName), 'utf8');
      assert.ok(!text.includes('#EXT-X-DISCONTINUITY'), `${f.FileName} has a discontinuity`);
      const segs = [...text.matchAll(/#EXT-X-TRTC-FILE-ATTR:(\d+),\d+\n#EXTINF:([\d.]+),\n(.+)\n/g)]
        .map(([, start, extinf, uri]) => ({ start: Number(start), extinf: Number(extinf), uri }));
      assert.ok(segs.length >= 2, `${f.FileName}: ${segs.length} segments`);
      let worstJoin = 0;
      for (let i = 1; i < segs.length; i++) {
        const join = segs[i].start - (segs[i - 1].start + segs[i - 1].extinf * 1000);
        worstJoin = Math.max(worstJoin, Math.abs(join));
      }
      const total = segs.reduce((a, s) => a + s.extinf, 0);
      const wall = (stopAt - segs[0].start) / 1000;
      // Packets: none more than 0.5 s after the previous one, across every segment.
      let last = null;
      let worstGap = 0;
      let packets = 0;
      for (const s of segs) {
        for (const t of packetTimes(path.join(dir, s.uri))) {
          if (last !== null) worstGap = Math.max(worstGap, t - last);
          last = t;
          packets++;
        }
      }
      assert.ok(total >= 10, `${f.FileName}: ${total} s recorded`);
      console.log('RECORDING', f.FileName, JSON.stringify({ segments: segs.length, total: total.toFixed(2), wall: wall.toFixed(2), worstJoinMs: worstJoin, worstPacketGap: worstGap.toFixed(3), packets }));
      assert.ok(worstJoin <= 300, `${f.FileName}: consecutive segments are ${worstJoin} ms apart`);
      assert.ok(Math.abs(total - wall) <= 4, `${f.FileName}: the segments last ${total.toFixed(1)} s for ${wall.toFixed(1)} s of recording`);
      assert.ok(worstGap <= 0.5, `${f.FileName}: a ${worstGap.toFixed(3)} s hole between two packets`);
    }
    alive();
  });
});
