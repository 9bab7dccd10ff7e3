// API bench: cloudrec's DescribeCloudRecording (TC3 check, validation, a SQLite lookup) against a
// bare libsoup handler that returns a fixed reply, both measured in this run on this machine.
//
// For each server: an open-loop load at a fixed rate (default 1000 req/s) whose latencies are
// timed from the moment each request was due (so a stall is not hidden by the client waiting),
// giving p50/p99/max; the server's CPU-seconds (from /proc/PID/stat) per 1000 requests and its
// peak RSS; then `wrk` for the closed-loop maximum throughput. Prints a table with the ratios
// cloudrec/baseline and writes bench/out/api.json.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { APP, BUILD, REPO, appArg, cpuSeconds, memoryMb } from './common.mjs';

const require = createRequire(import.meta.url);
const TLSSigAPIv2 = require('tls-sig-api-v2');

const RATE = Number(process.env.BENCH_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);

const sha256hex = (s) => createHash('sha256').update(s).digest('hex');
const hmac = (k, s) => createHmac('sha256', k).update(s).digest();

function signedHeaders(port, action, body) {
  const ts = Math.floor(Date.now() / 1000);
  const date = new Date(ts * 1000).toISOString().slice(0, 10);
  const canonical = ['POST', '/', '', 'content-type:application/json\nhost:127.0.0.1\n', 'content-type;host', sha256hex(body)].join('\n');
  const scope = `${date}/trtc/tc3_request`;
  const toSign = `TC3-HMAC-SHA256\n${ts}\n${scope}\n${sha256hex(canonical)}`;
  const key = hmac(hmac(hmac(`TC3${APP.secretKey}`, date), 'trtc'), 'tc3_request');
  const sig = createHmac('sha256', key).update(toSign).digest('hex');
  return {
    Host: `127.0.0.1:${port}`, 'Content-Type': 'application/json', 'X-TC-Action': action, 'X-TC-Version': '2019-07-22',
    'X-TC-Timestamp': String(ts), 'X-TC-Region': 'ap-guangzhou',
    Authorization: `TC3-HMAC-SHA256 Credential=${APP.secretId}/${scope}, SignedHeaders=content-type;host, Signature=${sig}`,
  };
}

