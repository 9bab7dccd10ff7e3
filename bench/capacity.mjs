// Capacity and cost per recording (issue 18): N single-stream recordings at once, each of one
// publisher in a room of its own (`cloudrec publish --from FILE --from-audio FILE`: 640x360 15 fps
// H.264 at 500 kbit/s and 32 kbit/s Opus, both encoded by ffmpeg before the run), each recorded by a
// RecordMode 1 task (audio + video, HLS, local storage). The publishers are outside the measured
// processes. Reported per step: cores per recording (the daemon's ingest + the workers, CPU-seconds
// per media-second), split into ingest and worker, the machine's busy share and the publishers'
// cost; then, once the tasks are deleted and their playlists ended, every playlist checked: ended,
// no discontinuity, every segment present with a duration (ffprobe) within 0.3 s of its EXTINF and
// starting where the one before ended, and no hole over 0.5 s (video) or 0.1 s (audio) between
// packets. Publishers and tasks start 5 at a time. A step holds when every recording passes. The steps run from the largest down
// (BENCH_CAPACITY_STEPS, default 40,30,20,10) until one holds: that is the most it holds.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { APP, BUILD, REPO, cpuSeconds, memoryMb, startDaemon, workerPid } from './common.mjs';

const require = createRequire(import.meta.url);
const tencentcloud = require('tencentcloud-sdk-nodejs');
const TLSSigAPIv2 = require('tls-sig-api-v2');

const STEPS = (process.env.BENCH_CAPACITY_STEPS ?? '40,30,20,10').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_CAPACITY_SECONDS ?? 120);
const KBPS = Number(process.env.BENCH_CAPACITY_KBPS ?? 500);
const BATCH = Number(process.env.BENCH_CAPACITY_BATCH ?? 5);
const ALL_STEPS = process.env.BENCH_CAPACITY_ALL === '1'; /* run every step, not only down to the first that holds */
const IN = { size: '640x360', fps: 15 };
const sig = (user) => new TLSSigAPIv2.Api(APP.sdkAppId, APP.usersigKey).genSig(user, 3600);
const f = (v, n = 4) => (Number.isFinite(v) ? v.toFixed(n) : 'n/a');

/** Jiffies of the whole machine: [busy, total]. */
function machineJiffies() {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = cpu[3] + cpu[4];
  const total = cpu.reduce((a, b) => a + b, 0);
  return [total - idle, total];
}

/** Datagrams the kernel dropped on this network namespace's UDP sockets (a full receive buffer:
 * its reader was late), summed over the sockets open now. */
function udpDrops() {
  return readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1).filter(Boolean)
    .reduce((a, line) => a + Number(line.trim().split(/\s+/).at(-1)), 0);
}

const sumCpu = (pids) => pids.reduce((a, p) => { try { return a + cpuSeconds(p); } catch { return a; } }, 0);

/** Every file under @dir. */
function walk(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p)); else out.push(p);
  }
  return out;
}

function ffprobeJson(args) {
  const r = spawnSync('ffprobe', ['-v', 'error', '-of', 'json', ...args], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120000 });
  try { return JSON.parse(r.stdout); } catch { return null; }
}

/** What is wrong with playlist @file (an array of reasons; empty: it is whole). */
function checkPlaylist(file) {
  const text = readFileSync(file, 'utf8');
  const problems = [];
  if (!text.includes('#EXT-X-ENDLIST')) problems.push('no #EXT-X-ENDLIST');
  if (text.includes('#EXT-X-DISCONTINUITY')) problems.push('a discontinuity');
  const segs = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^#EXTINF:([\d.]+)/.exec(lines[i]);
    if (!m) continue;
    let j = i + 1;
    while (j < lines.length && (lines[j].startsWith('#') || lines[j].trim() === '')) j++;
    segs.push({ extinf: Number(m[1]), file: path.join(path.dirname(file), lines[j].trim()) });
  }
  if (segs.length === 0) problems.push('no segment');
  let end = null;
  for (const s of segs) {
    if (!existsSync(s.file) || statSync(s.file).size === 0) { problems.push(`${path.basename(s.file)} missing or empty`); continue; }
    const fmt = ffprobeJson(['-show_entries', 'format=start_time,duration', s.file])?.format;
    const start = Number(fmt?.start_time), dur = Number(fmt?.duration);
    if (!Number.isFinite(dur) || Math.abs(dur - s.extinf) > 0.3) problems.push(`${path.basename(s.file)}: ${f(dur, 3)} s of media under EXTINF ${s.extinf}`);
    if (end !== null && Number.isFinite(start) && Math.abs(start - end) > 0.2) problems.push(`${path.basename(s.file)} starts at ${f(start, 3)}, the one before ended at ${f(end, 3)}`);
    end = Number.isFinite(start) ? start + s.extinf : null;
  }
  // Holes between packets across the whole playlist, per stream kind (a playlist without its end
  // is live to ffprobe, which would wait for more).
  if (!text.includes('#EXT-X-ENDLIST')) return { problems, media: segs.reduce((a, s) => a + s.extinf, 0), kinds: [] };
  const probe = ffprobeJson(['-show_entries', 'packet=pts_time,codec_type:stream=index,codec_type', '-allowed_extensions', 'ALL', file]);
  const byKind = new Map();
  if (!(probe?.packets?.length > 0)) problems.push('no packets (ffprobe)');
  for (const p of probe?.packets ?? []) {
    const t = Number(p.pts_time);
    if (!Number.isFinite(t)) continue;
    const kind = p.codec_type ?? 'unknown';
    if (!byKind.has(kind)) byKind.set(kind, []);
    byKind.get(kind).push(t);
  }
  for (const [kind, times] of byKind) {
    times.sort((a, b) => a - b);
    let worst = 0, at = 0;
    for (let i = 1; i < times.length; i++) if (times[i] - times[i - 1] > worst) { worst = times[i] - times[i - 1]; at = times[i - 1]; }
    const limit = kind === 'video' ? 0.5 : 0.1;
    if (worst > limit) problems.push(`a ${kind} hole of ${f(worst, 3)} s at ${f(at, 3)}`);
  }
  return { problems, media: segs.reduce((a, s) => a + s.extinf, 0), kinds: [...byKind.keys()] };
}

