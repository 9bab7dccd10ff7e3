// The command line: version, serve --help, bad flags, usersig, persistence across restarts,
// SIGTERM, and the demo app made when no --app is given.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import path from 'node:path';
import {
  APP1, APP2, REPO, TASK_ID_RE, TLSSigAPIv2, startDaemon, runCli, makeClient, makeTmpDir, expectCode,
  createBodyCos, createBodyMixed, freshRoom, userSig,
} from './helpers.mjs';

const T = { timeout: 20000 };

/** The settings table of src/config/config.c: [{name, type}] (falls back to the documented list). */
function settingsTable() {
  const documented = ['listen', 'data-dir', 'db-path', 'storage-dir', 'log-level', 'api-rate-limit',
    'api-max-tasks', 'api-max-streams', 'api-max-body', 'api-timeout', 'api-clock-skew'];
  let names = [];
  try {
    const src = readFileSync(path.join(REPO, 'src', 'config', 'config.c'), 'utf8');
    names = [...src.matchAll(/\{\s*"([a-z0-9-]+)",\s*SETTING_(STRING|INT|ENUM)\b/g)].map((m) => m[1]);
  } catch { /* a packaged tree without sources */ }
  return [...new Set([...documented, ...names])];
}

/** Decodes a UserSig (reference §9.2): base64 with *-_ substitutions, zlib, JSON. */
function decodeUserSig(sig) {
  const b64 = sig.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '=');
  return JSON.parse(inflateSync(Buffer.from(b64, 'base64')).toString('utf8'));
}

describe('cloudrec version / --help / flags', () => {
  test('`cloudrec version` prints the version', T, () => {
    const r = runCli(['version']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^cloudrec \d+\.\d+\.\d+\S*\n$/);
    const pkg = readFileSync(path.join(REPO, 'meson.build'), 'utf8').match(/version:\s*'([^']+)'/);
    if (pkg) assert.equal(r.stdout.trim(), `cloudrec ${pkg[1]}`);
    assert.equal(runCli(['--version']).stdout, r.stdout);
  });

  test('`serve --help` lists every setting of the table, with its env variable', T, () => {
    const r = runCli(['serve', '--help']);
    assert.equal(r.status, 0, r.stderr);
    const names = settingsTable();
    assert.ok(names.length >= 11);
    for (const name of names) {
      assert.match(r.stdout, new RegExp(`--${name}\\b`), `--${name} missing from serve --help`);
      const env = `CLOUDREC_${name.toUpperCase().replace(/-/g, '_')}`;
      assert.ok(r.stdout.includes(env), `${env} missing from serve --help`);
    }
    for (const extra of ['--config', '--app']) assert.ok(r.stdout.includes(extra), `${extra} missing`);
    // Help does not start a server: it returned at once with status 0 (above).
  });

  test('an unknown flag exits 2 with a message naming it', T, () => {
    const r = runCli(['serve', '--no-such-flag', '1', '--listen', '127.0.0.1:0', '--data-dir', makeTmpDir()]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--no-such-flag/);
    assert.equal(r.stdout, '');
  });

  test('a bad value exits 2 with a message naming the setting and its range', T, () => {
    for (const [flag, value] of [['--api-rate-limit', '0'], ['--api-max-body', '12'], ['--api-timeout', 'abc'], ['--log-level', 'loud']]) {
      const r = runCli(['serve', flag, value, '--listen', '127.0.0.1:0', '--data-dir', makeTmpDir()]);
      assert.equal(r.status, 2, `${flag} ${value}: ${r.stderr}`);
      assert.ok(r.stderr.includes(flag.slice(2)), `${flag} ${value}: ${r.stderr}`);
    }
    const r = runCli(['serve', '--app', 'not-an-app', '--listen', '127.0.0.1:0', '--data-dir', makeTmpDir()]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /SDKAPPID:SECRETID:SECRETKEY:USERSIGKEY/);
  });

  test('--log-level decides what reaches stderr', T, async () => {
    const quiet = await startDaemon({ args: ['--log-level', 'error'] });
    const loud = await startDaemon({ args: ['--log-level', 'debug'] });
    try {
      for (const d of [quiet, loud]) {
        await expectCode(makeClient(d.port).DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }), 'ResourceNotFound');
        await makeClient(d.port).CreateCloudRecording(createBodyCos(APP1));
      }
    } finally {
      await quiet.stop();
      await loud.stop();
    }
    assert.equal(quiet.stderr, '', 'nothing below "error" is written with --log-level error');
    assert.match(loud.stderr, /ResourceNotFound/, 'the refused call is logged at debug level');
    assert.match(loud.stderr, /created/);
  });

  test('an unknown command exits 2', T, () => {
    const r = runCli(['no-such-command']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /no-such-command/);
  });

  test('a setting from the environment is applied (CLOUDREC_API_MAX_TASKS)', T, async () => {
    const d = await startDaemon({ env: { CLOUDREC_API_MAX_TASKS: '1' } });
    try {
      const c = makeClient(d.port);
      await c.CreateCloudRecording(createBodyCos(APP1));
      await expectCode(c.CreateCloudRecording(createBodyCos(APP1)), 'FailedOperation.RestrictedConcurrency');
    } finally {
      await d.stop();
    }
  });
});