function post(agent, port, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers, agent, setHost: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function startServer(argv, readyRe) {
  const proc = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.setEncoding('utf8');
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${argv[0]} did not start`)), 10000);
    proc.stdout.on('data', (s) => {
      out += s;
      const m = readyRe.exec(out);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    proc.once('exit', (code) => reject(new Error(`${argv[0]} exited ${code}`)));
  });
  return { proc, port };
}

// Open-loop paced load by bench/load (C, epoll): request i is due at start + i/rate and its latency
// counts from then, so a server stall cannot hide behind a waiting client.
function pacedLoad(port, body, seconds) {
  const headers = signedHeaders(port, 'DescribeCloudRecording', body);
  const dir = mkdtempSync(path.join(tmpdir(), 'cloudrec-bench-'));
  const file = path.join(dir, 'request.http');
  writeFileSync(file, `POST / HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  const r = spawnSync(path.join(BUILD, 'bench', 'load'), [String(port), String(RATE), String(seconds), String(CONNECTIONS), file], { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`bench/load failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function wrkMax(port, body, seconds) {
  const headers = signedHeaders(port, 'DescribeCloudRecording', body);
  const dir = mkdtempSync(path.join(tmpdir(), 'cloudrec-bench-'));
  const script = path.join(dir, 'post.lua');
  writeFileSync(script, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\n` +
    Object.entries(headers).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`).join('\n') + '\n');
  const r = spawnSync('wrk', ['-t1', '-c16', `-d${seconds}s`, '-s', script, `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  const m = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout ?? '');
  return m ? Number(m[1]) : NaN;
}

async function measure(name, server, body) {
  pacedLoad(server.port, body, 1); // warm up: connections, caches
  const cpu0 = cpuSeconds(server.proc.pid);
  const paced = pacedLoad(server.port, body, SECONDS);
  const cpu = cpuSeconds(server.proc.pid) - cpu0;
  const max = wrkMax(server.port, body, 5);
  return { name, ...paced, cpu_s_per_1000: (cpu * 1000) / paced.requests, peak_rss_mb: memoryMb(server.proc.pid).peak, max_req_s: max };
}

async function main() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cloudrec-bench-'));
  const cloudrec = await startServer([path.join(BUILD, 'cloudrec'), 'serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir,
    '--app', appArg(), '--api-rate-limit', '1000000', '--log-level', 'warning'],
  /serving the TRTC cloud-recording API at http:\/\/127\.0\.0\.1:(\d+)\//);
  const baseline = await startServer([path.join(BUILD, 'bench', 'baseline_server'), '0'], /listening on (\d+)/);
  try {
    // One real task to describe.
    const robot = 'bench_robot';
    const create = JSON.stringify({
      SdkAppId: APP.sdkAppId, RoomId: '8888', UserId: robot,
      UserSig: new TLSSigAPIv2.Api(APP.sdkAppId, APP.usersigKey).genSig(robot, 86400),
      RecordParams: { RecordMode: 1 },
      StorageParams: { CloudStorage: { Vendor: 0, Region: 'ap-guangzhou', Bucket: 'bench-125', AccessKey: 'ak', SecretKey: 'sk' } },
    });
    const created = await post(false, cloudrec.port, signedHeaders(cloudrec.port, 'CreateCloudRecording', create), create);
    const taskId = JSON.parse(created.text).Response.TaskId;
    if (!taskId) throw new Error(`CreateCloudRecording failed: ${created.text}`);
    const body = JSON.stringify({ SdkAppId: APP.sdkAppId, TaskId: taskId });

    const base = await measure('baseline (libsoup, fixed reply)', baseline, body);
    const ours = await measure('cloudrec DescribeCloudRecording', cloudrec, body);
    const ratio = (k) => ours[k] / base[k];
    const rows = [base, ours];
    const fmt = (v, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
    console.log(`API bench: ${RATE} req/s paced for ${SECONDS} s over ${CONNECTIONS} keep-alive connections (bench/load, open loop); wrk -t1 -c16 for the maximum`);
    console.log('server                              rate     p50 ms  p99 ms  p99.9   max ms  errors  CPU-s/1000req  peak RSS MB  max req/s');
    for (const r of rows) {
      console.log(`${r.name.padEnd(34)} ${fmt(r.rate, 0).padStart(6)}  ${fmt(r.p50_ms).padStart(6)}  ${fmt(r.p99_ms).padStart(6)}  ${fmt(r.p999_ms).padStart(6)}  ${fmt(r.max_ms).padStart(6)}  ${String(r.errors).padStart(6)}  ${fmt(r.cpu_s_per_1000, 3).padStart(13)}  ${fmt(r.peak_rss_mb, 1).padStart(11)}  ${fmt(r.max_req_s, 0).padStart(9)}`);
    }
    console.log(`ratio cloudrec/baseline: p50 ${fmt(ratio('p50_ms'))}x, p99 ${fmt(ratio('p99_ms'))}x, CPU ${fmt(ratio('cpu_s_per_1000'))}x, max throughput ${fmt(ratio('max_req_s'))}x`);
    console.log(`goal p99 < 5 ms at 1000 req/s: ${ours.p99_ms < 5 ? 'met' : 'NOT met'} (${fmt(ours.p99_ms)} ms)`);
    mkdirSync(path.join(REPO, 'bench', 'out'), { recursive: true });
    writeFileSync(path.join(REPO, 'bench', 'out', 'api.json'), JSON.stringify({ rate: RATE, seconds: SECONDS, baseline: base, cloudrec: ours }, null, 2) + '\n');
  } finally {
    cloudrec.proc.kill('SIGTERM');
    baseline.proc.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
