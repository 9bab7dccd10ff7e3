// Compose bench: N publishers send pre-encoded H.264 (`cloudrec publish --from`) into one room
// recorded twice at once: a single-stream task (RecordMode 1) and a live mixed task (RecordMode 2,
// grid, the same canvas and encoder settings). The live mix's worker CPU is measured while it
// mixes; then `cloudrec compose` makes the same grid from the single-stream files. Reported: the
// CPU-seconds per media-second of each (the live mix pays its RTP reception too), and how much
// faster than real time compose ran (wall clock, on a machine that may be busy).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { APP, BUILD, REPO, appArg, cpuSeconds, link, workerPid } from './common.mjs';

const require = createRequire(import.meta.url);
const tencentcloud = require('tencentcloud-sdk-nodejs');
const TLSSigAPIv2 = require('tls-sig-api-v2');

const SECONDS = Number(process.env.BENCH_COMPOSE_SECONDS ?? 20);
const N = Number(process.env.BENCH_COMPOSE_INPUTS ?? 4);
const IN = { size: '640x360', fps: 15, kbps: 600 };
const OUT = { w: 1280, h: 720, kbps: 2000 };
const sig = (user) => new TLSSigAPIv2.Api(APP.sdkAppId, APP.usersigKey).genSig(user, 3600);
const f = (v, n = 3) => (Number.isFinite(v) ? v.toFixed(n) : 'n/a');
const storage = { CloudStorage: { Vendor: 0, Region: 'r', Bucket: 'b', AccessKey: 'a', SecretKey: 's', FileNamePrefix: ['bench'] } };
const transcode = { VideoParams: { Width: OUT.w, Height: OUT.h, Fps: IN.fps, BitRate: OUT.kbps * 1000, Gop: 2 } };

const dataDir = mkdtempSync(path.join(tmpdir(), 'cloudrec-bench-compose-'));
const proc = spawn(path.join(BUILD, 'cloudrec'), ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--app', appArg(),
  '--log-level', 'warning', '--api-rate-limit', '1000', '--storage-endpoint', '0=local,1=local'], { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
const port = await new Promise((resolve, reject) => {
  proc.stdout.on('data', (s) => { out += s; const m = /at http:\/\/127\.0\.0\.1:(\d+)\//.exec(out); if (m) resolve(Number(m[1])); });
  proc.once('exit', (code) => reject(new Error(`cloudrec exited ${code}`)));
});
const d = { proc, port, dataDir };
const client = new tencentcloud.trtc.v20190722.Client({ credential: { secretId: APP.secretId, secretKey: APP.secretKey }, region: 'ap-guangzhou',
  profile: { httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: 'http://' } } });
const publishers = [];
try {
  const room = '9950';
  const input = path.join(dataDir, 'in.h264');
  spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${IN.size}:rate=${IN.fps}`, '-t', String(SECONDS + 30),
    '-c:v', 'libx264', '-profile:v', 'baseline', '-preset', 'veryfast', '-g', String(IN.fps * 2), '-b:v', `${IN.kbps}k`, '-f', 'h264', input]);
  for (let i = 0; i < N; i++) {
    publishers.push(spawn(path.join(BUILD, 'cloudrec'), ['publish', '--server', `http://127.0.0.1:${port}`, '--sdkappid', String(APP.sdkAppId),
      '--room', room, '--user', `p${i}`, '--usersig', sig(`p${i}`), '--from', input, '--fps', String(IN.fps), '--no-audio'], { stdio: 'ignore' }));
  }
  for (let t = 0; t < 150; t++) {
    const st = await link(d, 'GET', `/internal/rooms/${APP.sdkAppId}/room/${room}`);
    if (st.Streams.filter((s) => s.VideoCaps).length >= N) break;
    await sleep(200);
  }
  const single = (await client.CreateCloudRecording({ SdkAppId: APP.sdkAppId, RoomId: room, UserId: 'single', UserSig: sig('single'),
    RecordParams: { RecordMode: 1, StreamType: 2 }, StorageParams: storage })).TaskId;
  const mixed = (await client.CreateCloudRecording({ SdkAppId: APP.sdkAppId, RoomId: room, UserId: 'mixed', UserSig: sig('mixed'),
    RecordParams: { RecordMode: 2, StreamType: 2 }, MixTranscodeParams: transcode, MixLayoutParams: { MixLayoutMode: 3 }, StorageParams: storage })).TaskId;
  await sleep(3000);
  const pid = workerPid(mixed);
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  const live = (cpuSeconds(pid) - c0) / ((performance.now() - t0) / 1000);
  for (const TaskId of [single, mixed]) await client.DeleteCloudRecording({ SdkAppId: APP.sdkAppId, TaskId });
  publishers.forEach((p) => p.kill('SIGINT'));
  for (let t = 0; t < 300; t++) {
    const r = await client.request('CloudrecDescribeTask', { SdkAppId: APP.sdkAppId, TaskId: single });
    if (r.Finished) break;
    await sleep(200);
  }
  // compose, its CPU from the shell's `times` (user and system time of its children).
  const dir = path.join(dataDir, 'storage', 'bench', single);
  const params = JSON.stringify({ MixTranscodeParams: transcode, MixLayoutParams: { MixLayoutMode: 3 } });
  const w0 = performance.now();
  const r = spawnSync('bash', ['-c', `"$0" compose --in "$1" --out "$2" --params "$3" 2>&1 >/dev/null | tail -1 >&2; times`,
    path.join(BUILD, 'cloudrec'), dir, path.join(dataDir, 'composed.mp4'), params], { encoding: 'utf8' });
  const wall = (performance.now() - w0) / 1000;
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(r.stdout.trim());
  const cpu = m ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]) : NaN;
  const media = Number(spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path.join(dataDir, 'composed.mp4')],
    { encoding: 'utf8' }).stdout.trim());
  const composed = cpu / media;
  console.log(`${r.stderr.trim()}`);
  console.log(`${N}x${IN.size}@${IN.fps} -> ${OUT.w}x${OUT.h} grid, x264 veryfast ${OUT.kbps} kbit/s: live mix ${f(live)} CPU-s per media-s, ` +
    `compose ${f(composed)} CPU-s per media-s (${f(media, 1)} s composed in ${f(wall, 1)} s: ${f(media / wall, 1)}x real time) -> ratio ${f(composed / live, 2)}`);
  mkdirSync(path.join(REPO, 'bench', 'out'), { recursive: true });
  writeFileSync(path.join(REPO, 'bench', 'out', 'compose.json'), JSON.stringify({ inputs: N, input: IN, output: OUT, seconds: SECONDS,
    live_cpu_per_media_s: live, compose_cpu_per_media_s: composed, compose_media_s: media, compose_wall_s: wall }, null, 2) + '\n');
} finally {
  publishers.forEach((p) => p.kill('SIGKILL'));
  proc.kill('SIGTERM');
  await sleep(1500);
  rmSync(dataDir, { recursive: true, force: true });
}
