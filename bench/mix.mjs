// Mixed recording bench: N publishers send pre-encoded H.264 (`cloudrec publish --from`, so they
// cost almost nothing) into one room; a RecordMode 2 task mixes them into a grid and encodes it
// (x264 veryfast). Baseline in the same run: ffmpeg decoding the same H.264 files at their rate
// (-re; it skips the network reception that cloudrec does), scaling them into the same grid with
// xstack and encoding with libx264 at the same settings. The two run one after the other, each alone on the machine.
// Reported: CPU-seconds per media-second of each, the ratio, and the worker's RSS.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { APP, BUILD, REPO, cpuSeconds, link, memoryMb, startDaemon, workerPid } from './common.mjs';

const require = createRequire(import.meta.url);
const tencentcloud = require('tencentcloud-sdk-nodejs');
const TLSSigAPIv2 = require('tls-sig-api-v2');

const SECONDS = Number(process.env.BENCH_MIX_SECONDS ?? 15);
const CASES = [
  { n: 4, size: '1280x720', fps: 30, kbps: 2500 },
  { n: 9, size: '640x360', fps: 15, kbps: 600 },
  { n: 16, size: '640x360', fps: 15, kbps: 600 },
];
const OUT = { w: 1280, h: 720, kbps: 2000 };
const sig = (user) => new TLSSigAPIv2.Api(APP.sdkAppId, APP.usersigKey).genSig(user, 3600);
const f = (v, n = 3) => (Number.isFinite(v) ? v.toFixed(n) : 'n/a');

/** Grid tiles of the seeds for @n users on the output canvas (edges rounded one by one). */
function grid(n) {
  const cols = n === 1 ? 1 : n <= 4 ? 2 : n <= 9 ? 3 : n <= 16 ? 4 : 5;
  const edge = (i, total) => Math.round((i * total) / cols);
  const tiles = [];
  for (let i = 0; i < n; i++) {
    const c = i % cols, r = Math.floor(i / cols);
    tiles.push({ x: edge(c, OUT.w), y: edge(r, OUT.h), w: edge(c + 1, OUT.w) - edge(c, OUT.w), h: edge(r + 1, OUT.h) - edge(r, OUT.h) });
  }
  return tiles;
}

async function measure(pid, seconds) {
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  return (cpuSeconds(pid) - c0) / ((performance.now() - t0) / 1000);
}

