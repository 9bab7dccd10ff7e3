// A single-stream worker's memory, and where it goes: one `cloudrec publish` (H.264 + Opus) in a
// room, one task recording it (RecordMode 1), its worker sampled every 2 s while it records:
// VmRSS, VmHWM, Pss and private pages (/proc/PID/status, smaps_rollup), then the mappings that
// hold the most of its RSS (/proc/PID/smaps, summed per file). The goal is a worker at
// 20 MB RSS or less (bench/README.md says what was measured). Run it in a network namespace:
//   unshare -n sh -c 'ip link set lo up && exec node bench/worker_mem.mjs'
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { APP, BUILD, REPO, link, startDaemon, workerPid } from './common.mjs';

const require = createRequire(import.meta.url);
const tencentcloud = require('tencentcloud-sdk-nodejs');
const TLSSigAPIv2 = require('tls-sig-api-v2');

const SAMPLES = Number(process.env.BENCH_MEM_SAMPLES ?? 8);
const TOP = Number(process.env.BENCH_MEM_TOP ?? 14);
const ROOM = '9901';
const sig = (user) => new TLSSigAPIv2.Api(APP.sdkAppId, APP.usersigKey).genSig(user, 3600);
const mb = (kb) => (kb / 1024).toFixed(1);

/** The "Name: N kB" fields of a /proc file, in kB. */
function fieldsKb(file) {
  const out = {};
  for (const m of readFileSync(file, 'utf8').matchAll(/^(\w+):\s+(\d+) kB$/gm)) out[m[1]] = Number(m[2]);
  return out;
}

/** Rss and Pss per mapped file (anonymous mappings under their bracketed name or "[anon]"), in kB. */
function mappings(pid) {
  const per = new Map();
  let name = null;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      name = head[1] ? path.basename(head[1]) : '[anon]';
      if (!per.has(name)) per.set(name, { rss: 0, pss: 0 });
      continue;
    }
    const f = /^(Rss|Pss):\s+(\d+) kB$/.exec(line);
    if (f && name) per.get(name)[f[1].toLowerCase()] += Number(f[2]);
  }
  return [...per.entries()].sort((a, b) => b[1].rss - a[1].rss);
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'cloudrec-bench-mem-'));
const d = await startDaemon(dataDir);
const client = new tencentcloud.trtc.v20190722.Client({ credential: { secretId: APP.secretId, secretKey: APP.secretKey }, region: 'ap-guangzhou',
  profile: { httpProfile: { endpoint: `127.0.0.1:${d.port}`, protocol: 'http://' } } });
const publisher = spawn(path.join(BUILD, 'cloudrec'), ['publish', '--server', `http://127.0.0.1:${d.port}`, '--sdkappid', String(APP.sdkAppId), '--room', ROOM,
  '--user', 'pub', '--usersig', sig('pub'), '--size', '640x360', '--fps', '15', '--bitrate', '500'], { stdio: 'ignore' });
try {
  for (let t = 0; t < 100; t++) {
    const r = await link(d, 'GET', `/internal/rooms/${APP.sdkAppId}/room/${ROOM}`);
    if ((r?.Streams ?? []).some((s) => s.VideoCaps && s.AudioCaps)) break;
    await sleep(200);
  }
  const { TaskId } = await client.CreateCloudRecording({ SdkAppId: APP.sdkAppId, RoomId: ROOM, UserId: 'rec', UserSig: sig('rec'),
    RecordParams: { RecordMode: 1, SubscribeStreamUserIds: { SubscribeAudioUserIds: ['pub'], SubscribeVideoUserIds: ['pub'] } },
    StorageParams: { CloudStorage: { Vendor: 0, Region: 'r', Bucket: 'b', AccessKey: 'a', SecretKey: 's' } } });
  await sleep(4000);
  const pid = workerPid(TaskId);
  if (!pid) throw new Error('the worker is missing');
  const exe = readlinkSync(`/proc/${pid}/exe`);
  const samples = [];
  for (let i = 0; i < SAMPLES; i++) {
    const status = fieldsKb(`/proc/${pid}/status`);
    const rollup = fieldsKb(`/proc/${pid}/smaps_rollup`);
    samples.push({ rss: status.VmRSS, hwm: status.VmHWM, pss: rollup.Pss,
      private: rollup.Private_Clean + rollup.Private_Dirty, anon: rollup.Anonymous });
    await sleep(2000);
  }
  const top = mappings(pid).slice(0, TOP);
  console.log(`worker memory: ${path.basename(exe)} (pid ${pid}), one single-stream task (640x360 15 fps H.264 at 500 kbit/s + Opus), ${SAMPLES} samples 2 s apart`);
  for (const s of samples) console.log(`  VmRSS ${mb(s.rss)} MB  VmHWM ${mb(s.hwm)} MB  Pss ${mb(s.pss)} MB  private ${mb(s.private)} MB  anonymous ${mb(s.anon)} MB`);
  console.log(`  largest mappings by RSS (MB, Rss / Pss):`);
  for (const [name, v] of top) console.log(`    ${name.padEnd(36)} ${mb(v.rss).padStart(5)} / ${mb(v.pss)}`);
  mkdirSync(path.join(REPO, 'bench', 'out'), { recursive: true });
  writeFileSync(path.join(REPO, 'bench', 'out', 'worker_mem.json'), JSON.stringify({ exe: path.basename(exe), samples_kb: samples,
    mappings_kb: Object.fromEntries(top) }, null, 2) + '\n');
  await client.DeleteCloudRecording({ SdkAppId: APP.sdkAppId, TaskId });
  await sleep(2000);
} finally {
  publisher.kill('SIGINT');
  await sleep(500);
  d.proc.kill('SIGTERM');
  await sleep(1500);
  rmSync(dataDir, { recursive: true, force: true });
}

