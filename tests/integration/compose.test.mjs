// `cloudrec compose` and its API (issue 14): a short single-stream recording of two plain-colour
// publishers is composed into a new mixed MP4 with a custom layout; decoded frames are checked at
// the tiles' centres and edges and on the background, the duration against the recording's span,
// and the speed is reported. Then the same through the signed API: CloudrecCreateCompose's errors,
// a job from Running to Done with its progress, its file in the task's storage, and its signed
// callback. Pictures by URL (background, a placeholder's sub-background, an image watermark) come
// from a loopback image host, fetched once; one that cannot be had is a warning. A task stored in
// an S3-compatible server (moto_server, signatures checked) is composed from its bucket, with the
// keys it was created with, and the MP4 stored there.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { APP1, BIN, startDaemon, makeClient, makeTmpDir, userSig, sleep, until, expectCode, callbackServer } from './helpers.mjs';
import { publishPlain, frameAt, assertRect, assertColour, png } from './mixvideo.mjs';
import { startMoto, motoAvailable } from './s3.mjs';

const T = { timeout: 90000 };
const W = 320;
const H = 180;
const RED = [255, 0, 0];
const BLUE = [0, 0, 255];
const BG = [0, 160, 0];
const CALLBACK_KEY = 'composeKey';
const BUCKET = 'compose-rec';
const noMoto = !motoAvailable() && 'moto_server is not installed';

// Two tiles at given rectangles on a green background: alice on the left, bob at the bottom right.
const TILES = { alice: { x: 16, y: 16, w: 128, h: 96 }, bob: { x: 176, y: 72, w: 128, h: 96 } };
const PARAMS = {
  MixTranscodeParams: { VideoParams: { Width: W, Height: H, Fps: 10, BitRate: 300000, Gop: 2 }, AudioParams: { SampleRate: 1, Channel: 1, BitRate: 32000 } },
  MixLayoutParams: {
    MixLayoutMode: 4, BackGroundColor: '#00a000',
    MixLayoutList: Object.entries(TILES).map(([u, r]) => ({ UserId: u, Top: r.y, Left: r.x, Width: r.w, Height: r.h, RenderMode: 0 })),
  },
};

// `cloudrec ARGS` without blocking the event loop (the image host is in this process).
function run(args) {
  return new Promise((resolve) => {
    const p = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d) => { stderr += d; });
    p.stdout.resume();
    p.on('close', (status) => resolve({ status, stderr }));
  });
}

// The image host: every request counted by path.
function imageServer() {
  const images = {
    '/bg.png': png(160, 90, () => [0, 128, 255, 255]),
    '/sub.png': png(32, 32, () => [255, 0, 255, 255]),
    '/mark.png': png(40, 40, (x) => (x < 20 ? [255, 255, 0, 255] : [255, 255, 0, 0])),
  };
  const hits = {};
  const server = http.createServer((req, res) => {
    const p = new URL(req.url, 'http://x').pathname;
    hits[p] = (hits[p] ?? 0) + 1;
    const body = images[p];
    res.writeHead(body ? 200 : 404, { 'Content-Type': 'image/png' });
    res.end(body ?? '');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, hits, base: `http://127.0.0.1:${server.address().port}` })));
}

function probe(file) {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height:format=duration', '-of', 'json', file], { encoding: 'utf8' });
  return JSON.parse(out);
}

// The recording's span: the earliest FILE-ATTR start to the latest segment end of its playlists.
/** [first, last] Unix ms of the recording in @dir (its playlists' FILE-ATTR times and durations). */
function bounds(dir) {
  let from = Infinity;
  let to = 0;
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.m3u8'))) {
    for (const [, start, dur] of readFileSync(path.join(dir, f), 'utf8').matchAll(/#EXT-X-TRTC-FILE-ATTR:(\d+),\d+\n#EXTINF:([\d.]+),/g)) {
      from = Math.min(from, Number(start));
      to = Math.max(to, Number(start) + Math.round(Number(dur) * 1000));
    }
  }
  return [from, to];
}

