// WHIP ingest engines side by side (issue 18): the same publishers received by the webrtcbin engine,
// then by the lean one (ingest-engine), each alone in its own daemon, with 4 and 8 publishers.
// Publishers are `cloudrec publish --from FILE` (H.264 pre-encoded by ffmpeg before the run, plus
// the tool's Opus), so publishing costs little next to the daemon; every track is forwarded to one
// UDP socket of this script. Reported per run: the daemon's cores per stream and per Mbit/s, its
// thread count (/proc/PID/status Threads), context switches per received RTP packet (voluntary +
// nonvoluntary, summed over /proc/PID/task/*), and RSS. Run inside a network namespace (bench/run.sh).
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { APP, BUILD, REPO, cpuSeconds, link, memoryMb, startDaemon } from './common.mjs';

const require = createRequire(import.meta.url);
const TLSSigAPIv2 = require('tls-sig-api-v2');
const sig = (user) => new TLSSigAPIv2.Api(APP.sdkAppId, APP.usersigKey).genSig(user, 3600);

const SECONDS = Number(process.env.BENCH_INGEST_SECONDS ?? 20);
const COUNTS = (process.env.BENCH_INGEST_STREAMS ?? '4,8').split(',').map(Number);
const ENGINES = (process.env.BENCH_INGEST_ENGINES ?? 'webrtcbin,lean').split(',');
const KBPS = 1000;
const ROOM = '9200';

function threads(pid) {
  return Number(/Threads:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
}

/** Context switches of every thread of @pid so far (threads that ended are not counted). */
function contextSwitches(pid) {
  let n = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const s = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      n += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(s)[1]) + Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(s)[1]);
    } catch { /* the thread ended */ }
  }
  return n;
}

async function run(engine, streams, input, sink) {
  const dataDir = mkdtempSync(path.join(tmpdir(), `cloudrec-bench-ingest-${engine}-`));
  const d = await startDaemon(dataDir, ['--ingest-engine', engine]);
  const publishers = [];
  try {
    for (let i = 0; i < streams; i++) {
      const user = `pub_${i}`;
      publishers.push(spawn(path.join(BUILD, 'cloudrec'), ['publish', '--server', `http://127.0.0.1:${d.port}`, '--sdkappid', String(APP.sdkAppId),
        '--room', ROOM, '--user', user, '--usersig', sig(user), '--from', input, '--fps', '15'], { stdio: 'ignore' }));
    }
    const room = async () => (await link(d, 'GET', `/internal/rooms/${APP.sdkAppId}/room/${ROOM}`));
    // Every publisher in the room (a loaded machine may take a while), then at rate.
    for (let t = 0; t < 60 && ((await room())?.Streams?.length ?? 0) < streams; t++) await sleep(1000);
    await sleep(4000);
    // Every track forwarded to the sink: a forward exists once its track's first packet came.
    for (let i = 0; i < streams; i++) {
      for (const media of ['video', 'audio']) {
        for (let t = 0; t < 30; t++) {
          const r = await link(d, 'POST', '/internal/forwards',
            { SdkAppId: APP.sdkAppId, RoomId: ROOM, UserId: `pub_${i}`, Stream: 'main', Media: media, RtpPort: sink.port, RtcpPort: 0 });
          if (r?.ForwardId) break;
          await sleep(1000);
        }
      }
    }
    await sleep(1000);
    const bytes = (r) => r.Streams.reduce((a, s) => a + s.RxBytes, 0);
    // RTP packets received = forwarded (one subscriber per track), from the forwards' own counts.
    const forwarded = async () => ((await link(d, 'GET', '/internal/forwards'))?.Forwards ?? []).reduce((a, f) => a + f.Packets, 0);
    const connected = (await room()).Streams.length;
    const b0 = bytes(await room());
    const p0 = await forwarded();
    const c0 = cpuSeconds(d.proc.pid);
    const x0 = contextSwitches(d.proc.pid);
    const t0 = performance.now();
    await sleep(SECONDS * 1000);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = (cpuSeconds(d.proc.pid) - c0) / seconds;
    const switches = contextSwitches(d.proc.pid) - x0;
    const packets = (await forwarded()) - p0;
    const mbps = ((bytes(await room()) - b0) * 8) / 1e6 / seconds;
    const out = {
      engine, streams, connected, seconds, mbps_total: mbps, packets_per_s: packets / seconds, cores: cpu,
      cores_per_stream: cpu / streams, cores_per_mbps: cpu / mbps, threads: threads(d.proc.pid),
      switches_per_packet: switches / Math.max(1, packets), rss_mb: memoryMb(d.proc.pid).rss,
    };
    return out;
  } finally {
    publishers.forEach((p) => p.kill('SIGINT'));
    await sleep(1500);
    d.proc.kill('SIGTERM');
    await new Promise((r) => d.proc.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const work = mkdtempSync(path.join(tmpdir(), 'cloudrec-bench-ingest-'));
const input = path.join(work, 'in.h264');
spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=15', '-t', String(SECONDS + 30),
  '-c:v', 'libx264', '-profile:v', 'baseline', '-preset', 'veryfast', '-g', '30', '-b:v', `${KBPS}k`, '-maxrate', `${KBPS}k`,
  '-bufsize', `${KBPS}k`, '-f', 'h264', input]);
const sock = dgram.createSocket('udp4');
const sink = { packets: 0, port: 0 };
sock.on('message', (m) => { if (m.length >= 12 && (m[0] >> 6) === 2) sink.packets++; });
await new Promise((r) => sock.bind(0, '127.0.0.1', r));
sink.port = sock.address().port;
const results = [];
try {
  for (const streams of COUNTS) {
    for (const engine of ENGINES) {
      const r = await run(engine, streams, input, sink);
      results.push(r);
      const f = (v, n = 2) => v.toFixed(n);
      console.log(`${engine.padEnd(9)} ${r.connected}/${streams} streams (640x360 15 fps H.264 ${KBPS} kbit/s from a file + Opus), ${f(r.mbps_total)} Mbit/s, ${f(r.packets_per_s, 0)} RTP/s: ` +
        `${f(r.cores, 3)} cores, ${f(r.cores_per_stream, 4)} per stream, ${f(r.cores_per_mbps, 4)} per Mbit/s; ${r.threads} threads; ` +
        `${f(r.switches_per_packet, 2)} context switches per packet; RSS ${f(r.rss_mb, 1)} MB`);
    }
  }
  for (const streams of COUNTS) {
    const w = results.find((r) => r.engine === 'webrtcbin' && r.streams === streams);
    const l = results.find((r) => r.engine === 'lean' && r.streams === streams);
    if (w && l) {
      console.log(`  ${streams} streams: lean/webrtcbin cores per Mbit/s ${(l.cores_per_mbps / w.cores_per_mbps).toFixed(2)}x ` +
        `(Janus 1.1.2, measured elsewhere: 0.008-0.013 per 1 Mbit/s stream; goal <= Janus)`);
    }
  }
  mkdirSync(path.join(REPO, 'bench', 'out'), { recursive: true });
  writeFileSync(path.join(REPO, 'bench', 'out', 'ingest.json'), JSON.stringify(results, null, 2) + '\n');
} finally {
  sock.close();
  rmSync(work, { recursive: true, force: true });
}
