// Shared code of the integration tests: start and stop a real `cloudrec serve`, make SDK clients,
// sign hand-made requests (TC3-HMAC-SHA256, reference §3.1), make UserSigs with tls-sig-api-v2.
//
// Every daemon started here gets a fresh data directory under the OS temp dir, listens on
// 127.0.0.1 with port 0 (the real port is read from its "serving" line) and is killed by the
// `after` hook of the test file if a test did not stop it. Nothing talks to anything but 127.0.0.1.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const require = createRequire(import.meta.url);
const tencentcloud = require('tencentcloud-sdk-nodejs');
const TLSSigAPIv2 = require('tls-sig-api-v2');

export { sleep };

/** Polls @fn every 300 ms until it returns something truthy (returned), failing after @timeoutMs. */
export async function until(what, fn, timeoutMs = 30000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(300);
  }
}
export const TrtcClient = tencentcloud.trtc.v20190722.Client;
export { TLSSigAPIv2 };

// The SDK installs an HttpsProxyAgent when a proxy variable is set; the daemon is local.
for (const v of ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) {
  delete process.env[v];
}

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = process.env.CLOUDREC_BIN || path.join(REPO, 'build', 'cloudrec');

export const API_VERSION = '2019-07-22';
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
export const TASK_ID_RE = /^[A-Za-z0-9._-]{32}$/;

// Two applications. Their secrets only have to satisfy the --app syntax (printable, no ':' ';').
export const APP1 = Object.freeze({
  sdkAppId: 1400000001,
  secretId: 'AKIDintegrationAppOne000000000001',
  secretKey: 'IntegrationSecretKeyOne000000001',
  usersigKey: 'IntegrationUserSigKeyOneIntegrationUserSigKeyOne0123456789abcdef',
});
export const APP2 = Object.freeze({
  sdkAppId: 1400000002,
  secretId: 'AKIDintegrationAppTwo000000000002',
  secretKey: 'IntegrationSecretKeyTwo000000002',
  usersigKey: 'IntegrationUserSigKeyTwoIntegrationUserSigKeyTwo0123456789abcdef',
});

export function appArg(app) {
  const base = `${app.sdkAppId}:${app.secretId}:${app.secretKey}:${app.usersigKey}`;
  return app.callbackUrl ? `${base}:${app.callbackKey}:${app.callbackUrl}` : base;
}

// ---------------------------------------------------------------------------------------------
// Daemon lifecycle

const SERVING_RE = /^cloudrec (\S+) serving the TRTC cloud-recording API at (https?):\/\/(?:127\.0\.0\.1|0\.0\.0\.0):(\d+)\/$/m;
const live = new Set();   // daemons not yet stopped
const tmpDirs = new Set(); // data dirs this process created

export function makeTmpDir(prefix = 'cloudrec-it-') {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tmpDirs.add(dir);
  return dir;
}

function killLeftovers() {
  for (const d of live) {
    if (d.proc.exitCode === null && d.proc.signalCode === null) {
      try { d.proc.kill('SIGKILL'); } catch { /* already gone */ }
    }
  }
  live.clear();
}

function removeTmpDirs() {
  // CLOUDREC_TEST_KEEP=1 keeps them (a failing test's recordings, to look at by hand)
  if (process.env.CLOUDREC_TEST_KEEP === '1') {
    for (const dir of tmpDirs) console.log(`# kept ${dir}`);
    tmpDirs.clear();
    return;
  }
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
  tmpDirs.clear();
}

after(() => {
  // node-fetch (inside the SDK) uses the global keep-alive agent; idle sockets would keep this
  // test process alive for 5 s after its last request.
  http.globalAgent.destroy();
  killLeftovers();
  removeTmpDirs();
});
process.on('exit', killLeftovers);
// A test process stopped by a signal (the runner's timeout, Ctrl-C) takes its daemons with it.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    killLeftovers();
    try { removeTmpDirs(); } catch { /* a daemon may still be writing; the dir stays */ }
    process.kill(process.pid, sig);
  });
}

