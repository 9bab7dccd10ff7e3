// Video-generation mode of the class recording (seed 003; docs/class-record.md, "Video-generation
// mode"): a class with RecordMode VIDEO_GENERATION_MODE records each user's single-stream HLS,
// no MP4s (VideoInfos empty), and answers a ReplayUrl; the replay data places every stream on the
// board clock: from the publisher's syncTime SEI when it sends one (`cloudrec publish
// --sync-time-sei=-3000` claims a board clock 3 s behind the daemon's), from the receive clock
// otherwise. The replay page plays them on one clock (Chromium through Playwright).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { APP1, BIN, startDaemon, userSig, until, sleep, SDK_AGENT } from './helpers.mjs';
import { launchChromium } from './media.mjs';

const require = createRequire(import.meta.url);
const tencentcloud = require('tencentcloud-sdk-nodejs');
const TiwClient = tencentcloud.tiw.v20190919.Client;

const T = { timeout: 180000 };

function tiw(port) {
  return new TiwClient({
    credential: { secretId: APP1.secretId, secretKey: APP1.secretKey },
    region: 'ap-guangzhou',
    profile: { httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: 'http://', reqTimeout: 10, agent: SDK_AGENT } },
  });
}

function publish(port, room, user, extra = []) {
  return spawn(BIN, ['publish', '--server', `http://127.0.0.1:${port}`, '--sdkappid', String(APP1.sdkAppId), '--room', String(room),
    '--user', user, '--usersig', userSig(APP1, user), '--size', '320x180', '--fps', '15', '--duration', '60', ...extra], { stdio: 'ignore' });
}

const recordUser = (room, n) => `tic_record_user_${room}_${n}`;