describe('--config file', () => {
  test('[cloudrec] settings and [app N] groups are read; env beats the file, a flag beats both', T, async () => {
    const dir = makeTmpDir();
    const file = path.join(dir, 'cloudrec.conf');
    writeFileSync(file, `[cloudrec]\napi-max-tasks=1\napi-rate-limit=100000\n\n[app ${APP2.sdkAppId}]\n`
      + `secrets=${APP2.secretId}:${APP2.secretKey};AKIDsecondKeyOfAppTwo0000000000:second-key\nusersig-key=${APP2.usersigKey}\n`);
    const one = async (extra, env, expectMax) => {
      const d = await startDaemon({ apps: [], args: ['--config', file, ...extra], env });
      try {
        const c = makeClient(d.port, APP2);
        for (let i = 0; i < expectMax; i++) assert.match((await c.CreateCloudRecording(createBodyCos(APP2))).TaskId, TASK_ID_RE);
        await expectCode(c.CreateCloudRecording(createBodyCos(APP2)), 'FailedOperation.RestrictedConcurrency', new RegExp(`\\b${expectMax}\\b`));
        // The app's second key pair works too.
        const c2 = makeClient(d.port, { ...APP2, secretId: 'AKIDsecondKeyOfAppTwo0000000000', secretKey: 'second-key' });
        await expectCode(c2.DescribeCloudRecording({ SdkAppId: APP2.sdkAppId, TaskId: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }), 'ResourceNotFound');
      } finally {
        await d.stop();
      }
    };
    await one([], undefined, 1);
    await one([], { CLOUDREC_API_MAX_TASKS: '2' }, 2);
    await one(['--api-max-tasks', '3'], { CLOUDREC_API_MAX_TASKS: '2' }, 3);
  });

  test('an unknown setting or group in the file exits 2 naming it', T, () => {
    const dir = makeTmpDir();
    for (const [text, re] of [['[cloudrec]\nno-such-setting=1\n', /no-such-setting/], ['[other]\nx=1\n', /other/]]) {
      const file = path.join(dir, 'bad.conf');
      writeFileSync(file, text);
      const r = runCli(['serve', '--config', file, '--listen', '127.0.0.1:0', '--data-dir', dir]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, re);
    }
  });
});