/**
 * Starts `cloudrec serve --listen 127.0.0.1:0 --data-dir DIR --app ... <defaults> <args>`.
 * apps: the --app entries (default [APP1]); null for none (the daemon then makes a demo app).
 * defaults: flags put before `args` (later flags win): a high rate limit so that tests which are
 * not about rate limiting are not throttled. Pass defaults: [] to run with the built-in ones.
 * localStorage: both CloudStorage vendors kept in the local store (`--storage-endpoint
 * 0=local,1=local`, as `make run` does), so that tests about recording need no object store; a
 * later --storage-endpoint in args wins for its vendor.
 * wrap: a command that runs the daemon (its argv follows), which must exec it (e.g. a shell that
 * mounts a small tmpfs in a mount namespace first).
 */
export async function startDaemon({ args = [], dataDir, apps = [APP1], defaults = ['--api-rate-limit', '100000', '--workers', 'off'], env, localStorage = true, wrap = [], bin = BIN } = {}) {
  const dir = dataDir ?? makeTmpDir();
  // A graceful stop waits for workers to close their files (up to stop-timeout): 10 s here, and
  // stop() below allows twice that; a test's own --stop-timeout comes later and wins.
  const argv = ['serve', '--listen', '127.0.0.1:0', '--data-dir', dir, '--stop-timeout', '10'];
  for (const app of apps ?? []) argv.push('--app', appArg(app));
  if (localStorage) argv.push('--storage-endpoint', '0=local,1=local');
  // CLOUDREC_TEST_INGEST_ENGINE=lean|webrtcbin runs every test's daemon on that WHIP engine
  // (ingest-engine); a test's own --ingest-engine comes later and wins.
  if (process.env.CLOUDREC_TEST_INGEST_ENGINE) argv.push('--ingest-engine', process.env.CLOUDREC_TEST_INGEST_ENGINE);
  argv.push(...defaults, ...args);
  const childEnv = { ...process.env, ...env };
  for (const k of Object.keys(childEnv)) {
    // A CLOUDREC_* variable from the caller's shell would change the daemon under test.
    if (k.startsWith('CLOUDREC_') && !(env && k in env)) delete childEnv[k];
  }
  const proc = wrap.length > 0
    ? spawn(wrap[0], [...wrap.slice(1), bin, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv })
    : spawn(bin, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (s) => { stderr += s; });
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => {
    // CLOUDREC_TEST_KEEP=1: the daemon's log stays beside its data (a daemon per file, appended)
    if (process.env.CLOUDREC_TEST_KEEP === '1') appendFileSync(path.join(dir, 'daemon.stderr'), stderr);
    resolve({ code, signal });
  }));
  const daemon = {
    proc,
    dataDir: dir,
    argv,
    port: 0,
    scheme: 'http',
    version: '',
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    exited,
    async stop() {
      live.delete(daemon);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      let timer;
      const timeout = new Promise((resolve) => { timer = setTimeout(resolve, 20000, 'timeout'); });
      const res = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      if (res === 'timeout') {
        proc.kill('SIGKILL');
        assert.fail(`cloudrec did not exit within 20 s of SIGTERM\nstderr:\n${tail(stderr)}`);
      }
      assert.deepEqual(res, { code: 0, signal: null },
        `cloudrec exited with ${JSON.stringify(res)} after SIGTERM\nstderr:\n${tail(stderr)}`);
      return res;
    },
  };
  live.add(daemon);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      proc.kill('SIGKILL');
      reject(new Error(`no "serving" line within 10 s from ${BIN} ${argv.join(' ')}\nstdout:\n${stdout}\nstderr:\n${tail(stderr)}`));
    }, 10000);
    const onData = (s) => {
      stdout += s;
      const m = SERVING_RE.exec(stdout);
      if (m) {
        daemon.version = m[1];
        daemon.scheme = m[2];
        daemon.port = Number(m[3]);
        // Keep collecting stdout (the app lines follow the serving line in the same write).
        cleanup(true);
        resolve();
      }
    };
    const onExit = (code, signal) => {
      cleanup();
      reject(new Error(`cloudrec exited (${code ?? signal}) before serving: ${argv.join(' ')}\nstdout:\n${stdout}\nstderr:\n${tail(stderr)}`));
    };
    const onError = (err) => { cleanup(); reject(new Error(`cannot run ${BIN}: ${err.message}`)); };
    function cleanup(keepStdout = false) {
      clearTimeout(timer);
      proc.off('exit', onExit);
      proc.off('error', onError);
      if (!keepStdout) proc.stdout.off('data', onData);
    }
    proc.stdout.on('data', onData);
    proc.once('exit', onExit);
    proc.once('error', onError);
  });
  return daemon;
}

