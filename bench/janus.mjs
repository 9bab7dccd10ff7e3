// Janus as the ingest's side-by-side baseline: the same pre-encoded publishers (`cloudrec publish
// --from FILE`: 1 Mbit/s H.264 made by ffmpeg before the run, + Opus) publish over WHIP into Janus
// 1.1.2's VideoRoom (through bench/janus_whip.mjs, a WHIP-to-Janus signalling bridge) and then into
// cloudrec's ingest, 4 and then 8 at a time, one system after the other, each alone. Reported per
// system: cores per stream and per Mbit/s, threads, context switches per received packet, RSS; then
// the ratios cloudrec/Janus.
//
// Network: run inside a network namespace (bench/run.sh: `unshare -n`). Janus leaves loopback out
// of its ICE candidates, so this namespace gets a veth pair: v0 (10.99.0.1) stays here for the
// servers; v1 (10.99.0.2) moves into a second namespace where the publishers run. Every packet the
// publishers send crosses v0, so v0's rx counters are the packets and bytes the server received
// (RTP, RTCP, STUN; the signalling's few TCP packets too) for both systems alike. (A dummy
// interface would do for the address but this kernel has no dummy driver; veth also gives the count.)
//
// Janus comes from Debian's `janus` package, installed here if missing; when it cannot be, the
// bench says so and skips. BENCH_INGEST_ENGINE, if set, is passed to the daemon as its
// `ingest-engine` setting. BENCH_JANUS_SECONDS (20), BENCH_JANUS_CASES (4,8).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { APP, BUILD, REPO, appArg, cpuSeconds } from './common.mjs';
import { startWhipBridge } from './janus_whip.mjs';

const require = (await import('node:module')).createRequire(import.meta.url);
const TLSSigAPIv2 = require('tls-sig-api-v2');

const SECONDS = Number(process.env.BENCH_JANUS_SECONDS ?? 20);
const CASES = (process.env.BENCH_JANUS_CASES ?? '4,8').split(',').map(Number);
const IN = { size: '640x360', fps: 15, kbps: 1000 };
const SERVER_IP = '10.99.0.1';
const PUB_IP = '10.99.0.2';
const JANUS_ROOM = 1234;
const JANUS_LIBS = '/usr/lib/x86_64-linux-gnu/janus';
const sig = (user) => new TLSSigAPIv2.Api(APP.sdkAppId, APP.usersigKey).genSig(user, 3600);
const f = (v, n = 3) => (Number.isFinite(v) ? v.toFixed(n) : 'n/a');
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error}`);
  return r.stdout;
};

function janusBinary() {
  const found = () => spawnSync('sh', ['-c', 'command -v janus'], { encoding: 'utf8' }).stdout.trim();
  if (found()) return found();
  console.log('janus: not installed; installing Debian\'s janus package (apt-get install -y janus)');
  const root = process.getuid?.() === 0;
  const r = spawnSync(root ? 'apt-get' : 'sudo', root ? ['install', '-y', 'janus'] : ['-n', 'apt-get', 'install', '-y', 'janus'],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0 || !found()) return null;
  return found();
}

/** /proc numbers of @pid: threads now, RSS now, and the context switches of all its threads so far. */
function procStats(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const num = (s, name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN);
  let switches = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const t = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      switches += num(t, 'voluntary_ctxt_switches') + num(t, 'nonvoluntary_ctxt_switches');
    } catch { /* the thread ended meanwhile */ }
  }
  return { threads: num(status, 'Threads'), rssMb: num(status, 'VmRSS') / 1024, switches, cpu: cpuSeconds(pid) };
}
// Exited threads' switches are lost from task/*; the process's own status only sums live ones too,
// so the delta can only undercount (threads are created at connect, before the window opens).

/** v0's received packets and bytes (from /proc/net/dev: /sys shows the host's namespace here). */
function rx() {
  const row = readFileSync('/proc/self/net/dev', 'utf8').split('\n').find((l) => l.trim().startsWith('v0:'));
  const cols = row.split(':')[1].trim().split(/\s+/).map(Number);
  return { bytes: cols[0], packets: cols[1] };
}

/** The veth pair and the publishers' namespace (a `sleep` holding it); returns the holder. */
function setupNetwork() {
  run('ip', ['link', 'set', 'lo', 'up']);
  run('ip', ['link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
  run('ip', ['addr', 'add', `${SERVER_IP}/24`, 'dev', 'v0']);
  run('ip', ['link', 'set', 'v0', 'up']);
  const holder = spawn('unshare', ['-n', 'sleep', 'infinity'], { stdio: 'ignore' });
  return holder;
}

async function finishNetwork(holder) {
  for (let t = 0; t < 50; t++) {
    if (spawnSync('ip', ['link', 'set', 'v1', 'netns', String(holder.pid)]).status === 0) break;
    await sleep(100);
  }
  run('nsenter', ['-t', String(holder.pid), '-n', 'sh', '-c',
    `ip link set lo up && ip addr add ${PUB_IP}/24 dev v1 && ip link set v1 up`]);
}

function janusConfig(dir) {
  for (const sub of ['plugins', 'transports', 'events', 'loggers']) mkdirSync(path.join(dir, sub));
  // Only the VideoRoom plugin and the HTTP transport: Janus loads every library in its folders.
  symlinkSync(`${JANUS_LIBS}/plugins/libjanus_videoroom.so`, path.join(dir, 'plugins', 'libjanus_videoroom.so'));
  symlinkSync(`${JANUS_LIBS}/transports/libjanus_http.so`, path.join(dir, 'transports', 'libjanus_http.so'));
  writeFileSync(path.join(dir, 'janus.jcfg'), `general: {
  configs_folder = "${dir}"
  plugins_folder = "${dir}/plugins"
  transports_folder = "${dir}/transports"
  events_folder = "${dir}/events"
  loggers_folder = "${dir}/loggers"
  debug_level = 3
  admin_secret = "bench"
  session_timeout = 0
  protected_folders = []
}
certificates: {}
media: { ipv6 = false }
nat: { nice_debug = false ice_enforce_list = "v0" }
plugins: {}
transports: {}
loggers: {}
events: {}
`);
  writeFileSync(path.join(dir, 'janus.transport.http.jcfg'), `general: {
  json = "plain"
  base_path = "/janus"
  http = true
  port = 8088
  ip = "127.0.0.1"
  https = false
}
admin: { admin_http = false }
cors: {}
`);
  // No recording, no bitrate cap (REMB), H.264 + Opus as the publishers send.
  writeFileSync(path.join(dir, 'janus.plugin.videoroom.jcfg'), `general: {}
