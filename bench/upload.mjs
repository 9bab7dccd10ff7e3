// Upload throughput and CPU per MB of our S3 client (src/blob/s3_client.c, run by
// build/bench/upload) against curl uploading the same files to the same loopback server, in the
// same run.
//
// Servers: build/bench/put_sink (a C sink that discards bodies: the numbers are the clients'
// cost) and, when installed, moto_server (Python, the server the storage tests use; much slower
// than either client, so it shows what a slow store does to both; signature checks off: moto
// checks none unless INITIAL_NO_AUTH_ACTION_COUNT is set). Loads:
//  - segments: BENCH_UPLOAD_FILES (200) files of BENCH_UPLOAD_FILE_MB (1) MB, one after the other
//    on one kept-alive connection: ours with cr_s3_put_file (one client), curl with one process
//    given every file (-T per URL, connection reused);
//  - big: one BENCH_UPLOAD_BIG_MB (256) MB file: ours with cr_s3_put_file_multipart in
//    BENCH_UPLOAD_PART_MB (16) MB parts, curl with one PUT (curl has no multipart).
// curl signs with --aws-sigv4 (payload not hashed: UNSIGNED-PAYLOAD); ours hashes every body
// (SHA-256 for the signature, MD5 for Content-MD5) before sending it, which is part of its cost.
// Both send no "Expect: 100-continue". Each run is its own process measured by GNU time (wall,
// user+sys, peak RSS). BENCH_UPLOAD_ROUNDS (2) rounds, interleaved; medians reported.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, readFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BUILD, REPO, cpuSeconds } from './common.mjs';

const FILES = Number(process.env.BENCH_UPLOAD_FILES ?? 200);
const FILE_MB = Number(process.env.BENCH_UPLOAD_FILE_MB ?? 1);
const BIG_MB = Number(process.env.BENCH_UPLOAD_BIG_MB ?? 256);
const PART_MB = Number(process.env.BENCH_UPLOAD_PART_MB ?? 16);
const ROUNDS = Number(process.env.BENCH_UPLOAD_ROUNDS ?? 2);
const MOTO = process.env.BENCH_UPLOAD_MOTO !== '0' && spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0;
const AK = 'AKIDBENCH', SK = 'benchsecret';
const BUCKET = 'bench';

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 4).join(' ')}... failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return r;
}

function timed(args) {
  const r = run('/usr/bin/time', ['-f', 'TIME %e %U %S %M', ...args]);
  const m = /TIME (\S+) (\S+) (\S+) (\d+)\s*$/.exec(r.stderr);
  return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), rssMb: Number(m[4]) / 1024, stdout: r.stdout };
}

const freePort = () => new Promise((resolve) => {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
});

