// Video-generation tasks (seed 003, "重新生成视频"; docs/class-record.md, "Video-generation
// tasks"): a VIDEO_GENERATION_MODE class with two publishers (one sending syncTime SEI 3 s behind
// the daemon's clock) whose pictures turn white at board time F (`--flash-at`), and a stroke drawn
// on the board page with real mouse events at F. CreateVideoGenerationTask waits while someone
// publishes (and across a daemon restart), then renders the board and composes each span: in the
// MP4 the stroke appears in the board tile when the cameras' tiles turn white. Refusals, Describe's
// progress, the signed VideoGenerationFinished callback. Nothing is mocked: real daemon, real
// publishers, Chromium, ffmpeg.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { APP1, BIN, startDaemon, makeTmpDir, userSig, until, sleep, callbackServer, expectCode, SDK_AGENT } from './helpers.mjs';
import { launchChromium } from './media.mjs';
import { startMoto, motoAvailable } from './s3.mjs';

// Stroke-vs-flash bounds. The goal is 100 ms; since a first segment's FILE-ATTR counts
// the sound before its first picture (docs/recording.md), 5 runs on this 2-core machine (one or
// two other jobs beside) gave the MP4s -14..+86 ms and the replay page -67..-7 ms, in steps of a
// frame (15 fps: 67 ms). The receive clock a publisher without SEI is placed by includes its
// encoder's and the machine's delays, which a CI run with every suite at once stretches, so the
// suite asserts 250 ms: still far inside what a wrong mapping gives (the SEI publisher's offset
// is 3000 ms, a late camera's 2000). CLOUDREC_SYNC_STRICT=1 asserts the goal, 100 ms, on both.
const STRICT = Boolean(process.env.CLOUDREC_SYNC_STRICT);
const MP4_BOUND_S = STRICT ? 0.1 : 0.25;
const REPLAY_BOUND_MS = STRICT ? 100 : 250;

const require = createRequire(import.meta.url);
const tencentcloud = require('tencentcloud-sdk-nodejs');
const TiwClient = tencentcloud.tiw.v20190919.Client;

const T = { timeout: 900000 };
const KEY = 'vgenKey42';

function tiw(port) {
  return new TiwClient({
    credential: { secretId: APP1.secretId, secretKey: APP1.secretKey },
    region: 'ap-guangzhou',
    profile: { httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: 'http://', reqTimeout: 20, agent: SDK_AGENT } },
  });
}

function publish(port, room, user, extra = []) {
  return spawn(BIN, ['publish', '--server', `http://127.0.0.1:${port}`, '--sdkappid', String(APP1.sdkAppId), '--room', String(room),
    '--user', user, '--usersig', userSig(APP1, user), '--size', '320x180', '--fps', '15', '--duration', '300', ...extra], { stdio: 'ignore' });
}

const recordUser = (room, n) => `tic_record_user_${room}_${n}`;

// An MP4's duration (ms), size (bytes) and picture, as ffprobe reads them.
function probe(file) {
  const r = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,width,height:format=duration,size', '-of', 'json', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const video = j.streams.find((x) => x.codec_type === 'video');
  return { durationMs: Math.round(Number(j.format.duration) * 1000), size: Number(j.format.size), width: video?.width ?? 0, height: video?.height ?? 0,
    audio: j.streams.some((x) => x.codec_type === 'audio') };
}

// Whether the presigned GET URL @u is signed with @secretKey (AWS SigV4 query signing, computed
// here independently of the daemon's code; moto_server does not check presigned signatures).
function presignedBy(u, secretKey) {
  const url = new URL(u);
  const q = url.searchParams;
  const enc = (x) => encodeURIComponent(x).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  const query = [...q.entries()].filter(([k]) => k !== 'X-Amz-Signature').map(([k, v]) => [enc(k), enc(v)])
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : (a[0] < b[0] ? -1 : 1))).map(([k, v]) => `${k}=${v}`).join('&');
  const canonical = ['GET', url.pathname, query, `host:${url.host}`, '', 'host', 'UNSIGNED-PAYLOAD'].join('\n');
  const [, day, region, service] = q.get('X-Amz-Credential').split('/');
  const toSign = ['AWS4-HMAC-SHA256', q.get('X-Amz-Date'), `${day}/${region}/${service}/aws4_request`,
    createHash('sha256').update(canonical).digest('hex')].join('\n');
  let key = Buffer.from(`AWS4${secretKey}`);
  for (const part of [day, region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(toSign).digest('hex') === q.get('X-Amz-Signature');
}

// Every frame of @file scaled to W x H grey: [{t (s), px (Uint8Array)}].
const W = 128;
const H = 72;
function decodeGray(file) {
  // Every decoded frame once (no frame repeated to fill the picture track's start, placed after
  // the AAC priming: docs/mixing.md).
  const r = spawnSync('ffmpeg', ['-v', 'info', '-nostats', '-i', file, '-vf', `scale=${W}:${H},format=gray,showinfo`, '-fps_mode', 'passthrough', '-f', 'rawvideo', '-'],
    { maxBuffer: 1 << 30 });
  assert.equal(r.status, 0, r.stderr.toString().slice(-2000));
  const times = [...r.stderr.toString().matchAll(/pts_time:\s*([0-9.]+)/g)].map((m) => Number(m[1]));
  const n = Math.floor(r.stdout.length / (W * H));
  assert.equal(times.length, n, `${times.length} showinfo lines for ${n} frames`);
  const frames = [];
  for (let i = 0; i < n; i++) frames.push({ t: times[i], px: r.stdout.subarray(i * W * H, (i + 1) * W * H) });
  return frames;
}

// The mean grey and the share of dark pixels (< 100) of the middle half of rect [x, y, w, h]
// (fractions of the picture).
function stats(px, [x, y, w, h]) {
  const x0 = Math.round((x + w / 4) * W), x1 = Math.round((x + (3 * w) / 4) * W);
  const y0 = Math.round((y + h / 4) * H), y1 = Math.round((y + (3 * h) / 4) * H);
  let sum = 0, dark = 0, n = 0;
  for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) { const v = px[yy * W + xx]; sum += v; if (v < 100) dark++; n++; }
  return { mean: sum / n, dark: dark / n };
}

