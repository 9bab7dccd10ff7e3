// The soak (issue 13): N concurrent single-stream recording tasks for a long time, each recording
// one `cloudrec publish --from FILE` publisher (a small pre-encoded H.264 clip, so publishing costs
// almost nothing) in a room of its own. Every INTERVAL seconds it samples VmRSS, VmHWM, open fds,
// threads and CPU time of the daemon, of every worker and of the publishers (/proc). At the end it
// deletes every task, waits for each one's 302, stops the daemon, and checks every file.
//
// Checks (each failure is printed and makes the run fail):
//   - growth: over the measured window (after the warm-up), the mean VmRSS of the last third minus
//     that of the first third stays within a tolerance per process (see TOL below for why these
//     numbers), and so does the median worker's (a leak in the worker's code shows in every
//     worker, so the median is the sensitive one); open fds and threads in the last third never
//     exceed the first third's maximum by more than a small slack;
//   - no worker restarted (its pid is the same from the first sample to the Delete), none missing;
//   - every task: 301 then exactly one 302 with LeaveCode 0 after the Delete; Exited; no 306;
//   - the daemon exits 0 on SIGTERM;
//   - every playlist ends (#EXT-X-ENDLIST); every segment it lists exists with its FILE-ATTR size
//     and is whole MPEG-TS packets; ffprobe reads every playlist through all its segments without
//     an error and counts the frames that the EXTINF durations promise; a sample of segments
//     (first, middle, last of each playlist) decodes without an error; the recorded media covers
//     the task's life.
// Printed: samples over time (sum and max per process type), slopes, max RSS per process type,
// CPU-seconds per media-second, the machine's busy share; also written to bench/out/soak.json.
//
// Environment: CLOUDREC_SOAK_TASKS (10), CLOUDREC_SOAK_SECONDS (measured window, 120),
// CLOUDREC_SOAK_WARMUP (seconds before it, default 5% of the window within [20, 120]),
// CLOUDREC_SOAK_INTERVAL (sampling, default window/60 within [2, 30]), CLOUDREC_BIN or BUILD.
// `node bench/soak.mjs` exits 1 when a check fails. tests/integration/soak.test.mjs runs the same
// code for 2 minutes; `make soak` / `make soak-short` run it longer (docs/reliability.md).
import { spawn, spawnSync, execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, openSync, readSync, closeSync, createWriteStream } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const tencentcloud = require('tencentcloud-sdk-nodejs');
const TLSSigAPIv2 = require('tls-sig-api-v2');

const APP = Object.freeze({
  sdkAppId: 1400000001,
  secretId: 'AKIDsoak00000000000000000000000001',
  secretKey: 'SoakSecretKey0000000000000000001',
  usersigKey: 'SoakUserSigKey0123456789abcdef',
  callbackKey: 'soakCallbackKey',
});
const ROOM0 = 30000; // task i records room ROOM0 + i
const FPS = 10;
const SIZE = '176x144';
const PREFIX = 'soak';

// Tolerances of the growth checks, in MB of mean VmRSS (last third minus first third of the
// window). What moves RSS without a leak: glibc's malloc keeps freed memory in per-thread arenas
// and returns it lazily (a worker's GStreamer threads each have one), buffer pools grow to their
// high-water mark, and the daemon's SQLite page cache fills up to its limit (2 MB by default) as
// the tasks' rows grow. Measured on idle runs (docs/reliability.md): worker thirds differ by
// <= 0.3 MB, the daemon's by <= 2 MB. A leak of one 16-byte allocation per frame would add
// 0.55 MB per worker-hour; per segment (360 an hour) a few hundred bytes would not be seen.
export const TOL = Object.freeze({
  workerMb: 1.5,       // any one worker
  workerMedianMb: 0.5, // the median worker
  daemonMb: 4 + 0.02,  // + per task (its rows, its state): scaled by N below
  publisherMb: 3,      // publishers are not under test; a gross leak there would still distort
  fdSlack: 2,          // a segment being closed while the next one opens, a link request
  threadSlack: 2,      // GLib's thread pools start and retire threads on demand
});

// Children still running (publishers, the daemon), killed when this process is stopped by a signal.
const live = new Set();
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    for (const p of live) { try { p.kill('SIGKILL'); } catch { /* gone */ } }
    process.kill(process.pid, signal);
  });
}
const track = (p) => { live.add(p); p.once('exit', () => live.delete(p)); return p; };

const sig = (user) => new TLSSigAPIv2.Api(APP.sdkAppId, APP.usersigKey).genSig(user, 86400);
const f = (v, n = 2) => (Number.isFinite(v) ? v.toFixed(n) : 'n/a');
const TICK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);