function span(dir) {
  const [from, to] = bounds(dir);
  return (to - from) / 1000;
}

describe('compose', () => {
  let d;
  let c;
  let cb;
  let taskId;
  let dir;
  let img;
  let s3; // moto_server for Vendor 1 (or null)
  let s3TaskId;
  before(async () => {
    cb = await callbackServer();
    img = await imageServer();
    s3 = noMoto ? null : await startMoto([BUCKET]);
    const app = { ...APP1, callbackKey: CALLBACK_KEY, callbackUrl: `http://127.0.0.1:${cb.port}/cb` };
    d = await startDaemon({ apps: [app], defaults: ['--api-rate-limit', '100000'], args: s3 ? ['--storage-endpoint', `1=${s3.endpoint}`] : [] });
    c = makeClient(d.port, APP1);
    // A short single-stream recording: alice red, bob blue, both with a tone.
    const room = 9801;
    const procs = [publishPlain(d.port, room, 'alice', RED, { size: '160x90', fps: 10, tone: 440 }),
      publishPlain(d.port, room, 'bob', BLUE, { size: '160x90', fps: 10, tone: 880 })];
    try {
      const { TaskId } = await c.CreateCloudRecording({
        SdkAppId: APP1.sdkAppId, RoomId: String(room), UserId: 'rec_9801', UserSig: userSig(APP1, 'rec_9801'),
        RecordParams: { RecordMode: 1, MaxIdleTime: 30, StreamType: 0, OutputFormat: 0 },
        StorageParams: { CloudStorage: { Vendor: 0, Region: 'ap-guangzhou', Bucket: 'b-1250000000', AccessKey: 'ak', SecretKey: 'sk', FileNamePrefix: ['rec'] } },
      });
      taskId = TaskId;
      // The same room recorded at once into the bucket (no FileNamePrefix: checked moto refuses
      // a listing whose prefix has a '/', see s3.mjs).
      if (s3) {
        s3TaskId = (await c.CreateCloudRecording({
          SdkAppId: APP1.sdkAppId, RoomId: String(room), UserId: 'rec_s3_9801', UserSig: userSig(APP1, 'rec_s3_9801'),
          RecordParams: { RecordMode: 1, MaxIdleTime: 30, StreamType: 0, OutputFormat: 0 },
          StorageParams: { CloudStorage: { Vendor: 1, Region: 'us-east-1', Bucket: BUCKET, AccessKey: s3.accessKey, SecretKey: s3.secretKey } },
        })).TaskId;
      }
      await until('four playlists', async () => (await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId })).StorageFileList.length === 4, 60000);
      await sleep(5000);
      await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
      if (s3TaskId) await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: s3TaskId });
    } finally {
      for (const p of procs) p.kill('SIGKILL');
    }
    dir = path.join(d.dataDir, 'storage', 'rec', taskId);
    await until('the task finished', async () => (await c.request('CloudrecDescribeTask', { SdkAppId: APP1.sdkAppId, TaskId: taskId })).Finished, 40000);
  });
  after(async () => {
    await d?.stop();
    s3?.kill();
    cb?.server.close();
    img?.server.close();
  });

  function checkComposed(file, seconds) {
    const p = probe(file);
    const v = p.streams.find((s) => s.codec_name === 'h264');
    assert.ok(v, `${file} has H.264: ${JSON.stringify(p)}`);
    assert.deepEqual([v.width, v.height], [W, H]);
    assert.ok(p.streams.some((s) => s.codec_name === 'aac'), 'and AAC');
    const duration = Number(p.format.duration);
    assert.ok(Math.abs(duration - seconds) <= 0.1, `duration ${duration} s, the recording spans ${seconds} s`);
    const frame = frameAt(file, Math.min(3, seconds / 2), W, H);
    assertRect(frame, TILES.alice, RED, 'alice\'s tile');
    assertRect(frame, TILES.bob, BLUE, 'bob\'s tile');
    for (const [x, y] of [[4, 4], [W - 5, 4], [4, H - 5], [160, 40], [80, 150], [TILES.alice.x - 4, 60], [TILES.bob.x + 64, TILES.bob.y - 4]]) {
      assertColour(frame, x, y, BG, 'the background');
    }
  }

  test('the CLI composes a custom layout faster than real time', T, async () => {
    const out = path.join(makeTmpDir(), 'composed.mp4');
    const started = process.hrtime.bigint();
    const r = spawnSync(BIN, ['compose', '--in', dir, '--out', out, '--params', JSON.stringify(PARAMS)], { encoding: 'utf8', timeout: 60000 });
    const took = Number(process.hrtime.bigint() - started) / 1e9;
    assert.equal(r.status, 0, r.stderr);
    const seconds = span(dir);
    checkComposed(out, seconds);
    console.log(`compose: ${seconds.toFixed(2)} s of recording in ${took.toFixed(2)} s: ${(seconds / took).toFixed(1)}x real time`);
  });

  test('a window of the recording (--from-ms, --to-ms): only that part, the users where they were', T, async () => {
    const [first, last] = bounds(dir);
    const out = path.join(makeTmpDir(), 'window.mp4');
    const from = first + 1500, to = Math.min(last - 500, first + 4500);
    const r = spawnSync(BIN, ['compose', '--in', dir, '--out', out, '--params', JSON.stringify(PARAMS), '--from-ms', String(from), '--to-ms', String(to)],
      { encoding: 'utf8', timeout: 60000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`: ${((to - from) / 1000).toFixed(3)} s of 2 stream`));
    checkComposed(out, (to - from) / 1000);
    const early = spawnSync(BIN, ['compose', '--in', dir, '--out', out, '--params', JSON.stringify(PARAMS), '--to-ms', String(first - 1000)], { encoding: 'utf8' });
    assert.equal(early.status, 1);
    assert.match(early.stderr, /nothing was recorded between 0 and \d+/);
    const backwards = spawnSync(BIN, ['compose', '--in', dir, '--out', out, '--from-ms', String(to), '--to-ms', String(from)], { encoding: 'utf8' });
    assert.equal(backwards.status, 2);
    assert.match(backwards.stderr, /--to-ms after --from-ms/);
  });

  test('pictures by URL: background, a placeholder\'s sub-background, an image watermark; a missing one is a warning', T, async () => {
    const tmp = makeTmpDir();
    const out = path.join(tmp, 'pictures.mp4');
    const cache = path.join(tmp, 'images');
    const NOBODY = { x: 250, y: 8, w: 60, h: 56 };
    const params = {
      MixTranscodeParams: PARAMS.MixTranscodeParams,
      MixLayoutParams: {
        ...PARAMS.MixLayoutParams,
        BackgroundImageUrl: `${img.base}/bg.png`,
        MixLayoutList: [...PARAMS.MixLayoutParams.MixLayoutList,
          { UserId: 'nobody', Top: NOBODY.y, Left: NOBODY.x, Width: NOBODY.w, Height: NOBODY.h, SubBackgroundImage: `${img.base}/sub.png` }],
        WaterMarkList: [
          { WaterMarkType: 0, WaterMarkImage: { WaterMarkUrl: `${img.base}/mark.png`, Top: 124, Left: 16, Width: 40, Height: 40 } },
          { WaterMarkType: 0, WaterMarkImage: { WaterMarkUrl: `${img.base}/missing.png`, Top: 124, Left: 100, Width: 40, Height: 40 } },
        ],
      },
    };
    const r = await run(['compose', '--in', dir, '--out', out, '--image-cache', cache, '--params', JSON.stringify(params)]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`warning: image ${img.base}/missing.png left out: HTTP 404`));
    const frame = frameAt(out, Math.min(3, span(dir) / 2), W, H);
    const SKY = [0, 128, 255];
    for (const [x, y] of [[4, 4], [W - 5, H - 5], [160, 40], [80, 150]]) assertColour(frame, x, y, SKY, 'the background image');
    assertRect(frame, TILES.alice, RED, 'alice\'s tile over the background image');
    assertRect(frame, TILES.bob, BLUE, 'bob\'s tile');
    assertRect(frame, NOBODY, [255, 0, 255], 'the absent user\'s tile shows its SubBackgroundImage');
    assertRect(frame, { x: 16, y: 124, w: 20, h: 40 }, [255, 255, 0], 'the image watermark, opaque half');
    assertColour(frame, 50, 144, SKY, 'the image watermark, transparent half');
    assertColour(frame, 120, 144, SKY, 'the missing watermark is left out');
    // Each URL fetched once (every interval of the timeline shows it), cached by its SHA-256.
    assert.deepEqual([img.hits['/bg.png'], img.hits['/sub.png'], img.hits['/mark.png']], [1, 1, 1]);
    const sha = (u) => createHash('sha256').update(u).digest('hex');
    assert.ok(existsSync(path.join(cache, sha(`${img.base}/bg.png`))), 'the background image is in the cache');
  });

  test('the timestamp watermark shows the recording\'s time in its TimeZone, not the time of composing', T, async () => {
    const tmp = makeTmpDir();
    const compose = (name, zone) => {
      const out = path.join(tmp, name);
      const params = { ...PARAMS, MixLayoutParams: { ...PARAMS.MixLayoutParams, WaterMarkList: [{ WaterMarkType: 2, WaterMarkTimestamp: { Pos: 0, TimeZone: zone } }] } };
      const r = spawnSync(BIN, ['compose', '--in', dir, '--out', out, '--params', JSON.stringify(params)], { encoding: 'utf8', timeout: 60000 });
      assert.equal(r.status, 0, r.stderr);
      return out;
    };
    // The pixels of the top-left corner (where Pos 0 draws the time) that differ between two frames.
    const differing = (a, b) => {
      let n = 0;
      for (let y = 0; y < 60; y++) {
        for (let x = 0; x < W / 2; x++) {
          const i = (y * W + x) * 3;
          if (Math.abs(a.raw[i] - b.raw[i]) + Math.abs(a.raw[i + 1] - b.raw[i + 1]) + Math.abs(a.raw[i + 2] - b.raw[i + 2]) > 60) n++;
        }
      }
      return n;
    };
    const first = compose('tz6.mp4', 6);
    await sleep(1200); // composed again in another second of the wall clock
    const again = compose('tz6-again.mp4', 6);
    const utc = compose('tz-6.mp4', -6); // 12 hours apart: the hour's units digit differs
    const at = (file, t) => frameAt(file, t, W, H);
    const a1 = at(first, 0.5);
    // 11.1 s apart: the seconds' units and tens digits both change.
    const later = Math.min(11.6, span(dir) - 1);
    const a2 = at(first, later);
    assert.ok(differing(a1, a2) >= 8, `the time drawn changes with the recording's seconds (${differing(a1, a2)} pixels differ)`);
    const same = differing(a2, at(again, later));
    assert.ok(same <= 5, `composed again later, the same frame shows the same time (${same} pixels differ)`);
    const zone = differing(a2, at(utc, later));
    assert.ok(zone >= 8, `TimeZone -6 shows another hour than TimeZone 6 (${zone} pixels differ)`);
    console.log(`timestamp: ${differing(a1, a2)} pixels differ 11.1 s apart, ${same} composed again later, ${zone} in another TimeZone`);
  });

  test('the CLI refuses bad params and a directory without recordings, clearly', T, async () => {
    const bad = spawnSync(BIN, ['compose', '--in', dir, '--out', '/tmp/x.mp4', '--params', '{"MixLayoutParams":{"MixLayoutMode":9}}'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /MixLayoutParams\.MixLayoutMode/);
    const unknown = spawnSync(BIN, ['compose', '--in', dir, '--out', '/tmp/x.mp4', '--params', '{"RecordParams":{}}'], { encoding: 'utf8' });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /not RecordParams/);
    const empty = spawnSync(BIN, ['compose', '--in', makeTmpDir(), '--out', '/tmp/x.mp4'], { encoding: 'utf8' });
    assert.equal(empty.status, 1);
    assert.match(empty.stderr, /no single-stream recording/);
  });

  test('API: CloudrecCreateCompose refuses bad params and unknown tasks with TRTC errors', T, async () => {
    const ask = (extra) => c.request('CloudrecCreateCompose', { SdkAppId: APP1.sdkAppId, TaskId: taskId, ...extra });
    await expectCode(ask({ MixLayoutParams: { MixLayoutMode: 9 } }), 'InvalidParameter.OutOfRange', /MixLayoutParams\.MixLayoutMode/);
    await expectCode(ask({ MixTranscodeParams: { VideoParams: { Width: 'wide' } } }), 'InvalidParameter', /MixTranscodeParams\.VideoParams\.Width/);
    // A tile outside the canvas, as Create refuses it.
    await expectCode(ask({ ...PARAMS, MixLayoutParams: { MixLayoutMode: 4, MixLayoutList: [{ UserId: 'alice', Top: 0, Left: 300, Width: 100, Height: 100 }] } }),
      'InvalidParameter.OutOfRange', /MixLayoutList/);
    await expectCode(c.request('CloudrecCreateCompose', { SdkAppId: APP1.sdkAppId, TaskId: 'no-such-task', ...PARAMS }), 'ResourceNotFound', /no-such-task/);
    await expectCode(c.request('CloudrecDescribeCompose', { SdkAppId: APP1.sdkAppId, ComposeId: 'compose-nope' }), 'ResourceNotFound', /compose-nope/);
  });

  test('API: a compose job runs to Done, stores its MP4 with the task and calls back, signed', T, async () => {
    // A watermark whose picture cannot be had: left out, told in Warnings.
    const missing = `${img.base}/gone.png`;
    const params = { ...PARAMS, MixLayoutParams: { ...PARAMS.MixLayoutParams, WaterMarkList: [{ WaterMarkType: 0, WaterMarkImage: { WaterMarkUrl: missing, Top: 124, Left: 100, Width: 40, Height: 40 } }] } };
    const started = await c.request('CloudrecCreateCompose', { SdkAppId: APP1.sdkAppId, TaskId: taskId, ...params });
    assert.match(started.ComposeId, /^compose-[0-9a-f]{12}$/);
    assert.match(started.FileName, /^1400000001_9801_compose_\d{17}\.mp4$/);
    const progress = [];
    const done = await until('the job is Done', async () => {
      const r = await c.request('CloudrecDescribeCompose', { SdkAppId: APP1.sdkAppId, ComposeId: started.ComposeId });
      progress.push(r.Progress);
      assert.notEqual(r.Status, 'Failed', r.Error);
      assert.ok(r.Progress >= 0 && r.Progress <= 100);
      return r.Status === 'Done' ? r : null;
    }, 60000);
    assert.equal(done.Progress, 100);
    assert.equal(done.FileName, started.FileName);
    assert.equal(done.TaskId, taskId);
    assert.deepEqual(done.Warnings, [`image ${missing} left out: HTTP 404`]);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i] >= progress[i - 1], `progress never goes back: ${progress}`);
    const file = path.join(dir, done.FileName);
    assert.ok(existsSync(file), `${file} stored with the task's files`);
    checkComposed(file, span(dir));
    const cbk = await until('callback 350', () => cb.received.find((r) => r.json?.EventType === 350), 20000);
    assert.equal(cbk.headers.sign, createHmac('sha256', CALLBACK_KEY).update(cbk.raw).digest('base64'), 'signed like every callback');
    assert.equal(cbk.json.EventInfo.TaskId, taskId);
    assert.deepEqual(cbk.json.EventInfo.Payload, { ComposeId: started.ComposeId, Status: 'Done', FileName: started.FileName, ObjectKey: `rec/${taskId}/${started.FileName}`, Url: '', Error: '', Warnings: done.Warnings });
    assert.equal(done.ObjectKey, `rec/${taskId}/${started.FileName}`);
    // Another app cannot see the job.
    await expectCode(c.request('CloudrecDescribeCompose', { SdkAppId: APP1.sdkAppId + 1, ComposeId: started.ComposeId }), 'InvalidParameter.SdkAppId');
  });

  test('S3: a task stored in a bucket is composed from it with the task\'s keys, the MP4 stored there; the CLI reads and writes s3://', { ...T, timeout: 180000, skip: noMoto }, async () => {
    // Every file of the task stored (305) before composing.
    await until('the S3 task\'s uploads done (305)', () => cb.received.find((r) => r.json?.EventType === 305 && r.json.EventInfo.TaskId === s3TaskId), 90000);
    const objects = await s3.list(BUCKET, `${s3TaskId}/`);
    assert.ok(objects.some((o) => o.Key.endsWith('.ts')), 'the recording is in the bucket');
    assert.ok(!existsSync(path.join(d.dataDir, 'storage', s3TaskId)), 'and not in the local store');
    // The recording's span, from its stored playlists.
    const lists = makeTmpDir();
    for (const o of objects.filter((x) => x.Key.endsWith('.m3u8'))) writeFileSync(path.join(lists, path.basename(o.Key)), await s3.get(BUCKET, o.Key));
    const seconds = span(lists);

    const started = await c.request('CloudrecCreateCompose', { SdkAppId: APP1.sdkAppId, TaskId: s3TaskId, ...PARAMS });
    const key = `${s3TaskId}/${started.FileName}`;
    assert.equal(started.ObjectKey, key);
    assert.equal(started.Url, `${s3.endpoint}/${BUCKET}/${key}`);
    const done = await until('the S3 job is Done', async () => {
      const r = await c.request('CloudrecDescribeCompose', { SdkAppId: APP1.sdkAppId, ComposeId: started.ComposeId });
      assert.notEqual(r.Status, 'Failed', r.Error);
      return r.Status === 'Done' ? r : null;
    }, 90000);
    assert.deepEqual([done.ObjectKey, done.Url], [key, started.Url]);
    const file = path.join(makeTmpDir(), 'from-s3.mp4');
    writeFileSync(file, await s3.get(BUCKET, key));
    checkComposed(file, seconds);
    const cbk = await until('callback 350 of the S3 job', () => cb.received.find((r) => r.json?.EventType === 350 && r.json.EventInfo.Payload.ComposeId === started.ComposeId), 20000);
    assert.equal(cbk.json.EventInfo.TaskId, s3TaskId);
    assert.deepEqual([cbk.json.EventInfo.Payload.Status, cbk.json.EventInfo.Payload.ObjectKey, cbk.json.EventInfo.Payload.Url], ['Done', key, started.Url]);
    assert.ok(!existsSync(path.join(d.dataDir, 'storage', s3TaskId)), 'nothing was written to the local store');

    // The command itself: s3:// in and out, the keys from the environment.
    const env = { ...process.env, AWS_ACCESS_KEY_ID: s3.accessKey, AWS_SECRET_ACCESS_KEY: s3.secretKey };
    const args = ['compose', '--in', `s3://${BUCKET}/${s3TaskId}`, '--out', `s3://${BUCKET}/cli/out.mp4`, '--s3-endpoint', s3.endpoint, '--params', JSON.stringify(PARAMS)];
    const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 90000, env });
    assert.equal(r.status, 0, r.stderr);
    const cli = path.join(makeTmpDir(), 'cli.mp4');
    writeFileSync(cli, await s3.get(BUCKET, 'cli/out.mp4'));
    checkComposed(cli, seconds);
    const nokey = spawnSync(BIN, args, { encoding: 'utf8', env: { ...env, AWS_ACCESS_KEY_ID: '' } });
    assert.equal(nokey.status, 2);
    assert.match(nokey.stderr, /AWS_ACCESS_KEY_ID/);
    const wrong = spawnSync(BIN, args, { encoding: 'utf8', timeout: 60000, env: { ...env, AWS_SECRET_ACCESS_KEY: 'wrong' } });
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /SignatureDoesNotMatch|AccessDenied|InvalidAccessKeyId/);
  });
});