async function waitFor(what, fn, ms) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

async function runStep(n, input) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cloudrec-bench-capacity-'));
  const d = await startDaemon(dataDir, ['--api-max-tasks', '1000', '--ingest-max-sessions', '1000', '--whip-max-sessions-per-ip', '0']);
  const client = new tencentcloud.trtc.v20190722.Client({ credential: { secretId: APP.secretId, secretKey: APP.secretKey }, region: 'ap-guangzhou',
    profile: { httpProfile: { endpoint: `127.0.0.1:${d.port}`, protocol: 'http://', reqTimeout: 120 } } });
  const publishers = [];
  const tasks = [];
  let errors = '';
  try {
    // Publishers and tasks start in batches (BENCH_CAPACITY_BATCH, default 5), each batch's workers
    // running before the next: a service's recordings begin over time, not in the same second.
    for (let first = 0; first < n; first += BATCH) {
      const batch = [];
      for (let i = first; i < Math.min(n, first + BATCH); i++) {
        const p = spawn(path.join(BUILD, 'cloudrec'), ['publish', '--server', `http://127.0.0.1:${d.port}`, '--sdkappid', String(APP.sdkAppId),
          '--room', String(9800 + i), '--user', `pub_${i}`, '--usersig', sig(`pub_${i}`), '--from', input.video, '--from-audio', input.audio,
          '--fps', String(IN.fps)], { stdio: ['ignore', 'ignore', 'pipe'] });
        p.stderr.on('data', (s) => { errors = (errors + s).slice(-2000); });
        publishers.push(p);
        const robot = `rec_${i}`;
        const { TaskId } = await client.CreateCloudRecording({ SdkAppId: APP.sdkAppId, RoomId: String(9800 + i), UserId: robot, UserSig: sig(robot),
          RecordParams: { RecordMode: 1, MaxIdleTime: 60, StreamType: 0 },
          StorageParams: { CloudStorage: { Vendor: 0, Region: 'r', Bucket: 'b', AccessKey: 'a', SecretKey: 's' } } });
        tasks.push(TaskId);
        batch.push(TaskId);
      }
      await waitFor(`the workers of recordings ${first}..${first + batch.length - 1}`, () => batch.every((t) => workerPid(t) > 0), 120000);
      await sleep(1000);
    }
    await sleep(5000);
    const workers = tasks.map(workerPid);
    const pubPids = publishers.map((p) => p.pid);
    const w0 = sumCpu(workers), d0 = cpuSeconds(d.proc.pid), p0 = sumCpu(pubPids), [b0, t0j] = machineJiffies();
    const t0 = performance.now();
    await sleep(SECONDS * 1000);
    const secs = (performance.now() - t0) / 1000;
    const workerCpu = sumCpu(workers) - w0, daemonCpu = cpuSeconds(d.proc.pid) - d0, pubCpu = sumCpu(pubPids) - p0;
    const [b1, t1j] = machineJiffies();
    const rss = workers.map((p) => { try { return memoryMb(p).rss; } catch { return NaN; } });
    const daemonRss = memoryMb(d.proc.pid).rss;
    const drops = udpDrops();
    const dead = publishers.filter((p) => p.exitCode !== null).length;
    const failed = [];
    for (const t of tasks) {
      try {
        await client.DeleteCloudRecording({ SdkAppId: APP.sdkAppId, TaskId: t });
      } catch (e) { /* ended on its own: overload (a publisher that could not connect leaves the room idle) */
        failed.push(`${t}: ended before its Delete (${e.code ?? e.message})`);
      }
    }
    await waitFor('the workers to end', () => tasks.every((t) => !(workerPid(t) > 0)), 180000);
    const storage = path.join(dataDir, 'storage');
    const playlists = existsSync(storage) ? walk(storage).filter((p) => p.endsWith('.m3u8')) : [];
    let media = 0;
    for (const t of tasks) {
      const mine = playlists.filter((p) => p.includes(t));
      if (mine.length === 0) { failed.push(`${t}: no playlist`); continue; }
      for (const pl of mine) {
        const r = checkPlaylist(pl);
        media += r.media / mine.length;
        if (r.problems.length) failed.push(`${path.basename(pl)}: ${r.problems.slice(0, 3).join('; ')}`);
      }
    }
    return { n, seconds: secs, cores_per_recording: (workerCpu + daemonCpu) / secs / n, worker_cores_per_recording: workerCpu / secs / n,
      ingest_cores_per_recording: daemonCpu / secs / n, publisher_cores_each: pubCpu / secs / n, machine_busy: (b1 - b0) / (t1j - t0j),
      worker_rss_mb_median: rss.sort((a, b) => a - b)[Math.floor(rss.length / 2)], daemon_rss_mb: daemonRss, publishers_exited: dead,
      media_seconds_per_recording: media / n, udp_drops: drops, failed, holds: failed.length === 0 && dead === 0, publisher_errors: dead ? errors : '' };
  } finally {
    publishers.forEach((p) => p.kill('SIGINT'));
    await sleep(1000);
    d.proc.kill('SIGTERM');
    await new Promise((r) => { if (d.proc.exitCode !== null) r(); else d.proc.once('exit', r); setTimeout(r, 10000); });
    if (process.env.BENCH_CAPACITY_KEEP !== '1') rmSync(dataDir, { recursive: true, force: true }); else console.log(`  kept ${dataDir}`);
  }
}

