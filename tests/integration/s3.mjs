// A real S3-compatible server for the storage tests: moto_server (Python's moto) on 127.0.0.1,
// with signature checks on (an IAM user's key; requests signed with anything else are refused),
// and an S3 client (boto3, through s3_tool.py) to look at what landed. Every server started here
// is killed by the test file's `after` hook.
import { after } from 'node:test';
import { spawn, spawnSync, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import net from 'node:net';
import path from 'node:path';
import { REPO, until } from './helpers.mjs';

const execFileAsync = promisify(execFile);
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

// A TCP connect only: an HTTP request would use up one of moto's unauthenticated actions.
function listening(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port }, () => { sock.destroy(); resolve(true); });
    sock.on('error', () => resolve(false));
  });
}

/**
 * Starts moto_server with buckets; resolves { endpoint, port, accessKey, secretKey, list(), get(),
 * uploads(), kill(), pause(), resume() }.
 * checked: signatures checked (from the fourth action on). moto 5 checks a signature over the
 * path as werkzeug re-quotes it ("a+b", "prefix=a/b") while S3 and botocore sign it as sent
 * ("a%2Bb", "prefix=a%2Fb"), so with checks on even boto3 is refused for keys with '+' and for
 * listings with a '/' in the prefix: those run on an unchecked server (checked: false), and the
 * listing here filters client-side.
 */
export async function startMoto(buckets, { port, checked = true } = {}) {
  port ??= await freePort();
  const env = { ...process.env, S3_UPLOAD_PART_MIN_SIZE: '1048576' };
  // Three unauthenticated actions set the IAM user up (moto_setup.py); every later one is signed.
  if (checked) env.INITIAL_NO_AUTH_ACTION_COUNT = '3';
  else delete env.INITIAL_NO_AUTH_ACTION_COUNT;
  const proc = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore', env });
  const s = { proc, port, endpoint: `http://127.0.0.1:${port}` };
  s.kill = () => { try { proc.kill('SIGKILL'); } catch { /* gone */ } servers.delete(s); };
  servers.add(s);
  await until('moto_server listening', () => listening(port), 30000);
  const setup = spawnSync('python3', [path.join(REPO, 'tests', 'integration', 'moto_setup.py'), s.endpoint, ...buckets], { encoding: 'utf8', timeout: 60000 });
  if (setup.status !== 0) throw new Error(`moto_setup.py failed: ${setup.stderr}`);
  const keys = JSON.parse(setup.stdout);
  s.accessKey = keys.AccessKey;
  s.secretKey = keys.SecretKey;
  /** Runs s3_tool.py (boto3 with the IAM key) and resolves its JSON output. Asynchronous: a
   * test's event loop must keep running (a blocked one reuses keep-alive sockets the daemon
   * closed meanwhile). */
  s.tool = async (...args) => {
    try {
      const { stdout } = await execFileAsync('python3', [TOOL, s.endpoint, ...args], {
        encoding: 'utf8', timeout: 60000, maxBuffer: 256 * 1024 * 1024,
        env: { ...process.env, AWS_ACCESS_KEY_ID: s.accessKey, AWS_SECRET_ACCESS_KEY: s.secretKey },
      });
      return JSON.parse(stdout);
    } catch (e) {
      throw new Error(`s3_tool.py ${args.join(' ')}: ${e.stderr ?? e.message}`);
    }
  };
  s.list = async (bucket, prefix = '') => (await s.tool('list', bucket)).filter((o) => o.Key.startsWith(prefix));
  s.get = async (bucket, key) => Buffer.from((await s.tool('get', bucket, key)).Base64, 'base64');
  s.uploads = (bucket) => s.tool('uploads', bucket);
  s.pause = () => proc.kill('SIGSTOP');
  s.resume = () => proc.kill('SIGCONT');
  return s;
}