async function waitListening(port, ms) {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function startSink() {
  const proc = spawn(path.join(BUILD, 'bench', 'put_sink'), [], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) => proc.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
  const endpoint = `http://127.0.0.1:${port}`;
  const received = () => Number(run('curl', ['-sS', `${endpoint}/_received`]).stdout);
  return { name: 'put_sink (C)', proc, endpoint, received };
}

async function startMoto() {
  const port = await freePort();
  const env = { ...process.env };
  delete env.INITIAL_NO_AUTH_ACTION_COUNT; // no signature checks
  const proc = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore', env });
  await waitListening(port, 30000);
  const endpoint = `http://127.0.0.1:${port}`;
  run('curl', ['-sSf', '-X', 'PUT', `${endpoint}/${BUCKET}`]); // CreateBucket
  // What the store holds: the size of an object.
  const size = (key) => Number(/content-length:\s*(\d+)/i.exec(run('curl', ['-sSfI', '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${AK}:${SK}`, `${endpoint}/${BUCKET}/${key}`]).stdout)?.[1]);
  // moto 5 answers CompleteMultipartUpload with <CompleteMultipartUploadResponse>, which our
  // client (expecting S3's <CompleteMultipartUploadResult>) takes for a failure: no big load here.
  return { name: 'moto_server', proc, endpoint, size, loads: ['segments'] };
}

// The data: random bytes (nothing compresses), read once so every run reads from the page cache.
const dir = path.join(os.tmpdir(), `cloudrec-upload-bench-${process.pid}`);
mkdirSync(dir, { recursive: true });
const segFiles = [];
for (let i = 0; i < FILES; i++) {
  const f = path.join(dir, `seg${String(i).padStart(4, '0')}.ts`);
  writeFileSync(f, randomBytes(FILE_MB << 20));
  segFiles.push(f);
}
const big = path.join(dir, 'big.mp4');
{
  const fd = openSync(big, 'w');
  for (let i = 0; i < BIG_MB; i++) writeSync(fd, randomBytes(1 << 20));
  closeSync(fd);
}
for (const f of [...segFiles, big]) readFileSync(f);
const segMb = FILES * FILE_MB;

function curlConfig(server, files) {
  const cfg = path.join(dir, `curl-${files.length}.cfg`);
  const lines = ['silent', 'show-error', 'fail', `aws-sigv4 = "aws:amz:us-east-1:s3"`, `user = "${AK}:${SK}"`,
    'header = "Expect:"', 'output = /dev/null'];
  const body = files.map((f) => `upload-file = "${f}"\nurl = "${server.endpoint}/${BUCKET}/curl/${path.basename(f)}"\noutput = "/dev/null"`);
  writeFileSync(cfg, `${lines.join('\n')}\n${body.join('\n')}\n`);
  return cfg;
}

function runOne(server, load, who) {
  const files = load === 'segments' ? segFiles : [big];
  const mb = load === 'segments' ? segMb : BIG_MB;
  const before = server.received?.();
  const serverCpu0 = cpuSeconds(server.proc.pid);
  let t;
  if (who === 'cloudrec') {
    t = load === 'segments'
      ? timed([path.join(BUILD, 'bench', 'upload'), 'put', server.endpoint, BUCKET, AK, SK, ...files])
      : timed([path.join(BUILD, 'bench', 'upload'), 'multipart', server.endpoint, BUCKET, AK, SK, big, String(PART_MB)]);
    if (!JSON.parse(t.stdout).ok) throw new Error('upload failed');
  } else {
    t = timed(['curl', '-K', curlConfig(server, files)]);
  }
  const serverCpu = cpuSeconds(server.proc.pid) - serverCpu0;
  // Every byte arrived (the sink counts them; moto holds the objects).
  if (server.received) {
    const got = server.received() - before;
    if (got !== mb * (1 << 20)) throw new Error(`${who} ${load}: the sink got ${got} bytes, expected ${mb << 20}`);
  } else {
    const key = who === 'cloudrec' ? (load === 'segments' ? `bench/${path.basename(files.at(-1))}` : 'bench/big.mp4')
      : `curl/${path.basename(files.at(-1))}`;
    const size = server.size(key);
    const want = load === 'segments' ? FILE_MB << 20 : BIG_MB << 20;
    if (size !== want) throw new Error(`${who} ${load}: ${key} holds ${size} bytes, expected ${want}`);
  }
  return { server: server.name, load, who, mb, wall: t.wall, cpu: t.cpu, rssMb: t.rssMb, serverCpu };
}

const servers = [await startSink()];
if (MOTO) servers.push(await startMoto());
const results = [];
try {
  for (const server of servers) {
    for (let round = 0; round < ROUNDS; round++) {
      for (const load of server.loads ?? ['segments', 'big']) {
        for (const who of round % 2 === 0 ? ['curl', 'cloudrec'] : ['cloudrec', 'curl']) results.push({ round, ...runOne(server, load, who) });
      }
    }
  }
} finally {
  for (const s of servers) s.proc.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const summary = [];
console.log(`segments: ${FILES} x ${FILE_MB} MB; big: ${BIG_MB} MB (ours: multipart, ${PART_MB} MB parts; curl: one PUT); ${ROUNDS} round(s), medians`);
console.log('| server | load | client | MB/s | CPU-s per MB | peak RSS MB | server CPU-s per MB |');
console.log('|---|---|---|---|---|---|---|');
for (const server of servers) {
  for (const load of server.loads ?? ['segments', 'big']) {
    const row = {};
    for (const who of ['curl', 'cloudrec']) {
      const rs = results.filter((r) => r.server === server.name && r.load === load && r.who === who);
      const mb = rs[0].mb;
      row[who] = { mbps: mb / med(rs.map((r) => r.wall)), cpuPerMb: med(rs.map((r) => r.cpu)) / mb, rss: med(rs.map((r) => r.rssMb)),
        serverCpuPerMb: med(rs.map((r) => r.serverCpu)) / mb };
      const x = row[who];
      console.log(`| ${server.name} | ${load} | ${who} | ${x.mbps.toFixed(0)} | ${(x.cpuPerMb * 1000).toFixed(2)} ms | ${x.rss.toFixed(1)} | ${(x.serverCpuPerMb * 1000).toFixed(2)} ms |`);
    }
    const ratio = { mbps: row.cloudrec.mbps / row.curl.mbps, cpuPerMb: row.cloudrec.cpuPerMb / row.curl.cpuPerMb, rss: row.cloudrec.rss / row.curl.rss };
    console.log(`| ${server.name} | ${load} | cloudrec/curl | ${ratio.mbps.toFixed(2)}x | ${ratio.cpuPerMb.toFixed(2)}x | ${ratio.rss.toFixed(2)}x | |`);
    summary.push({ server: server.name, load, ...row, ratio });
  }
}
const out = path.join(REPO, 'bench', 'out');
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, 'upload.json'), JSON.stringify({ files: FILES, fileMb: FILE_MB, bigMb: BIG_MB, partMb: PART_MB, summary, results }, null, 2));
