// Web-page recording (StartWebRecord / StopWebRecord / DescribeWebRecord, docs/web-record.md):
// a page served here on loopback paints one colour a second and plays a 1 kHz tone; the files
// show the colours in order at the asked size, the tone is in the sound, the duration matches the
// span between Start and Stop. RecordId de-duplication, ReadyTimeout on a page that never
// finishes loading, MaxDurationLimit (lowered by web-record-min-duration), and kill -9 of the
// worker: no Xvfb, Chromium or PulseAudio of the task stays, the files play.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tmpdir } from 'node:os';
import { APP1, TASK_ID_RE, createTask, startDaemon, makeClient, until, expectCode, callbackServer, sleep } from './helpers.mjs';

const T = { timeout: 120000 };
const COLOURS = [[255, 0, 0], [0, 200, 0], [0, 0, 255], [255, 255, 0], [255, 0, 255], [0, 255, 255]];
const W = 640;
const H = 360;

const COLOUR_PAGE = `<!doctype html><html><head><style>html,body{margin:0;height:100%;overflow:hidden}</style></head>
<body><script>
const colours = ${JSON.stringify(COLOURS)};
const t0 = performance.now();
function paint() {
  const i = Math.floor((performance.now() - t0) / 1000) % colours.length;
  document.body.style.background = 'rgb(' + colours[i].join(',') + ')';
  requestAnimationFrame(paint);
}
paint();
const ctx = new AudioContext();
const osc = ctx.createOscillator();
const gain = ctx.createGain();
osc.frequency.value = 1000;
gain.gain.value = 0.5;
osc.connect(gain).connect(ctx.destination);
osc.start();
</script></body></html>`;

// Green on a phone (touch, a mobile user agent: EmulateMobileParams), red otherwise.
const MOBILE_PAGE = `<!doctype html><html><body style="margin:0;height:100vh"><script>
const phone = matchMedia('(pointer: coarse)').matches && /Mobile/.test(navigator.userAgent);
document.body.style.background = phone ? 'rgb(0,200,0)' : 'rgb(255,0,0)';
</script></body></html>`;

// A page whose load event never comes: an image that is never answered.
const HANGING_PAGE = '<!doctype html><html><body style="background:#808080"><img src="/never"></body></html>';

function pageServer() {
  const held = [];
  const server = http.createServer((req, res) => {
    if (req.url === '/colours') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(COLOUR_PAGE);
    } else if (req.url === '/mobile') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(MOBILE_PAGE);
    } else if (req.url === '/hang') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(HANGING_PAGE);
    } else if (req.url === '/never') {
      held.push(res); // never answered
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, held, url: (p) => `http://127.0.0.1:${server.address().port}${p}` })));
}

const storage = (prefix) => ({ CloudStorage: { Vendor: 0, Region: 'ap-guangzhou', Bucket: 'b-1250000000', AccessKey: 'ak', SecretKey: 'sk', FileNamePrefix: [prefix] } });

// Every process whose command line names the task's private directory (Xvfb, PulseAudio, Chromium).
function treeOf(TaskId) {
  const needle = `/cloudrec-web-${TaskId}-`;
  const found = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let cmd;
    try { cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { continue; }
    if (cmd.includes(needle)) found.push({ pid: Number(pid), cmd: cmd.slice(0, 120) });
  }
  return found;
}

function probe(file) {
  return JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,width,height:format=duration', '-of', 'json', file], { encoding: 'utf8' }));
}

// The picture's colour (the centre pixel's RGB) 5 times a second.
function colours(file, w = W, h = H) {
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-vf', `fps=5,crop=8:8:${w / 2 - 4}:${h / 2 - 4}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 26 });
  const out = [];
  for (let off = 0; off + 192 <= raw.length; off += 192) {
    const p = off + (4 * 8 + 4) * 3;
    out.push([raw[p], raw[p + 1], raw[p + 2]]);
  }
  return out;
}

