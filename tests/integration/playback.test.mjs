// A recording made from a browser plays in a browser: headless Chromium publishes through the
// publish page (its fake camera and microphone), the official SDK records the room (single-stream,
// HLS), ffprobe checks the files, and hls.js in Chromium plays each playlist: the picture has the
// published size and time advances through the recorded media.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { APP1, REPO, startDaemon, makeClient, userSig, sleep, until } from './helpers.mjs';
import { launchChromium, publishFromBrowser } from './media.mjs';

const T = { timeout: 120000 };

// Serves hls.js, a player page, and the recording's directory (file names only, no paths).
function playerServer(dir) {
  const page = `<!doctype html><video id="v" muted playsinline></video><script src="/hls.js"></script><script>
    window.result = { errors: [] };
    const hls = new Hls();
    hls.on(Hls.Events.ERROR, (e, d) => { if (d.fatal) window.result.errors.push(d.details); });
    hls.loadSource('/rec/' + new URLSearchParams(location.search).get('src'));
    hls.attachMedia(document.getElementById('v'));
    hls.on(Hls.Events.MANIFEST_PARSED, () => document.getElementById('v').play());
  </script>`;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/play.html') return res.writeHead(200, { 'Content-Type': 'text/html' }).end(page);
    if (url.pathname === '/hls.js') {
      return res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(readFileSync(path.join(REPO, 'node_modules/hls.js/dist/hls.js')));
    }
    const name = decodeURIComponent(url.pathname.replace(/^\/rec\//, ''));
    if (!url.pathname.startsWith('/rec/') || name.includes('/') || !existsSync(path.join(dir, name))) return res.writeHead(404).end();
    const type = name.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp2t';
    return res.writeHead(200, { 'Content-Type': type }).end(readFileSync(path.join(dir, name)));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: server.address().port })));
}

describe('playback of a browser-published recording', () => {
  let d;
  let browser;
  before(async () => {
    d = await startDaemon({ apps: [APP1], defaults: ['--api-rate-limit', '100000'] });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await d?.stop();
  });

  test('Chromium publishes, the SDK records, hls.js in Chromium plays the audio and the video', T, async () => {
    const room = 9601;
    const publisher = await publishFromBrowser(browser, d.port, { sdkAppId: APP1.sdkAppId, room, user: 'chrome', usersig: userSig(APP1, 'chrome') });
    const c = makeClient(d.port, APP1);
    const { TaskId } = await c.CreateCloudRecording({
      SdkAppId: APP1.sdkAppId, RoomId: String(room), UserId: 'recorder_9601', UserSig: userSig(APP1, 'recorder_9601'),
      RecordParams: { RecordMode: 1 },
      StorageParams: { CloudStorage: { Vendor: 0, Region: 'ap-guangzhou', Bucket: 'b-1250000000', AccessKey: 'ak', SecretKey: 'sk' } },
    });
    const files = await until('an audio and a video file', async () => {
      const r = await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
      return r.StorageFileList.length === 2 ? r.StorageFileList : null;
    }, 40000);
    await sleep(4000);
    await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
    await publisher.close();
    const dir = path.join(d.dataDir, 'storage', TaskId);
    await until('both playlists ended', () => files.every((f) => readFileSync(path.join(dir, f.FileName), 'utf8').includes('#EXT-X-ENDLIST')), 20000);

    const player = await playerServer(dir);
    try {
      for (const f of files) {
        const text = readFileSync(path.join(dir, f.FileName), 'utf8');
        const seconds = [...text.matchAll(/#EXTINF:([\d.]+),/g)].reduce((a, m) => a + Number(m[1]), 0);
        const first = text.match(/^(.+\.ts)$/m)[1];
        const stream = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json',
          path.join(dir, first)], { encoding: 'utf8' })).streams[0];
        assert.equal(stream.codec_name, f.TrackType === 'video' ? 'h264' : 'aac');

        const page = await browser.newPage();
        await page.goto(`http://127.0.0.1:${player.port}/play.html?src=${encodeURIComponent(f.FileName)}`);
        const target = Math.min(2, seconds - 0.5);
        await page.waitForFunction((t) => document.getElementById('v').currentTime >= t || window.result.errors.length > 0, target, { timeout: 30000 });
        const state = await page.evaluate(() => {
          const v = document.getElementById('v');
          return { t: v.currentTime, w: v.videoWidth, h: v.videoHeight, errors: window.result.errors };
        });
        await page.close();
        console.log('PLAYED', f.TrackType, JSON.stringify(state), `of ${seconds.toFixed(1)} s`);
        assert.deepEqual(state.errors, [], `${f.FileName}: hls.js errors`);
        assert.ok(state.t >= target, `${f.FileName}: played ${state.t} s`);
        if (f.TrackType === 'video') assert.deepEqual([state.w, state.h], [stream.width, stream.height]);
      }
    } finally {
      player.server.close();
    }
  });
});
