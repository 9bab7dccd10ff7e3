// Mixed recording end to end (issue 6): plain-colour publishers join a room, the official SDK
// creates a RecordMode 2 task, and decoded frames of the mixed HLS are checked pixel by pixel
// against the seeds' layouts (grid at every documented count, floating, screen share with an aux
// stream, custom tiles with layers and alpha, letterbox vs crop), the background image and the
// watermarks; the mixed sound carries every publisher's tone; Modify re-lays a running picture.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { APP1, startDaemon, makeClient, userSig, sleep, until, tsBeginning } from './helpers.mjs';
import { waitRoom } from './media.mjs';
import {
  publishPlain, palette, gridRects, floatingRects, screenShareRects, frameAt, assertRect, assertColour,
  playlistStartMs, audioSamples, tonePower, png,
} from './mixvideo.mjs';

const T = { timeout: 240000 };
const W = 640;
const H = 360;
const GREY = [64, 64, 64];
const RED = [255, 0, 0];
const GREEN = [0, 255, 0];
const BLUE = [0, 0, 255];
const YELLOW = [255, 255, 0];
const WHITE = [255, 255, 255];

// The application's callback endpoint and the image host, in one loopback server.
function server() {
  const received = [];
  const images = {
    '/bg.png': png(160, 90, () => [0, 128, 255, 255]),
    '/mark.png': png(40, 40, (x) => (x < 20 ? [255, 255, 0, 255] : [255, 255, 0, 0])),
  };
  const srv = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST') {
        received.push({ headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"code":0}');
        return;
      }
      const body = images[new URL(req.url, 'http://x').pathname];
      res.writeHead(body ? 200 : 404, { 'Content-Type': 'image/png' });
      res.end(body ?? '');
    });
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({ srv, received, port: srv.address().port })));
}

function mixBody(room, robot, layout, { format = 0, fps = 10, subscribe } = {}) {
  return {
    SdkAppId: APP1.sdkAppId, RoomId: String(room), UserId: robot, UserSig: userSig(APP1, robot),
    RecordParams: { RecordMode: 2, MaxIdleTime: 60, StreamType: 0, OutputFormat: format, ...(subscribe ? { SubscribeStreamUserIds: subscribe } : {}) },
    StorageParams: { CloudStorage: { Vendor: 0, Region: 'ap-guangzhou', Bucket: 'b-1250000000', AccessKey: 'ak', SecretKey: 'sk' } },
    MixTranscodeParams: { VideoParams: { Width: W, Height: H, Fps: fps, BitRate: 1000000, Gop: 2 }, AudioParams: { SampleRate: 1, Channel: 2, BitRate: 64000 } },
    MixLayoutParams: { BackGroundColor: '#404040', ...layout },
  };
}