const nearest = (rgb) => {
  let best = -1;
  let bestD = Infinity;
  COLOURS.forEach((c, i) => {
    const d = Math.hypot(c[0] - rgb[0], c[1] - rgb[1], c[2] - rgb[2]);
    if (d < bestD) { bestD = d; best = i; }
  });
  return bestD < 60 ? best : -1;
};

// Goertzel power of @freq in mono 16-bit samples.
function power(samples, rate, freq) {
  const k = 2 * Math.cos((2 * Math.PI * freq) / rate);
  let s1 = 0;
  let s2 = 0;
  for (const x of samples) {
    const s = x + k * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return (s1 * s1 + s2 * s2 - k * s1 * s2) / samples.length;
}

function audioSamples(file) {
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-vn', '-ac', '1', '-ar', '8000', '-f', 's16le', '-'], { maxBuffer: 1 << 26 });
  const n = raw.length >> 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = raw.readInt16LE(2 * i);
  return out;
}

describe('web-page recording', () => {
  let pages;
  let cb;
  let d;
  let c;
  const storageDir = () => path.join(d.dataDir, 'storage');
  const eventsOf = (TaskId) => cb.received.map((r) => r.json).filter((j) => j?.EventInfo?.TaskId === TaskId);
  before(async () => {
    pages = await pageServer();
    cb = await callbackServer();
    const app = { ...APP1, callbackKey: 'webKey', callbackUrl: `http://127.0.0.1:${cb.port}/cb` };
    d = await startDaemon({ apps: [app], defaults: ['--api-rate-limit', '100000', '--web-record-min-duration', '5', '--fetch-deny', ''] });
    c = makeClient(d.port, APP1);
  });
  after(async () => {
    if (process.env.CLOUDREC_WEB_LOG && d) writeFileSync(process.env.CLOUDREC_WEB_LOG, d.stderr);
    if (d) await d.stop();
    for (const r of pages?.held ?? []) r.destroy();
    pages?.server.close();
    cb?.server.close();
  });

  test('the page\'s colours in order at the asked size, its tone, the duration of Start..Stop; RecordId de-duplicates', T, async () => {
    const startAt = Date.now();
    const { TaskId } = await c.StartWebRecord({
      SdkAppId: APP1.sdkAppId, RecordUrl: pages.url('/colours'), RecordId: 'lesson-1', MaxDurationLimit: 600,
      StorageParams: storage('web'), WebRecordVideoParams: { Width: W, Height: H, Format: 'hls' },
    });
    assert.match(TaskId, TASK_ID_RE);
    // A second start with the live RecordId is refused; Describe finds the task by it.
    await expectCode(c.StartWebRecord({ SdkAppId: APP1.sdkAppId, RecordUrl: pages.url('/colours'), RecordId: 'lesson-1', MaxDurationLimit: 600, StorageParams: storage('web') }),
      'FailedOperation.TaskExist');
    const byRecord = await c.DescribeWebRecord({ SdkAppId: APP1.sdkAppId, RecordId: 'lesson-1' });
    assert.equal(byRecord.TaskId, TaskId);
    await until('Status 1 (recording)', async () => (await c.DescribeWebRecord({ TaskId })).Status === 1, 60000);
    const recordingAt = Date.now();
    assert.equal((await c.DescribeWebRecord({ TaskId })).RecordId, 'lesson-1');
    await sleep(8000);
    await c.StopWebRecord({ TaskId });
    const stopAt = Date.now();
    await until('the 302', () => eventsOf(TaskId).find((e) => e.EventType === 302), 60000);
    assert.equal((await c.DescribeWebRecord({ TaskId })).Status, 2);
    // A stopped task's RecordId is free again.
    await expectCode(c.DescribeWebRecord({ SdkAppId: APP1.sdkAppId, RecordId: 'lesson-1' }), 'ResourceNotFound');

    const start = eventsOf(TaskId).find((e) => e.EventType === 301);
    assert.deepEqual(start.EventInfo.Payload, { Status: 0 });
    assert.ok(!('RoomId' in start.EventInfo), `a web task's callback carries no RoomId: ${JSON.stringify(start.EventInfo)}`);

    const dir = path.join(storageDir(), 'web', TaskId);
    const m3u8 = path.join(dir, `${APP1.sdkAppId}_${TaskId}.m3u8`);
    assert.ok(existsSync(m3u8), `${m3u8} (files: ${existsSync(dir) ? readdirSync(dir) : 'none'})`);
    assert.match(readFileSync(m3u8, 'utf8'), /#EXT-X-ENDLIST/);
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) assert.match(f, new RegExp(`^${APP1.sdkAppId}_${TaskId}_\\d+\\.ts$`));

    const info = probe(m3u8);
    const video = info.streams.find((s) => s.codec_type === 'video');
    assert.deepEqual([video.width, video.height], [W, H]);
    assert.ok(info.streams.some((s) => s.codec_type === 'audio'), 'a sound track');
    const duration = Number(info.format.duration);
    const span = (stopAt - startAt) / 1000;
    console.log(`web recording: ${duration.toFixed(2)} s of files for ${span.toFixed(2)} s between Start and Stop (difference ${(span - duration).toFixed(2)} s)`);
    // The page starts (Chromium, its display and sound) after the Start: the files cover at least
    // the time from the first Describe that said "recording" to the Stop, at most the whole span.
    const recorded = (stopAt - recordingAt) / 1000;
    assert.ok(duration > recorded - 1 && duration < span + 1, `duration ${duration} s: recording for ${recorded} s, ${span} s between Start and Stop`);

    // Colours: the distinct runs follow the page's cycle.
    const seen = colours(m3u8).map(nearest).filter((i) => i >= 0);
    const runs = seen.filter((v, i) => i === 0 || v !== seen[i - 1]);
    assert.ok(runs.length >= 4, `at least 4 colours recorded: ${runs}`);
    for (let i = 1; i < runs.length; i++) assert.equal(runs[i], (runs[i - 1] + 1) % COLOURS.length, `colour runs in the page's order: ${runs}`);
    // Each colour of the middle lasts about a second (5 frames at 5 fps, allow jitter).
    const lengths = [];
    let n = 0;
    for (let i = 0; i < seen.length; i++) { n++; if (i === seen.length - 1 || seen[i + 1] !== seen[i]) { lengths.push(n); n = 0; } }
    for (const l of lengths.slice(1, -1)) assert.ok(l >= 3 && l <= 7, `a colour lasts about 1 s: ${lengths}`);

    // The tone: 1 kHz far above a frequency the page does not play.
    const samples = audioSamples(m3u8).slice(8000 * 2); // after the page's first seconds
    const tone = power(samples, 8000, 1000);
    const off = power(samples, 8000, 2300);
    assert.ok(tone > 100 * off && tone > 1e5, `1 kHz power ${tone.toExponential(2)} vs 2.3 kHz ${off.toExponential(2)}`);
  });

  test('API rules: MaxDurationLimit\'s floor, unknown tasks, a room\'s task is not a web task', T, async () => {
    await expectCode(c.StartWebRecord({ SdkAppId: APP1.sdkAppId, RecordUrl: pages.url('/colours'), MaxDurationLimit: 4, StorageParams: storage('web') }),
      'InvalidParameter', /MaxDurationLimit must be in \[5, 86400\]/);
    await expectCode(c.StartWebRecord({ SdkAppId: APP1.sdkAppId, RecordUrl: 'file:///etc/passwd', StorageParams: storage('web') }), 'InvalidParameter');
    await expectCode(c.StopWebRecord({ TaskId: 'no-such-task' }), 'ResourceNotFound');
    await expectCode(c.DescribeWebRecord({ TaskId: 'no-such-task' }), 'ResourceNotFound');
    await expectCode(c.DescribeWebRecord({ SdkAppId: APP1.sdkAppId, RecordId: 'never-started' }), 'ResourceNotFound');
    await expectCode(c.DescribeWebRecord({ SdkAppId: APP1.sdkAppId + 1, RecordId: 'x' }), 'AuthFailure.UnauthorizedOperation');
    const room = await createTask(c);
    await expectCode(c.StopWebRecord({ TaskId: room }), 'ResourceNotFound', /not a web recording/);
    await expectCode(c.DescribeWebRecord({ TaskId: room }), 'ResourceNotFound', /not a web recording/);
    await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: room });
  });

  test('a missing package or user is a FailedOperation naming it at StartWebRecord', T, async () => {
    const body = { SdkAppId: APP1.sdkAppId, RecordUrl: pages.url('/colours'), StorageParams: storage('web') };
    const noPath = await startDaemon({ defaults: ['--api-rate-limit', '100000'], env: { PATH: '/nonexistent' } });
    try {
      await expectCode(makeClient(noPath.port, APP1).StartWebRecord(body), 'FailedOperation', /Xvfb.*package xvfb/);
    } finally {
      await noPath.stop();
    }
    const noUser = await startDaemon({ defaults: ['--api-rate-limit', '100000', '--web-record-user', 'no-such-user-cr'] });
    try {
      await expectCode(makeClient(noUser.port, APP1).StartWebRecord(body), 'FailedOperation', /no-such-user-cr.*does not exist/);
    } finally {
      await noUser.stop();
    }
  });

  test('ReadyTimeout: a page that never finishes loading ends the task (301 Status 1); so does one that cannot be opened', T, async () => {
    const { TaskId } = await c.StartWebRecord({
      SdkAppId: APP1.sdkAppId, RecordUrl: pages.url('/hang'), ReadyTimeout: 3, MaxDurationLimit: 600,
      StorageParams: storage('web'), WebRecordVideoParams: { Width: 320, Height: 240 },
    });
    const failed = await until('the 301 Status 1', () => eventsOf(TaskId).find((e) => e.EventType === 301), 60000);
    assert.equal(failed.EventInfo.Payload.Status, 1);
    assert.match(d.stderr, /did not finish loading within ReadyTimeout \(3 s\)/);
    assert.equal((await c.DescribeWebRecord({ TaskId })).Status, 2);
    await until('no process of the task left', () => treeOf(TaskId).length === 0, 20000);
    // A page that cannot be opened at all (nothing listens) cannot start either.
    const closed = http.createServer();
    await new Promise((r) => closed.listen(0, '127.0.0.1', r));
    const deadUrl = `http://127.0.0.1:${closed.address().port}/`;
    closed.close();
    const dead = await c.StartWebRecord({ SdkAppId: APP1.sdkAppId, RecordUrl: deadUrl, MaxDurationLimit: 600, StorageParams: storage('web'), WebRecordVideoParams: { Width: 320, Height: 240 } });
    const refused = await until('the 301 Status 1 of a refused page', () => eventsOf(dead.TaskId).find((e) => e.EventType === 301), 60000);
    assert.equal(refused.EventInfo.Payload.Status, 1);
    assert.match(d.stderr, /the page cannot be opened: net::ERR_CONNECTION_REFUSED/);
  });

  test('MaxDurationLimit ends the recording (MP4); EmulateMobileParams shows the page as a phone', T, async () => {
    const { TaskId } = await c.StartWebRecord({
      SdkAppId: APP1.sdkAppId, RecordUrl: pages.url('/mobile'), MaxDurationLimit: 12,
      StorageParams: storage('web'), WebRecordVideoParams: { Width: 320, Height: 240, Format: 'mp4' },
      EmulateMobileParams: { MobileDeviceType: 0, ScreenOrientation: 0 },
    });
    const stop = await until('the 302 without a Stop', () => eventsOf(TaskId).find((e) => e.EventType === 302), 60000);
    assert.equal(stop.EventInfo.Payload.LeaveCode, 0);
    assert.match(d.stderr, new RegExp(`task ${TaskId}: MaxDurationLimit \\(12 s\\) reached`));
    const mp4 = path.join(storageDir(), 'web', TaskId, `${APP1.sdkAppId}_${TaskId}.mp4`);
    await until('the MP4', () => existsSync(mp4), 30000);
    const duration = Number(probe(mp4).format.duration);
    // The limit counts from the Start (a loaded machine takes seconds to show the page).
    assert.ok(duration > 1 && duration <= 12.5, `MP4 of ${duration} s within the 12 s limit`);
    const seen = colours(mp4, 320, 240).map(nearest);
    assert.equal(seen.at(-1), 1, `the page saw a phone (green), not a desktop (red): ${seen}`);
    await until('no process of the task left', () => treeOf(TaskId).length === 0, 20000);
  });

  test('kill -9 of the worker leaves no Xvfb, Chromium or PulseAudio, and playable files', T, async () => {
    const { TaskId } = await c.StartWebRecord({
      SdkAppId: APP1.sdkAppId, RecordUrl: pages.url('/colours'), MaxDurationLimit: 600,
      StorageParams: storage('webkill'), WebRecordVideoParams: { Width: 320, Height: 240 },
    });
    const dir = path.join(storageDir(), 'webkill', TaskId);
    const first = path.join(dir, `${APP1.sdkAppId}_${TaskId}.m3u8`);
    await until('the first segment listed', () => existsSync(first), 60000);
    const tree = treeOf(TaskId);
    for (const name of ['Xvfb', 'pulseaudio', 'chromium']) assert.ok(tree.some((p) => p.cmd.includes(name)), `${name} runs: ${JSON.stringify(tree)}`);
    const pid = Number(new RegExp(`worker of task ${TaskId} started \\(pid (\\d+)\\)`).exec(d.stderr)[1]);
    // The daemon is held (SIGSTOP) so that no failover worker clears anything: the killed
    // worker's own guard must remove its tree and its directory.
    const privateDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith(`cloudrec-web-${TaskId}-`));
    assert.equal(privateDirs().length, 1);
    d.proc.kill('SIGSTOP');
    try {
      process.kill(pid, 'SIGKILL');
      await until('every process of the killed worker gone', () => treeOf(TaskId).length === 0, 20000);
      await until('its private directory removed', () => privateDirs().length === 0, 20000);
    } finally {
      d.proc.kill('SIGCONT');
    }
    // The failover worker takes over in "ha1_" files.
    await until('the 306', () => eventsOf(TaskId).find((e) => e.EventType === 306), 60000);
    await until('Status 1 again', async () => (await c.DescribeWebRecord({ TaskId })).Status === 1, 60000);
    await sleep(2000);
    await c.StopWebRecord({ TaskId });
    await until('the 302', () => eventsOf(TaskId).find((e) => e.EventType === 302), 60000);
    await until('no process of the task left', () => treeOf(TaskId).length === 0, 20000);
    // The killed worker's playlist (no #EXT-X-ENDLIST: it was killed) lists whole segments that decode.
    // (ffprobe would wait on such a "live" playlist for more: its segments are read one by one.)
    const text = readFileSync(first, 'utf8');
    const listed = [...text.matchAll(/#EXTINF:([\d.]+)/g)].reduce((a, m) => a + Number(m[1]), 0);
    let packets = 0;
    for (const seg of text.split('\n').filter((l) => l.endsWith('.ts'))) {
      packets += Number(execFileSync('ffprobe', ['-v', 'error', '-count_packets', '-select_streams', 'v', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', path.join(dir, seg)], { encoding: 'utf8' }).trim().split('\n')[0]);
    }
    assert.ok(listed > 5 && packets >= listed * 15 * 0.8, `the killed worker's playlist plays: ${listed} s listed, ${packets} pictures`);
    const again = path.join(dir, `ha1_${APP1.sdkAppId}_${TaskId}.m3u8`);
    assert.ok(existsSync(again), `${again} (files: ${readdirSync(dir)})`);
    assert.ok(probe(again).streams.some((s) => s.codec_type === 'video'));
  });
});