// The first frame time (from @fromT on) from which @pred holds for 5 frames in a row, or -1.
function firstTime(frames, pred, fromT = 0) {
  for (let i = 0; i + 5 <= frames.length; i++) {
    if (frames[i].t < fromT) continue;
    if (frames.slice(i, i + 5).every(pred)) return frames[i].t;
  }
  return -1;
}

async function describeUntilFinished(c, TaskId, timeoutMs) {
  const seen = [];
  let r;
  const end = Date.now() + timeoutMs;
  for (;;) {
    r = await c.DescribeVideoGenerationTask({ SdkAppId: APP1.sdkAppId, TaskId });
    seen.push({ Status: r.Status, Progress: r.Progress });
    if (r.Status === 'FINISHED') return { r, seen };
    assert.ok(Date.now() < end, `not FINISHED in time: ${JSON.stringify(seen.slice(-5))}`);
    await sleep(300);
  }
}

describe('video-generation tasks', () => {
  const procs = [];
  let d;
  let c;
  let cb;
  let browser;
  let dataDir;
  before(async () => {
    cb = await callbackServer();
    dataDir = makeTmpDir();
    d = await startDaemon({ dataDir, defaults: ['--api-rate-limit', '100000'] });
    c = tiw(d.port);
    browser = await launchChromium();
    // the callback address and key, for every test (the first one checks them)
    await c.SetVideoGenerationTaskCallback({ SdkAppId: APP1.sdkAppId, Callback: `http://127.0.0.1:${cb.port}/vgen` });
    await c.SetVideoGenerationTaskCallbackKey({ SdkAppId: APP1.sdkAppId, CallbackKey: KEY });
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await browser?.close();
    await d?.stop();
    cb?.server.close();
  });

  test('callback settings; refusals: unknown task, a real-time class, a class still recording', T, async () => {
    const got = await c.DescribeVideoGenerationTaskCallback({ SdkAppId: APP1.sdkAppId });
    assert.equal(got.Callback, `http://127.0.0.1:${cb.port}/vgen`);
    assert.equal(got.CallbackKey, KEY);
    await expectCode(c.SetVideoGenerationTaskCallback({ SdkAppId: APP1.sdkAppId, Callback: 'ftp://x' }), 'InvalidParameter.CallbackAddressFormatError');
    await expectCode(c.CreateVideoGenerationTask({ SdkAppId: APP1.sdkAppId, OnlineRecordTaskId: 'no-such-task' }), 'InvalidParameter.TaskNotFound', /no-such-task/);
    await expectCode(c.DescribeVideoGenerationTask({ SdkAppId: APP1.sdkAppId, TaskId: 'no-such-task' }), 'InvalidParameter.TaskNotFound');
    // a real-time class, stopped
    const room = 32201;
    const rt = await c.StartOnlineRecord({ SdkAppId: APP1.sdkAppId, RoomId: room, RecordUserId: recordUser(room, 1), RecordUserSig: userSig(APP1, recordUser(room, 1)) });
    await expectCode(c.CreateVideoGenerationTask({ SdkAppId: APP1.sdkAppId, OnlineRecordTaskId: rt.TaskId }), 'FailedOperation.NotVideoGenerationMode', /REALTIME_MODE/);
    await c.StopOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId: rt.TaskId });
    await expectCode(c.CreateVideoGenerationTask({ SdkAppId: APP1.sdkAppId, OnlineRecordTaskId: rt.TaskId }), 'FailedOperation.NotVideoGenerationMode');
    // a video-generation class still recording
    const room2 = 32202;
    const vg = await c.StartOnlineRecord({ SdkAppId: APP1.sdkAppId, RoomId: room2, RecordUserId: recordUser(room2, 1), RecordUserSig: userSig(APP1, recordUser(room2, 1)), RecordMode: 'VIDEO_GENERATION_MODE' });
    await expectCode(c.CreateVideoGenerationTask({ SdkAppId: APP1.sdkAppId, OnlineRecordTaskId: vg.TaskId }), 'FailedOperation.InvalidTaskStatus', /PREPARED|RECORDING/);
    await c.StopOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId: vg.TaskId });
  });

  test('a class with a stroke at the flash: queued while publishing and across a restart, then grid and Custom MP4s with the stroke at the flash, the callback signed', T, async () => {
    const room = 32210;
    const flashAt = Date.now() + 25000;
    const teacher = publish(d.port, room, 'teacher', ['--flash-at', String(flashAt)]);
    procs.push(teacher);
    const { TaskId } = await c.StartOnlineRecord({
      SdkAppId: APP1.sdkAppId, RoomId: room, RecordUserId: recordUser(room, 7), RecordUserSig: userSig(APP1, recordUser(room, 7)),
      RecordMode: 'VIDEO_GENERATION_MODE', Whiteboard: { Width: 640, Height: 480 },
    });
    await until('RECORDING', async () => (await c.DescribeOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId })).Status === 'RECORDING', 60000);
    // the student joins the recording class with its camera coming on 2 s after its microphone:
    // its first file starts with 2 s of sound alone (its time 0 is the first sound's, not the
    // first picture's: a place taken from the picture would put it 2 s off)
    const student = publish(d.port, room, 'student', ['--sync-time-sei=-3000', '--flash-at', String(flashAt), '--video-pause', '0:2']);
    procs.push(student);

    // the board page, a thick black stroke whose mouse-up is at the flash
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const q = new URLSearchParams({ sdkappid: String(APP1.sdkAppId), room: String(room), userid: 'teacher', usersig: userSig(APP1, 'teacher'), mode: 'edit', width: '640', height: '480' });
    await page.goto(`http://127.0.0.1:${d.port}/board?${q}`);
    await page.waitForFunction(() => window.cloudrecBoard && window.cloudrecBoard.ready, null, { timeout: 30000 });
    await page.$eval('#color', (el) => { el.value = '#000000'; el.dispatchEvent(new Event('input')); });
    await page.selectOption('#width', '0.025'); // marker
    assert.ok(Date.now() < flashAt - 6000, 'the class started too late for the flash');
    while (Date.now() < flashAt - 5000) await sleep(100);
    const box = await page.locator('#board').boundingBox();
    const at = (x, y) => [box.x + x * box.width, box.y + y * box.height];
    await page.mouse.move(...at(0.1, 0.5));
    await page.mouse.down();
    for (let i = 1; i <= 16; i++) await page.mouse.move(...at(0.1 + 0.8 * (i / 16), 0.5 + 0.02 * Math.sin(i)));
    while (Date.now() < flashAt) await sleep(1);
    await page.mouse.up();
    await page.waitForFunction(() => window.cloudrecBoard.seq >= 1, null, { timeout: 10000 });
    await page.close();
    const log = await (await fetch(`http://127.0.0.1:${d.port}/board/log?${new URLSearchParams({ sdkappid: String(APP1.sdkAppId), room: String(room), userid: 'teacher', usersig: userSig(APP1, 'teacher') })}`)).json();
    const strokes = log.Ops.filter((e) => e.t === 'op' && e.op.kind === 'stroke');
    assert.equal(strokes.length, 1, JSON.stringify(log));
    const strokeTs = strokes[0].ts;
    assert.ok(Math.abs(strokeTs - flashAt) < 1000, `the stroke reached the daemon ${strokeTs - flashAt} ms from the flash`);

    // the student flashes 3 s of wall time later (its board clock is 3 s behind); stop after it
    while (Date.now() < flashAt + 3000 + 4000) await sleep(200);
    await expectCode(c.CreateVideoGenerationTask({ SdkAppId: APP1.sdkAppId, OnlineRecordTaskId: TaskId }), 'FailedOperation.InvalidTaskStatus', /stop it/);
    await c.StopOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId });
    await until('FINISHED', async () => (await c.DescribeOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId })).Status === 'FINISHED', 90000);

    // (a) the replay page: the board time at which the stroke appears against the board time at
    // which each video shows its first white frame
    const rec = await c.DescribeOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId });
    const rp = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await rp.goto(rec.ReplayUrl);
    await rp.waitForFunction(() => window.cloudrecReplay && (window.cloudrecReplay.ready || window.cloudrecReplay.error), null, { timeout: 60000 });
    assert.equal(await rp.evaluate(() => window.cloudrecReplay.error), null);
    // the board canvas at board time ms: the share of dark pixels on its middle row
    const boardDark = (ms) => rp.evaluate((t) => {
      window.cloudrecReplay.seek(t);
      const cv = document.getElementById('board');
      const y = Math.round(cv.height / 2);
      const d = cv.getContext('2d').getImageData(0, y - 3, cv.width, 7).data;
      let dark = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 100) dark++;
      return dark / (d.length / 4);
    }, ms);
    // @user's video at board time ms: the mean grey of its middle, once the seek is done
    const videoMean = (ms, user) => rp.evaluate(async ([t, u]) => {
      const v = document.querySelector(`video[data-user="${u}"]`);
      const sample = () => {
        const cv = document.createElement('canvas');
        cv.width = 64; cv.height = 36;
        const g = cv.getContext('2d');
        g.drawImage(v, 0, 0, 64, 36);
        const d = g.getImageData(16, 9, 32, 18).data;
        let sum = 0;
        for (let i = 0; i < d.length; i += 4) sum += (d[i] + d[i + 1] + d[i + 2]) / 3;
        return sum / (d.length / 4);
      };
      // the frame presented for this seek: requestVideoFrameCallback until its media time is the
      // new position's (a callback of an earlier seek's frame does not count), then read until stable
      window.cloudrecReplay.seek(t);
      const target = v.currentTime;
      // the seek done first (on a loaded machine it can take seconds; until then the element
      // shows the previous position's frame)
      if (v.seeking) {
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, 30000);
          v.addEventListener('seeked', () => { clearTimeout(timer); resolve(); }, { once: true });
        });
      }
      let mediaTime = null;
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 4000);
        const check = (now, meta) => {
          mediaTime = meta.mediaTime;
          if (Math.abs(meta.mediaTime - target) < 0.1) { clearTimeout(timer); resolve(); } else v.requestVideoFrameCallback(check);
        };
        v.requestVideoFrameCallback(check);
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      let last = sample();
      for (let k = 0; k < 10; k++) {
        await new Promise((resolve) => setTimeout(resolve, 150));
        const now = sample();
        if (Math.abs(now - last) < 5) break;
        last = now;
      }
      // the presented frame's board time, as the page places the video (BoardStartMs + media time)
      return { mean: last, board: mediaTime === null ? null : Number(v.dataset.boardStart) + mediaTime * 1000 };
    }, [ms, user]);
    // the first board time in [lo, hi] where pred holds (it must not at lo and must at hi)
    const bisect = async (lo, hi, pred, step = 5) => {
      assert.equal(await pred(lo), false, `at ${lo} already`);
      assert.equal(await pred(hi), true, `not yet at ${hi}`);
      while (hi - lo > step) {
        const mid = Math.round((lo + hi) / 2);
        if (await pred(mid)) hi = mid; else lo = mid;
      }
      return hi;
    };
    const boardStroke = await bisect(flashAt - 4000, flashAt + 4000, async (t) => (await boardDark(t)) > 0.02, 1);
    assert.ok(Math.abs(boardStroke - strokeTs) <= 2, `the replay's board shows the stroke at ${boardStroke}, its op is at ${strokeTs}`);
    try {
      for (const user of ['teacher', 'student']) {
        // bisect the seek position, then take the first white frame's own board time
        // white here and one frame (67 ms) later: the publisher's sync flash makes the first frame
        // of every second white too, and a seek landing on one of those is not the flash
        let firstWhite = null;
        await bisect(flashAt - 4000, flashAt + 4000, async (t) => {
          const r = await videoMean(t, user);
          if (r.mean <= 225) return false;
          const next = await videoMean(t + 70, user);
          if (next.mean <= 225) return false;
          if (r.board !== null && (firstWhite === null || r.board < firstWhite)) firstWhite = r.board;
          return true;
        });
        assert.notEqual(firstWhite, null);
        const white = Math.round(firstWhite);
        const diff = boardStroke - white - (strokeTs - flashAt);
        console.log(`replay: ${user}: stroke - flash = ${diff} ms`);
        assert.ok(Math.abs(diff) < REPLAY_BOUND_MS, `replay: the stroke at board time ${boardStroke}, ${user}'s first white frame at ${white} (${diff} ms off)`);
      }
    } finally {
      await rp.close();
    }

    // queued while the publishers are still in the room
    const grid = await c.CreateVideoGenerationTask({ SdkAppId: APP1.sdkAppId, OnlineRecordTaskId: TaskId, MixStream: { Enabled: true, ModelId: 2 } });
    assert.match(grid.TaskId, /^[A-Za-z0-9._-]{32}$/);
    await sleep(4000);
    let gd = await c.DescribeVideoGenerationTask({ SdkAppId: APP1.sdkAppId, TaskId: grid.TaskId });
    assert.equal(gd.Status, 'QUEUED');
    assert.equal(gd.Progress, 0);
    assert.equal(gd.RoomId, room);
    assert.equal(gd.GroupId, String(room));
    assert.deepEqual(gd.VideoInfoList, []);

    // a restart while QUEUED: the new daemon resumes it once everyone has left
    await d.stop();
    teacher.kill('SIGKILL');
    student.kill('SIGKILL');
    d = await startDaemon({ dataDir, defaults: ['--api-rate-limit', '100000'] });
    c = tiw(d.port);
    const customMix = {
      Enabled: true,
      Custom: {
        Canvas: { LayoutParams: { Width: 1280, Height: 720 }, BackgroundColor: '#000000' },
        InputStreamList: [
          { InputStreamId: 'teacher', LayoutParams: { ZOrder: 1, X: 0, Y: 0, Width: 640, Height: 360 } },
          { InputStreamId: 'student', LayoutParams: { ZOrder: 1, X: 640, Y: 0, Width: 640, Height: 360 } },
          { InputStreamId: 'tic_record_user', LayoutParams: { ZOrder: 1, X: 320, Y: 360, Width: 640, Height: 360 } },
        ],
      },
    };
    const custom = await c.CreateVideoGenerationTask({ SdkAppId: APP1.sdkAppId, OnlineRecordTaskId: TaskId, MixStream: customMix });
    // RecordControl's StreamId tic_record_user is the board's stream (the SDK says so): left out
    const noBoard = await c.CreateVideoGenerationTask({
      SdkAppId: APP1.sdkAppId, OnlineRecordTaskId: TaskId, MixStream: customMix,
      RecordControl: { Enabled: true, StreamControls: [{ StreamId: 'tic_record_user', DisableRecord: true }] },
    });
    const [{ r: g, seen: gSeen }, { r: cu, seen: cuSeen }, { r: nb }] = await Promise.all([
      describeUntilFinished(c, grid.TaskId, 600000), describeUntilFinished(c, custom.TaskId, 600000),
      describeUntilFinished(c, noBoard.TaskId, 600000)]);
    for (const [name, r, seen] of [['grid', g, gSeen], ['custom', cu, cuSeen]]) {
      assert.equal(r.ErrorCode, '', `${name}: ${r.ErrorMessage}`);
      assert.equal(r.Progress, 100);
      const ps = seen.map((s) => s.Progress);
      for (let i = 1; i < ps.length; i++) assert.ok(ps[i] >= ps[i - 1], `${name}: progress went back: ${ps}`);
      assert.ok(ps.some((p) => p > 0 && p < 100), `${name}: no progress between 0 and 100: ${ps}`);
      assert.ok(seen.some((s) => s.Status === 'PROCESSING'), `${name}: never PROCESSING`);
      assert.equal(r.VideoInfoList.length, 1, JSON.stringify(r));
      const v = r.VideoInfoList[0];
      assert.deepEqual(r.VideoInfos, v);
      assert.equal(v.VideoType, 3);
      assert.equal(v.VideoFormat, 'mp4');
      assert.equal(v.VideoPlayTime, 0);
      assert.equal(v.UserId, name === 'grid' ? `tic_mixstream_${room}_2` : `tic_mixstream_${room}_custom`);
      assert.equal(v.Width, 1280);
      assert.equal(v.Height, 720);
      const file = fileURLToPath(v.VideoUrl);
      assert.ok(existsSync(file), file);
      assert.equal(v.VideoSize, statSync(file).size);
      assert.ok(v.VideoDuration > 15000 && Math.abs(v.VideoDuration - r.TotalTime) <= 300, `${v.VideoDuration} vs TotalTime ${r.TotalTime}`);
    }

    // the pictures: tiles where the layout puts them; the stroke at the flash
    // per tile: when it turns white (the cameras' flash; the board's first picture), when dark
    // pixels appear after that (the stroke on the board), its picture 3 s before those
    const measure = (name, file, tiles) => {
      const frames = decodeGray(file);
      const s = (f, k) => stats(f.px, tiles[k]);
      // a tile around time t: the medians over the frames within 0.5 s (a camera's picture has a
      // one-frame sync flash every second: the frame nearest t alone could be one)
      const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const at = (t, k) => {
        const near = frames.filter((f) => Math.abs(f.t - t) <= 0.5).map((f) => s(f, k));
        assert.ok(near.length > 0, `${name}: no frame near ${t} s`);
        return { mean: median(near.map((x) => x.mean)), dark: median(near.map((x) => x.dark)) };
      };
      const out = {};
      for (const k of Object.keys(tiles)) {
        const white = firstTime(frames, (f) => s(f, k).mean > 225);
        // before it is white, an absent tile is the black canvas
        const dark = white < 0 ? -1 : firstTime(frames, (f) => s(f, k).dark > 0.01, white);
        out[k] = { white, dark, beforeWhite: white > 3 ? at(white - 3, k) : null, beforeDark: dark > 3 ? at(dark - 3, k) : null };
      }
      console.log(name, JSON.stringify(out));
      return out;
    };
    const expected = (strokeTs - flashAt) / 1000; // the stroke's own distance from the flash
    const check = (name, m, board, cams) => {
      assert.ok(m[board].white >= 0 && m[board].dark > m[board].white, `${name}: ${JSON.stringify(m)}`);
      assert.ok(m[board].beforeDark.mean > 240, `${name}: the board tile is a white board before the stroke`);
      for (const cam of cams) {
        assert.ok(m[cam].white > 0 && m[cam].beforeWhite.mean < 200, `${name}: camera tile ${cam} shows its picture before the flash`);
        const diff = m[board].dark - m[cam].white - expected;
        console.log(`${name}: ${cam}: stroke - flash = ${Math.round(diff * 1000)} ms (the stroke reached the daemon ${Math.round(expected * 1000)} ms after F)`);
        assert.ok(Math.abs(diff) < MP4_BOUND_S, `${name}: stroke at ${m[board].dark}s, ${cam} white at ${m[cam].white}s (${Math.round(diff * 1000)} ms off)`);
      }
    };
    // Custom: teacher top left, student top right, the board bottom middle
    check('custom', measure('custom', fileURLToPath(cu.VideoInfoList[0].VideoUrl), {
      teacher: [0, 0, 0.5, 0.5], student: [0.5, 0, 0.5, 0.5], board: [0.25, 0.5, 0.5, 0.5],
    }), 'board', ['teacher', 'student']);
    // without the board: its tile stays the black canvas, the cameras flash where they did
    assert.equal(nb.ErrorCode, '', nb.ErrorMessage);
    const nbm = measure('no board', fileURLToPath(nb.VideoInfoList[0].VideoUrl), {
      teacher: [0, 0, 0.5, 0.5], student: [0.5, 0, 0.5, 0.5], board: [0.25, 0.5, 0.5, 0.5],
    });
    assert.equal(nbm.board.white, -1, `no board: its tile turned white ${JSON.stringify(nbm)}`);
    for (const cam of ['teacher', 'student']) assert.ok(nbm[cam].white > 0, `no board: ${cam} ${JSON.stringify(nbm)}`);
    // grid of three: two tiles on top, one centred below; the board's is white first
    const gm = measure('grid', fileURLToPath(g.VideoInfoList[0].VideoUrl), {
      tl: [0, 0, 0.5, 0.5], tr: [0.5, 0, 0.5, 0.5], bottom: [0.25, 0.5, 0.5, 0.5],
    });
    const order = Object.keys(gm).sort((a, b) => gm[a].white - gm[b].white);
    check('grid', gm, order[0], order.slice(1));

    // the callbacks: one per task, signed with the key
    // three tasks ran (grid, Custom, Custom without the board); their callbacks come in any order
    const finishedFor = (id) => cb.received.some((x) => x.json?.EventType === 'VideoGenerationFinished' && x.json.EventData?.TaskId === id);
    const ids = [grid.TaskId, custom.TaskId, noBoard.TaskId];
    await until('three VideoGenerationFinished callbacks', () => ids.every(finishedFor), 60000);
    for (const id of ids) {
      const e = cb.received.find((x) => x.json?.EventType === 'VideoGenerationFinished' && x.json.EventData?.TaskId === id);
      assert.ok(e, `no callback for ${id}`);
      const j = e.json;
      assert.deepEqual(Object.keys(j).sort(), ['EventData', 'EventType', 'ExpireTime', 'SdkAppId', 'Sign', 'Timestamp']);
      assert.equal(j.SdkAppId, APP1.sdkAppId);
      assert.equal(j.Sign, createHash('md5').update(`${KEY}${j.ExpireTime}`).digest('hex'));
      assert.equal(j.EventData.Status, 'FINISHED');
      assert.equal(j.EventData.VideoInfoList.length, 1);
    }
  });
  test('a class with a pause: one MP4 per span, paused time left out (ModelId 1); Concat joins them on the class timeline', T, async () => {
    const room = 32220;
    const pub = publish(d.port, room, 'teacher');
    procs.push(pub);
    const { TaskId } = await c.StartOnlineRecord({
      SdkAppId: APP1.sdkAppId, RoomId: room, RecordUserId: recordUser(room, 3), RecordUserSig: userSig(APP1, recordUser(room, 3)),
      RecordMode: 'VIDEO_GENERATION_MODE',
    });
    await until('RECORDING', async () => (await c.DescribeOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId })).Status === 'RECORDING', 60000);
    await sleep(7000);
    await c.PauseOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId });
    await sleep(5000);
    await c.ResumeOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId });
    await sleep(8000);
    await c.StopOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId });
    pub.kill('SIGKILL');
    let rec;
    await until('FINISHED', async () => (rec = await c.DescribeOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId })).Status === 'FINISHED', 90000);
    assert.equal(rec.OmittedDurations.length, 1);
    const spans = await c.CreateVideoGenerationTask({ SdkAppId: APP1.sdkAppId, OnlineRecordTaskId: TaskId });
    const joined = await c.CreateVideoGenerationTask({ SdkAppId: APP1.sdkAppId, OnlineRecordTaskId: TaskId, Concat: { Enabled: true } });
    // a restart while PROCESSING: the span under way is made again, the progress kept
    await until('PROCESSING', async () => (await c.DescribeVideoGenerationTask({ SdkAppId: APP1.sdkAppId, TaskId: spans.TaskId })).Status === 'PROCESSING', 120000);
    await sleep(1500);
    const before = await c.DescribeVideoGenerationTask({ SdkAppId: APP1.sdkAppId, TaskId: spans.TaskId });
    await d.stop();
    d = await startDaemon({ dataDir, defaults: ['--api-rate-limit', '100000'] });
    c = tiw(d.port);
    const after = await c.DescribeVideoGenerationTask({ SdkAppId: APP1.sdkAppId, TaskId: spans.TaskId });
    assert.ok(after.Status === 'PROCESSING' || after.Status === 'FINISHED', JSON.stringify(after));
    assert.ok(after.Progress >= before.Progress, `progress ${before.Progress} before the restart, ${after.Progress} after`);
    const [{ r: a }, { r: b }] = await Promise.all([describeUntilFinished(c, spans.TaskId, 600000), describeUntilFinished(c, joined.TaskId, 600000)]);
    assert.equal(a.ErrorMessage, '');
    assert.equal(b.ErrorMessage, '');
    assert.equal(a.TotalTime, rec.TotalTime);
    // one per span: the second starts where the first ends on the timeline without the pause
    assert.equal(a.VideoInfoList.length, 2, JSON.stringify(a.VideoInfoList));
    const [v1, v2] = a.VideoInfoList;
    for (const v of [v1, v2]) {
      assert.equal(v.UserId, `tic_mixstream_${room}_1`);
      assert.equal(v.VideoSize, statSync(fileURLToPath(v.VideoUrl)).size);
      // no RecordControl: the teacher's sound is in the mix (the bucket class below leaves it out)
      assert.ok(probe(fileURLToPath(v.VideoUrl)).audio, `${v.VideoUrl} has no audio stream`);
    }
    assert.equal(v1.VideoPlayTime, 0);
    assert.ok(Math.abs(v2.VideoPlayTime - 7000) < 2500, `second span at ${v2.VideoPlayTime}`);
    assert.ok(v1.VideoDuration > 4000 && v1.VideoDuration < 10000, `first span ${v1.VideoDuration} ms`);
    assert.ok(v2.VideoDuration > 5000 && v2.VideoDuration < 11000, `second span ${v2.VideoDuration} ms`);
    // each MP4 lasts its span, no more (the board, rendered for the whole span, is the longest
    // input): media recorded after the Pause request is left out; a frame of rounding (15 fps)
    assert.ok(Math.abs(v1.VideoDuration - v2.VideoPlayTime) <= 140, `first span ${v1.VideoDuration} ms, the second placed at ${v2.VideoPlayTime}`);
    assert.ok(Math.abs(v1.VideoDuration + v2.VideoDuration - a.TotalTime) <= 280, `spans ${v1.VideoDuration} + ${v2.VideoDuration} ms, TotalTime ${a.TotalTime}`);
    // Concat: one MP4 over both spans and the pause between them
    assert.equal(b.VideoInfoList.length, 1, JSON.stringify(b.VideoInfoList));
    const j = b.VideoInfoList[0];
    assert.equal(j.VideoPlayTime, 0);
    assert.match(j.VideoUrl, /_concat\.mp4$/);
    const pause = rec.OmittedDurations[0].ResumeTime - rec.OmittedDurations[0].PauseTime;
    assert.ok(Math.abs(j.VideoDuration - (v1.VideoDuration + pause + v2.VideoDuration)) < 300,
      `joined ${j.VideoDuration} ms, pieces ${v1.VideoDuration} + pause ${pause} + ${v2.VideoDuration}`);
  });
});

