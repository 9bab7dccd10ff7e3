// `cloudrec publish` against the daemon: ten concurrent publishers in two rooms, each track
// forwarded to two subscribers; the synthetic picture decodes to its colour with a white flash at
// each second; pre-encoded H.264 and Ogg Opus files sent as they are; the command-line contract (exit codes, messages, DELETE on exit).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { APP1, BIN, startDaemon, userSig, runCli } from './helpers.mjs';
import { waitRoom, freeUdpPorts, subscribeWhenFlowing, internal, waitUdpBound } from './media.mjs';

// Generous: ten live x264 publishers and forty subscriptions share two cores with whatever CI runs
// next to this file (9 s alone, over 90 s once next to a Chromium playback test).
const T = { timeout: 240000 };

function publish(port, { room, strRoom, user, args = [] }) {
  const argv = ['publish', '--server', `http://127.0.0.1:${port}`, '--sdkappid', String(APP1.sdkAppId),
    ...(strRoom ? ['--str-room', strRoom] : ['--room', String(room)]), '--user', user, '--usersig', userSig(APP1, user), ...args];
  const proc = spawn(BIN, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => { stdout += d; });
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { proc, exited, get stdout() { return stdout; } };
}

/**
 * A UDP socket on a free loopback port that counts RTP packets: resolves { port, n } once bound,
 * n resolving to the packets in the @ms after the first one (the subscription may take a moment
 * on a busy machine: the window is the forwarding's, not the subscribing's); 0 if none in 30 s.
 * The socket is bound here and kept: a port found free and bound later was once taken in between
 * (EADDRINUSE in a CI run, the other test file's daemon beside this one).
 */
function countRtp(ms) {
  return new Promise((bound) => {
    const s = dgram.createSocket('udp4');
    let finish;
    const n = new Promise((resolve) => { finish = resolve; });
    let count = 0;
    let window = null;
    let ended = false;
    let nothing = null;
    const end = () => {
      if (ended) return;
      ended = true;
      clearTimeout(window);
      clearTimeout(nothing);
      s.close();
      finish(count);
    };
    s.on('message', (m) => {
      if (ended || m.length < 12 || (m[0] >> 6) !== 2) return;
      count++;
      if (window === null) window = setTimeout(end, ms);
    });
    s.bind(0, '127.0.0.1', () => {
      nothing = setTimeout(end, 30000);
      bound({ port: s.address().port, n });
    });
  });
}

/** Decodes @frames frames of the forward on @rtpPort to raw I420 320x180 and returns [Y,U,V] of
 * the centre pixel of each frame. */
function decodeCentres(rtpPort, caps, frames) {
  const pt = /payload=\(int\)(\d+)/.exec(caps)[1];
  const args = ['-q', 'udpsrc', `port=${rtpPort}`, 'address=127.0.0.1',
    `caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=${pt}`, '!', 'rtpjitterbuffer', 'latency=100', '!',
    'rtph264depay', '!', 'h264parse', '!', 'avdec_h264', '!', 'videoconvert', '!', 'video/x-raw,format=I420', '!',
    'fdsink', 'fd=1'];
  const proc = spawn('gst-launch-1.0', args, { stdio: ['ignore', 'pipe', 'ignore'] });
  const W = 320, H = 180, size = W * H * 3 / 2;
  let buf = Buffer.alloc(0);
  const centres = [];
  const done = new Promise((resolve) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); resolve(centres); }, 20000);
    proc.stdout.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= size && centres.length < frames) {
        const f = buf.subarray(0, size);
        const y = f[(H / 2) * W + W / 2];
        const u = f[W * H + (H / 4) * (W / 2) + W / 4];
        const v = f[W * H + (W * H) / 4 + (H / 4) * (W / 2) + W / 4];
        centres.push([y, u, v]);
        buf = buf.subarray(size);
      }
      if (centres.length >= frames) { clearTimeout(timer); proc.kill('SIGKILL'); resolve(centres); }
    });
  });
  return { proc, done };
}

