// Storage secrets at rest: CreateCloudRecording's StorageParams.CloudStorage.SecretKey is sealed
// (AES-256-GCM under <data-dir>/secret.key) before the task is stored, so neither the SQLite file,
// its WAL, any other file of the data directory, the daemon's log nor Describe ever holds it in
// clear; the key survives a restart, and a worker still reads its task (and records) without
// ever opening it: cloudrec-worker maps no libcrypto (the daemon reads the store for it).
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { APP1, BIN, startDaemon, makeClient, createBodyCos, userSig, until, expectCode } from './helpers.mjs';

const T = { timeout: 120000 };

/** Every regular file under @dir (the data directory), recursively. */
function filesUnder(dir) {
  const out = [];
  let entries;
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch (e) {
    if (e.code === 'ENOENT') return out; // a spool directory removed meanwhile
    throw e;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** The files of @dir whose bytes contain @needle (as UTF-8, and as UTF-16LE for good measure). */
function filesContaining(dir, needle) {
  const forms = [Buffer.from(needle, 'utf8'), Buffer.from(needle, 'utf16le')];
  return filesUnder(dir).filter((f) => {
    let bytes;
    try { bytes = readFileSync(f); } catch (e) {
      if (e.code === 'ENOENT') return false; // a temporary file renamed into place meanwhile
      throw e;
    }
    return forms.some((n) => bytes.includes(n));
  });
}

describe('storage secrets at rest', () => {
  const procs = [];
  after(() => { for (const p of procs) p.kill('SIGKILL'); });

  test('SecretKey is sealed in the store, absent from logs and Describe, and the key is reused', T, async () => {
    const secret = `SK-MARKER-${randomBytes(12).toString('hex')}`;
    let d = await startDaemon({ args: ['--log-level', 'debug'] });
    const dataDir = d.dataDir;
    const keyFile = path.join(dataDir, 'secret.key');
    assert.ok(existsSync(keyFile), 'the daemon created <data-dir>/secret.key');
    const st = statSync(keyFile);
    assert.equal(st.mode & 0o777, 0o600, `secret.key mode ${(st.mode & 0o777).toString(8)}`);
    assert.equal(st.size, 32);
    const key = readFileSync(keyFile);

    let c = makeClient(d.port);
    const body = createBodyCos(APP1);
    body.StorageParams.CloudStorage.SecretKey = secret;
    body.StorageParams.CloudStorage.AccessKey = 'AKID-visible';
    const { TaskId } = await c.CreateCloudRecording(body);
    const described = await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
    const extended = await c.request('CloudrecDescribeTask', { SdkAppId: APP1.sdkAppId, TaskId });
    for (const r of [described, extended]) {
      const text = JSON.stringify(r);
      assert.ok(!text.includes(secret), `Describe leaks the secret: ${text}`);
      assert.ok(!text.includes('SecretKey'), `Describe shows a SecretKey member: ${text}`);
    }
    // The store (database, WAL) and every other file: read as raw bytes while the daemon runs
    // (the row is in the WAL then) and again after it stopped (checkpointed into the db).
    assert.ok(filesUnder(dataDir).some((f) => f.endsWith('cloudrec.db-wal') || f.endsWith('cloudrec.db')));
    assert.deepEqual(filesContaining(dataDir, secret), [], 'a file of the data directory holds the secret in clear');
    // The sealed form is what the store holds; the AccessKey (an identifier) stays readable.
    const stored = filesUnder(dataDir).map((f) => readFileSync(f).toString('latin1')).join('\n');
    assert.match(stored, /"SecretKey":"sealed:v1:[A-Za-z0-9_-]{40,}"/);
    assert.ok(stored.includes('AKID-visible'));

    // Modify rebuilds the spec from the stored (sealed) request: the daemon opens it.
    await c.ModifyCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId, SubscribeStreamUserIds: { SubscribeAudioUserIds: ['alice'] } });
    await d.stop();
    assert.deepEqual(filesContaining(dataDir, secret), [], 'after the checkpoint');
    assert.ok(!d.stderr.includes(secret), 'the daemon logged the secret');

    // Restarted on the same data directory: the same key, and the sealed value still opens.
    d = await startDaemon({ dataDir, args: ['--log-level', 'debug'] });
    assert.deepEqual(readFileSync(keyFile), key, 'secret.key was replaced');
    c = makeClient(d.port);
    await c.ModifyCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId, SubscribeStreamUserIds: { SubscribeAudioUserIds: ['bob'] } });
    await d.stop();

    // Another key (the data directory restored with a different secret.key): the task's request
    // no longer opens, and the error names the member, never the value.
    writeFileSync(keyFile, randomBytes(32), { mode: 0o600 });
    d = await startDaemon({ dataDir, args: ['--log-level', 'debug'] });
    c = makeClient(d.port);
    await expectCode(c.ModifyCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId, SubscribeStreamUserIds: { SubscribeAudioUserIds: ['carol'] } }),
      'InternalError', /SecretKey/);
    await d.stop();
    assert.ok(!d.stderr.includes(secret));
    assert.deepEqual(filesContaining(dataDir, secret), []);
  });

  test('a worker records a task whose SecretKey is sealed, without the key or a cipher', T, async () => {
    const secret = `SK-WORKER-${randomBytes(12).toString('hex')}`;
    const d = await startDaemon({ defaults: ['--api-rate-limit', '100000', '--log-level', 'debug'] });
    try {
      const c = makeClient(d.port);
      const room = 9871;
      const robot = 'recorder_9871';
      procs.push(spawn(BIN, ['publish', '--server', `http://127.0.0.1:${d.port}`, '--sdkappid', String(APP1.sdkAppId), '--room', String(room),
        '--user', 'alice', '--usersig', userSig(APP1, 'alice'), '--size', '320x180', '--fps', '10', '--duration', '60'], { stdio: 'ignore' }));
      const { TaskId } = await c.CreateCloudRecording({
        SdkAppId: APP1.sdkAppId, RoomId: String(room), UserId: robot, UserSig: userSig(APP1, robot),
        RecordParams: { RecordMode: 1 },
        StorageParams: { CloudStorage: { Vendor: 0, Region: 'ap-guangzhou', Bucket: 'b-1250000000', AccessKey: 'ak', SecretKey: secret, FileNamePrefix: ['sealed'] } },
      });
      // The worker fetched the task over the link (sealed), built its spec and recorded.
      await until('InProgress', async () => (await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId })).Status === 'InProgress', 60000);
      // cloudrec-worker (when the build made it) never opens the secret: no libcrypto in it.
      const pid = Number(spawnSync('pgrep', ['-f', `record .*--task ${TaskId}`], { encoding: 'utf8' }).stdout.trim().split('\n')[0]);
      if (path.basename(readlinkSync(`/proc/${pid}/exe`)) === 'cloudrec-worker') {
        const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
        assert.ok(!/libcrypto|libcurl|libssl/.test(maps), 'the worker maps libcrypto, libcurl or libssl');
      }
      const dir = path.join(d.dataDir, 'storage', 'sealed', TaskId);
      await until('a playlist written', () => existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.m3u8')), 60000);
      await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
      for (const p of procs.splice(0)) p.kill('SIGKILL');
      await until('the task exited', async () => (await c.request('CloudrecDescribeTask', { SdkAppId: APP1.sdkAppId, TaskId })).Status === 'Exited', 30000);
      assert.ok(!d.stderr.includes(secret), 'the daemon or its worker logged the secret');
      assert.ok(!/cannot .*SecretKey|SecretKey: the sealed/.test(d.stderr), d.stderr.slice(-2000));
      assert.deepEqual(filesContaining(d.dataDir, secret), []);
    } finally {
      await d.stop();
    }
  });
});
