// A real S3-compatible server for the storage tests: moto_server (Python's moto) on 127.0.0.1,
// with signature checks on (an IAM user's key; requests signed with anything else are refused),
// and an S3 client (boto3, through s3_tool.py) to look at what landed. Every server started here
// is killed by the test file's `after` hook.
import { after } from 'node:test';
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import http from 'node:http';
import path from 'node:path';
import { REPO, until } from './helpers.mjs';

const TOOL = path.join(REPO, 'tests', 'integration', 's3_tool.py');
const servers = new Set();
after(() => { for (const s of servers) s.kill(); });

export function motoAvailable() {
  return spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0;
}

async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

function answers(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 2000 }, (res) => { res.resume(); resolve(true); });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
  });
}

/** Starts moto_server with buckets; resolves { endpoint, port, accessKey, secretKey, tool(), stop(), pause(), resume() }. */
export async function startMoto(buckets, { port } = {}) {
  port ??= await freePort();
  // Three unauthenticated actions set the IAM user up (moto_setup.py); every later one is signed.
  const proc = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore', env: { ...process.env, INITIAL_NO_AUTH_ACTION_COUNT: '3', S3_UPLOAD_PART_MIN_SIZE: '1048576' },
  });
  const s = { proc, port, endpoint: `http://127.0.0.1:${port}` };
  s.kill = () => { try { proc.kill('SIGKILL'); } catch { /* gone */ } servers.delete(s); };
  servers.add(s);
  await until('moto_server answering', () => answers(port), 30000);
  const setup = spawnSync('python3', [path.join(REPO, 'tests', 'integration', 'moto_setup.py'), s.endpoint, ...buckets], { encoding: 'utf8', timeout: 60000 });
  if (setup.status !== 0) throw new Error(`moto_setup.py failed: ${setup.stderr}`);
  const keys = JSON.parse(setup.stdout);
  s.accessKey = keys.AccessKey;
  s.secretKey = keys.SecretKey;
  /** Runs s3_tool.py (boto3 with the IAM key) and returns its JSON output. */
  s.tool = (...args) => {
    const r = spawnSync('python3', [TOOL, s.endpoint, ...args], {
      encoding: 'utf8', timeout: 60000, env: { ...process.env, AWS_ACCESS_KEY_ID: s.accessKey, AWS_SECRET_ACCESS_KEY: s.secretKey },
    });
    if (r.status !== 0) throw new Error(`s3_tool.py ${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  s.list = (bucket, prefix = '') => s.tool('list', bucket, prefix);
  s.get = (bucket, key) => Buffer.from(s.tool('get', bucket, key).Base64, 'base64');
  s.uploads = (bucket) => s.tool('uploads', bucket);
  s.pause = () => proc.kill('SIGSTOP');
  s.resume = () => proc.kill('SIGCONT');
  return s;
}
