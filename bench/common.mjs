// What the benches share: where the build is, the bench app's credentials, and reading a
// process's CPU time and memory from /proc.
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BUILD = process.env.BUILD ?? path.join(REPO, 'build');
export const APP = Object.freeze({
  sdkAppId: 1400000001,
  secretId: 'AKIDbench0000000000000000000000001',
  secretKey: 'BenchSecretKey000000000000000001',
  usersigKey: 'BenchUserSigKey0123456789abcdef',
});
export const appArg = () => `${APP.sdkAppId}:${APP.secretId}:${APP.secretKey}:${APP.usersigKey}`;

const TICK_MS = 1000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);

/** User + system CPU seconds of process @pid so far. */
export function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * TICK_MS) / 1000;
}

/** Resident (VmRSS) and peak (VmHWM) memory of @pid in MB. */
export function memoryMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)[1]);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** Starts `cloudrec serve` on a free loopback port with the bench app (and @args); resolves when it
 * serves. */
export async function startDaemon(dataDir, args = []) {
  const proc = spawn(path.join(BUILD, 'cloudrec'), ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--app', appArg(),
    '--log-level', 'warning', '--api-rate-limit', '1000', '--storage-endpoint', '0=local,1=local', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const port = await new Promise((resolve, reject) => {
    proc.stdout.on('data', (s) => { out += s; const m = /at http:\/\/127\.0\.0\.1:(\d+)\//.exec(out); if (m) resolve(Number(m[1])); });
    proc.once('exit', (code) => reject(new Error(`cloudrec exited ${code}`)));
  });
  return { proc, port, dataDir };
}

/** The pid of the worker (`cloudrec record`) of task @taskId. */
export const workerPid = (taskId) => Number(spawnSync('pgrep', ['-f', `record .*--task ${taskId}`], { encoding: 'utf8' }).stdout.trim().split('\n')[0]);

/** A call to the daemon's /internal/* API over the daemon-worker link (the Unix socket
 * <data-dir>/worker.sock; the TCP port does not serve it). Resolves to the parsed JSON, or null. */
export function link(daemon, method, urlPath, body) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: path.join(daemon.dataDir, 'worker.sock'), method, path: urlPath, host: 'cloudrec', agent: false,
      headers: payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => { try { resolve(JSON.parse(text)); } catch { resolve(null); } });
    });
    req.on('error', reject);
    req.end(payload);
  });
}