room-${JANUS_ROOM}: {
  description = "bench"
  publishers = 32
  bitrate = 0
  fir_freq = 0
  videocodec = "h264"
  audiocodec = "opus"
  record = false
}
`);
}

async function startJanus(bin, dir) {
  const proc = spawn(bin, ['-C', path.join(dir, 'janus.jcfg'), '-F', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (s) => { log += s; });
  proc.stderr.on('data', (s) => { log += s; });
  for (let t = 0; t < 100; t++) {
    const ok = await fetch('http://127.0.0.1:8088/janus/info').then((r) => r.ok, () => false);
    if (ok) return { proc, log: () => log };
    if (proc.exitCode !== null) break;
    await sleep(100);
  }
  proc.kill('SIGKILL');
  throw new Error(`janus did not start:\n${log.slice(-2000)}`);
}

async function startCloudrec(dataDir) {
  const args = ['serve', '--listen', `${SERVER_IP}:0`, '--data-dir', dataDir, '--app', appArg(), '--log-level', 'warning'];
  if (process.env.BENCH_INGEST_ENGINE) args.push('--ingest-engine', process.env.BENCH_INGEST_ENGINE);
  const proc = spawn(path.join(BUILD, 'cloudrec'), args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const port = await new Promise((resolve, reject) => {
    proc.stdout.on('data', (s) => { out += s; const m = /at http:\/\/[\d.]+:(\d+)\//.exec(out); if (m) resolve(Number(m[1])); });
    proc.once('exit', (code) => reject(new Error(`cloudrec exited ${code}`)));
  });
  return { proc, port };
}

/** @n publishers into @serverUrl (a WHIP base), measured on @pid. */
async function measure(holder, pid, serverUrl, input, n, room) {
  const pubs = [];
  try {
    for (let i = 0; i < n; i++) {
      pubs.push(spawn('nsenter', ['-t', String(holder.pid), '-n', path.join(BUILD, 'cloudrec'), 'publish', '--server', serverUrl,
        '--sdkappid', String(APP.sdkAppId), '--room', room, '--user', `p${i}`, '--usersig', sig(`p${i}`), '--from', input,
        '--fps', String(IN.fps)], { stdio: ['ignore', 'pipe', 'pipe'] }));
    }
    let errors = '';
    pubs.forEach((p) => p.stderr.on('data', (s) => { errors += s; }));
    await sleep(6000); // connected and at rate
    const dead = pubs.filter((p) => p.exitCode !== null).length;
    if (dead) throw new Error(`${dead} of ${n} publishers exited: ${errors.slice(-1000)}`);
    const s0 = procStats(pid), r0 = rx(), t0 = performance.now();
    await sleep(SECONDS * 1000);
    const s1 = procStats(pid), r1 = rx(), secs = (performance.now() - t0) / 1000;
    const packets = r1.packets - r0.packets;
    const mbps = ((r1.bytes - r0.bytes) * 8) / 1e6 / secs;
    const cores = (s1.cpu - s0.cpu) / secs;
    return { publishers: n, seconds: secs, mbps_total: mbps, packets_per_s: packets / secs, cores,
      cores_per_stream: cores / n, cores_per_mbps: cores / mbps, threads: s1.threads,
      switches_per_packet: (s1.switches - s0.switches) / packets, rss_mb: s1.rssMb };
  } finally {
    pubs.forEach((p) => p.kill('SIGINT'));
    await sleep(2500);
    pubs.forEach((p) => p.exitCode === null && p.kill('SIGKILL'));
  }
}

const line = (name, r) => `  ${name.padEnd(8)} ${r.publishers} publishers, ${f(r.mbps_total, 2)} Mbit/s, ${f(r.packets_per_s, 0)} packets/s: ` +
  `${f(r.cores_per_stream, 4)} cores per stream, ${f(r.cores_per_mbps, 4)} per Mbit/s, ${r.threads} threads, ` +
  `${f(r.switches_per_packet, 2)} context switches per packet, RSS ${f(r.rss_mb, 1)} MB`;

const bin = janusBinary();
if (!bin) {
  console.log('janus: SKIPPED (the janus package is not installed and could not be: apt-get needs root or sudo, and the registry)');
  process.exit(0);
}
const work = mkdtempSync(path.join(tmpdir(), 'cloudrec-bench-janus-'));
const holder = setupNetwork();
const results = [];
try {
  await finishNetwork(holder);
  const input = path.join(work, 'in.h264');
  run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${IN.size}:rate=${IN.fps}`, '-t', String(SECONDS + 60),
    '-c:v', 'libx264', '-profile:v', 'baseline', '-preset', 'veryfast', '-g', String(IN.fps * 2), '-b:v', `${IN.kbps}k`,
    '-maxrate', `${IN.kbps}k`, '-bufsize', `${IN.kbps}k`, '-f', 'h264', input]);
  // Janus
  const jdir = path.join(work, 'janus');
  mkdirSync(jdir);
  janusConfig(jdir);
  const j = await startJanus(bin, jdir);
  const bridge = await startWhipBridge({ host: SERVER_IP, janusBase: 'http://127.0.0.1:8088/janus', room: JANUS_ROOM });
  try {
    for (const n of CASES) results.push({ system: 'janus', ...(await measure(holder, j.proc.pid, `http://${SERVER_IP}:${bridge.port}`, input, n, '1234')) });
  } finally {
    bridge.server.close();
    j.proc.kill('SIGTERM');
    await sleep(1500);
    if (j.proc.exitCode === null) j.proc.kill('SIGKILL');
  }
  // cloudrec
  const dataDir = path.join(work, 'cloudrec');
  mkdirSync(dataDir);
  const d = await startCloudrec(dataDir);
  try {
    for (const n of CASES) results.push({ system: 'cloudrec', ...(await measure(holder, d.proc.pid, `http://${SERVER_IP}:${d.port}`, input, n, '9960')) });
  } finally {
    d.proc.kill('SIGTERM');
    await sleep(1500);
  }
  console.log(`ingest vs Janus ${spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0].trim()} VideoRoom: ` +
    `${IN.size}@${IN.fps} H.264 ${IN.kbps} kbit/s (pre-encoded) + Opus per publisher, ${SECONDS} s each` +
    (process.env.BENCH_INGEST_ENGINE ? `, ingest-engine ${process.env.BENCH_INGEST_ENGINE}` : ''));
  const ratios = [];
  for (const n of CASES) {
    const jr = results.find((r) => r.system === 'janus' && r.publishers === n);
    const cr = results.find((r) => r.system === 'cloudrec' && r.publishers === n);
    console.log(line('janus', jr));
    console.log(line('cloudrec', cr));
    const ratio = { publishers: n, cores_per_mbps: cr.cores_per_mbps / jr.cores_per_mbps, threads: cr.threads / jr.threads,
      switches_per_packet: cr.switches_per_packet / jr.switches_per_packet, rss: cr.rss_mb / jr.rss_mb };
    ratios.push(ratio);
    console.log(`  cloudrec/janus at ${n}: cores per Mbit/s ${f(ratio.cores_per_mbps, 2)}x, threads ${f(ratio.threads, 2)}x, ` +
      `switches per packet ${f(ratio.switches_per_packet, 2)}x, RSS ${f(ratio.rss, 2)}x`);
  }
  mkdirSync(path.join(REPO, 'bench', 'out'), { recursive: true });
  writeFileSync(path.join(REPO, 'bench', 'out', 'janus.json'), JSON.stringify({ seconds: SECONDS, input: IN,
    ingest_engine: process.env.BENCH_INGEST_ENGINE ?? null, results, ratios }, null, 2) + '\n');
} finally {
  holder.kill('SIGKILL');
  if (existsSync(work)) rmSync(work, { recursive: true, force: true });
}
