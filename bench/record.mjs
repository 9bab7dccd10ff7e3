// Single-stream recording bench: N publishers (`cloudrec publish`, H.264 + Opus) in one room, N
// tasks each recording one of them (SubscribeStreamUserIds), for D seconds. Reported: the workers'
// CPU-seconds per media-second per stream, their RSS, and the ingest's share (the daemon); next to
// a baseline measured in the same run: one gst-launch per publisher doing the same media work from
// the same forwards (H.264 remuxed into TS, Opus decoded and encoded to AAC into TS).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { APP, BUILD, REPO, cpuSeconds, link, memoryMb, startDaemon, workerPid } from './common.mjs';

const require = createRequire(import.meta.url);
const tencentcloud = require('tencentcloud-sdk-nodejs');
const TLSSigAPIv2 = require('tls-sig-api-v2');

const STREAMS = Number(process.env.BENCH_RECORD_STREAMS ?? 4);
const SECONDS = Number(process.env.BENCH_RECORD_SECONDS ?? 20);
const KBPS = Number(process.env.BENCH_RECORD_KBPS ?? 500);
const ROOM = '9900';
const sig = (user) => new TLSSigAPIv2.Api(APP.sdkAppId, APP.usersigKey).genSig(user, 3600);
const f = (v, n = 4) => (Number.isFinite(v) ? v.toFixed(n) : 'n/a');

/** CPU seconds of each thread of @pid by thread name (threads of one name summed); with
 * @switches, its context switches (voluntary and not) instead. */
function threadSeconds(pid, switches = false) {
  const byName = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat, status;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      status = switches ? readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8') : '';
    } catch { continue; }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[0-9]+/g, ''); // element numbers differ between workers
    const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    const value = switches
      ? [...status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)/gm)].reduce((a, m) => a + Number(m[1]), 0)
      : (Number(f[11]) + Number(f[12])) / 100; // USER_HZ: 100 on Linux
    byName.set(name, (byName.get(name) ?? 0) + value);
  }
  return byName;
}

async function roomCaps(d) {
  const r = await link(d, 'GET', `/internal/rooms/${APP.sdkAppId}/room/${ROOM}`);
  return r.Streams;
}

function baseline(port, video, outDir, i) {
  const chain = video
    ? ['rtph264depay', '!', 'video/x-h264,alignment=au', '!', 'h264parse', '!', 'mpegtsmux', '!', 'filesink', `location=${outDir}/base_${i}_v.ts`]
    : ['rtpopusdepay', '!', 'opusdec', '!', 'audioconvert', '!', 'audioresample', '!', 'audio/x-raw,rate=48000,channels=2', '!', 'voaacenc', 'bitrate=64000', '!', 'aacparse', '!', 'mpegtsmux', '!', 'filesink', `location=${outDir}/base_${i}_a.ts`];
  const caps = video ? 'application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96' : 'application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=111';
  return spawn('gst-launch-1.0', ['-q', 'udpsrc', `port=${port}`, 'address=127.0.0.1', `caps=${caps}`, '!', 'rtpjitterbuffer', 'latency=200', '!', ...chain], { stdio: 'ignore' });
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'cloudrec-bench-record-'));
const d = await startDaemon(dataDir);
const client = new tencentcloud.trtc.v20190722.Client({ credential: { secretId: APP.secretId, secretKey: APP.secretKey }, region: 'ap-guangzhou',
  profile: { httpProfile: { endpoint: `127.0.0.1:${d.port}`, protocol: 'http://' } } });