/** One /proc sample of @pid, or null when it is gone. */
export function procSample(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return {
      rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024, threads: kb('Threads'),
      fds: readdirSync(`/proc/${pid}/fd`).length,
      cpu: (Number(stat[11]) + Number(stat[12])) / TICK,
    };
  } catch {
    return null;
  }
}

/** Machine CPU: busy and total jiffies from /proc/stat. */
function machineCpu() {
  const v = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + v[4];
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** Least-squares slope of ys over xs (per unit of x). */
export function slope(xs, ys) {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) { num += (xs[i] - mx) * (ys[i] - my); den += (xs[i] - mx) ** 2; }
  return den === 0 ? 0 : num / den;
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN; };

/** The growth of one process's series: thirds of the window by sample time. */
export function growth(series) {
  const t0 = series[0].t, t1 = series[series.length - 1].t;
  const third = (t1 - t0) / 3;
  const first = series.filter((s) => s.t <= t0 + third);
  const last = series.filter((s) => s.t >= t1 - third);
  return {
    rssFirst: mean(first.map((s) => s.rss)), rssLast: mean(last.map((s) => s.rss)),
    rssGrowth: mean(last.map((s) => s.rss)) - mean(first.map((s) => s.rss)),
    rssSlopeMbPerHour: slope(series.map((s) => s.t / 3600), series.map((s) => s.rss)),
    rssMax: Math.max(...series.map((s) => s.rss)), hwm: Math.max(...series.map((s) => s.hwm)),
    fdsFirstMax: Math.max(...first.map((s) => s.fds)), fdsLastMax: Math.max(...last.map((s) => s.fds)),
    threadsFirstMax: Math.max(...first.map((s) => s.threads)), threadsLastMax: Math.max(...last.map((s) => s.threads)),
  };
}

/** Worker pids by TaskId: children of @daemonPid whose argv has `--task ID`. */
function workerPids(daemonPid) {
  const out = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.split(') ')[1].split(' ')[1]) !== daemonPid) continue;
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      const i = argv.indexOf('--task');
      if (argv.includes('record') && i > 0) out.set(argv[i + 1], Number(name));
    } catch { /* gone */ }
  }
  return out;
}

function run(cmd, args, timeoutMs = 600000) {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
  });
}

/** Runs @fns (async thunks) @width at a time. */
async function pool(fns, width) {
  const results = new Array(fns.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, fns.length) }, async () => {
    while (next < fns.length) { const i = next++; results[i] = await fns[i](); }
  }));
  return results;
}

function callbackServer() {
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try { received.push({ at: Date.now(), json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }); } catch { /* counted as missing */ }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"code":0}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, received, port: server.address().port })));
}

function linkGet(dataDir, urlPath) {
  return new Promise((resolve) => {
    const req = http.request({ socketPath: path.join(dataDir, 'worker.sock'), method: 'GET', path: urlPath, host: 'cloudrec', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => { try { resolve(JSON.parse(text)); } catch { resolve(null); } });
    });
    req.on('error', () => resolve(null));
    req.setTimeout(30000, () => req.destroy());
    req.end();
  });
}