/**
 * A request on the daemon-worker link: HTTP over the Unix socket <data-dir>/worker.sock, where the
 * daemon serves /internal/* (the TCP port answers 404 there). Resolves { status, text, json }.
 */
// Worker pids the daemon logged for the task ("worker of task X started (pid N)"), in order.
export function workerPids(d, TaskId) {
  const re = new RegExp(`worker of task ${TaskId} started \\(pid (\\d+)\\)`, 'g');
  return [...d.stderr.matchAll(re)].map((m) => Number(m[1]));
}

export function linkRequest(daemon, method, urlPath, body, { timeoutMs = 40000 } = {}) {
  const payload = body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request({
      socketPath: path.join(daemon.dataDir, 'worker.sock'), method, path: urlPath, host: 'cloudrec', agent: false,
      headers: payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
      timeout: timeoutMs,
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, text, json });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath} on the link: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export function tail(text, n = 40) {
  return text.split('\n').slice(-n).join('\n');
}

/** Runs the binary to completion (for version, usersig, --help, bad flags). */
export function runCli(args, { timeoutMs = 10000, env } = {}) {
  const childEnv = { ...process.env, ...env };
  for (const k of Object.keys(childEnv)) {
    if (k.startsWith('CLOUDREC_') && !(env && k in env)) delete childEnv[k];
  }
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: timeoutMs, env: childEnv });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

// ---------------------------------------------------------------------------------------------
// SDK clients

/**
 * A TRTC client of the official Node SDK pointed at the daemon.
 * method: 'POST' (default) or 'GET'; host: '127.0.0.1' (SDK signs service "127") or 'localhost'
 * (SDK signs service "localhost:PORT").
 */
/**
 * The HTTP agent of every SDK client the tests make: one connection per call, none kept idle.
 * Node's default agent keeps an idle socket for reuse and drops it after 5 s with a timer, but a
 * timer cannot run while the event loop is blocked (the tests' execFileSync ffprobe/ffmpeg checks
 * take minutes on a loaded machine): the next call then went out on a socket that the daemon had
 * shut down after its 60 s idle limit (api/http_server.c), and failed with "socket hang up".
 */
export const SDK_AGENT = new http.Agent({ keepAlive: false });

export function makeClient(port, app = APP1, { method = 'POST', host = '127.0.0.1', region = 'ap-guangzhou' } = {}) {
  const httpProfile = { endpoint: `${host}:${port}`, protocol: 'http://', reqTimeout: 10, agent: SDK_AGENT };
  if (method !== 'POST') httpProfile.reqMethod = method;
  return new TrtcClient({
    credential: { secretId: app.secretId, secretKey: app.secretKey },
    region,
    profile: { httpProfile },
  });
}

/** Awaits @promise, which must reject with an SDK error whose .code is @code. Returns the error. */
export async function expectCode(promise, code, messageRe) {
  let result;
  try {
    result = await promise;
  } catch (err) {
    assert.equal(err.code, code, `expected error code ${code}, got ${err.code}: ${clip(err.message)}`);
    assert.match(err.requestId ?? '', UUID_RE, `error ${code} has no RequestId UUID`);
    if (messageRe) assert.ok(messageRe.test(err.message), `message of ${code} should match ${messageRe}: ${clip(err.message)}`);
    return err;
  }
  assert.fail(`expected error ${code}, the call succeeded: ${clip(JSON.stringify(result))}`);
}

/** @text cut to @n characters for an assertion message (replies may echo a megabyte). */
export function clip(text, n = 300) {
  const s = String(text);
  return s.length <= n ? s : `${s.slice(0, n)}... (${s.length} chars)`;
}

// ---------------------------------------------------------------------------------------------
// UserSigs

/** A valid UserSig made by the tls-sig-api-v2 package. */
export function userSig(app, userId, expire = 86400) {
  return new TLSSigAPIv2.Api(app.sdkAppId, app.usersigKey).genSig(userId, expire);
}