const publishers = [];
const baselines = [];
try {
  for (let i = 0; i < STREAMS; i++) {
    publishers.push(spawn(path.join(BUILD, 'cloudrec'), ['publish', '--server', `http://127.0.0.1:${d.port}`, '--sdkappid', String(APP.sdkAppId), '--room', ROOM,
      '--user', `pub_${i}`, '--usersig', sig(`pub_${i}`), '--size', '640x360', '--fps', '15', '--bitrate', String(KBPS)], { stdio: 'ignore' }));
  }
  for (let t = 0; t < 100 && (await roomCaps(d)).filter((s) => s.VideoCaps && s.AudioCaps).length < STREAMS; t++) await sleep(200);
  const tasks = [];
  for (let i = 0; i < STREAMS; i++) {
    const robot = `rec_${i}`;
    const { TaskId } = await client.CreateCloudRecording({ SdkAppId: APP.sdkAppId, RoomId: ROOM, UserId: robot, UserSig: sig(robot),
      RecordParams: { RecordMode: 1, SubscribeStreamUserIds: { SubscribeAudioUserIds: [`pub_${i}`], SubscribeVideoUserIds: [`pub_${i}`] } },
      StorageParams: { CloudStorage: { Vendor: 0, Region: 'r', Bucket: 'b', AccessKey: 'a', SecretKey: 's' } } });
    tasks.push(TaskId);
  }
  // Baseline receivers on their own forwards of the same tracks.
  let port = 45000;
  for (let i = 0; i < STREAMS; i++) {
    for (const video of [true, false]) {
      const p = port++;
      baselines.push(baseline(p, video, dataDir, i));
      await sleep(200);
      await link(d, 'POST', '/internal/forwards',
        { SdkAppId: APP.sdkAppId, RoomId: ROOM, UserId: `pub_${i}`, Stream: 'main', Media: video ? 'video' : 'audio', RtpPort: p, RtcpPort: 0 });
    }
  }
  await sleep(3000);
  const workers = tasks.map(workerPid);
  if (workers.some((p) => !p)) throw new Error(`a worker is missing: ${workers}`);
  const w0 = workers.map(cpuSeconds);
  const b0 = baselines.map((p) => cpuSeconds(p.pid));
  const d0 = cpuSeconds(d.proc.pid);
  const th0 = workers.map((p) => threadSeconds(p));
  const bth0 = baselines.map((p) => threadSeconds(p.pid));
  const sw0 = workers.map((p) => threadSeconds(p, true));
  const bsw0 = baselines.map((p) => threadSeconds(p.pid, true));
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  const secs = (performance.now() - t0) / 1000;
  const workerCpu = workers.reduce((a, p, i) => a + cpuSeconds(p) - w0[i], 0);
  const baseCpu = baselines.reduce((a, p, i) => a + cpuSeconds(p.pid) - b0[i], 0);
  const daemonCpu = cpuSeconds(d.proc.pid) - d0;
  const rss = workers.map((p) => memoryMb(p).rss);
  const threads = workers.map((p) => readdirSync(`/proc/${p}/task`).length);
  // Per thread name, over all workers: where a worker's CPU goes (streaming threads by element);
  // the same for the baselines, to compare thread for thread.
  const sumThreads = (pids, before, switches = false) => {
    const by = new Map();
    pids.forEach((p, i) => {
      for (const [name, s1] of threadSeconds(p, switches)) by.set(name, (by.get(name) ?? 0) + s1 - (before[i].get(name) ?? 0));
    });
    return by;
  };
  const byThread = sumThreads(workers, th0);
  const baseByThread = sumThreads(baselines.map((p) => p.pid), bth0);
  const switchesByThread = sumThreads(workers, sw0, true);
  const baseSwitchesByThread = sumThreads(baselines.map((p) => p.pid), bsw0, true);
  const perThread = (by, digits = 4) => [...by].sort((a, b) => b[1] - a[1]).filter(([, v]) => v > 0)
    .map(([n, v]) => `${n} ${f(v / secs / STREAMS, digits)}`).join(', ');
  const perStream = workerCpu / secs / STREAMS;
  const basePerStream = baseCpu / secs / STREAMS;
  const ingestPerStream = daemonCpu / secs / STREAMS;
  console.log(`record: ${STREAMS} tasks x 1 stream (640x360 15 fps H.264 at ${KBPS} kbit/s + Opus), ${f(secs, 1)} s`);
  console.log(`  workers: ${f(perStream)} cores per stream (CPU-s per media-s); RSS ${rss.map((x) => f(x, 1)).join(', ')} MB per worker`);
  console.log(`  threads per worker: ${threads.join(', ')}; cores per stream by thread: ${perThread(byThread)}`);
  console.log(`  baseline cores per stream by thread (its audio and video processes summed): ${perThread(baseByThread)}`);
  console.log(`  context switches per second per stream by thread: ${perThread(switchesByThread, 1)}; baseline: ${perThread(baseSwitchesByThread, 1)}`);
  console.log(`  baseline (gst-launch: the same remux + Opus->AAC from forwards): ${f(basePerStream)} cores per stream -> ratio ${f(perStream / basePerStream, 2)}x`);
  console.log(`  ingest (the daemon: WebRTC receive, forwards to workers and baselines): ${f(ingestPerStream)} cores per stream; with recording ${f(perStream + ingestPerStream)} (goal <= 0.006)`);
  mkdirSync(path.join(REPO, 'bench', 'out'), { recursive: true });
  writeFileSync(path.join(REPO, 'bench', 'out', 'record.json'), JSON.stringify({ streams: STREAMS, seconds: secs, kbps: KBPS,
    worker_cores_per_stream: perStream, baseline_cores_per_stream: basePerStream, ingest_cores_per_stream: ingestPerStream, worker_rss_mb: rss, worker_threads: threads }, null, 2) + '\n');
  for (const t of tasks) await client.DeleteCloudRecording({ SdkAppId: APP.sdkAppId, TaskId: t });
  await sleep(2000);
} finally {
  baselines.forEach((p) => p.kill('SIGKILL'));
  publishers.forEach((p) => p.kill('SIGINT'));
  await sleep(500);
  d.proc.kill('SIGTERM');
  await sleep(1500);
  rmSync(dataDir, { recursive: true, force: true });
}