describe('cloudrec usersig', () => {
  test('its output is a valid TLSSigAPIv2 UserSig and Create accepts it', T, async () => {
    const { roomId, userId } = freshRoom();
    const r = runCli(['usersig', '--sdkappid', String(APP1.sdkAppId), '--key', APP1.usersigKey, '--user', userId, '--expire', '3600']);
    assert.equal(r.status, 0, r.stderr);
    const sig = r.stdout.trim();
    assert.match(sig, /^[A-Za-z0-9*_-]+$/);
    assert.equal(r.stdout, `${sig}\n`);

    // tls-sig-api-v2 has no verifier; verify it as reference §9.2 says, with the library's own HMAC.
    const doc = decodeUserSig(sig);
    assert.equal(doc['TLS.ver'], '2.0');
    assert.equal(doc['TLS.identifier'], userId);
    assert.equal(doc['TLS.sdkappid'], APP1.sdkAppId);
    assert.equal(doc['TLS.expire'], 3600);
    const now = Math.floor(Date.now() / 1000);
    assert.ok(Math.abs(doc['TLS.time'] - now) <= 5, `TLS.time ${doc['TLS.time']} vs now ${now}`);
    const api = new TLSSigAPIv2.Api(APP1.sdkAppId, APP1.usersigKey);
    assert.equal(doc['TLS.sig'], api._hmacsha256(userId, doc['TLS.time'], doc['TLS.expire'], null));
    // And independently of the library.
    const input = `TLS.identifier:${userId}\nTLS.sdkappid:${APP1.sdkAppId}\nTLS.time:${doc['TLS.time']}\nTLS.expire:3600\n`;
    assert.equal(doc['TLS.sig'], createHmac('sha256', APP1.usersigKey).update(input).digest('base64'));

    const d = await startDaemon();
    try {
      const c = makeClient(d.port);
      const body = createBodyCos(APP1, { RoomId: roomId, UserId: userId, UserSig: sig });
      const { TaskId } = await c.CreateCloudRecording(body);
      assert.match(TaskId, TASK_ID_RE);
      // The same command with another key makes a UserSig the daemon refuses.
      const other = runCli(['usersig', '--sdkappid', String(APP1.sdkAppId), '--key', 'another-key', '--user', 'robot_x']).stdout.trim();
      await expectCode(c.CreateCloudRecording(createBodyCos(APP1, { UserId: 'robot_x', UserSig: other })), 'InvalidParameter.UserSig');
    } finally {
      await d.stop();
    }
  });

  test('missing arguments exit 2', T, () => {
    const r = runCli(['usersig', '--sdkappid', '1400000001']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--key/);
  });
});

describe('persistence and shutdown', () => {
  test('tasks survive a restart on the same --data-dir; SIGTERM exits 0', T, async () => {
    const dataDir = makeTmpDir();
    let d = await startDaemon({ dataDir });
    let c = makeClient(d.port);
    const idle = (await c.CreateCloudRecording(createBodyCos(APP1))).TaskId;
    const mixed = (await c.CreateCloudRecording(createBodyMixed(APP1))).TaskId;
    const exited = (await c.CreateCloudRecording(createBodyCos(APP1))).TaskId;
    await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: exited });
    await c.ModifyCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: mixed, MixLayoutParams: { MixLayoutMode: 3 } });
    await d.stop(); // asserts exit code 0 within 5 s
    assert.match(d.stderr, /./, 'the daemon logs to stderr');

    d = await startDaemon({ dataDir });
    try {
      c = makeClient(d.port);
      assert.equal((await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: idle })).Status, 'Idle');
      assert.equal((await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: mixed })).Status, 'Idle');
      assert.equal((await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: exited })).Status, 'Exited');
      await expectCode(c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: exited }), 'ResourceNotFound');
      // The restored tasks are live: they can be modified and deleted.
      await c.ModifyCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: mixed, MixLayoutParams: { MixLayoutMode: 1 } });
      assert.equal((await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: idle })).TaskId, idle);
    } finally {
      await d.stop();
    }
  });

  test('the concurrency quota counts tasks restored from the store', T, async () => {
    const dataDir = makeTmpDir();
    let d = await startDaemon({ dataDir, args: ['--api-max-tasks', '2'] });
    let c = makeClient(d.port);
    await c.CreateCloudRecording(createBodyCos(APP1));
    await c.CreateCloudRecording(createBodyCos(APP1));
    await d.stop();
    d = await startDaemon({ dataDir, args: ['--api-max-tasks', '2'] });
    try {
      c = makeClient(d.port);
      await expectCode(c.CreateCloudRecording(createBodyCos(APP1)), 'FailedOperation.RestrictedConcurrency');
    } finally {
      await d.stop();
    }
  });

  test('SIGINT also exits 0', T, async () => {
    const d = await startDaemon();
    d.proc.kill('SIGINT');
    assert.deepEqual(await d.exited, { code: 0, signal: null });
  });

  test('a busy port fails with a message', T, async () => {
    const d = await startDaemon();
    try {
      const r = runCli(['serve', '--listen', `127.0.0.1:${d.port}`, '--data-dir', makeTmpDir(), '--app',
        `${APP1.sdkAppId}:${APP1.secretId}:${APP1.secretKey}:${APP1.usersigKey}`]);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, new RegExp(`${d.port}`));
    } finally {
      await d.stop();
    }
  });
});