/** Decodes about @ms of the Opus forward on @rtpPort to 48 kHz mono S16 and returns the samples. */
function decodeAudio(rtpPort, caps, ms) {
  const pt = /payload=\(int\)(\d+)/.exec(caps)[1];
  const proc = spawn('gst-launch-1.0', ['-q', 'udpsrc', `port=${rtpPort}`, 'address=127.0.0.1',
    `caps=application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=${pt}`, '!', 'rtpjitterbuffer', 'latency=100', '!',
    'rtpopusdepay', '!', 'opusdec', '!', 'audioconvert', '!', 'audioresample', '!', 'audio/x-raw,format=S16LE,rate=48000,channels=1', '!',
    'fdsink', 'fd=1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const want = (48000 * ms / 1000) * 2;
  let buf = Buffer.alloc(0);
  const done = new Promise((resolve) => {
    const finish = () => { proc.kill('SIGKILL'); resolve(new Int16Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + (buf.length & ~1)))); };
    const timer = setTimeout(finish, 20000);
    proc.stdout.on('data', (d) => { buf = Buffer.concat([buf, d]); if (buf.length >= want) { clearTimeout(timer); finish(); } });
  });
  return { proc, done };
}

describe('cloudrec publish', () => {
  let d;
  before(async () => { d = await startDaemon({ apps: [APP1] }); });
  after(async () => { await d.stop(); });

  test('ten concurrent publishers in two rooms, every track forwarded to two subscribers', T, async () => {
    const pubs = [];
    for (let i = 0; i < 10; i++) {
      const room = i < 5 ? 8101 : 8102;
      pubs.push({ room, user: `pub${i}`, p: publish(d.port, { room, user: `pub${i}`, args: ['--size', '320x180', '--fps', '10', '--duration', '60'] }) });
    }
    for (const room of [8101, 8102]) {
      const s = await waitRoom(d, APP1.sdkAppId, room, (st) => st.Streams.length === 5, { timeoutMs: 30000 });
      assert.deepEqual(s.Streams.map((x) => x.UserId).sort(), pubs.filter((x) => x.room === room).map((x) => x.user).sort());
      for (const st of s.Streams) assert.deepEqual([st.Stream, st.HasAudio, st.HasVideo], ['main', true, true]);
    }
    const counts = [];
    for (const { room, user } of pubs) {
      for (const media of ['video', 'audio']) {
        for (let sub = 0; sub < 2; sub++) {
          const { port: rtpPort, n: counting } = await countRtp(3000);
          await subscribeWhenFlowing(d, { sdkAppId: APP1.sdkAppId, room, user, media, rtpPort, rtcpPort: 0 });
          counts.push({ user, media, sub, n: counting });
        }
      }
    }
    for (const c of counts) {
      const n = await c.n;
      // 3 s of 10 fps video (one packet or more per frame) or 50 Opus packets per second.
      assert.ok(n >= (c.media === 'video' ? 15 : 100), `${c.user} ${c.media} subscriber ${c.sub}: only ${n} RTP packets in 3 s`);
    }
    for (const { p } of pubs) p.proc.kill('SIGINT');
    for (const { user, p } of pubs) {
      const r = await p.exited;
      assert.equal(r.code, 0, `${user}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^publishing main of user ${user} in room 81\\d\\d to http://127\\.0\\.0\\.1:\\d+/whip/session/[0-9a-f]{32}\\n$`));
    }
    for (const room of [8101, 8102]) {
      const s = await waitRoom(d, APP1.sdkAppId, room, (st) => st.Streams.length === 0);
      assert.equal(s.Events.filter((e) => e.Type === 'unpublish' && e.Reason === 'left').length, 5, 'each publisher left with DELETE');
    }
  });

  test('the synthetic picture: its colour, and a white flash on the first frame of each second', T, async () => {
    const p = publish(d.port, { room: 8103, user: 'painter', args: ['--size', '320x180', '--fps', '10', '--color', 'red', '--no-audio', '--duration', '30'] });
    await waitRoom(d, APP1.sdkAppId, 8103, (st) => st.Streams.length === 1, { timeoutMs: 20000 });
    const [rtpPort] = await freeUdpPorts(1);
    const probe = await subscribeWhenFlowing(d, { sdkAppId: APP1.sdkAppId, room: 8103, user: 'painter', media: 'video', rtpPort: (await freeUdpPorts(1))[0], rtcpPort: 0 });
    await internal(d, 'DELETE', `/internal/forwards/${probe.forwardId}`);
    const dec = decodeCentres(rtpPort, probe.caps, 40);
    await waitUdpBound(rtpPort);
    await subscribeWhenFlowing(d, { sdkAppId: APP1.sdkAppId, room: 8103, user: 'painter', media: 'video', rtpPort, rtcpPort: 0 });
    const centres = await dec.done;
    p.proc.kill('SIGTERM');
    assert.equal((await p.exited).code, 0);
    assert.equal(centres.length, 40, 'decoded 40 frames');
    // Red in BT.601 limited range is about Y 81, U 90, V 240; white is Y 235, U = V = 128.
    const isRed = ([y, u, v]) => Math.abs(y - 81) <= 12 && Math.abs(u - 90) <= 12 && Math.abs(v - 240) <= 12;
    const isWhite = ([y, u, v]) => y >= 220 && Math.abs(u - 128) <= 8 && Math.abs(v - 128) <= 8;
    const flashes = centres.map((c, i) => (isWhite(c) ? i : -1)).filter((i) => i >= 0);
    assert.ok(centres.every((c) => isRed(c) || isWhite(c)), `every centre is red or white: ${JSON.stringify(centres)}`);
    assert.ok(flashes.length >= 3 && flashes.length <= 5, `about one flash per 10 frames in 40: at ${flashes}`);
    for (let i = 1; i < flashes.length; i++) assert.equal(flashes[i] - flashes[i - 1], 10, `flashes 1 s apart: ${flashes}`);
  });

  test('pre-encoded files sent as they are: --from (H.264) and --from-audio (Ogg Opus)', T, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cloudrec-publish-files-'));
    try {
      const video = path.join(dir, 'blue.h264'), audio = path.join(dir, 'tone.opus');
      for (const args of [
        ['-f', 'lavfi', '-i', 'color=c=blue:size=320x180:rate=10', '-t', '40', '-c:v', 'libx264', '-profile:v', 'baseline', '-g', '20', '-f', 'h264', video],
        ['-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000', '-t', '40', '-c:a', 'libopus', '-b:a', '48k', '-ac', '1', audio],
      ]) assert.equal(spawnSync('ffmpeg', ['-v', 'error', '-y', ...args]).status, 0, `ffmpeg ${args.at(-1)}`);
      const p = publish(d.port, { room: 8104, user: 'files', args: ['--from', video, '--fps', '10', '--from-audio', audio, '--duration', '40'] });
      await waitRoom(d, APP1.sdkAppId, 8104, (st) => st.Streams.length === 1 && st.Streams[0].AudioCaps && st.Streams[0].VideoCaps, { timeoutMs: 20000 });
      // The sound: the file's 1000 Hz tone (zero crossings over ~1.5 s of decoded forward).
      const [aPort, vPort] = await freeUdpPorts(2);
      const aProbe = await subscribeWhenFlowing(d, { sdkAppId: APP1.sdkAppId, room: 8104, user: 'files', media: 'audio', rtpPort: (await freeUdpPorts(1))[0], rtcpPort: 0 });
      await internal(d, 'DELETE', `/internal/forwards/${aProbe.forwardId}`);
      const dec = decodeAudio(aPort, aProbe.caps, 2000);
      await waitUdpBound(aPort);
      await subscribeWhenFlowing(d, { sdkAppId: APP1.sdkAppId, room: 8104, user: 'files', media: 'audio', rtpPort: aPort, rtcpPort: 0 });
      const samples = (await dec.done).subarray(24000); // past the decoder's start
      assert.ok(samples.length >= 48000, `decoded ${samples.length} samples`);
      let crossings = 0;
      for (let i = 1; i < samples.length; i++) if ((samples[i - 1] < 0) !== (samples[i] < 0)) crossings++;
      const hz = crossings / 2 / (samples.length / 48000);
      assert.ok(Math.abs(hz - 1000) < 30, `the tone is about 1000 Hz: ${hz.toFixed(1)}`);
      // The picture: the file's blue, decoded from the forward.
      const vProbe = await subscribeWhenFlowing(d, { sdkAppId: APP1.sdkAppId, room: 8104, user: 'files', media: 'video', rtpPort: (await freeUdpPorts(1))[0], rtcpPort: 0 });
      await internal(d, 'DELETE', `/internal/forwards/${vProbe.forwardId}`);
      const vdec = decodeCentres(vPort, vProbe.caps, 10);
      await waitUdpBound(vPort);
      await subscribeWhenFlowing(d, { sdkAppId: APP1.sdkAppId, room: 8104, user: 'files', media: 'video', rtpPort: vPort, rtcpPort: 0 });
      const centres = await vdec.done;
      assert.equal(centres.length, 10, 'decoded 10 frames');
      // Blue in BT.601 limited range is about Y 41, U 240, V 110.
      assert.ok(centres.every(([y, u, v]) => Math.abs(y - 41) <= 12 && Math.abs(u - 240) <= 12 && Math.abs(v - 110) <= 12), `blue: ${JSON.stringify(centres)}`);
      p.proc.kill('SIGINT');
      assert.equal((await p.exited).code, 0);
      const missing = runCli(['publish', '--server', 'http://127.0.0.1:1', '--sdkappid', '1400000001', '--room', '1', '--user', 'u', '--usersig', 's', '--from-audio', path.join(dir, 'none.opus')]);
      assert.equal(missing.status, 2);
      assert.match(missing.stderr, /--from-audio: no such file/);
      const both = runCli(['publish', '--server', 'http://127.0.0.1:1', '--sdkappid', '1400000001', '--room', '1', '--user', 'u', '--usersig', 's', '--from-audio', audio, '--no-audio']);
      assert.equal(both.status, 2);
      assert.match(both.stderr, /--from-audio goes without --no-audio/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('bad flags exit 2 with a message; an unreachable server or a refusal exits 1', T, async () => {
    const cases = [
      [['publish'], 2, /--server http:\/\/HOST:PORT is required/],
      [['publish', '--server', 'http://127.0.0.1:1', '--sdkappid', '1400000001', '--room', '1', '--str-room', 'x', '--user', 'u', '--usersig', 's'], 2, /exactly one of --room/],
      [['publish', '--server', 'http://127.0.0.1:1', '--sdkappid', '1400000001', '--room', '1', '--user', 'u', '--usersig', 's', '--size', '15x7'], 2, /--size must be WxH/],
      [['publish', '--server', 'http://127.0.0.1:1', '--sdkappid', '1400000001', '--room', '1', '--user', 'u', '--usersig', 's', '--color', 'plaid'], 2, /--color must be/],
      [['publish', '--server', 'http://127.0.0.1:1', '--sdkappid', '1400000001', '--room', '1', '--user', 'u', '--usersig', 's', '--codec', 'av1'], 2, /--codec must be h264 or vp8/],
      [['publish', '--server', 'http://127.0.0.1:1', '--sdkappid', '1400000001', '--room', '1', '--user', 'u', '--usersig', 's', '--no-audio', '--no-video'], 2, /nothing to publish/],
      [['publish', '--server', 'http://127.0.0.1:1', '--sdkappid', '1400000001', '--room', '1', '--user', 'u', '--usersig', 's', '--duration', '2'], 1, /cloudrec publish: .*(refused|connect)/i],
      [['publish', '--server', `http://127.0.0.1:${d.port}`, '--sdkappid', '1400000001', '--room', '1', '--user', 'u', '--usersig', 'bad', '--duration', '2'], 1, /refused to publish \(HTTP 401\): the UserSig is not valid/],
    ];
    for (const [args, code, re] of cases) {
      const r = runCli(args, { timeoutMs: 30000 });
      assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
  });

  test('VP8 and a string room; aux stream', T, async () => {
    const p = publish(d.port, { strRoom: 'lobby one', user: 'screen', args: ['--codec', 'vp8', '--stream', 'aux', '--size', '320x180', '--fps', '10', '--duration', '30'] });
    const s = await waitRoom(d, APP1.sdkAppId, 'lobby one', (st) => st.Streams.length === 1, { str: true, timeoutMs: 20000 });
    assert.equal(s.Streams[0].Stream, 'aux');
    const [rtpPort] = await freeUdpPorts(1);
    const f = await subscribeWhenFlowing(d, { sdkAppId: APP1.sdkAppId, room: 'lobby one', str: true, user: 'screen', stream: 'aux', media: 'video', rtpPort, rtcpPort: 0 });
    assert.match(f.caps, /encoding-name=\(string\)VP8/);
    p.proc.kill('SIGINT');
    assert.equal((await p.exited).code, 0);
  });
});
