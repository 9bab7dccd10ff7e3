// `cloudrec compose` and its API (issue 14): a short single-stream recording of two plain-colour
// publishers is composed into a new mixed MP4 with a custom layout; decoded frames are checked at
// the tiles' centres and edges and on the background, the duration against the recording's span,
// and the speed is reported. Then the same through the signed API: CloudrecCreateCompose's errors,
// a job from Running to Done with its progress, its file in the task's storage, and its signed
// callback.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { APP1, BIN, startDaemon, makeClient, makeTmpDir, userSig, sleep, until, expectCode, callbackServer } from './helpers.mjs';
import { publishPlain, frameAt, assertRect, assertColour } from './mixvideo.mjs';

const T = { timeout: 90000 };
const W = 320;
const H = 180;
const RED = [255, 0, 0];
const BLUE = [0, 0, 255];
const BG = [0, 160, 0];
const CALLBACK_KEY = 'composeKey';

// Two tiles at given rectangles on a green background: alice on the left, bob at the bottom right.
const TILES = { alice: { x: 16, y: 16, w: 128, h: 96 }, bob: { x: 176, y: 72, w: 128, h: 96 } };
const PARAMS = {
  MixTranscodeParams: { VideoParams: { Width: W, Height: H, Fps: 10, BitRate: 300000, Gop: 2 }, AudioParams: { SampleRate: 1, Channel: 1, BitRate: 32000 } },
  MixLayoutParams: {
    MixLayoutMode: 4, BackGroundColor: '#00a000',
    MixLayoutList: Object.entries(TILES).map(([u, r]) => ({ UserId: u, Top: r.y, Left: r.x, Width: r.w, Height: r.h, RenderMode: 0 })),
  },
};

function probe(file) {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height:format=duration', '-of', 'json', file], { encoding: 'utf8' });
  return JSON.parse(out);
}

// The recording's span: the earliest FILE-ATTR start to the latest segment end of its playlists.
function span(dir) {
  let from = Infinity;
  let to = 0;
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.m3u8'))) {
    for (const [, start, dur] of readFileSync(path.join(dir, f), 'utf8').matchAll(/#EXT-X-TRTC-FILE-ATTR:(\d+),\d+\n#EXTINF:([\d.]+),/g)) {
      from = Math.min(from, Number(start));
      to = Math.max(to, Number(start) + Math.round(Number(dur) * 1000));
    }
  }
  return (to - from) / 1000;
}

describe('compose', () => {
  let d;
  let c;
  let cb;
  let taskId;
  let dir;
  before(async () => {
    cb = await callbackServer();
    const app = { ...APP1, callbackKey: CALLBACK_KEY, callbackUrl: `http://127.0.0.1:${cb.port}/cb` };
    d = await startDaemon({ apps: [app], defaults: ['--api-rate-limit', '100000'] });
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
      await until('four playlists', async () => (await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId })).StorageFileList.length === 4, 60000);
      await sleep(5000);
      await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
    } finally {
      for (const p of procs) p.kill('SIGKILL');
    }
    dir = path.join(d.dataDir, 'storage', 'rec', taskId);
    await until('the task finished', async () => (await c.request('CloudrecDescribeTask', { SdkAppId: APP1.sdkAppId, TaskId: taskId })).Finished, 40000);
  });
  after(async () => {
    await d?.stop();
    cb?.server.close();
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
    const started = await c.request('CloudrecCreateCompose', { SdkAppId: APP1.sdkAppId, TaskId: taskId, ...PARAMS });
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
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i] >= progress[i - 1], `progress never goes back: ${progress}`);
    const file = path.join(dir, done.FileName);
    assert.ok(existsSync(file), `${file} stored with the task's files`);
    checkComposed(file, span(dir));
    const cbk = await until('callback 350', () => cb.received.find((r) => r.json?.EventType === 350), 20000);
    assert.equal(cbk.headers.sign, createHmac('sha256', CALLBACK_KEY).update(cbk.raw).digest('base64'), 'signed like every callback');
    assert.equal(cbk.json.EventInfo.TaskId, taskId);
    assert.deepEqual(cbk.json.EventInfo.Payload, { ComposeId: started.ComposeId, Status: 'Done', FileName: started.FileName, Error: '' });
    // Another app cannot see the job.
    await expectCode(c.request('CloudrecDescribeCompose', { SdkAppId: APP1.sdkAppId + 1, ComposeId: started.ComposeId }), 'InvalidParameter.SdkAppId');
  });
});
