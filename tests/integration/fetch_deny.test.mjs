// fetch-deny (issue 13): a picture URL of a mixed layout whose host is in one of the denied
// address ranges is never connected to. The image host here is loopback, on two addresses:
// 127.0.0.2 is denied (`--fetch-deny 127.0.0.2/32`), 127.0.0.1 is not, so one task shows that the
// denied picture is refused (no request reaches its server, a 309 names the URL, the log says
// why) while an allowed picture of the same task is fetched and shown, and the recording goes on.
// The daemon checks the address it connects to, so a host name resolving to a denied address is
// refused as well (the unit test test_net_filter covers "localhost").
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { APP1, startDaemon, makeClient, userSig, sleep, until, BIN } from './helpers.mjs';
import { waitRoom } from './media.mjs';
import { publishPlain, frameAt, assertRect, assertColour, playlistStartMs, png } from './mixvideo.mjs';
import { spawnSync } from 'node:child_process';

const T = { timeout: 180000 };
const W = 320;
const H = 180;
const GREEN = [0, 255, 0];
const ORANGE = [255, 128, 0];
const GREY = [64, 64, 64];

// One server per address: it records the paths asked for; POSTs are callbacks.
function imageServer(host) {
  const requests = [];
  const received = [];
  const srv = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST') {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"code":0}');
        return;
      }
      requests.push(req.url);
      const to = new URL(req.url, 'http://x').searchParams.get('to');
      if (to) { // a redirect elsewhere
        res.writeHead(302, { Location: to });
        res.end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'image/png' });
      res.end(png(32, 18, () => [...ORANGE, 255]));
    });
  });
  return new Promise((resolve) => srv.listen(0, host, () => resolve({ srv, requests, received, port: srv.address().port })));
}

describe('fetch-deny: pictures from a denied address range', () => {
  let d;
  let c;
  let allowed;
  let denied;
  let publisher;
  before(async () => {
    allowed = await imageServer('127.0.0.1');
    denied = await imageServer('127.0.0.2');
    const app = { ...APP1, callbackKey: 'k', callbackUrl: `http://127.0.0.1:${allowed.port}/cb` };
    d = await startDaemon({ apps: [app], defaults: ['--api-rate-limit', '100000'], args: ['--fetch-deny', '127.0.0.2/32'] });
    c = makeClient(d.port, APP1);
  });
  after(async () => {
    publisher?.kill('SIGKILL');
    await d?.stop();
    allowed?.srv.close();
    denied?.srv.close();
  });

  test('the daemon refuses a fetch-deny that is not a list of ranges, naming the bad entry', () => {
    const r = spawnSync(BIN, ['serve', '--listen', '127.0.0.1:0', '--fetch-deny', '127.0.0.0/8,10.0.0.0/40'], { encoding: 'utf8', timeout: 10000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /fetch-deny: "10\.0\.0\.0\/40" is not an address range/);
  });

  test('a picture at a denied address: not fetched, 309 with its URL, a clear log line; the allowed one is shown', T, async () => {
    const room = 9501;
    const deniedUrl = `http://127.0.0.2:${denied.port}/metadata.png`;
    const allowedUrl = `http://127.0.0.1:${allowed.port}/bg.png`;
    // An allowed host that redirects to the denied one: the redirect's connection is checked too.
    const redirectUrl = `http://127.0.0.1:${allowed.port}/r.png?to=${encodeURIComponent(`http://127.0.0.2:${denied.port}/via-redirect.png`)}`;
    const { TaskId } = await c.CreateCloudRecording({
      SdkAppId: APP1.sdkAppId, RoomId: String(room), UserId: 'denyrobot', UserSig: userSig(APP1, 'denyrobot'),
      RecordParams: { RecordMode: 2, MaxIdleTime: 60, StreamType: 0, OutputFormat: 0 },
      StorageParams: { CloudStorage: { Vendor: 0, Region: 'ap-guangzhou', Bucket: 'b-1250000000', AccessKey: 'ak', SecretKey: 'sk' } },
      MixTranscodeParams: { VideoParams: { Width: W, Height: H, Fps: 10, BitRate: 500000, Gop: 2 }, AudioParams: { SampleRate: 1, Channel: 2, BitRate: 64000 } },
      MixLayoutParams: {
        MixLayoutMode: 4, BackGroundColor: '#404040',
        MixLayoutList: [
          { Top: 0, Left: 0, Width: 160, Height: 90, UserId: 'p1' },
          { Top: 90, Left: 0, Width: 160, Height: 90, UserId: 'nobody1', SubBackgroundImage: allowedUrl },
          { Top: 90, Left: 160, Width: 160, Height: 90, UserId: 'nobody2', SubBackgroundImage: deniedUrl },
          { Top: 0, Left: 160, Width: 160, Height: 90, UserId: 'nobody3', SubBackgroundImage: redirectUrl },
        ],
      },
    });
    publisher = publishPlain(d.port, room, 'p1', GREEN);
    await waitRoom(d, APP1.sdkAppId, room, (st) => st.Streams.some((x) => x.UserId === 'p1' && x.VideoCaps), { timeoutMs: 30000 });
    await until('two callbacks 309', () => allowed.received.filter((e) => e.EventType === 309).length >= 2, 60000);
    await sleep(4000);
    const at = Date.now() - 1000;
    await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
    const m3u8 = path.join(d.dataDir, 'storage', TaskId, `1400000001_${room}.m3u8`);
    await until('the mixed playlist ends', () => existsSync(m3u8) && readFileSync(m3u8, 'utf8').includes('#EXT-X-ENDLIST'), 30000);

    assert.deepEqual(denied.requests, [], 'a request reached the server at the denied address');
    assert.ok(allowed.requests.includes('/bg.png'), `the allowed picture was fetched (${JSON.stringify(allowed.requests)})`);
    const events = allowed.received.filter((e) => e.EventType === 309);
    assert.deepEqual(events.map((e) => e.EventInfo.Payload.Url).sort(), [deniedUrl, redirectUrl].sort(), `one 309 per refused URL: ${JSON.stringify(events)}`);
    for (const e of events) assert.equal(e.EventInfo.TaskId, TaskId);
    assert.match(d.stderr, /connecting to 127\.0\.0\.2 is refused \(fetch-deny 127\.0\.0\.2\/32\)/);

    // The recording went on: the publisher, the allowed picture, and the background where the
    // denied picture would be.
    const frame = frameAt(m3u8, (at - playlistStartMs(m3u8)) / 1000, W, H);
    assertRect(frame, { x: 0, y: 0, w: 160, h: 90 }, GREEN, 'the publisher');
    assertRect(frame, { x: 0, y: 90, w: 160, h: 90 }, ORANGE, 'the allowed picture');
    assertColour(frame, 240, 135, GREY, 'the background instead of the denied picture');
    assertColour(frame, 240, 45, GREY, 'the background instead of the picture behind the redirect');
  });
});