describe('class recording: video-generation mode', () => {
  const procs = [];
  let d;
  let c;
  before(async () => {
    d = await startDaemon({ defaults: ['--api-rate-limit', '100000'] });
    c = tiw(d.port);
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await d?.stop();
  });

  test('per-user HLS only, a ReplayUrl, the SEI board clock followed (3 s from the receive clock), the files under the token', T, async () => {
    const room = 32100;
    procs.push(publish(d.port, room, 'teacher'), publish(d.port, room, 'student', ['--sync-time-sei=-3000']));
    const { TaskId } = await c.StartOnlineRecord({
      SdkAppId: APP1.sdkAppId, RoomId: room, RecordUserId: recordUser(room, 1), RecordUserSig: userSig(APP1, recordUser(room, 1)),
      RecordMode: 'VIDEO_GENERATION_MODE', Whiteboard: { Width: 640, Height: 480 },
    });
    let rec;
    await until('RECORDING', async () => (rec = await c.DescribeOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId })).Status === 'RECORDING', 40000);
    await sleep(12000);
    await c.StopOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId });
    await until('FINISHED', async () => (rec = await c.DescribeOnlineRecord({ SdkAppId: APP1.sdkAppId, TaskId })).Status === 'FINISHED', 60000);
    assert.deepEqual(rec.VideoInfos, []);
    const url = new URL(rec.ReplayUrl);
    assert.equal(url.origin, `http://127.0.0.1:${d.port}`);
    assert.equal(url.pathname, '/board/replay');
    assert.equal(url.searchParams.get('task'), TaskId);
    assert.equal(url.searchParams.get('sdkappid'), String(APP1.sdkAppId));
    const token = url.searchParams.get('token');
    assert.match(token, /^\d+\.[0-9a-f]{64}$/);
    const expiry = Number(token.split('.')[0]);
    assert.ok(Math.abs(expiry - (Date.now() / 1000 + 720 * 3600)) < 120, `expiry ${expiry}`);

    // no MP4 anywhere, playlists and sidecars in the class's storage
    const storage = path.join(d.dataDir, 'storage');
    const all = [];
    const walk = (dir) => { for (const e of readdirSync(dir, { withFileTypes: true })) { const p = path.join(dir, e.name); if (e.isDirectory()) walk(p); else all.push(p); } };
    walk(storage);
    assert.equal(all.filter((f) => f.endsWith('.mp4')).length, 0);
    assert.ok(all.filter((f) => f.endsWith('.m3u8')).length >= 2, all.join('\n'));
    const sidecars = all.filter((f) => f.endsWith('.sync.json'));
    assert.equal(sidecars.length, 1, `only the SEI publisher has samples: ${sidecars}`);
    const samples = JSON.parse(readFileSync(sidecars[0], 'utf8')).Samples;
    assert.ok(samples.length >= 5, `${samples.length} samples`);
    for (const s of samples) assert.ok(Math.abs(s.BoardMs - s.WallMs + 3000) < 500, JSON.stringify(s));

    // the data: each stream's place on the board clock
    const data = await (await fetch(`http://127.0.0.1:${d.port}/board/replay/data?${url.searchParams}`)).json();
    assert.equal(data.TaskId, TaskId);
    assert.deepEqual(data.Whiteboard, { Width: 640, Height: 480 });
    assert.equal(data.Spans.length, 1);
    // one playlist (audio and video merged) per user
    assert.deepEqual(data.Streams.map((s) => `${s.UserId}/${s.Media}`).sort(), ['student/main', 'teacher/main']);
    const byUser = Object.fromEntries(data.Streams.map((s) => [s.UserId, s]));
    assert.equal(byUser.teacher.SyncSource, 'receive');
    assert.equal(byUser.teacher.BoardStartMs, byUser.teacher.ReceiveStartMs);
    assert.equal(byUser.student.SyncSource, 'sei');
    const off = byUser.student.BoardStartMs - byUser.student.ReceiveStartMs;
    assert.ok(Math.abs(off + 3000) < 150, `SEI origin ${off} ms from the receive clock, expected about -3000`);
    assert.ok(byUser.teacher.DurationMs > 8000, JSON.stringify(byUser.teacher));
    assert.ok(Array.isArray(data.Log));

    // the files: the playlist and a segment with the token; refused without it or with another
    const pl = await fetch(`http://127.0.0.1:${d.port}${byUser.teacher.Url}`);
    assert.equal(pl.status, 200);
    const text = await pl.text();
    assert.match(text, /#EXT-X-TRTC-START-REC-TIME/);
    const seg = text.split('\n').find((l) => l.endsWith('.ts'));
    const segRes = await fetch(new URL(seg, `http://127.0.0.1:${d.port}${byUser.teacher.Url}`));
    assert.equal(segRes.status, 200);
    assert.ok((await segRes.arrayBuffer()).byteLength > 1000);
    const bad = new URLSearchParams(url.searchParams);
    bad.set('token', token.replace(/.$/, (ch) => (ch === '0' ? '1' : '0')));
    assert.equal((await fetch(`http://127.0.0.1:${d.port}/board/replay/data?${bad}`)).status, 403);
    assert.equal((await fetch(`http://127.0.0.1:${d.port}${byUser.teacher.Url.replace(token, bad.get('token'))}`)).status, 403);
    const expired = new URLSearchParams(url.searchParams);
    expired.set('token', `1000.${token.split('.')[1]}`);
    assert.equal((await fetch(`http://127.0.0.1:${d.port}/board/replay/data?${expired}`)).status, 403);

    // the page: its clock drives the videos, each at its own board origin; speed 2 runs twice as fast
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(rec.ReplayUrl);
      await page.waitForFunction(() => window.cloudrecReplay && (window.cloudrecReplay.ready || window.cloudrecReplay.error), null, { timeout: 60000 });
      assert.equal(await page.evaluate(() => window.cloudrecReplay.error), null);
      const at = data.Start + 6000;
      await page.evaluate((ms) => window.cloudrecReplay.seek(ms), at);
      await sleep(1000);
      const videos = await page.evaluate(() => window.cloudrecReplay.videos());
      const teacher = videos.find((v) => v.user === 'teacher');
      const student = videos.find((v) => v.user === 'student');
      assert.ok(Math.abs(teacher.currentTime * 1000 - (at - byUser.teacher.BoardStartMs)) < 300, JSON.stringify(teacher));
      assert.ok(Math.abs(student.currentTime * 1000 - (at - byUser.student.BoardStartMs)) < 300, JSON.stringify(student));
      await page.evaluate(() => { window.cloudrecReplay.seek(window.cloudrecReplay.data().Start); window.cloudrecReplay.setSpeed(2); window.cloudrecReplay.play(); });
      const b0 = await page.evaluate(() => window.cloudrecReplay.time());
      const w0 = Date.now();
      await sleep(2000);
      const b1 = await page.evaluate(() => window.cloudrecReplay.time());
      const rate = (b1 - b0) / (Date.now() - w0);
      assert.ok(rate > 1.6 && rate < 2.4, `board clock at ${rate}x wall time with speed 2`);
    } finally {
      await browser.close();
    }
  });
});