// A class whose files went to the app's bucket (class-record-storage s3): each span's per-user
// playlists, their SEI sidecars and segments are downloaded from its TRTC tasks' folders, and the
// MP4s go back into the class's folder, "<prefix>/<class TaskId>/<TaskId>/", with no local copy
// kept. The replay page lists the class's streams from the bucket, each placed (run by run) by the
// SEI sidecar uploaded with it, and plays them through presigned URLs of the bucket.
describe('video generation of a class stored in a bucket (class-record-storage s3)', { skip: !motoAvailable() && 'moto_server is not installed' }, () => {
  const BUCKET = 'vgen-1250000000';
  const PRESIGN_S = 3600;
  const procs = [];
  let s3;
  let d;
  let c;
  let dataDir;
  before(async () => {
    // unchecked signatures: the listing of a TRTC task's folder has a '/' in its prefix (s3.mjs)
    s3 = await startMoto([BUCKET], { checked: false });
    const conf = path.join(makeTmpDir(), 'cloudrec.conf');
    writeFileSync(conf, [`[app ${APP1.sdkAppId}]`, `secrets=${APP1.secretId}:${APP1.secretKey}`, `usersig-key=${APP1.usersigKey}`,
      'class-record-storage=s3', 'class-record-region=us-east-1', `class-record-bucket=${BUCKET}`,
      `class-record-access-key=${s3.accessKey}`, `class-record-secret-key=${s3.secretKey}`, 'class-record-prefix=classes/2026', ''].join('\n'));
    dataDir = makeTmpDir();
    d = await startDaemon({ dataDir, apps: [], defaults: ['--api-rate-limit', '100000'],
      args: ['--config', conf, '--storage-endpoint', `1=${s3.endpoint}`, '--replay-presign-s', String(PRESIGN_S)] });
    c = tiw(d.port);
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await d?.stop();
    s3?.kill();
  });

  test('the replay of a class in the bucket: its streams from the bucket, each run placed by the SEI sidecar uploaded with it, the segments presigned URLs of the bucket', T, async () => {
    const room = 32231;
    // the teacher's board clock 3 s behind the daemon's; after leaving and coming back, 2 s ahead
    const pub = publish(d.port, room, 'teacher', ['--sync-time-sei=-3000']);
    procs.push(pub);
    const { TaskId } = await c.StartOnlineRecord({
      SdkAppId: APP1.sdkAppId, RoomId: room, RecordUserId: recordUser(room, 6), RecordUserSig: userSig(APP1, recordUser(room, 6)),
      RecordMode: 'VIDEO_GENERATION_MODE',
    });
    await until('RECORDING', async () => (await c.DescribeOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId })).Status === 'RECORDING', 60000);
    await sleep(5000);
    pub.kill('SIGTERM'); // leaves (WHIP DELETE) ...
    await new Promise((resolve) => (pub.exitCode !== null ? resolve() : pub.once('exit', resolve)));
    await sleep(1500);
    const back = publish(d.port, room, 'teacher', ['--sync-time-sei=2000']); // ... and comes back
    procs.push(back);
    // while recording: the second run, going on, is placed by its samples from the bucket (its
    // sidecar goes with the run's first segment; until then, only at the end of the worker)
    const live = new URL((await c.DescribeOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId })).ReplayUrl);
    const base = `http://127.0.0.1:${d.port}`;
    let liveData;
    await until('the second run in the bucket while recording', async () => {
      liveData = await (await fetch(`${base}/board/replay/data?${live.searchParams}`)).json();
      return liveData.Streams.length === 1 && liveData.Streams[0].Runs.length === 2;
    }, 60000);
    assert.equal(liveData.Status, 'RECORDING');
    assert.equal(liveData.Streams[0].Storage, 'bucket');
    assert.equal(liveData.Streams[0].SyncSource, 'sei', JSON.stringify(liveData.Streams[0]));
    const livePlaylist = (await (await fetch(base + liveData.Streams[0].Url)).text()).split('\n');
    const liveAttrs = [];
    for (const l of livePlaylist) {
      if (l.startsWith('#EXT-X-DISCONTINUITY')) liveAttrs.push(undefined);
      else if (l.startsWith('#EXT-X-TRTC-FILE-ATTR:') && liveAttrs[liveAttrs.length - 1] === undefined) {
        if (liveAttrs.length === 0) liveAttrs.push(undefined);
        liveAttrs[liveAttrs.length - 1] = Number(l.split(':')[1].split(',')[0]);
      }
    }
    const liveOffsets = liveData.Streams[0].Runs.map((r, k) => r.BoardStartMs - liveAttrs[k]);
    console.log(`replay from the bucket while recording: run offsets ${liveOffsets} ms (SEI claims -3000, +2000)`);
    assert.ok(Math.abs(liveOffsets[0] + 3000) < 300 && Math.abs(liveOffsets[1] - 2000) < 300, `run offsets ${liveOffsets} while recording`);
    await c.StopOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId });
    back.kill('SIGKILL');
    let rec;
    await until('FINISHED', async () => (rec = await c.DescribeOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId })).Status === 'FINISHED', 90000);
    // the class's HLS is in the bucket, each playlist with its SEI sidecar
    const objects0 = await s3.list(BUCKET, `classes/2026/${TaskId}/`);
    const hls = objects0.filter((o) => o.Key.endsWith('.m3u8'));
    assert.equal(hls.length, 1, JSON.stringify(objects0.map((o) => o.Key)));
    for (const o of hls) assert.ok(objects0.some((x) => x.Key === `${o.Key}.sync.json`), `no sidecar beside ${o.Key}`);

    // (a) the replay: the streams from the bucket, placed by their sidecars
    const replay = new URL(rec.ReplayUrl);
    const data = await (await fetch(`${base}/board/replay/data?${replay.searchParams}`)).json();
    assert.equal(data.Streams.length, 1, JSON.stringify(data.Streams));
    const second = data.Streams[0];
    assert.equal(second.UserId, 'teacher');
    assert.equal(second.Storage, 'bucket');
    assert.equal(second.SyncSource, 'sei', JSON.stringify(second));
    // its playlist has two runs, each placed by its own offset; its segments presigned
    const served = await fetch(base + second.Url);
    assert.equal(served.status, 200);
    const text = await served.text();
    const lines = text.split('\n');
    const attrs = []; // the first FILE-ATTR of each run (the receive clock)
    let run = 0;
    for (const l of lines) {
      if (l.startsWith('#EXT-X-DISCONTINUITY')) run++;
      else if (l.startsWith('#EXT-X-TRTC-FILE-ATTR:') && attrs[run] === undefined) attrs[run] = Number(l.split(':')[1].split(',')[0]);
    }
    assert.equal(second.Runs.length, 2, JSON.stringify(second.Runs) + text);
    assert.equal(attrs.length, 2, text);
    const offsets = second.Runs.map((r, k) => r.BoardStartMs - attrs[k]);
    console.log(`replay from the bucket: run offsets ${offsets} ms (SEI claims -3000, +2000)`);
    assert.ok(Math.abs(offsets[0] + 3000) < 300 && Math.abs(offsets[1] - 2000) < 300, `run offsets ${offsets}, expected about -3000 and +2000`);
    assert.equal(second.Runs[1].MediaStartMs, second.Runs[0].DurationMs);
    const segs = lines.filter((l) => l && !l.startsWith('#'));
    assert.ok(segs.length >= 2, text); // at least one a run
    const folder = `classes/2026/${TaskId}/${second.TrtcTaskId}/`;
    const sizes = Object.fromEntries(objects0.map((o) => [o.Key, o.Size]));
    const now = Date.now();
    for (const u of segs) {
      const url = new URL(u);
      assert.equal(url.origin, s3.endpoint);
      const key = decodeURIComponent(url.pathname.slice(`/${BUCKET}/`.length));
      assert.ok(key.startsWith(folder) && key.endsWith('.ts'), key);
      assert.equal(url.searchParams.get('X-Amz-Expires'), String(PRESIGN_S));
      assert.ok(url.searchParams.get('X-Amz-Credential').startsWith(`${s3.accessKey}/`));
      const signedAt = Date.parse(url.searchParams.get('X-Amz-Date').replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
      assert.ok(Math.abs(now - signedAt) < 120000, `signed at ${signedAt}, now ${now}`);
      assert.ok(presignedBy(u, s3.secretKey), `bad signature: ${u}`);
      assert.ok(!presignedBy(u, `${s3.secretKey}x`));
      const res = await fetch(u);
      assert.equal(res.status, 200, u);
      assert.equal((await res.arrayBuffer()).byteLength, sizes[key], key);
    }
    // a finished class's folder is kept once brought down: with the bucket stopped, the data and
    // the playlist are still answered, the same (a request that went to the bucket would hang)
    s3.pause();
    try {
      const bounded = { signal: AbortSignal.timeout(20000) };
      const again = await (await fetch(`${base}/board/replay/data?${replay.searchParams}`, bounded)).json();
      assert.deepEqual(again.Streams.map((x) => [x.Url, x.SyncSource, x.Runs]), data.Streams.map((x) => [x.Url, x.SyncSource, x.Runs]));
      const cached = await fetch(base + second.Url, bounded);
      assert.equal(cached.status, 200);
      const strip = (t) => t.split('\n').map((l) => l.replace(/\?.*$/, ''));
      assert.deepEqual(strip(await cached.text()), strip(text));
    } finally {
      s3.resume();
    }
    const firstKey = decodeURIComponent(new URL(segs[0]).pathname.slice(`/${BUCKET}/`.length));
    assert.deepEqual(Buffer.from(await (await fetch(segs[0])).arrayBuffer()), await s3.get(BUCKET, firstKey));
    // a segment asked of the server is sent to the bucket
    const name = firstKey.split('/').pop();
    const redirect = await fetch(new URL(name, base + second.Url), { redirect: 'manual' });
    assert.equal(redirect.status, 302);
    assert.ok(presignedBy(redirect.headers.get('location'), s3.secretKey));
    // the page plays them from the bucket, each run at its own place
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(rec.ReplayUrl);
      await page.waitForFunction(() => window.cloudrecReplay && (window.cloudrecReplay.ready || window.cloudrecReplay.error), null, { timeout: 60000 });
      assert.equal(await page.evaluate(() => window.cloudrecReplay.error), null);
      const i = (await page.evaluate(() => window.cloudrecReplay.videos())).findIndex((v) => v.runs.length === 2);
      // inside the run and before the class's end (the page's clock stops there; the run's board
      // time is 2 s after its receive time)
      const into = Math.min(1500, Math.floor((Math.min(data.End, second.Runs[1].BoardStartMs + second.Runs[1].DurationMs) - second.Runs[1].BoardStartMs) / 2));
      assert.ok(into >= 500, `the second run starts ${data.End - second.Runs[1].BoardStartMs} ms before the class's end`);
      const at = second.Runs[1].BoardStartMs + into;
      await page.evaluate((ms) => window.cloudrecReplay.seek(ms), at);
      await page.waitForFunction((k) => document.querySelectorAll('video')[k].readyState >= 2, i, { timeout: 30000 });
      const v = (await page.evaluate(() => window.cloudrecReplay.videos()))[i];
      const expect = (second.Runs[1].MediaStartMs + into) / 1000;
      assert.ok(Math.abs(v.currentTime - expect) < 0.3, `the second run at ${v.currentTime} s, expected ${expect} s`);
    } finally {
      await browser.close();
    }
  });

  test('a class with a pause in the bucket: its spans composed from the bucket (the muted teacher\'s sound left out), the span MP4s and Concat\'s stored in the class\'s folder', T, async () => {
    const room = 32230;
    const pub = publish(d.port, room, 'teacher');
    procs.push(pub);
    const { TaskId } = await c.StartOnlineRecord({
      SdkAppId: APP1.sdkAppId, RoomId: room, RecordUserId: recordUser(room, 5), RecordUserSig: userSig(APP1, recordUser(room, 5)),
      RecordMode: 'VIDEO_GENERATION_MODE',
    });
    await until('RECORDING', async () => (await c.DescribeOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId })).Status === 'RECORDING', 60000);
    await sleep(6000);
    await c.PauseOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId });
    await sleep(3000);
    await c.ResumeOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId });
    await sleep(6000);
    await c.StopOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId });
    pub.kill('SIGKILL');
    let rec;
    await until('FINISHED', async () => (rec = await c.DescribeOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId })).Status === 'FINISHED', 90000);
    assert.equal(rec.OmittedDurations.length, 1);
    // the class's HLS is in the bucket, in one TRTC folder per span
    const hls = (await s3.list(BUCKET, `classes/2026/${TaskId}/`)).filter((o) => o.Key.endsWith('.m3u8'));
    assert.equal(new Set(hls.map((o) => o.Key.split('/')[3])).size, 2, JSON.stringify(hls.map((o) => o.Key)));

    // video generation from the bucket, the teacher's sound left out ("teach": a prefix)
    const gen = await c.CreateVideoGenerationTask({ SdkAppId: APP1.sdkAppId, OnlineRecordTaskId: TaskId, Concat: { Enabled: true },
      RecordControl: { Enabled: true, StreamControls: [{ StreamId: 'teach', DisableAudio: true }] } });
    const { r } = await describeUntilFinished(c, gen.TaskId, 600000);
    assert.equal(r.ErrorMessage, '');
    assert.equal(r.FinishReason, 'DONE');
    assert.equal(r.TotalTime, rec.TotalTime);
    assert.equal(r.VideoInfoList.length, 1, JSON.stringify(r.VideoInfoList));
    const v = r.VideoInfoList[0];
    const out = `classes/2026/${TaskId}/${gen.TaskId}/`;
    assert.equal(v.VideoId, `${out}${APP1.sdkAppId}_${room}_${gen.TaskId}_concat.mp4`);
    assert.equal(v.VideoUrl, `${s3.endpoint}/${BUCKET}/${v.VideoId}`);
    assert.equal(v.UserId, `tic_mixstream_${room}_1`);
    // the two spans' MP4s and the joined one, in the class's folder
    const objects = await s3.list(BUCKET, out);
    assert.deepEqual(objects.map((o) => o.Key).sort(), [0, 1].map((k) => `${out}${APP1.sdkAppId}_${room}_${gen.TaskId}_${k}.mp4`).concat([v.VideoId]).sort());
    const pieces = [];
    for (const o of objects) {
      const file = path.join(makeTmpDir(), path.basename(o.Key));
      writeFileSync(file, await s3.get(BUCKET, o.Key));
      pieces.push({ key: o.Key, size: o.Size, ...probe(file) });
    }
    const joined = pieces.find((p) => p.key === v.VideoId);
    assert.equal(v.VideoSize, joined.size);
    assert.ok(Math.abs(v.VideoDuration - joined.durationMs) <= 100, `VideoDuration ${v.VideoDuration} vs ffprobe ${joined.durationMs}`);
    assert.deepEqual([v.Width, v.Height], [joined.width, joined.height]);
    // the only one with sound was muted: no audio stream at all
    for (const p of pieces) assert.equal(p.audio, false, `${p.key} has an audio stream`);
    // each span's MP4 holds its span: together with the pause, the joined one
    const spans = pieces.filter((p) => p.key !== v.VideoId);
    for (const p of spans) assert.ok(p.durationMs > 3000 && p.durationMs < 10000, `${p.key}: ${p.durationMs} ms`);
    const pause = rec.OmittedDurations[0].ResumeTime - rec.OmittedDurations[0].PauseTime;
    assert.ok(Math.abs(joined.durationMs - (spans[0].durationMs + pause + spans[1].durationMs)) < 2500,
      `joined ${joined.durationMs} ms, pieces ${spans[0].durationMs} + pause ${pause} + ${spans[1].durationMs}`);
    // nothing of the task stays in the local store
    assert.equal(existsSync(path.join(dataDir, 'storage', 'tiw-video', String(APP1.sdkAppId), gen.TaskId)), false);
  });
});
