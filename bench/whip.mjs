// WHIP ingest bench.
// 1. POST -> 201 latency: one real offer (made by headless Chromium) is POSTed N times as N
//    users, each answered and then DELETEd; the baseline is the same POST refused at the UserSig
//    check (HTTP, routing and header checks only), measured in the same run.
// 2. CPU per published Mbit/s: `cloudrec publish` sends S streams (H.264 at a set bitrate + Opus) for D seconds; the
//    daemon's CPU-seconds (/proc) are divided by the media seconds and the Mbit/s received. The
//    baseline is gst-launch receiving the same RTP from forwards (udpsrc ! fakesink), the floor of
//    moving those packets through GStreamer at all.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { APP, BUILD, REPO, appArg, cpuSeconds, link, memoryMb } from './common.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const TLSSigAPIv2 = require('tls-sig-api-v2');

const POSTS = Number(process.env.BENCH_WHIP_POSTS ?? 100);
const STREAMS = Number(process.env.BENCH_WHIP_STREAMS ?? 4);
const SECONDS = Number(process.env.BENCH_WHIP_SECONDS ?? 20);
const KBPS = Number(process.env.BENCH_WHIP_KBPS ?? 1000);
const sig = (user) => new TLSSigAPIv2.Api(APP.sdkAppId, APP.usersigKey).genSig(user, 3600);

const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

