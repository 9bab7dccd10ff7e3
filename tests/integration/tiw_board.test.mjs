// The whiteboard in a class recording (docs/class-record.md, "The board"): the class's board page
// is captured and published into its TRTC room as the RecordUserId, and the mixed recording shows
// it next to the cameras. The official tiw client starts the classes; two `cloudrec publish`
// cameras of plain colours; Playwright draws on the board page (edit mode) with real mouse
// events; ffmpeg decodes the mixed MP4s and the board's tile is checked pixel by pixel: white
// before the red stroke, red after it; the blue rectangle drawn while paused appears only in the
// second file, the green stroke after it; the cameras' tiles show their colours; VideoInfos
// describe the files exactly. The idle rule: a class with the board and no camera stops AUTO only
// once no board operation came for class-idle-stop.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { APP1, BIN, startDaemon, userSig, until, sleep, SDK_AGENT } from './helpers.mjs';
import { launchChromium } from './media.mjs';

const require = createRequire(import.meta.url);
const tencentcloud = require('tencentcloud-sdk-nodejs');
const TiwClient = tencentcloud.tiw.v20190919.Client;

const T = { timeout: 400000 };

function tiw(port) {
  return new TiwClient({
    credential: { secretId: APP1.secretId, secretKey: APP1.secretKey },
    region: 'ap-guangzhou',
    profile: { httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: 'http://', reqTimeout: 10, agent: SDK_AGENT } },
  });
}

function camera(port, room, user, color) {
  return spawn(BIN, ['publish', '--server', `http://127.0.0.1:${port}`, '--sdkappid', String(APP1.sdkAppId), '--room', String(room),
    '--user', user, '--usersig', userSig(APP1, user), '--size', '320x180', '--fps', '10', '--no-audio', '--plain', '--color', color,
    '--duration', '300'], { stdio: 'ignore' });
}

const recordUser = (room, n) => `tic_record_user_${room}_${n}`;

async function waitStatus(c, TaskId, status, timeoutMs = 90000) {
  let last;
  await until(`class task ${TaskId} ${status} (last ${last?.Status})`, async () => {
    last = await c.DescribeOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId });
    return last.Status === status;
  }, timeoutMs);
  return last;
}

function probe(file) {
  const j = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,width,height:format=duration,size', '-of', 'json', file], { encoding: 'utf8' }));
  const video = j.streams.find((s) => s.codec_type === 'video');
  return { durationMs: Math.round(Number(j.format.duration) * 1000), size: Number(j.format.size), width: video?.width ?? 0, height: video?.height ?? 0 };
}

// The frames of @file at 2 fps, scaled by 1/2: [{ t (s), px(x, y) -> [r, g, b] }].
function frames(file, width, height) {
  const w = width / 2, h = height / 2;
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-vf', `fps=2,scale=${w}:${h}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 30 });
  const size = w * h * 3;
  const out = [];
  for (let i = 0; (i + 1) * size <= raw.length; i++) {
    const base = i * size;
    out.push({ t: i / 2, px: (x, y) => { const o = base + (Math.round(y) * w + Math.round(x)) * 3; return [raw[o], raw[o + 1], raw[o + 2]]; } });
  }
  return out;
}

const near = (px, rgb, tol = 70) => px.every((v, i) => Math.abs(v - rgb[i]) <= tol);
const WHITE = [255, 255, 255], RED = [255, 0, 0], BLUE = [0, 0, 255], GREEN = [0, 160, 0];
const YELLOW = [255, 255, 0], MAGENTA = [255, 0, 255];

// The board page in edit mode, as a teacher would draw on it.
async function openBoard(browser, port, room, user) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const q = new URLSearchParams({ sdkappid: String(APP1.sdkAppId), room: String(room), userid: user, usersig: userSig(APP1, user), mode: 'edit' });
  await page.goto(`http://127.0.0.1:${port}/board?${q}`);
  await page.waitForFunction(() => window.cloudrecBoard && window.cloudrecBoard.ready, null, { timeout: 30000 });
  return page;
}

async function drag(page, from, to, steps = 12) {
  const box = await page.locator('#board').boundingBox();
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  await page.mouse.move(...at(from));
  await page.mouse.down();
  for (let i = 1; i <= steps; i++) {
    await page.mouse.move(...at([from[0] + ((to[0] - from[0]) * i) / steps, from[1] + ((to[1] - from[1]) * i) / steps]));
  }
  await page.mouse.up();
}