/** A UserSig signed at @issuedAt (Unix seconds) instead of now: the library with its clock moved. */
export function userSigAt(app, userId, expire, issuedAt) {
  const realNow = Date.now;
  Date.now = () => issuedAt * 1000;
  try {
    return new TLSSigAPIv2.Api(app.sdkAppId, app.usersigKey).genSig(userId, expire);
  } finally {
    Date.now = realNow;
  }
}

// ---------------------------------------------------------------------------------------------
// Request bodies

let roomCounter = 0;
/** A fresh integer RoomId (as a string) and its robot UserId: a second robot with the same
 * UserId in the same room would end the first task, so tests never share one by accident. */
export function freshRoom() {
  roomCounter += 1;
  const room = String(10000 + (process.pid % 50000) * 100 + roomCounter);
  return { roomId: room, userId: `recorder_${room}` };
}

/** The room and robot fields of a Create body: a fresh integer room and a robot with its UserSig. */
function robotInFreshRoom(app) {
  const { roomId, userId } = freshRoom();
  return { SdkAppId: app.sdkAppId, RoomId: roomId, RoomIdType: 1, UserId: userId, UserSig: userSig(app, userId) };
}

/** A RecordMode 1 (single-stream) body to COS, as in reference §4.1. */
export function createBodyCos(app = APP1, overrides = {}) {
  return {
    ...robotInFreshRoom(app),
    RecordParams: { RecordMode: 1, MaxIdleTime: 30, StreamType: 0, OutputFormat: 0 },
    StorageParams: {
      CloudStorage: {
        Vendor: 0, Region: 'ap-guangzhou', Bucket: 'rec-1250000000', AccessKey: 'AK', SecretKey: 'SK',
        FileNamePrefix: ['a', 'b'],
      },
    },
    ResourceExpiredHour: 72,
    ...overrides,
  };
}

/** A RecordMode 2 (mixed) body with a custom layout on a 1280x720 canvas. */
export function createBodyMixed(app = APP1, overrides = {}) {
  return {
    ...robotInFreshRoom(app),
    RecordParams: {
      RecordMode: 2, MaxIdleTime: 30, StreamType: 0, OutputFormat: 3,
      SubscribeStreamUserIds: { SubscribeAudioUserIds: ['alice', 'bob'], SubscribeVideoUserIds: ['alice', 'bob'] },
    },
    StorageParams: {
      CloudStorage: { Vendor: 0, Region: 'ap-guangzhou', Bucket: 'rec-1250000000', AccessKey: 'AK', SecretKey: 'SK' },
    },
    MixTranscodeParams: {
      VideoParams: { Width: 1280, Height: 720, Fps: 15, BitRate: 1000000, Gop: 10 },
      AudioParams: { SampleRate: 1, Channel: 2, BitRate: 64000 },
    },
    MixLayoutParams: {
      MixLayoutMode: 4,
      BackGroundColor: '#000000',
      MixLayoutList: [
        { Top: 0, Left: 0, Width: 640, Height: 720, UserId: 'alice', RenderMode: 1 },
        { Top: 0, Left: 640, Width: 640, Height: 720, UserId: 'bob', RenderMode: 1 },
      ],
    },
    ...overrides,
  };
}

/** Creates a RecordMode 1 task through the SDK and returns its TaskId. */
export async function createTask(client, app = APP1, overrides = {}) {
  const res = await client.CreateCloudRecording(createBodyCos(app, overrides));
  assert.match(res.TaskId, TASK_ID_RE);
  return res.TaskId;
}

// ---------------------------------------------------------------------------------------------
// Raw TC3 signing and raw HTTP

const sha256hex = (data) => createHash('sha256').update(data).digest('hex');
const hmac = (key, msg) => createHmac('sha256', key).update(msg).digest();

export function utcDate(ts) {
  return new Date(ts * 1000).toISOString().slice(0, 10);
}

/**
 * The Authorization header value of reference §3.1.
 * host: the value signed as `host` (Node signs it without the port, Go with it);
 * service: the credential scope's service (Node: the endpoint's first DNS label).
 */