const work = mkdtempSync(path.join(tmpdir(), 'cloudrec-bench-capacity-in-'));
const input = { video: path.join(work, 'in.h264'), audio: path.join(work, 'in.opus') };
for (const args of [
  ['-f', 'lavfi', '-i', `testsrc2=size=${IN.size}:rate=${IN.fps}`, '-t', String(SECONDS + 120), '-c:v', 'libx264', '-profile:v', 'baseline',
    '-preset', 'veryfast', '-g', String(IN.fps * 2), '-b:v', `${KBPS}k`, '-maxrate', `${KBPS}k`, '-bufsize', `${KBPS}k`, '-f', 'h264', input.video],
  ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', String(SECONDS + 120), '-c:a', 'libopus', '-b:a', '32k', '-ac', '1', input.audio],
]) {
  const encoded = spawnSync('ffmpeg', ['-v', 'error', '-y', ...args], { encoding: 'utf8' });
  if (encoded.status !== 0) throw new Error(`ffmpeg could not make the input: ${encoded.stderr}`);
}
console.log(`capacity: single-stream recordings (RecordMode 1, audio + video, HLS, local storage) of ${IN.size}@${IN.fps} H.264 ` +
  `${KBPS} kbit/s + Opus 32 kbit/s (both pre-encoded), one publisher and one task per room, ${SECONDS} s per step, ${spawnSync('nproc').stdout.toString().trim()} cores`);
const results = [];
try {
  for (const n of STEPS) {
    const r = await runStep(n, input);
    results.push(r);
    console.log(`  ${String(n).padStart(3)} recordings: ${f(r.cores_per_recording)} cores each (ingest ${f(r.ingest_cores_per_recording)} + worker ` +
      `${f(r.worker_cores_per_recording)}; goal <= 0.025), publishers ${f(r.publisher_cores_each)} each, machine ${f(100 * r.machine_busy, 0)}% busy, ` +
      `worker RSS ${f(r.worker_rss_mb_median, 1)} MB (median), daemon ${f(r.daemon_rss_mb, 1)} MB, ${r.udp_drops} UDP datagrams dropped by the kernel, ` +
      `${f(r.media_seconds_per_recording, 1)} s recorded each: ` +
      (r.holds ? 'holds' : `does not hold (${r.failed.length} playlists wrong${r.publishers_exited ? `, ${r.publishers_exited} publishers exited` : ''})`));
    for (const line of r.failed.slice(0, 8)) console.log(`      ${line}`);
    if (r.publisher_errors) console.log(`      publisher: ${r.publisher_errors.slice(-300)}`);
    if (r.holds && !ALL_STEPS) break;
  }
  const held = results.filter((r) => r.holds).map((r) => r.n);
  console.log(`  most it holds: ${held.length ? Math.max(...held) : 'none of the steps'} concurrent recordings`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
mkdirSync(path.join(REPO, 'bench', 'out'), { recursive: true });
writeFileSync(path.join(REPO, 'bench', 'out', 'capacity.json'), JSON.stringify({ kbps: KBPS, seconds: SECONDS, steps: results }, null, 2) + '\n');