async function setColor(page, hex) {
  await page.$eval('#color', (el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }, hex);
}

async function waitSeq(page, seq) {
  await page.waitForFunction((s) => window.cloudrecBoard.seq >= s, seq, { timeout: 30000 });
}

describe('class recording with the whiteboard', () => {
  const procs = [];
  let d, d2, c, c2, browser;
  before(async () => {
    [d, d2] = await Promise.all([
      startDaemon({ defaults: ['--api-rate-limit', '100000'] }),
      startDaemon({ defaults: ['--api-rate-limit', '100000'], args: ['--class-idle-stop', '15', '--room-idle-timeout', '600'] }),
    ]);
    c = tiw(d.port);
    c2 = tiw(d2.port);
    browser = await launchChromium();
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await browser?.close();
    if (process.env.CLOUDREC_TEST_DEBUG) writeFileSync(process.env.CLOUDREC_TEST_DEBUG, `${d?.stderr}\n=====\n${d2?.stderr}`);
    await Promise.all([d?.stop(), d2?.stop()]);
  });

  test('Custom layout: the tic_record_user tile is the board; red, then (paused) blue, then green, seen in the right files; cameras in theirs; VideoInfos exact', T, async () => {
    const room = 51100;
    procs.push(camera(d.port, room, 'teacher', 'yellow'), camera(d.port, room, 'student', 'magenta'));
    // canvas 960x480: the board 640x480 at the left (its own 4:3), the cameras in a column
    const tile = (id, X, Y, Width, Height) => ({ InputStreamId: id, LayoutParams: { X, Y, Width, Height, ZOrder: 0 }, FillMode: 0 });
    const { TaskId } = await c.StartOnlineRecord({
      SdkAppId: APP1.sdkAppId, RoomId: room, RecordUserId: recordUser(room, 1), RecordUserSig: userSig(APP1, recordUser(room, 1)),
      Extras: ['MIX_STREAM'], Whiteboard: { Width: 1280, Height: 960 },
      MixStream: { Enabled: true, Custom: { Canvas: { LayoutParams: { Width: 960, Height: 480 }, BackgroundColor: '#000000' },
        InputStreamList: [tile('tic_record_user', 0, 0, 640, 480), tile('teacher', 640, 0, 320, 240), tile('student', 640, 240, 320, 240)] } },
    });
    await waitStatus(c, TaskId, 'RECORDING');
    await until('the board published', async () => /the board is published/.test(d.stderr), 90000);
    await sleep(4000); // the white board recorded before any stroke
    const teacher = await openBoard(browser, d.port, room, 'teacher');
    await setColor(teacher, '#ff0000');
    await teacher.selectOption('#width', '0.025');
    await drag(teacher, [0.1, 0.3], [0.9, 0.3]);
    await waitSeq(teacher, 1);
    await sleep(5000);
    await c.PauseOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId });
    const pausedAt = Date.now();
    await teacher.click('[data-tool=rect]');
    await setColor(teacher, '#0000ff');
    await teacher.check('#fill');
    await drag(teacher, [0.2, 0.5], [0.45, 0.8]);
    await waitSeq(teacher, 2);
    await sleep(3000);
    await c.ResumeOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId });
    const resumedAt = Date.now();
    // a second board publisher (another task than the first span's, whose reconnects also log)
    const publishers = () => new Set([...d.stderr.matchAll(/task (\S+): the board is published/g)].map((m) => m[1])).size;
    await until('the board published again', async () => publishers() >= 2, 90000);
    await sleep(5000);
    await teacher.click('[data-tool=pen]');
    await setColor(teacher, '#00a000');
    await drag(teacher, [0.75, 0.45], [0.75, 0.9]);
    await waitSeq(teacher, 3);
    await sleep(5000);
    await c.StopOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId });
    await teacher.close();
    const done = await waitStatus(c, TaskId, 'FINISHED', 180000);

    // VideoInfos describe the files exactly
    for (const v of done.VideoInfos) {
      const file = fileURLToPath(v.VideoUrl);
      const p = probe(file);
      assert.equal(v.VideoSize, statSync(file).size, `${v.VideoId} size`);
      assert.ok(Math.abs(v.VideoDuration - p.durationMs) <= 50, `${v.VideoId}: VideoDuration ${v.VideoDuration} against ffprobe ${p.durationMs}`);
      assert.deepEqual([v.Width, v.Height], [p.width, p.height], `${v.VideoId} picture`);
    }
    const mixed = done.VideoInfos.filter((v) => v.VideoType === 3);
    assert.equal(mixed.length, 2, JSON.stringify(done.VideoInfos));
    assert.ok(mixed.every((v) => v.UserId === `tic_mixstream_${room}_custom` && v.Width === 960 && v.Height === 480));
    // the board publisher's own video: VideoType 2 with UserId "" (one per span where its per-user
    // task got a keyframe in time: a clean-clone CI run on a busy machine had the first span's
    // missing, the mixed files above are the check that matters)
    const boards = done.VideoInfos.filter((v) => v.VideoType === 2);
    assert.ok(boards.length >= 1 && boards.every((v) => v.UserId === '' && v.Width === 1280 && v.Height === 960), JSON.stringify(boards));
    assert.ok(!done.VideoInfos.some((v) => v.UserId === recordUser(room, 1)), 'the board user is never reported as a camera');
    // the pause is left out of the files
    const total = mixed.reduce((s, v) => s + v.VideoDuration, 0);
    const pause = resumedAt - pausedAt;
    assert.ok(total <= done.TotalTime + 2000, `mixed ${total} ms, TotalTime ${done.TotalTime}`);
    assert.equal(done.OmittedDurations.length, 1);
    assert.ok(done.OmittedDurations[0].ResumeTime - done.OmittedDurations[0].PauseTime >= pause - 1500);

    // pixels: the board's tile at the scaled (x/2) canvas: board (bx, by) -> (bx*320, by*240)
    const B = (x, y) => [x * 320, y * 240];
    const [f1, f2] = mixed.sort((a, b) => a.VideoPlayTime - b.VideoPlayTime).map((v) => frames(fileURLToPath(v.VideoUrl), 960, 480));
    const boardShown = (f) => near(f.px(...B(0.6, 0.15)), WHITE);
    const red = (f) => near(f.px(...B(0.5, 0.3)), RED);
    const blue = (f) => near(f.px(...B(0.33, 0.65)), BLUE);
    const green = (f) => near(f.px(...B(0.75, 0.65)), GREEN);
    const firstBoard = f1.findIndex(boardShown);
    const firstRed = f1.findIndex(red);
    assert.ok(firstBoard >= 0, 'the board appears in the first file');
    assert.ok(firstRed > firstBoard, `white before the red stroke (board from frame ${firstBoard}, red from ${firstRed})`);
    assert.ok(!red(f1[firstBoard]) && near(f1[firstBoard].px(...B(0.5, 0.3)), WHITE), 'white where the stroke comes, before it');
    assert.ok(f1.slice(firstRed).every(red), 'the red stroke stays');
    assert.ok(!f1.some(blue), 'no blue in the first file: it was drawn while paused');
    assert.ok(!f1.some(green), 'no green in the first file');
    const second = f2.findIndex(boardShown);
    assert.ok(second >= 0, 'the board appears in the second file');
    assert.ok(red(f2[second]) && blue(f2[second]), 'the board as it was when the recording resumed: red and blue');
    const firstGreen = f2.findIndex(green);
    assert.ok(firstGreen > second, `green only after it was drawn (board from ${second}, green from ${firstGreen})`);
    // the cameras' tiles: (640+160, 120)/2 and (640+160, 360)/2, in each file's very last picture
    // (the inputs' ends reach the mixer one by one: each holds its last frame; docs/mixing.md)
    for (const [i, f] of [f1, f2].entries()) {
      const at = f[f.length - 1];
      assert.ok(near(at.px(400, 60), YELLOW), `file ${i + 1}: teacher's tile ${at.px(400, 60)}`);
      assert.ok(near(at.px(400, 180), MAGENTA), `file ${i + 1}: student's tile ${at.px(400, 180)}`);
    }
  });

  test('ModelId 1: the board is the big picture, the cameras beside it', T, async () => {
    const room = 51200;
    procs.push(camera(d.port, room, 'teacher', 'yellow'), camera(d.port, room, 'student', 'magenta'));
    const { TaskId } = await c.StartOnlineRecord({
      SdkAppId: APP1.sdkAppId, RoomId: room, RecordUserId: recordUser(room, 2), RecordUserSig: userSig(APP1, recordUser(room, 2)),
      Extras: ['MIX_STREAM'], MixStream: { Enabled: true, ModelId: 1, TeacherId: 'teacher' },
      RecordControl: { Enabled: true, DisableRecord: true, StreamControls: [{ StreamId: 'teacher', DisableRecord: false }] },
    });
    await waitStatus(c, TaskId, 'RECORDING');
    const before = (d.stderr.match(/the board is published/g) || []).length;
    await until('the board published', async () => (d.stderr.match(/the board is published/g) || []).length > before, 90000);
    const teacher = await openBoard(browser, d.port, room, 'teacher');
    await setColor(teacher, '#ff0000');
    await teacher.selectOption('#width', '0.025');
    await drag(teacher, [0.1, 0.5], [0.9, 0.5]);
    await waitSeq(teacher, 1);
    await sleep(6000);
    await c.StopOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId });
    await teacher.close();
    const done = await waitStatus(c, TaskId, 'FINISHED', 180000);
    const mixed = done.VideoInfos.filter((v) => v.VideoType === 3);
    assert.equal(mixed.length, 1);
    assert.equal(mixed[0].UserId, `tic_mixstream_${room}_1`);
    const f = frames(fileURLToPath(mixed[0].VideoUrl), 1280, 720);
    // the very last picture: every tile holds its last frame while the others end (docs/mixing.md)
    const last = f[f.length - 1];
    // the big picture (1024x720 at the left; scaled by 1/2): the board, white with the red stroke
    // through its centre (board (0.5, 0.5) is the tile's centre, fit or fill alike)
    assert.ok(near(last.px(256, 180), RED), `the stroke at the big picture's centre: ${last.px(256, 180)}`);
    assert.ok(near(last.px(256, 60), WHITE), `the board's white above it: ${last.px(256, 60)}`);
    // the small column (x 1024..1280, 180 px rows): both cameras, no board
    const column = [0, 1, 2].map((row) => last.px(576, 45 + row * 90));
    assert.ok(column.some((p) => near(p, YELLOW)) && column.some((p) => near(p, MAGENTA)), `the column: ${JSON.stringify(column)}`);
    // the allow list recorded only the teacher per user (the board is not a camera)
    assert.deepEqual(done.VideoInfos.filter((v) => v.VideoType === 0).map((v) => v.UserId), ['teacher']);
  });

  test('idle: a class with the board and no camera stops AUTO only once no board operation came for class-idle-stop', T, async () => {
    const room = 51300;
    const { TaskId } = await c2.StartOnlineRecord({
      SdkAppId: APP1.sdkAppId, RoomId: room, RecordUserId: recordUser(room, 3), RecordUserSig: userSig(APP1, recordUser(room, 3)),
      Extras: ['MIX_STREAM'], MixStream: { Enabled: true, ModelId: 2 },
    });
    await waitStatus(c2, TaskId, 'RECORDING', 120000); // the board alone makes media
    const recordingAt = Date.now();
    await sleep(9000);
    const teacher = await openBoard(browser, d2.port, room, 'teacher');
    await drag(teacher, [0.2, 0.2], [0.8, 0.8]);
    await waitSeq(teacher, 1);
    const drawnAt = Date.now();
    await teacher.close();
    // idle-stop 15 s: not before 15 s after the op (which came 9 s into the recording)
    await sleep(Math.max(0, recordingAt + 16000 - Date.now()));
    assert.equal((await c2.DescribeOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId })).Status, 'RECORDING', 'not stopped 15 s after the start: an op came since');
    const done = await waitStatus(c2, TaskId, 'FINISHED', 120000);
    assert.equal(done.FinishReason, 'AUTO');
    const stoppedAfter = done.RecordStopTime * 1000 - drawnAt;
    assert.ok(stoppedAfter >= 13000, `stopped ${stoppedAfter} ms after the board operation (class-idle-stop 15 s)`);
  });
});