describe('mixed recording', () => {
  let d;
  let c;
  let s;
  const procs = [];
  const CALLBACK_KEY = 'mixKey';
  before(async () => {
    s = await server();
    const app = { ...APP1, callbackKey: CALLBACK_KEY, callbackUrl: `http://127.0.0.1:${s.port}/cb` };
    d = await startDaemon({ apps: [app], defaults: ['--api-rate-limit', '100000'] });
    c = makeClient(d.port, APP1);
  });
  after(async () => {
    if (process.env.CLOUDREC_TEST_LOG) writeFileSync(process.env.CLOUDREC_TEST_LOG, d.stderr);
    for (const p of procs) p.kill('SIGKILL');
    await d.stop();
    s.srv.close();
  });

  const stopAll = () => { while (procs.length) procs.pop().kill('SIGKILL'); };
  const mixedPlaylist = (taskId, room) => path.join(d.dataDir, 'storage', taskId, `1400000001_${room}.m3u8`);

  // Starts @users one after the other (each in the room before the next: a known entry order).
  async function join(room, users) {
    for (const u of users) {
      procs.push(publishPlain(d.port, room, u.user, u.colour, u));
      await waitRoom(d, APP1.sdkAppId, room, (st) => st.Streams.some((x) => x.UserId === u.user && x.Stream === (u.stream ?? 'main')
        && (u.tone ? x.AudioCaps : x.VideoCaps)), { timeoutMs: 20000 });
    }
  }

  // Ends the task and waits for its playlist to end; returns the playlist's path.
  async function finish(taskId, room) {
    await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: taskId });
    const m3u8 = mixedPlaylist(taskId, room);
    try {
      await until('the mixed playlist ends', () => existsSync(m3u8) && readFileSync(m3u8, 'utf8').includes('#EXT-X-ENDLIST'), 120000);
    } catch (err) {
      // What the daemon and the worker said, for the next look at a slow or stuck end.
      err.message += `\n--- daemon stderr (tail) ---\n${d.stderr.split('\n').slice(-60).join('\n')}`;
      throw err;
    }
    return m3u8;
  }

  test('grid: every documented count from 1 to 25 users, each user in its tile by entry order', T, async () => {
    const room = 9401;
    const colours = palette(25);
    const { TaskId } = await c.CreateCloudRecording(mixBody(room, 'mixrobot_a', { MixLayoutMode: 3, RenderMode: 1 }));
    const marks = [];
    let joined = 0;
    for (const n of [1, 2, 3, 4, 5, 9, 10, 16, 17, 25]) {
      const users = [];
      for (; joined < n; joined++) users.push({ user: `g${String(joined).padStart(2, '0')}`, colour: colours[joined] });
      await join(room, users);
      // the frame just before the next join: a loaded machine (CI with another heavy file beside)
      // took over 2 s from a stream's announcement to its first picture in the mix
      await sleep(5000);
      marks.push({ n, at: Date.now() - 500 });
    }
    await sleep(2000);
    const m3u8 = await finish(TaskId, room);
    stopAll();
    const start = playlistStartMs(m3u8);
    for (const { n, at } of marks) {
      const frame = frameAt(m3u8, (at - start) / 1000, W, H);
      gridRects(W, H, n).forEach((r, i) => assertRect(frame, r, colours[i], `grid of ${n}: user ${i}`));
      if (n === 3) assertColour(frame, 5, H - 5, GREY, 'grid of 3: the background beside the centred last row');
      if (n === 2) assertColour(frame, 5, 5, colours[0], 'grid of 2: half-width tiles the full height');
    }
  });

  test('floating with MaxResolutionUserId, then screen share with an aux stream as the big picture', T, async () => {
    const room = 9402;
    const { TaskId } = await c.CreateCloudRecording(mixBody(room, 'mixrobot_b', { MixLayoutMode: 1, MaxResolutionUserId: 'f2' }));
    // f3 publishes VP8: the mix decodes both codecs.
    await join(room, [{ user: 'f1', colour: RED }, { user: 'f2', colour: GREEN }, { user: 'f3', colour: BLUE, extra: ['--codec', 'vp8'] }]);
    await sleep(3000);
    const floatingAt = Date.now() - 1000;
    // Screen share: f1 shares its screen (aux), which becomes the big picture.
    await join(room, [{ user: 'f1', colour: YELLOW, stream: 'aux', size: '128x72' }]);
    await c.ModifyCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId,
      MixLayoutParams: { MixLayoutMode: 2, MaxResolutionUserId: 'f1', MediaId: 1, BackGroundColor: '#404040' } });
    await sleep(3000);
    const shareAt = Date.now() - 1000;
    const m3u8 = await finish(TaskId, room);
    stopAll();
    const start = playlistStartMs(m3u8);
    let frame = frameAt(m3u8, (floatingAt - start) / 1000, W, H);
    const fr = floatingRects(W, H, 3);
    assertRect(frame, fr[0], GREEN, 'floating: the big picture is MaxResolutionUserId');
    assertRect(frame, fr[1], RED, 'floating: first small tile');
    assertRect(frame, fr[2], BLUE, 'floating: second small tile');
    assertColour(frame, W - 10, 10, GREEN, 'floating: the big picture behind the small tiles');
    frame = frameAt(m3u8, (shareAt - start) / 1000, W, H);
    const sr = screenShareRects(W, H, 4);
    assertRect(frame, sr[0], YELLOW, 'screen share: the aux stream is the big picture');
    [RED, GREEN, BLUE].forEach((col, i) => assertRect(frame, sr[i + 1], col, `screen share: side tile ${i}`));
    assertColour(frame, W - 20, H - 20, GREY, 'screen share: the background below the side tiles');
  });

  test('custom tiles: ImageLayer order, Alpha, letterbox vs crop; Modify re-lays within a second', T, async () => {
    const room = 9403;
    const list = [
      { Top: 0, Left: 0, Width: 320, Height: 360, UserId: 'c1', RenderMode: 2, ImageLayer: 1 },
      { Top: 0, Left: 320, Width: 320, Height: 360, UserId: 'c2', RenderMode: 1, ImageLayer: 1 },
      { Top: 40, Left: 200, Width: 240, Height: 160, UserId: 'c3', RenderMode: 0, ImageLayer: 2, Alpha: 128 },
    ];
    const { TaskId } = await c.CreateCloudRecording(mixBody(room, 'mixrobot_c', { MixLayoutMode: 4, MixLayoutList: list }));
    await join(room, [{ user: 'c1', colour: RED }, { user: 'c2', colour: GREEN }, { user: 'c3', colour: BLUE }]);
    await sleep(3000);
    const customAt = Date.now() - 1000;
    // c3 goes underneath and opaque: it is hidden where the others are.
    const modifiedAt = Date.now();
    await c.ModifyCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId, MixLayoutParams: { MixLayoutMode: 4, BackGroundColor: '#404040',
      MixLayoutList: [list[0], list[1], { ...list[2], ImageLayer: 0, Alpha: 0 }] } });
    await sleep(3000);
    const m3u8 = await finish(TaskId, room);
    stopAll();
    const start = playlistStartMs(m3u8);
    let frame = frameAt(m3u8, (customAt - start) / 1000, W, H);
    // c1 (16:9) letterboxed into 320x360: a 320x180 picture centred, background above and below.
    assertRect(frame, { x: 0, y: 90, w: 200, h: 180 }, RED, 'letterbox: the picture');
    assertColour(frame, 100, 40, GREY, 'letterbox: the bar above');
    assertColour(frame, 100, 320, GREY, 'letterbox: the bar below');
    // c2 cropped into 320x360: fills the whole tile.
    assertRect(frame, { x: 440, y: 0, w: 200, h: 360 }, GREEN, 'crop: the tile is filled');
    // c3 on top at half transparency: blue over red / over green.
    assertColour(frame, 260, 150, [128, 0, 127], 'alpha 128 over the red tile', 45);
    assertColour(frame, 380, 150, [0, 128, 127], 'alpha 128 over the green tile', 45);
    frame = frameAt(m3u8, (modifiedAt - start) / 1000 + 1.5, W, H);
    assertColour(frame, 260, 150, RED, 'after Modify: c3 is under c1');
    assertColour(frame, 380, 150, GREEN, 'after Modify: c3 is under c2');
    assertColour(frame, 300, 60, BLUE, 'after Modify: c3 shows in the letterbox bar of c1', 45);
  });

  test('background image and watermarks (image, text); an image that cannot be downloaded gives 309 and the recording goes on', T, async () => {
    const room = 9404;
    const base = `http://127.0.0.1:${s.port}`;
    const before309 = s.received.length;
    const { TaskId } = await c.CreateCloudRecording(mixBody(room, 'mixrobot_d', {
      MixLayoutMode: 4,
      BackgroundImageUrl: `${base}/bg.png`,
      MixLayoutList: [{ Top: 60, Left: 80, Width: 160, Height: 90, UserId: 'w1' }, { Top: 200, Left: 400, Width: 160, Height: 90, UserId: 'nobody', SubBackgroundImage: `${base}/missing.png` }],
      WaterMarkList: [
        { WaterMarkType: 0, WaterMarkImage: { WaterMarkUrl: `${base}/mark.png`, Top: 20, Left: 500, Width: 80, Height: 80 } },
        { WaterMarkType: 1, WaterMarkChar: { Top: 300, Left: 20, Width: 200, Height: 40, Chars: 'cloudrec', FontSize: 24, FontColor: '#FFFFFF', BackGroundColor: '#FF0000' } },
        { WaterMarkType: 2, WaterMarkTimestamp: { Pos: 3, TimeZone: 8 } },
      ],
    }));
    await join(room, [{ user: 'w1', colour: GREEN }]);
    await sleep(5000);
    const at = Date.now() - 1000;
    const m3u8 = await finish(TaskId, room);
    stopAll();
    const frame = frameAt(m3u8, (at - playlistStartMs(m3u8)) / 1000, W, H);
    assertColour(frame, 10, 10, [0, 128, 255], 'the background image');
    assertColour(frame, 620, 340, [0, 128, 255], 'the background image (far corner)');
    assertRect(frame, { x: 80, y: 60, w: 160, h: 90 }, GREEN, 'the user tile over the background image');
    assertColour(frame, 480, 245, [0, 128, 255], 'the tile whose picture is missing shows the background');
    // The image watermark: opaque yellow left half, transparent right half.
    assertRect(frame, { x: 500, y: 20, w: 40, h: 80 }, YELLOW, 'image watermark, opaque half');
    assertColour(frame, 565, 60, [0, 128, 255], 'image watermark, transparent half');
    // The text watermark: its red box, with white text in it.
    assertColour(frame, 215, 305, RED, 'text watermark box');
    let white = 0;
    for (let y = 300; y < 340; y++) for (let x = 20; x < 220; x++) {
      const i = (y * W + x) * 3;
      if (frame.raw[i] > 200 && frame.raw[i + 1] > 200 && frame.raw[i + 2] > 200) white++;
    }
    assert.ok(white > 50, `white text pixels in the text watermark: ${white}`);
    // The timestamp (bottom-right) changes from second to second; the rest of the corner does not.
    const earlier = frameAt(m3u8, (at - 2000 - playlistStartMs(m3u8)) / 1000, W, H);
    const changed = (x0, y0, x1, y1) => {
      let n = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
        const i = (y * W + x) * 3;
        if (Math.abs(frame.raw[i] - earlier.raw[i]) + Math.abs(frame.raw[i + 1] - earlier.raw[i + 1]) > 60) n++;
      }
      return n;
    };
    assert.ok(changed(W - 200, H - 40, W, H) > 20, `the timestamp watermark ticks: ${changed(W - 200, H - 40, W, H)} pixels changed`);
    assert.ok(changed(W - 200, 200, W, 240) < 5, 'above it nothing moves');
    // 309 for the image that could not be downloaded, signed like every callback.
    await until('callback 309', () => s.received.slice(before309).some((r) => JSON.parse(r.raw).EventType === 309), 10000);
    const cb = s.received.slice(before309).find((r) => JSON.parse(r.raw).EventType === 309);
    const event = JSON.parse(cb.raw);
    assert.equal(event.EventInfo.Payload.Url, `${base}/missing.png`);
    assert.equal(event.EventInfo.TaskId, TaskId);
    assert.equal(cb.headers.sign, createHmac('sha256', CALLBACK_KEY).update(cb.raw).digest('base64'));
    assert.equal(s.received.slice(before309).filter((r) => JSON.parse(r.raw).EventType === 309).length, 1, 'one 309 per URL');
  });

  test('a camera turned off: its custom tile shows the placeholder (PlaceHolderMode 1), then the pictures again', T, async () => {
    const room = 9406;
    const { TaskId } = await c.CreateCloudRecording(mixBody(room, 'mixrobot_f', { MixLayoutMode: 4, PlaceHolderMode: 1,
      MixLayoutList: [{ Top: 90, Left: 160, Width: 320, Height: 180, UserId: 'cam' }] }));
    const joined = Date.now();
    // The camera goes off 6 s after publishing starts, for 6 s; the sound goes on.
    await join(room, [{ user: 'cam', colour: RED, tone: 700, extra: ['--video-pause', '6:6'] }]);
    await sleep(16000 - (Date.now() - joined));
    const m3u8 = await finish(TaskId, room);
    stopAll();
    const start = playlistStartMs(m3u8);
    const tile = { x: 160, y: 90, w: 320, h: 180 };
    assertRect(frameAt(m3u8, (joined + 4500 - start) / 1000, W, H), tile, RED, 'camera on');
    assertRect(frameAt(m3u8, (joined + 10500 - start) / 1000, W, H), tile, [51, 51, 51], 'camera off: the placeholder', 25);
    assertColour(frameAt(m3u8, (joined + 10500 - start) / 1000, W, H), 20, 20, GREY, 'camera off: the background around');
    assertRect(frameAt(m3u8, (joined + 15000 - start) / 1000, W, H), tile, RED, 'camera on again');
  });

  test('audio: two publishers\' tones both in the mix; HLS+MP4 named after the room', T, async () => {
    const room = 9405;
    const { TaskId } = await c.CreateCloudRecording(mixBody(room, 'mixrobot_e', { MixLayoutMode: 3 }, { format: 1 }));
    await join(room, [{ user: 't1', colour: RED, tone: 500 }, { user: 't2', colour: BLUE, tone: 1300 }]);
    await sleep(8000);
    // Describe: in progress, one mixed file with no UserId, listed with its first segment.
    const described = await until('the mixed file listed', async () => {
      const r = await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
      return r.StorageFileList.length > 0 && r;
    }, 20000);
    assert.equal(described.Status, 'InProgress');
    assert.deepEqual(described.StorageFileList.map((f) => [f.FileName, f.UserId]), [[`1400000001_${room}.m3u8`, '']]);
    assert.ok(Math.abs(described.StorageFileList[0].BeginTimeStamp - Date.now()) < 20000);
    const m3u8 = await finish(TaskId, room);
    stopAll();
    const samples = audioSamples(m3u8, 1, 5);
    const p500 = tonePower(samples, 500), p1300 = tonePower(samples, 1300), p900 = tonePower(samples, 900);
    assert.ok(p500 > 50 * p900 && p1300 > 50 * p900, `tone powers 500 Hz ${p500}, 1300 Hz ${p1300}, 900 Hz (none) ${p900}`);
    const mp4 = path.join(d.dataDir, 'storage', TaskId, `1400000001_${room}.mp4`);
    await until('the mixed MP4', () => existsSync(mp4), 20000);
    const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height:format=duration', '-of', 'json', mp4], { encoding: 'utf8' }));
    assert.deepEqual(probe.streams.map((x) => x.codec_name).sort(), ['aac', 'h264']);
    assert.equal(probe.streams.find((x) => x.codec_name === 'h264').width, W);
    const hlsSeconds = [...readFileSync(m3u8, 'utf8').matchAll(/#EXTINF:([\d.]+),/g)].reduce((a, m) => a + Number(m[1]), 0);
    assert.ok(Math.abs(Number(probe.format.duration) - hlsSeconds) < 0.5, `mp4 ${probe.format.duration} s vs HLS ${hlsSeconds} s`);
    const text = readFileSync(m3u8, 'utf8');
    // Every segment opens with its tables, the first too, whose sound begins before its first
    // picture (mpegtsmux wrote that sound ahead of them: GStreamer's demuxer dropped it).
    for (const seg of text.match(/^.+\.ts$/gm)) assert.equal(tsBeginning(path.join(path.dirname(m3u8), seg)), 'PAT, PMT', seg);
    assert.match(text, /#EXT-X-TRTC-MIX-STREAM:1/);
    assert.match(text, /#EXT-X-TRTC-VIDEO-METADATA:WIDTH:640 HEIGHT:360/);
    assert.match(text, new RegExp(`1400000001_${room}_\\d{17}\\.ts`));
  });
});