async function startDaemon(dataDir) {
  const proc = spawn(path.join(BUILD, 'cloudrec'), ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir,
    '--app', appArg(), '--log-level', 'warning',
    '--ingest-connect-timeout', '3'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const port = await new Promise((resolve, reject) => {
    proc.stdout.on('data', (s) => { out += s; const m = /at http:\/\/127\.0\.0\.1:(\d+)\//.exec(out); if (m) resolve(Number(m[1])); });
    proc.once('exit', (c) => reject(new Error(`cloudrec exited ${c}`)));
  });
  return { proc, port, dataDir };
}

async function launch() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic'] });
}

async function makeOffer(browser, port) {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${port}/publish`); // a secure context, for getUserMedia
  const sdp = await page.evaluate(async () => {
    const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    for (const t of media.getTracks()) pc.addTransceiver(t, { direction: 'sendonly' });
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((r) => { if (pc.iceGatheringState === 'complete') r(); pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r(); setTimeout(r, 2000); });
    return pc.localDescription.sdp;
  });
  await page.close();
  return sdp;
}

async function post(port, user, offer, usersig) {
  const t0 = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/whip/${APP.sdkAppId}/room/9000/${user}/main`, {
    method: 'POST', headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${usersig}` }, body: offer,
  });
  await res.text();
  const timing = /answer;dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '');
  return { ms: performance.now() - t0, status: res.status, location: res.headers.get('location'), server_ms: timing ? Number(timing[1]) : NaN };
}

async function benchLatency(d, offer) {
  const ok = [];
  const server = [];
  const refused = [];
  let first = null;
  for (let i = 0; i < POSTS; i++) {
    const user = `bench_${i}`;
    const r = await post(d.port, user, offer, sig(user));
    if (r.status !== 201) throw new Error(`POST ${user}: ${r.status}`);
    if (first === null) first = r.ms; else { ok.push(r.ms); server.push(r.server_ms); }
    await fetch(`http://127.0.0.1:${d.port}${r.location}`, { method: 'DELETE' }).then((x) => x.text());
    const bad = await post(d.port, user, offer, sig('someone_else'));
    if (bad.status !== 401) throw new Error(`refused POST: ${bad.status}`);
    refused.push(bad.ms);
  }
  return { first_ms: first, p50_ms: quantile(ok, 0.5), p99_ms: quantile(ok, 0.99), server_p50_ms: quantile(server, 0.5), server_p99_ms: quantile(server, 0.99), baseline_p50_ms: quantile(refused, 0.5), baseline_p99_ms: quantile(refused, 0.99) };
}

// An H.264 RTP payload that starts a keyframe: IDR or SPS, alone, in a STAP-A or a FU-A start.
function isKeyframe(pkt) {
  const cc = pkt[0] & 0x0f;
  let off = 12 + cc * 4;
  if (pkt[0] & 0x10) off += 4 + ((pkt[off + 2] << 8) | pkt[off + 3]) * 4; // header extension
  const nal = pkt[off] & 0x1f;
  if (nal === 5 || nal === 7) return true;
  if (nal === 24) return [5, 7].includes(pkt[off + 3] & 0x1f);
  if (nal === 28) return (pkt[off + 1] & 0x80) !== 0 && (pkt[off + 1] & 0x1f) === 5;
  return false;
}

// For each publisher: subscribe its video to a fresh socket and time the first keyframe packet
// (the forward asks the publisher for one; its own GOP is 2 s).
async function keyframeDelays(d) {
  const out = [];
  for (let i = 0; i < STREAMS; i++) {
    const sock = dgram.createSocket('udp4');
    await new Promise((r) => sock.bind(0, '127.0.0.1', r));
    const got = new Promise((resolve) => sock.on('message', (m) => { if (isKeyframe(m)) resolve(performance.now()); }));
    const t0 = performance.now();
    const res = await link(d, 'POST', '/internal/forwards',
      { SdkAppId: APP.sdkAppId, RoomId: '9100', UserId: `pub_${i}`, Stream: 'main', Media: 'video', RtpPort: sock.address().port, RtcpPort: 0 });
    const { ForwardId } = res;
    const t1 = await Promise.race([got, sleep(5000).then(() => NaN)]);
    out.push(t1 - t0);
    await link(d, 'DELETE', `/internal/forwards/${ForwardId}`);
    sock.close();
  }
  return out;
}

async function benchCpu(d) {
  // `cloudrec publish` at a set bitrate: Chromium's fake camera compresses to ~0.2 Mbit/s whatever
  // the bandwidth estimate allows, which would measure per-packet overhead, not a 1 Mbit/s stream.
  const publishers = [];
  for (let i = 0; i < STREAMS; i++) {
    const user = `pub_${i}`;
    publishers.push(spawn(path.join(BUILD, 'cloudrec'), ['publish', '--server', `http://127.0.0.1:${d.port}`, '--sdkappid', String(APP.sdkAppId),
      '--room', '9100', '--user', user, '--usersig', sig(user), '--size', '640x360', '--fps', '15', '--bitrate', String(KBPS)], { stdio: 'ignore' }));
  }
  await sleep(5000); // connected and at rate
  const room = async () => (await link(d, 'GET', `/internal/rooms/${APP.sdkAppId}/room/9100`));
  const bytes = (r) => r.Streams.reduce((a, s) => a + s.RxBytes, 0);
  // Baseline receivers: every track forwarded to a gst-launch udpsrc ! fakesink.
  const receivers = [];
  let port = 47000;
  for (let i = 0; i < STREAMS; i++) {
    for (const media of ['video', 'audio']) {
      const rtp = port++;
      const p = spawn('gst-launch-1.0', ['-q', 'udpsrc', `port=${rtp}`, 'address=127.0.0.1', '!', 'fakesink', 'sync=false'], { stdio: 'ignore' });
      receivers.push(p);
      await sleep(300);
      await link(d, 'POST', '/internal/forwards',
        { SdkAppId: APP.sdkAppId, RoomId: '9100', UserId: `pub_${i}`, Stream: 'main', Media: media, RtpPort: rtp, RtcpPort: 0 });
    }
  }
  const keyframeMs = await keyframeDelays(d);
  const b0 = bytes(await room());
  const c0 = cpuSeconds(d.proc.pid);
  const r0 = receivers.map((p) => cpuSeconds(p.pid));
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(d.proc.pid) - c0;
  const recvCpu = receivers.reduce((a, p, i) => a + cpuSeconds(p.pid) - r0[i], 0);
  const mbit = ((bytes(await room()) - b0) * 8) / 1e6;
  const rss = memoryMb(d.proc.pid).rss;
  receivers.forEach((p) => p.kill());
  publishers.forEach((p) => p.kill('SIGINT'));
  await sleep(1000);
  const mbps = mbit / seconds;
  return {
    streams: STREAMS, seconds, mbps_total: mbps, mbps_per_stream: mbps / STREAMS,
    cpu_cores: cpu / seconds, cores_per_mbps: cpu / seconds / mbps, cores_per_stream: cpu / seconds / STREAMS,
    baseline_cores_per_mbps: recvCpu / seconds / mbps, rss_mb: rss, keyframe_ms: keyframeMs,
  };
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'cloudrec-bench-whip-'));
const d = await startDaemon(dataDir);
const browser = await launch();
try {
  const offer = await makeOffer(browser, d.port);
  const lat = await benchLatency(d, offer);
  const cpu = await benchCpu(d);
  const f = (v, n = 2) => v.toFixed(n);
  console.log(`WHIP POST -> 201 over ${POSTS} sessions (each DELETEd): first ${f(lat.first_ms)} ms, p50 ${f(lat.p50_ms)} ms, p99 ${f(lat.p99_ms)} ms; goal < 10 ms: ${lat.p50_ms < 10 ? 'met at p50' : 'NOT met at p50'}, ${lat.p99_ms < 10 ? 'met' : 'not met'} at p99`);
  console.log(`  of which the server (Server-Timing: pipeline, negotiation, ICE gathering): p50 ${f(lat.server_p50_ms)} ms, p99 ${f(lat.server_p99_ms)} ms`);
  console.log(`  baseline (same POST refused at the UserSig check): p50 ${f(lat.baseline_p50_ms)} ms, p99 ${f(lat.baseline_p99_ms)} ms -> ratio p50 ${f(lat.p50_ms / lat.baseline_p50_ms, 1)}x`);
  console.log(`ingest CPU: ${cpu.streams} cloudrec-publish streams (640x360 15 fps H.264 at ${KBPS} kbit/s + Opus), ${f(cpu.mbps_total)} Mbit/s in total over ${f(cpu.seconds, 1)} s: ${f(cpu.cpu_cores, 3)} cores, ` +
    `${f(cpu.cores_per_mbps, 4)} cores per Mbit/s, ${f(cpu.cores_per_stream, 4)} cores per stream; RSS ${f(cpu.rss_mb, 1)} MB`);
  console.log(`  a new subscriber's first keyframe after subscribing: ${cpu.keyframe_ms.map((x) => f(x, 0)).join(', ')} ms (goal < 1000 ms; publishers' GOP 2 s)`);
  console.log(`  baseline (gst-launch udpsrc ! fakesink receiving the same RTP): ${f(cpu.baseline_cores_per_mbps, 4)} cores per Mbit/s -> ratio ${f(cpu.cores_per_mbps / cpu.baseline_cores_per_mbps, 1)}x`);
  mkdirSync(path.join(REPO, 'bench', 'out'), { recursive: true });
  writeFileSync(path.join(REPO, 'bench', 'out', 'whip.json'), JSON.stringify({ latency: lat, cpu }, null, 2) + '\n');
} finally {
  await browser.close();
  d.proc.kill('SIGTERM');
  await sleep(500);
  rmSync(dataDir, { recursive: true, force: true });
}