async function startDaemon(bin, dataDir, tasks, cbPort, log) {
  const logFile = path.join(dataDir, 'daemon.log');
  const proc = track(spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir,
    '--app', `${APP.sdkAppId}:${APP.secretId}:${APP.secretKey}:${APP.usersigKey}:${APP.callbackKey}:http://127.0.0.1:${cbPort}/cb`,
    '--storage-endpoint', '0=local,1=local', '--api-rate-limit', '100000', '--api-max-tasks', String(Math.max(100, tasks)),
    '--ingest-max-sessions', String(Math.max(500, tasks * 2)), '--log-level', 'warning'],
  { stdio: ['ignore', 'pipe', 'pipe'], env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CLOUDREC_'))) }));
  const logStream = createWriteStream(logFile);
  proc.stderr.pipe(logStream);
  let out = '';
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the daemon did not start within 30 s')), 30000);
    proc.stdout.on('data', (s) => { out += s; const m = /at http:\/\/127\.0\.0\.1:(\d+)\//.exec(out); if (m) { clearTimeout(timer); resolve(Number(m[1])); } });
    exited.then((r) => { clearTimeout(timer); reject(new Error(`the daemon exited ${JSON.stringify(r)}`)); });
  });
  log(`daemon pid ${proc.pid} on 127.0.0.1:${port}, data dir ${dataDir}`);
  return { proc, port, dataDir, exited, logFile };
}

/** Reads an m3u8 of ours: segments with FILE-ATTR start and size, EXTINF duration, URI. */
function parsePlaylist(text) {
  return [...text.matchAll(/#EXT-X-TRTC-FILE-ATTR:(\d+),(\d+)\n#EXTINF:([\d.]+),\n(.+)\n/g)]
    .map(([, start, bytes, extinf, uri]) => ({ start: Number(start), bytes: Number(bytes), extinf: Number(extinf), uri }));
}

function isWholeTs(file, size) {
  if (size === 0 || size % 188 !== 0) return false;
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(188);
    readSync(fd, buf, 0, 188, 0);
    const first = buf[0] === 0x47;
    readSync(fd, buf, 0, 188, size - 188);
    return first && buf[0] === 0x47;
  } finally { closeSync(fd); }
}

/** Checks the files of one task; returns { failures, media_s, segments }. */
async function checkFiles(dir, taskId, lifeS) {
  const failures = [];
  const ptsRepeats = [];
  let names;
  try { names = readdirSync(dir); } catch { return { failures: [`${taskId}: no directory ${dir}`], media_s: 0, segments: 0 }; }
  const lists = names.filter((n) => n.endsWith('.m3u8'));
  if (lists.length !== 1) failures.push(`${taskId}: ${lists.length} playlists (one video track expected): ${lists.join(', ')}`);
  let media = 0, count = 0;
  for (const name of lists) {
    const file = path.join(dir, name);
    const text = readFileSync(file, 'utf8');
    if (!text.includes('#EXT-X-ENDLIST')) failures.push(`${name}: no #EXT-X-ENDLIST`);
    const segs = parsePlaylist(text);
    count += segs.length;
    if (segs.length === 0) { failures.push(`${name}: no segment`); continue; }
    for (const s of segs) {
      const p = path.join(dir, s.uri);
      let size = -1;
      try { size = statSync(p).size; } catch { /* missing */ }
      if (size !== s.bytes) failures.push(`${s.uri}: ${size < 0 ? 'missing' : `${size} bytes, FILE-ATTR says ${s.bytes}`}`);
      else if (!isWholeTs(p, size)) failures.push(`${s.uri}: not whole MPEG-TS packets`);
    }
    const total = segs.reduce((a, s) => a + s.extinf, 0);
    media += total;
    // The task's whole life is recorded: from the Create (the publisher was there already) to
    // the Delete, less the first keyframe's wait (<= a GOP, 2 s) and a segment's rounding.
    if (total < lifeS - 6 || total > lifeS + 6) failures.push(`${name}: ${f(total, 1)} s recorded in a task that lived ${f(lifeS, 1)} s`);
    // Every segment, through the playlist: ffprobe demuxes each and counts the frames.
    const pr = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_packets', '-show_entries',
      'stream=codec_name,width,height,nb_read_packets', '-of', 'json', file]);
    if (pr.code !== 0 || pr.stderr.trim() !== '') failures.push(`${name}: ffprobe: ${pr.code} ${pr.stderr.trim().slice(0, 300)}`);
    else {
      const st = JSON.parse(pr.stdout).streams?.[0] ?? {};
      const [w, h] = SIZE.split('x').map(Number);
      if (st.codec_name !== 'h264' || st.width !== w || st.height !== h) failures.push(`${name}: stream ${JSON.stringify(st)}`);
      const frames = Number(st.nb_read_packets);
      if (!(Math.abs(frames - total * FPS) <= Math.max(3 * FPS, 0.02 * total * FPS))) {
        failures.push(`${name}: ${frames} frames read, ${f(total * FPS, 0)} expected from the EXTINFs (${f(total, 1)} s at ${FPS} fps)`);
      }
    }
    // A sample decoded: first, middle and last segment.
    const sample = [...new Set([0, Math.floor(segs.length / 2), segs.length - 1])].map((i) => segs[i]);
    for (const s of sample) {
      // Decoded (every frame as it comes: no frame-rate conversion in the way).
      const dr = await run('ffmpeg', ['-v', 'error', '-nostdin', '-i', path.join(dir, s.uri), '-fps_mode', 'passthrough', '-f', 'null', '-']);
      // The null muxer's complaint about two decoded pictures with one PTS is counted, not failed:
      // the first segment of every task has one (its packets' DTS do increase; docs/reliability.md).
      const lines = dr.stderr.split('\n').filter((l) => l.trim() !== '');
      // ("Last message repeated N times" is ffmpeg folding more of the same complaint.)
      const repeats = lines.filter((l) => /non monotonically increasing dts to muxer|Last message repeated \d+ times/.test(l));
      ptsRepeats.push(...repeats.map(() => s.uri));
      const errors = lines.filter((l) => !repeats.includes(l));
      if (dr.code !== 0 || errors.length) failures.push(`${s.uri}: decode: ${dr.code} ${errors.join(' ').slice(0, 300)}`);
      // Every packet has a PTS and the DTS increase (as tests/integration/record.test.mjs checks).
      const pk = await run('ffprobe', ['-v', 'error', '-show_entries', 'packet=pts_time,dts_time', '-of', 'csv=p=0', path.join(dir, s.uri)]);
      const rows = pk.stdout.trim().split('\n').filter((l) => l.trim() !== '').map((l) => l.split(','));
      if (rows.some(([pts]) => pts === 'N/A' || pts === '')) failures.push(`${s.uri}: a packet without PTS`);
      const dts = rows.map(([pts, dt]) => Number(dt === 'N/A' ? pts : dt));
      const back = dts.findIndex((v, i) => i > 0 && !(v > dts[i - 1]));
      if (back > 0) failures.push(`${s.uri}: DTS ${dts[back]} after ${dts[back - 1]} (packet ${back})`);
    }
  }
  return { failures, media_s: media, segments: count, pts_repeats: ptsRepeats };
}