async function runCase(d, client, dataDir, { n, size, fps, kbps }, index) {
  const room = String(9910 + index);
  const input = path.join(dataDir, `in_${size}_${fps}.h264`);
  const [w, h] = size.split('x').map(Number);
  spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${fps}`, '-t', String(SECONDS * 2 + 20),
    '-c:v', 'libx264', '-profile:v', 'baseline', '-preset', 'veryfast', '-g', String(fps * 2), '-b:v', `${kbps}k`, '-f', 'h264', input]);
  const publishers = [];
  const baselineProcs = [];
  try {
    for (let i = 0; i < n; i++) {
      publishers.push(spawn(path.join(BUILD, 'cloudrec'), ['publish', '--server', `http://127.0.0.1:${d.port}`, '--sdkappid', String(APP.sdkAppId),
        '--room', room, '--user', `p${i}`, '--usersig', sig(`p${i}`), '--from', input, '--fps', String(fps), '--no-audio'], { stdio: 'ignore' }));
    }
    for (let t = 0; t < 150; t++) {
      const st = await link(d, 'GET', `/internal/rooms/${APP.sdkAppId}/room/${room}`);
      if (st.Streams.filter((s) => s.VideoCaps).length >= n) break;
      await sleep(200);
    }
    // cloudrec: the mixed task alone.
    const robot = `mix_${room}`;
    const { TaskId } = await client.CreateCloudRecording({ SdkAppId: APP.sdkAppId, RoomId: room, UserId: robot, UserSig: sig(robot),
      RecordParams: { RecordMode: 2, StreamType: 2 },
      MixTranscodeParams: { VideoParams: { Width: OUT.w, Height: OUT.h, Fps: fps, BitRate: OUT.kbps * 1000, Gop: 2 } },
      MixLayoutParams: { MixLayoutMode: 3 },
      StorageParams: { CloudStorage: { Vendor: 0, Region: 'r', Bucket: 'b', AccessKey: 'a', SecretKey: 's' } } });
    await sleep(4000);
    const pid = workerPid(TaskId);
    if (!pid) throw new Error('no worker');
    const cloudrec = await measure(pid, SECONDS);
    const rss = memoryMb(pid).peak;
    await client.DeleteCloudRecording({ SdkAppId: APP.sdkAppId, TaskId });
    await sleep(3000);
    // ffmpeg: the same inputs (the files, at their rate), the same grid, the same encoder settings
    // (x264 veryfast, no B-frames, CBR with a 600 ms buffer, the same GOP).
    const tiles = grid(n);
    const args = ['-v', 'error', '-y'];
    for (let i = 0; i < n; i++) args.push('-re', '-i', input);
    const scaled = tiles.map((t, i) => `[${i}:v]scale=${t.w}:${t.h}[s${i}]`).join(';');
    const stack = `${tiles.map((_, i) => `[s${i}]`).join('')}xstack=inputs=${n}:layout=${tiles.map((t) => `${t.x}_${t.y}`).join('|')}:fill=black[v]`;
    args.push('-filter_complex', `${scaled};${stack}`, '-map', '[v]', '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '0',
      '-b:v', `${OUT.kbps}k`, '-maxrate', `${OUT.kbps}k`, '-bufsize', `${Math.round(OUT.kbps * 0.6)}k`, '-g', String(fps * 2),
      '-f', 'mpegts', path.join(dataDir, `ffmpeg_${room}.ts`));
    const ff = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'inherit'] });
    baselineProcs.push(ff);
    await sleep(4000);
    const ffmpeg = await measure(ff.pid, SECONDS);
    const ffRss = memoryMb(ff.pid).peak;
    console.log(`mix ${n}x${size}@${fps} -> ${OUT.w}x${OUT.h}@${fps} H.264 veryfast ${OUT.kbps} kbit/s: cloudrec ${f(cloudrec)} cores (peak RSS ${f(rss, 0)} MB), ffmpeg xstack ${f(ffmpeg)} cores (${f(ffRss, 0)} MB) -> ratio ${f(cloudrec / ffmpeg, 2)}x (goal <= 1.0)`);
    return { inputs: n, size, fps, cloudrec_cores: cloudrec, ffmpeg_cores: ffmpeg, ratio: cloudrec / ffmpeg, worker_peak_rss_mb: rss, ffmpeg_peak_rss_mb: ffRss };
  } finally {
    baselineProcs.forEach((p) => p.kill('SIGKILL'));
    publishers.forEach((p) => p.kill('SIGINT'));
    await sleep(1000);
  }
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'cloudrec-bench-mix-'));
const d = await startDaemon(dataDir);
const client = new tencentcloud.trtc.v20190722.Client({ credential: { secretId: APP.secretId, secretKey: APP.secretKey }, region: 'ap-guangzhou',
  profile: { httpProfile: { endpoint: `127.0.0.1:${d.port}`, protocol: 'http://' } } });
const results = [];
try {
  const only = process.env.BENCH_MIX_CASES ? process.env.BENCH_MIX_CASES.split(',').map(Number) : null;
  for (const [i, c] of CASES.entries()) {
    if (!only || only.includes(c.n)) results.push(await runCase(d, client, dataDir, c, i));
  }
  mkdirSync(path.join(REPO, 'bench', 'out'), { recursive: true });
  writeFileSync(path.join(REPO, 'bench', 'out', 'mix.json'), JSON.stringify({ seconds: SECONDS, output: OUT, results }, null, 2) + '\n');
} finally {
  d.proc.kill('SIGTERM');
  await sleep(1500);
  rmSync(dataDir, { recursive: true, force: true });
}