describe('no --app: the demo app', () => {
  const CRED_RE = /^ {2}SdkAppId (\d+) {2}SecretId (\S+) {2}SecretKey (\S+) {2}UserSig key (\S+)$/m;

  test('is created, printed, works with the SDK, and is the same after a restart', T, async () => {
    const dataDir = makeTmpDir();
    let d = await startDaemon({ apps: null, dataDir });
    let creds;
    let taskId;
    try {
      const m = CRED_RE.exec(d.stdout);
      assert.ok(m, `no credentials line in: ${d.stdout}`);
      creds = { sdkAppId: Number(m[1]), secretId: m[2], secretKey: m[3], usersigKey: m[4] };
      assert.match(creds.secretId, /^AKID/);
      const mode = statSync(path.join(dataDir, 'demo-app.conf')).mode & 0o777;
      assert.equal(mode, 0o600, 'demo-app.conf holds secrets: mode 0600');

      const c = makeClient(d.port, creds);
      const { roomId, userId } = freshRoom();
      taskId = (await c.CreateCloudRecording(createBodyCos(creds, { RoomId: roomId, UserId: userId, UserSig: userSig(creds, userId) }))).TaskId;
      assert.match(taskId, TASK_ID_RE);
      assert.equal((await c.DescribeCloudRecording({ SdkAppId: creds.sdkAppId, TaskId: taskId })).Status, 'Idle');
    } finally {
      await d.stop();
    }

    d = await startDaemon({ apps: null, dataDir });
    try {
      const m = CRED_RE.exec(d.stdout);
      assert.ok(m, `no credentials line after restart in: ${d.stdout}`);
      assert.deepEqual({ sdkAppId: Number(m[1]), secretId: m[2], secretKey: m[3], usersigKey: m[4] }, creds);
      const c = makeClient(d.port, creds);
      assert.equal((await c.DescribeCloudRecording({ SdkAppId: creds.sdkAppId, TaskId: taskId })).Status, 'Idle');
    } finally {
      await d.stop();
    }
  });

  test('two data dirs get different demo credentials', T, async () => {
    const a = await startDaemon({ apps: null });
    const b = await startDaemon({ apps: null });
    try {
      const ma = CRED_RE.exec(a.stdout);
      const mb = CRED_RE.exec(b.stdout);
      assert.ok(ma && mb);
      assert.notEqual(ma[2], mb[2]);
      assert.notEqual(ma[3], mb[3]);
      // Each daemon knows only its own key.
      const wrong = makeClient(a.port, { sdkAppId: Number(mb[1]), secretId: mb[2], secretKey: mb[3] });
      await expectCode(wrong.DescribeCloudRecording({ SdkAppId: Number(mb[1]), TaskId: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }), 'AuthFailure.SecretIdNotFound');
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  test('with --app the demo app is not created', T, async () => {
    const d = await startDaemon();
    try {
      assert.ok(!CRED_RE.exec(d.stdout) || CRED_RE.exec(d.stdout)[2] === APP1.secretId);
      assert.throws(() => statSync(path.join(d.dataDir, 'demo-app.conf')), /ENOENT/);
    } finally {
      await d.stop();
    }
  });
});