export function tc3Authorization({ secretId, secretKey, method = 'POST', query = '', contentType, host, body = '', timestamp, service = '127', date, extraSigned = {}, algorithm = 'TC3-HMAC-SHA256' }) {
  const scopeDate = date ?? utcDate(timestamp);
  const payload = method === 'GET' ? '' : body;
  // Signed headers: content-type and host (as the SDKs sign), plus @extraSigned (lowercase name ->
  // value); a value of undefined removes one of the two.
  const signed = { 'content-type': contentType, host, ...extraSigned };
  const names = Object.keys(signed).filter((k) => signed[k] !== undefined).sort();
  const canonicalHeaders = names.map((k) => `${k}:${String(signed[k]).trim()}\n`).join('');
  const signedHeaders = names.join(';');
  const canonical = [method, '/', query, canonicalHeaders, signedHeaders, sha256hex(payload)].join('\n');
  const scope = `${scopeDate}/${service}/tc3_request`;
  const stringToSign = `TC3-HMAC-SHA256\n${timestamp}\n${scope}\n${sha256hex(canonical)}`;
  const kDate = hmac(`TC3${secretKey}`, scopeDate);
  const kService = hmac(kDate, service);
  const kSigning = hmac(kService, 'tc3_request');
  const signature = createHmac('sha256', kSigning).update(stringToSign).digest('hex');
  return `${algorithm} Credential=${secretId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}

/**
 * Sends one raw HTTP request and resolves {status, headers, body (Buffer), text, json}.
 * headers: sent as given (a header whose value is undefined is left out). No keep-alive.
 */
export function rawRequest(port, { method = 'POST', path: reqPath = '/', headers = {}, body, timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const h = {};
    for (const [k, v] of Object.entries(headers)) if (v !== undefined && v !== null) h[k] = v;
    const req = http.request({ host: '127.0.0.1', port, method, path: reqPath, headers: h, agent: false, setHost: !('Host' in h) }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        const text = buf.toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, body: buf, text, json });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no reply within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (body !== undefined) req.end(body); else req.end();
  });
}

/**
 * A correctly signed request (Node SDK style: service "127", host signed without the port),
 * with knobs to break it. The body may be an object (JSON-encoded), a string or a Buffer.
 * opts: app, action, method, query (GET), contentType, timestamp, version, service,
 *       signedHost, signBody (sign these bytes but send `body`), headers (extra / overrides;
 *       a value of undefined removes a header), secretKey / secretId (override the app's),
 *       date (the scope date), extraSigned (more signed headers), algorithm.
 */
export function signedRequest(port, opts = {}) {
  const app = opts.app ?? APP1;
  const method = opts.method ?? 'POST';
  let body = opts.body ?? (method === 'GET' ? undefined : {});
  if (body !== undefined && !Buffer.isBuffer(body) && typeof body !== 'string') body = JSON.stringify(body);
  const bodyBuf = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
  const contentType = opts.contentType ?? (method === 'GET' ? 'application/x-www-form-urlencoded' : 'application/json');
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const signBody = opts.signBody !== undefined ? Buffer.from(opts.signBody) : bodyBuf;
  const query = opts.query ?? '';
  const authorization = tc3Authorization({
    secretId: opts.secretId ?? app.secretId,
    secretKey: opts.secretKey ?? app.secretKey,
    method,
    query,
    contentType,
    host: opts.signedHost ?? '127.0.0.1',
    body: signBody,
    timestamp,
    service: opts.service ?? '127',
    date: opts.date,
    extraSigned: opts.extraSigned,
    algorithm: opts.algorithm,
  });
  const headers = {
    Host: `127.0.0.1:${port}`,
    'Content-Type': contentType,
    'X-TC-Action': opts.action ?? 'DescribeCloudRecording',
    'X-TC-Version': opts.version ?? API_VERSION,
    'X-TC-Timestamp': String(timestamp),
    'X-TC-Region': 'ap-guangzhou',
    Authorization: authorization,
    ...opts.headers,
  };
  return rawRequest(port, {
    method,
    path: query ? `/?${query}` : '/',
    headers,
    body: method === 'GET' ? undefined : bodyBuf,
    timeoutMs: opts.timeoutMs,
  });
}

/**
 * Asserts the shape every API reply must have — HTTP 200, Content-Type application/json, a
 * {"Response":{...,"RequestId":<uuid>}} envelope — and, when @code is given, that it is an error
 * with that code (a RegExp matches a family of codes). Returns the Response object.
 */
export function assertApiReply(res, code) {
  assert.equal(res.status, 200, `HTTP status ${res.status}; body: ${res.text.slice(0, 500)}`);
  assert.match(res.headers['content-type'] ?? '', /^application\/json\b/, 'Content-Type of an API reply');
  assert.ok(res.json && typeof res.json.Response === 'object', `not a TRTC envelope: ${res.text.slice(0, 500)}`);
  const r = res.json.Response;
  assert.match(r.RequestId ?? '', UUID_RE, `RequestId of ${res.text.slice(0, 300)}`);
  if (code === undefined) return r;
  if (code === null) {
    assert.equal(r.Error, undefined, `expected success, got ${JSON.stringify(r.Error)}`);
    return r;
  }
  assert.ok(r.Error, `expected error ${code}, got success: ${res.text.slice(0, 300)}`);
  const why = `error code ${r.Error.Code} (message: ${clip(r.Error.Message)})`;
  if (code instanceof RegExp) assert.ok(code.test(r.Error.Code), `${why} should match ${code}`);
  else assert.ok(r.Error.Code === code, `${why}, expected ${code}`);
  assert.equal(typeof r.Error.Message, 'string');
  return r;
}

/** Opens a TCP connection to the daemon; resolves the socket once connected. */
export function connectRaw(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** The application's callback endpoint on loopback: every POST as { at (ms), headers, raw, json }
 * in order of arrival, answered 200 {"code":0}. */
export function callbackServer() {
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let json;
      try { json = JSON.parse(raw); } catch { json = undefined; }
      received.push({ at: Date.now(), headers: req.headers, raw, json });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"code":0}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, received, port: server.address().port })));
}

/** A syntactically complete WHIP offer (ICE credentials, a fingerprint, Opus and H.264): it passes
 * the checks that come before the WebRTC machinery, but nobody behind it ever connects. Tests
 * derive broken variants from it. */
export const TEST_OFFER = [
  'v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0 1',
  'a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', 'a=mid:0', 'a=sendonly', 'a=ice-ufrag:abcd', 'a=ice-pwd:abcdefghijklmnopqrstuvwx',
  'a=setup:actpass', 'a=rtcp-mux', 'a=rtpmap:111 opus/48000/2',
  'm=video 9 UDP/TLS/RTP/SAVPF 96', 'c=IN IP4 0.0.0.0', 'a=mid:1', 'a=sendonly', 'a=ice-ufrag:abcd', 'a=ice-pwd:abcdefghijklmnopqrstuvwx',
  'a=setup:actpass', 'a=rtcp-mux', 'a=rtpmap:96 H264/90000', 'a=fmtp:96 packetization-mode=1;profile-level-id=42e01f', '',
].join('\r\n');

/** How the MPEG-TS file @file begins: 'PAT, PMT' when its first packet is a PAT (PID 0) and its
 * second the PMT that PAT names (RFC 8216 3.2: the tables at the start of every segment), else
 * the first packets' PIDs. */
export function tsBeginning(file) {
  const data = readFileSync(file);
  const pid = (i) => ((data[i * 188 + 1] & 0x1f) << 8) | data[i * 188 + 2];
  const payload = (i) => { // the section after the pointer field
    const p = i * 188, control = (data[p + 3] >> 4) & 3;
    const at = p + 4 + (control & 2 ? 1 + data[p + 4] : 0);
    return at + 1 + data[at];
  };
  if (data.length >= 2 * 188 && pid(0) === 0) {
    const pat = payload(0);
    const pmtPid = ((data[pat + 10] & 0x1f) << 8) | data[pat + 11]; // the first program's PMT
    if (pid(1) === pmtPid && data[payload(1)] === 0x02) return 'PAT, PMT';
  }
  return `PIDs ${[0, 1, 2, 3].filter((i) => (i + 1) * 188 <= data.length).map(pid).join(', ')}`;
}
