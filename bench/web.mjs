// Web-page recording bench: one StartWebRecord of a 1280x720 page (a canvas animated at the
// display's rate, a ticking clock text and a 440 Hz tone) served on loopback, recorded for
// BENCH_WEB_SECONDS (20). Reported: CPU cores and memory of the whole task, split into its parts:
// the worker (capture, x264, AAC, files), Chromium (every process of it), Xvfb and PulseAudio.
// Memory is PSS (/proc/PID/smaps_rollup: Chromium's processes share most of their pages, so their
// RSS would be counted several times) and the RSS sum next to it.
import http from 'node:http';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

import { APP, BUILD, appArg, cpuSeconds } from './common.mjs';

const require = createRequire(import.meta.url);
const tencentcloud = require('tencentcloud-sdk-nodejs');

const SECONDS = Number(process.env.BENCH_WEB_SECONDS ?? 20);
const WIDTH = Number(process.env.BENCH_WEB_WIDTH ?? 1280);
const HEIGHT = Number(process.env.BENCH_WEB_HEIGHT ?? 720);

const PAGE = `<!doctype html><html><body style="margin:0;overflow:hidden;background:#123">
<canvas id="c" width="${WIDTH}" height="${HEIGHT}"></canvas><script>
const g = document.getElementById('c').getContext('2d');
function frame(t) {
  g.fillStyle = '#123'; g.fillRect(0, 0, ${WIDTH}, ${HEIGHT});
  for (let i = 0; i < 20; i++) {
    g.fillStyle = 'hsl(' + (i * 18 + t / 20) % 360 + ',80%,55%)';
    g.fillRect((Math.sin(t / 900 + i) * 0.45 + 0.5) * ${WIDTH - 80}, (Math.cos(t / 700 + i * 1.3) * 0.45 + 0.5) * ${HEIGHT - 80}, 80, 80);
  }
  g.fillStyle = '#fff'; g.font = '48px sans-serif'; g.fillText(new Date().toISOString(), 40, 80);
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
const a = new AudioContext(); const o = a.createOscillator(); o.frequency.value = 440; o.connect(a.destination); o.start();
</script></body></html>`;

function pssMb(pid) {
  try {
    const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return Number(/^Pss:\s+(\d+) kB/m.exec(t)[1]) / 1024;
  } catch { return 0; }
}

function rssMb(pid) {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
  } catch { return 0; }
}

// The task's processes by part: the worker, and every process naming the task's private directory.
function parts(taskId, worker) {
  const out = { worker: [worker], chromium: [], xvfb: [], pulseaudio: [] };
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let cmd;
    try { cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { continue; }
    if (!cmd.includes(`/cloudrec-web-${taskId}-`)) continue;
    const exe = cmd.split('\0')[0];
    if (/Xvfb/.test(exe)) out.xvfb.push(Number(pid));
    else if (/pulseaudio/.test(exe)) out.pulseaudio.push(Number(pid));
    else out.chromium.push(Number(pid));
  }
  return out;
}

const cpu = (pid) => { try { return cpuSeconds(pid); } catch { return 0; } };

const server = http.createServer((req, res) => { res.writeHead(200, { 'Content-Type': 'text/html' }); res.end(PAGE); });
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const dataDir = mkdtempSync(path.join(tmpdir(), 'cloudrec-bench-web-'));
const daemon = spawn(path.join(BUILD, 'cloudrec'), ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--app', appArg(),
  '--log-level', 'info', '--api-rate-limit', '1000', '--storage-endpoint', '0=local'], { stdio: ['ignore', 'pipe', 'pipe'] });
let err = '';
daemon.stderr.on('data', (s) => { err += s; });
const port = await new Promise((resolve, reject) => {
  let out = '';
  daemon.stdout.on('data', (s) => { out += s; const m = /at http:\/\/127\.0\.0\.1:(\d+)\//.exec(out); if (m) resolve(Number(m[1])); });
  daemon.once('exit', (code) => reject(new Error(`cloudrec exited ${code}`)));
});
const client = new tencentcloud.trtc.v20190722.Client({ credential: { secretId: APP.secretId, secretKey: APP.secretKey }, region: 'ap-guangzhou',
  profile: { httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: 'http://' } } });
try {
  const { TaskId } = await client.StartWebRecord({
    SdkAppId: APP.sdkAppId, RecordUrl: `http://127.0.0.1:${server.address().port}/`,
    StorageParams: { CloudStorage: { Vendor: 0, Region: 'ap-guangzhou', Bucket: 'b-1250000000', AccessKey: 'ak', SecretKey: 'sk', FileNamePrefix: ['bench'] } },
    WebRecordVideoParams: { Width: WIDTH, Height: HEIGHT, Format: 'hls' },
  });
  for (let i = 0; i < 120 && (await client.DescribeWebRecord({ TaskId })).Status !== 1; i++) await sleep(500);
  await sleep(5000); // the page settled
  const worker = Number(new RegExp(`worker of task ${TaskId} started \\(pid (\\d+)\\)`).exec(err)[1]);
  const t0 = process.hrtime.bigint();
  const before = new Map();
  for (const pids of Object.values(parts(TaskId, worker))) for (const p of pids) before.set(p, cpu(p));
  await sleep(SECONDS * 1000);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const now = parts(TaskId, worker);
  const rows = [];
  let total = { cores: 0, pss: 0, rss: 0 };
  for (const [name, pids] of Object.entries(now)) {
    const cores = pids.reduce((a, p) => a + cpu(p) - (before.get(p) ?? 0), 0) / wall;
    const pss = pids.reduce((a, p) => a + pssMb(p), 0);
    const rss = pids.reduce((a, p) => a + rssMb(p), 0);
    rows.push({ name, processes: pids.length, cores, pss, rss });
    total = { cores: total.cores + cores, pss: total.pss + pss, rss: total.rss + rss };
  }
  console.log(`web recording ${WIDTH}x${HEIGHT} 15 fps, ${SECONDS} s measured:`);
  for (const r of [...rows, { name: 'total', processes: rows.reduce((a, r) => a + r.processes, 0), ...total }]) {
    console.log(`  ${r.name.padEnd(10)} ${String(r.processes).padStart(2)} proc  ${r.cores.toFixed(3)} cores  PSS ${r.pss.toFixed(1)} MB  RSS ${r.rss.toFixed(1)} MB`);
  }
  await client.StopWebRecord({ TaskId });
  await sleep(3000);
} finally {
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.once('exit', r));
  server.close();
  rmSync(dataDir, { recursive: true, force: true });
}