/**
 * Runs the soak. Returns { ok, failures, report } and never throws for a failed check (it throws
 * only when it cannot run at all). @log receives the progress and the report's lines.
 */
export async function runSoak({ tasks = 10, seconds = 120, warmup, interval, bin, log = console.log, keep = false } = {}) {
  bin ??= process.env.CLOUDREC_BIN || path.join(process.env.BUILD ?? path.join(REPO, 'build'), 'cloudrec');
  warmup ??= Math.min(120, Math.max(20, Math.round(seconds * 0.05)));
  interval ??= Math.min(30, Math.max(2, Math.round(seconds / 60)));
  for (const v of ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) delete process.env[v];
  const failures = [];
  const fail = (msg) => { failures.push(msg); log(`FAIL ${msg}`); };
  const dir = mkdtempSync(path.join(tmpdir(), 'cloudrec-soak-'));
  const dataDir = path.join(dir, 'data');
  mkdirSync(dataDir);
  const publishers = [];
  let d = null;
  let cb = null;
  const report = { tasks, seconds, warmup, interval, size: SIZE, fps: FPS, started: new Date().toISOString(), samples: [] };
  try {
    // The clip: long enough for warm-up, window and both ends; tiny, a keyframe every 2 s.
    const clip = path.join(dir, 'clip.h264');
    const clipS = warmup + seconds + 60 + Math.ceil(tasks / 2);
    const gen = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${SIZE}:rate=${FPS}`, '-t', String(clipS),
      '-c:v', 'libx264', '-profile:v', 'baseline', '-preset', 'ultrafast', '-g', String(2 * FPS), '-b:v', '60k', '-f', 'h264', clip]);
    if (gen.status !== 0) throw new Error(`ffmpeg could not make the clip: ${gen.stderr}`);
    log(`clip: ${SIZE} ${FPS} fps H.264 ${clipS} s, ${(statSync(clip).size / 1e6).toFixed(1)} MB`);

    cb = await callbackServer();
    d = await startDaemon(bin, dataDir, tasks, cb.port, log);
    const client = new tencentcloud.trtc.v20190722.Client({ credential: { secretId: APP.secretId, secretKey: APP.secretKey }, region: 'ap-guangzhou',
      profile: { httpProfile: { endpoint: `127.0.0.1:${d.port}`, protocol: 'http://', reqTimeout: 60 } } });

    // Publishers, in batches of 5 so that start-ups (GStreamer, a DTLS key, ICE) do not all land at
    // once; one that cannot connect while the machine is busy starting the others is started again
    // (up to 3 times; the ramp is not what is soaked).
    const inRoom = async (i) => ((await linkGet(dataDir, `/internal/rooms/${APP.sdkAppId}/room/${ROOM0 + i}`))?.Streams ?? []).some((s) => s.VideoCaps);
    const startPublisher = (i) => {
      const p = track(spawn(bin, ['publish', '--server', `http://127.0.0.1:${d.port}`, '--sdkappid', String(APP.sdkAppId), '--room', String(ROOM0 + i),
        '--user', 'pub', '--usersig', sig('pub'), '--from', clip, '--fps', String(FPS), '--no-audio'], { stdio: ['ignore', 'ignore', 'pipe'] }));
      p.errText = '';
      p.stderr.setEncoding('utf8');
      p.stderr.on('data', (s) => { if (p.errText.length < 4000) p.errText += s; });
      publishers[i] = p;
    };
    report.publisher_restarts = 0;
    for (let b = 0; b < tasks; b += 5) {
      const batch = [];
      for (let i = b; i < Math.min(tasks, b + 5); i++) { startPublisher(i); batch.push(i); }
      const end = Date.now() + 120000;
      const tries = new Map(batch.map((i) => [i, 1]));
      for (const j of batch) {
        while (!(await inRoom(j))) {
          if (publishers[j].exitCode !== null) {
            if (tries.get(j) >= 3) throw new Error(`publisher ${j} exited ${publishers[j].exitCode} (3 tries): ${publishers[j].errText}`);
            log(`publisher ${j} exited during the ramp (${publishers[j].errText.trim().split('\n').pop()}); starting it again`);
            tries.set(j, tries.get(j) + 1);
            report.publisher_restarts++;
            startPublisher(j);
          }
          if (Date.now() > end) throw new Error(`publisher ${j} not in its room after 120 s`);
          await sleep(250);
        }
      }
    }
    log(`${tasks} publishers in their rooms`);

    // Tasks, in batches of 5, each batch's 301s awaited: a worker's start (GStreamer, its first
    // link calls with a 5 s timeout) starved by 50 others starting at once gives up, and its task
    // ends with 301 Status 1 (seen at 60 tasks created back to back; docs/reliability.md).
    const ids = [];
    const created = [];
    const started = () => new Set(cb.received.filter((r) => r.json?.EventType === 301).map((r) => r.json.EventInfo.TaskId));
    const tRamp = Date.now();
    let workers;
    for (let b = 0; b < tasks; b += 5) {
      for (let i = b; i < Math.min(tasks, b + 5); i++) {
        const robot = `rec_${i}`;
        const { TaskId } = await client.CreateCloudRecording({ SdkAppId: APP.sdkAppId, RoomId: String(ROOM0 + i), UserId: robot, UserSig: sig(robot),
          RecordParams: { RecordMode: 1, StreamType: 2 },
          StorageParams: { CloudStorage: { Vendor: 0, Region: 'r', Bucket: 'b', AccessKey: 'a', SecretKey: 's', FileNamePrefix: [PREFIX] } } });
        ids.push(TaskId);
        created.push(Date.now());
      }
      const end = Date.now() + 120000;
      for (;;) {
        const s = started();
        if (ids.every((id) => s.has(id))) break;
        if (Date.now() > end) throw new Error(`only ${ids.filter((id) => s.has(id)).length} of ${ids.length} tasks sent their 301 within 120 s`);
        await sleep(250);
      }
    }
    const bad = cb.received.filter((r) => r.json?.EventType === 301 && r.json.EventInfo.Payload?.Status !== 0);
    if (bad.length) throw new Error(`${bad.length} tasks could not start (301 Status ${bad[0].json.EventInfo.Payload?.Status})`);
    workers = workerPids(d.proc.pid);
    if (!ids.every((id) => workers.has(id))) throw new Error(`${ids.filter((id) => !workers.has(id)).length} tasks have no worker`);
    report.ramp_s = (Date.now() - tRamp) / 1000;
    log(`${tasks} tasks recording after a ${f(report.ramp_s, 0)} s ramp (workers ${[...workers.values()].slice(0, 5).join(', ')}${tasks > 5 ? ', ...' : ''}); warm-up ${warmup} s`);
    await sleep(warmup * 1000);

    // The measured window.
    const firstPids = new Map(workers);
    const t0 = Date.now();
    const m0 = machineCpu();
    const series = { daemon: [], workers: new Map(ids.map((id) => [id, []])), publishers: publishers.map(() => []) };
    const cpu0 = { daemon: procSample(d.proc.pid).cpu, workers: new Map(ids.map((id) => [id, procSample(firstPids.get(id))?.cpu ?? NaN])),
      publishers: publishers.map((p) => procSample(p.pid)?.cpu ?? NaN) };
    let nextPrint = 0;
    for (let k = 0; ; k++) {
      const t = (Date.now() - t0) / 1000;
      const now = workerPids(d.proc.pid);
      const ds = procSample(d.proc.pid);
      if (!ds) throw new Error('the daemon is gone');
      series.daemon.push({ t, ...ds });
      const ws = [];
      for (const id of ids) {
        const pid = now.get(id);
        if (pid !== firstPids.get(id)) {
          if (!report.restarts?.[id]) fail(`task ${id}: worker ${firstPids.get(id)} replaced by ${pid ?? 'nothing'} at t=${f(t, 0)} s`);
          (report.restarts ??= {})[id] = pid ?? null;
          continue;
        }
        const s = procSample(pid);
        if (s) { series.workers.get(id).push({ t, ...s }); ws.push(s); }
      }
      const ps = publishers.map((p, i) => { const s = procSample(p.pid); if (s) series.publishers[i].push({ t, ...s }); return s; }).filter(Boolean);
      const mc = machineCpu();
      const row = {
        t: Math.round(t), daemon_rss: ds.rss, daemon_fds: ds.fds, daemon_threads: ds.threads,
        workers: ws.length, worker_rss_sum: ws.reduce((a, s) => a + s.rss, 0), worker_rss_max: Math.max(...ws.map((s) => s.rss)),
        worker_fds_max: Math.max(...ws.map((s) => s.fds)), worker_threads_max: Math.max(...ws.map((s) => s.threads)),
        publishers: ps.length, publisher_rss_sum: ps.reduce((a, s) => a + s.rss, 0),
        machine_busy: (mc.busy - m0.busy) / Math.max(1, mc.total - m0.total),
        load1: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]),
      };
      report.samples.push(row);
      if (t >= nextPrint || t >= seconds) {
        log(`t=${String(row.t).padStart(5)} s  daemon ${f(row.daemon_rss, 1)} MB ${row.daemon_fds} fds ${row.daemon_threads} thr | ${row.workers} workers: ` +
          `sum ${f(row.worker_rss_sum, 0)} MB, max ${f(row.worker_rss_max, 1)} MB, ${row.worker_fds_max} fds, ${row.worker_threads_max} thr | ` +
          `publishers ${f(row.publisher_rss_sum, 0)} MB | machine ${f(100 * row.machine_busy, 0)}% busy, load ${row.load1}`);
        nextPrint += Math.max(interval, seconds / 20);
      }
      if (t >= seconds) break;
      const dead = publishers.findIndex((p) => p.exitCode !== null || p.signalCode !== null);
      if (dead >= 0) fail(`publisher ${dead} exited early (${publishers[dead].exitCode ?? publishers[dead].signalCode}): ${publishers[dead].errText.slice(0, 300)}`);
      await sleep(Math.max(0, t0 + (k + 1) * interval * 1000 - Date.now()));
    }
    const windowS = (Date.now() - t0) / 1000;
    const m1 = machineCpu();

    // CPU per media-second, from the first sample to the last.
    const cpuDelta = (s, c0) => (s.length ? s[s.length - 1].cpu - c0 : NaN);
    const workerCpu = ids.reduce((a, id) => a + cpuDelta(series.workers.get(id), cpu0.workers.get(id)), 0);
    const daemonCpu = cpuDelta(series.daemon, cpu0.daemon);
    const pubCpu = publishers.reduce((a, _, i) => a + cpuDelta(series.publishers[i], cpu0.publishers[i]), 0);
    report.window_s = windowS;
    report.cpu_per_media_s = { worker: workerCpu / windowS / tasks, daemon: daemonCpu / windowS / tasks, publisher: pubCpu / windowS / tasks };
    report.machine_busy = (m1.busy - m0.busy) / (m1.total - m0.total);

    // Growth per process.
    const g = { daemon: growth(series.daemon), workers: [], publishers: [] };
    for (const id of ids) { const s = series.workers.get(id); if (s.length >= 3) g.workers.push({ id, ...growth(s) }); }
    for (const s of series.publishers) if (s.length >= 3) g.publishers.push(growth(s));
    const tolDaemon = TOL.daemonMb + 0.02 * tasks;
    if (g.daemon.rssGrowth > tolDaemon) fail(`daemon RSS grew ${f(g.daemon.rssGrowth)} MB (first third ${f(g.daemon.rssFirst)}, last ${f(g.daemon.rssLast)}; tolerance ${f(tolDaemon)} MB)`);
    if (g.daemon.fdsLastMax > g.daemon.fdsFirstMax + TOL.fdSlack + Math.ceil(tasks / 20)) fail(`daemon fds grew: ${g.daemon.fdsFirstMax} -> ${g.daemon.fdsLastMax}`);
    if (g.daemon.threadsLastMax > g.daemon.threadsFirstMax + TOL.threadSlack) fail(`daemon threads grew: ${g.daemon.threadsFirstMax} -> ${g.daemon.threadsLastMax}`);
    for (const w of g.workers) {
      if (w.rssGrowth > TOL.workerMb) fail(`worker of ${w.id}: RSS grew ${f(w.rssGrowth)} MB (${f(w.rssFirst)} -> ${f(w.rssLast)}; tolerance ${TOL.workerMb} MB)`);
      if (w.fdsLastMax > w.fdsFirstMax + TOL.fdSlack) fail(`worker of ${w.id}: fds grew ${w.fdsFirstMax} -> ${w.fdsLastMax}`);
      if (w.threadsLastMax > w.threadsFirstMax + TOL.threadSlack) fail(`worker of ${w.id}: threads grew ${w.threadsFirstMax} -> ${w.threadsLastMax}`);
    }
    const medGrowth = median(g.workers.map((w) => w.rssGrowth));
    if (medGrowth > TOL.workerMedianMb) fail(`the median worker's RSS grew ${f(medGrowth)} MB (tolerance ${TOL.workerMedianMb} MB)`);
    for (const [i, p] of g.publishers.entries()) if (p.rssGrowth > TOL.publisherMb) fail(`publisher ${i}: RSS grew ${f(p.rssGrowth)} MB`);
    report.growth = {
      daemon: g.daemon,
      worker_median: { rssGrowth: medGrowth, rssSlopeMbPerHour: median(g.workers.map((w) => w.rssSlopeMbPerHour)) },
      worker_max: { rssGrowth: Math.max(...g.workers.map((w) => w.rssGrowth)), rssSlopeMbPerHour: Math.max(...g.workers.map((w) => w.rssSlopeMbPerHour)),
        rssMax: Math.max(...g.workers.map((w) => w.rssMax)), hwm: Math.max(...g.workers.map((w) => w.hwm)),
        fds: Math.max(...g.workers.map((w) => w.fdsLastMax)), threads: Math.max(...g.workers.map((w) => w.threadsLastMax)) },
      publisher_median: { rssGrowth: median(g.publishers.map((p) => p.rssGrowth)), hwm: Math.max(...g.publishers.map((p) => p.hwm)) },
    };

    // The end: Delete every task, each sends its 302 (LeaveCode 0) and its worker exits.
    const deleted = new Map();
    for (const id of ids) { await client.DeleteCloudRecording({ SdkAppId: APP.sdkAppId, TaskId: id }); deleted.set(id, Date.now()); }
    const endBy = Date.now() + 60000 + tasks * 2000;
    const tEnd0 = Date.now();
    for (;;) {
      const done = new Set(cb.received.filter((r) => r.json?.EventType === 302).map((r) => r.json.EventInfo.TaskId));
      const left = workerPids(d.proc.pid);
      if (ids.every((id) => done.has(id)) && left.size === 0) break;
      if (Date.now() > endBy) { fail(`after the Deletes: ${ids.filter((id) => !done.has(id)).length} tasks without a 302, ${left.size} workers still running`); break; }
      await sleep(500);
    }
    report.end_s = (Date.now() - tEnd0) / 1000;
    for (const id of ids) {
      const mine = cb.received.filter((r) => r.json?.EventInfo?.TaskId === id).map((r) => r.json);
      const types = mine.map((j) => j.EventType);
      if (types[0] !== 301) fail(`${id}: first callback ${types[0]}, not 301`);
      const ends = mine.filter((j) => j.EventType === 302);
      if (ends.length !== 1 || ends[0].EventInfo.Payload?.LeaveCode !== 0) fail(`${id}: 302s ${JSON.stringify(ends.map((j) => j.EventInfo.Payload))} (one with LeaveCode 0 expected)`);
      if (types.includes(306)) fail(`${id}: a 306 (worker failover) during the soak`);
      const st = await client.request('CloudrecDescribeTask', { SdkAppId: APP.sdkAppId, TaskId: id });
      if (st.Status !== 'Exited') fail(`${id}: Status ${st.Status} after the Delete`);
    }
    report.callbacks = cb.received.length;
    log(`all ${tasks} tasks deleted: every 302 and every worker's exit within ${f(report.end_s, 1)} s`);

    for (const p of publishers) p.kill('SIGINT');
    d.proc.kill('SIGTERM');
    const stop = await Promise.race([d.exited, sleep(60000, 'timeout')]);
    if (stop === 'timeout' || stop.code !== 0) fail(`the daemon's SIGTERM: ${JSON.stringify(stop)}`);

    // Files.
    const checks = await pool(ids.map((id, i) => () => checkFiles(path.join(dataDir, 'storage', PREFIX, id), id, (deleted.get(id) - created[i]) / 1000)), 2);
    let segs = 0, media = 0;
    for (const c of checks) { segs += c.segments; media += c.media_s; for (const m of c.failures.slice(0, 5)) fail(m); if (c.failures.length > 5) fail(`... ${c.failures.length - 5} more`); }
    const repeats = checks.flatMap((c) => c.pts_repeats);
    report.files = { playlists: checks.length, segments: segs, media_s: media, decoded_pts_repeats: repeats.length, segments_with_pts_repeats: new Set(repeats).size };
    if (repeats.length) log(`note: ${repeats.length} decoded pictures repeat the previous one's PTS, in ${new Set(repeats).size} sampled segments (e.g. ${repeats[0]})`);
    log(`files: ${ids.length} playlists, ${segs} segments, ${f(media / 3600, 2)} h of media checked (ffprobe read every segment through its playlist; first/middle/last decoded)`);
    const warnings = readFileSync(d.logFile, 'utf8').split('\n').filter((l) => /CRITICAL|ERROR|WARNING/i.test(l));
    report.daemon_log_warnings = warnings.length;
    if (warnings.length) log(`daemon log: ${warnings.length} warning lines, e.g. ${warnings.slice(0, 3).join(' | ')}`);

    // The report.
    const G = report.growth;
    log('');
    log(`SOAK ${tasks} tasks x ${f(windowS, 0)} s measured (+${warmup} s warm-up), ${SIZE} ${FPS} fps H.264, samples every ${interval} s`);
    log(`  machine: ${f(100 * report.machine_busy, 0)}% busy over the window (2 cores = 200%: ${f(200 * report.machine_busy, 0)}% of one core)`);
    log(`  CPU-s per media-s per task: worker ${f(report.cpu_per_media_s.worker, 4)}, daemon ${f(report.cpu_per_media_s.daemon, 4)}, publisher ${f(report.cpu_per_media_s.publisher, 4)}`);
    log(`  daemon: RSS ${f(G.daemon.rssFirst)} -> ${f(G.daemon.rssLast)} MB (growth ${f(G.daemon.rssGrowth)}, tol ${f(tolDaemon)}; slope ${f(G.daemon.rssSlopeMbPerHour)} MB/h), peak ${f(G.daemon.hwm)} MB; ` +
      `fds ${G.daemon.fdsFirstMax} -> ${G.daemon.fdsLastMax}; threads ${G.daemon.threadsFirstMax} -> ${G.daemon.threadsLastMax}`);
    log(`  workers: median growth ${f(G.worker_median.rssGrowth)} MB (tol ${TOL.workerMedianMb}; slope ${f(G.worker_median.rssSlopeMbPerHour)} MB/h), ` +
      `max growth ${f(G.worker_max.rssGrowth)} MB (tol ${TOL.workerMb}; slope ${f(G.worker_max.rssSlopeMbPerHour)} MB/h); max RSS ${f(G.worker_max.rssMax)} MB, peak ${f(G.worker_max.hwm)} MB; ` +
      `fds <= ${G.worker_max.fds}, threads <= ${G.worker_max.threads}`);
    log(`  publishers: median growth ${f(G.publisher_median.rssGrowth)} MB, peak ${f(G.publisher_median.hwm)} MB`);
    log(`  end: ${tasks} Deletes -> ${tasks} 302s in ${f(report.end_s, 1)} s; ${report.callbacks} callbacks in all`);
    log(`  ${failures.length === 0 ? 'PASS' : `FAIL (${failures.length})`}`);
    report.failures = failures;
    mkdirSync(path.join(REPO, 'bench', 'out'), { recursive: true });
    writeFileSync(path.join(REPO, 'bench', 'out', 'soak.json'), JSON.stringify(report, null, 1) + '\n');
  } finally {
    for (const p of publishers) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    if (d && d.proc.exitCode === null && d.proc.signalCode === null) {
      d.proc.kill('SIGTERM');
      if ((await Promise.race([d.exited, sleep(10000, 'timeout')])) === 'timeout') d.proc.kill('SIGKILL');
    }
    if (cb) cb.server.close();
    // Workers left by a daemon that had to be killed: every process naming our data dir is ours.
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try { if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(dataDir)) process.kill(Number(name), 'SIGKILL'); } catch { /* gone */ }
    }
    if (!keep) rmSync(dir, { recursive: true, force: true });
    else log(`kept ${dir}`);
  }
  return { ok: failures.length === 0, failures, report };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const num = (name) => (process.env[name] ? Number(process.env[name]) : undefined);
  const r = await runSoak({ tasks: num('CLOUDREC_SOAK_TASKS') ?? 10, seconds: num('CLOUDREC_SOAK_SECONDS') ?? 120,
    warmup: num('CLOUDREC_SOAK_WARMUP'), interval: num('CLOUDREC_SOAK_INTERVAL'), keep: process.env.CLOUDREC_SOAK_KEEP === '1' });
  process.exit(r.ok ? 0 : 1);
}
