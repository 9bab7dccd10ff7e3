// The graceful stop (docs/reliability.md "Graceful stop"): on SIGTERM the daemon refuses new work
// (CreateCloudRecording: FailedOperation; a WHIP POST: 503 with Retry-After), lets every worker
// close its open segment and playlists (the task stays live and resumes in ha1_ files at the next
// start), waits for its callbacks up to stop-timeout and exits 0; a second SIGTERM exits at once
// (status 3) and leaves the SQLite store intact.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { APP1, BIN, startDaemon, makeClient, makeTmpDir, userSig, until, sleep, expectCode, rawRequest } from './helpers.mjs';

const T = { timeout: 120000 };
const FORCED_EXIT = 3; // src/cli/cmd_serve.c CR_SERVE_EXIT_FORCED
const b64name = (s) => Buffer.from(s).toString('base64').replaceAll('/', '-').replaceAll('=', '.');
const procs = [];
after(() => { for (const p of procs) p.kill('SIGKILL'); });

function publish(port, room, user) {
  const p = spawn(BIN, ['publish', '--server', `http://127.0.0.1:${port}`, '--sdkappid', String(APP1.sdkAppId), '--room', String(room),
    '--user', user, '--usersig', userSig(APP1, user), '--size', '160x90', '--fps', '10', '--duration', '120', '--no-audio'], { stdio: 'ignore' });
  procs.push(p);
  return p;
}

function body(room, robot) {
  return {
    SdkAppId: APP1.sdkAppId, RoomId: String(room), UserId: robot, UserSig: userSig(APP1, robot),
    RecordParams: { RecordMode: 1, StreamType: 2, MaxIdleTime: 300 },
    StorageParams: { CloudStorage: { Vendor: 0, Region: 'ap-guangzhou', Bucket: 'b-1250000000', AccessKey: 'ak', SecretKey: 'sk', FileNamePrefix: ['stop'] } },
  };
}

// A callback receiver that holds every request unanswered while `holding` (an application
// endpoint that is slow), then answers 200: release() answers the held ones and every later one.
function holdingReceiver() {
  const received = [];
  const held = [];
  let holding = true;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const answer = () => { received.push(json); res.writeHead(200, { 'Content-Type': 'application/json' }); res.end('{"code":0}'); };
      if (holding) held.push(answer); else answer();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: server.address().port, received, held,
    release() { holding = false; for (const a of held.splice(0)) a(); },
    close() { server.closeAllConnections(); server.close(); },
  })));
}

const appWith = (port) => ({ ...APP1, callbackKey: 'stopKey', callbackUrl: `http://127.0.0.1:${port}/cb` });
const describeTask = (c, TaskId) => c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });

async function recording(d, room, robot) {
  const c = makeClient(d.port, APP1);
  publish(d.port, room, 'anna');
  const { TaskId } = await c.CreateCloudRecording(body(room, robot));
  await until('InProgress', async () => (await describeTask(c, TaskId)).Status === 'InProgress', 60000);
  return { c, TaskId };
}

// Resolves the daemon's exit ({code, signal}) or fails after ms.
async function exitWithin(d, ms) {
  let timer;
  const res = await Promise.race([d.exited, new Promise((resolve) => { timer = setTimeout(resolve, ms, 'timeout'); })]);
  clearTimeout(timer);
  if (res === 'timeout') {
    d.proc.kill('SIGKILL');
    assert.fail(`the daemon did not exit within ${ms} ms\n${d.stderr.split('\n').slice(-30).join('\n')}`);
  }
  return res;
}

function probe(file) {
  return JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_packets', '-show_entries', 'stream=codec_name,nb_read_packets:format=duration',
    '-of', 'json', file], { encoding: 'utf8' }));
}

describe('graceful stop', () => {
  test('SIGTERM mid-recording: Create refused, WHIP 503, the open segment closed and listed, exit 0; the restart resumes in ha1_', T, async () => {
    const cb = await holdingReceiver();
    const dataDir = makeTmpDir();
    const room = 9711;
    try {
      let d = await startDaemon({ apps: [appWith(cb.port)], dataDir, defaults: ['--api-rate-limit', '100000'], args: ['--stop-timeout', '60'] });
      const { c, TaskId } = await recording(d, room, 'recorder_9711');
      await sleep(2000); // media in the open segment
      // The 301 is held by the slow receiver: the stop has a callback to wait for.
      await until('the 301 at the receiver', () => cb.held.length > 0, 30000);
      d.proc.kill('SIGTERM');
      await until('the stop begun', () => /signal received: stopping/.test(d.stderr), 10000);

      await expectCode(c.CreateCloudRecording(body(room, 'recorder_9712')), 'FailedOperation', /stopping/);
      const whip = await rawRequest(d.port, {
        path: `/whip/${APP1.sdkAppId}/room/${room}/ben/main`,
        headers: { Authorization: `Bearer ${userSig(APP1, 'ben')}`, 'Content-Type': 'application/sdp' },
        body: 'v=0\r\n',
      });
      assert.equal(whip.status, 503, whip.text);
      assert.equal(whip.headers['retry-after'], '10');
      assert.match(whip.text, /stopping/);
      // Describe still answers while the daemon waits for the callbacks.
      assert.notEqual((await describeTask(c, TaskId)).Status, 'Exited');
      assert.equal(d.proc.exitCode, null, 'the daemon waits for its undelivered callbacks');

      cb.release();
      const res = await exitWithin(d, 60000 + 15000);
      assert.deepEqual(res, { code: 0, signal: null }, d.stderr.split('\n').slice(-20).join('\n'));
      assert.match(d.stderr, /graceful stop done/);
      const mine = cb.received.filter((j) => j.EventInfo.TaskId === TaskId);
      assert.ok(mine.some((j) => j.EventType === 301), 'the held 301 was delivered before the exit');
      assert.ok(mine.some((j) => j.EventType === 307), 'the first segment was announced (307) before the exit');
      assert.ok(!mine.some((j) => j.EventType === 302), 'no 302: the task stays live');

      // The recording: one playlist, ended, listing every segment on disk; the last one complete.
      const dir = path.join(dataDir, 'storage', 'stop', TaskId);
      const stem = `1400000001_${room}__UserId_s_${b64name('anna')}__UserId_e_main_video`;
      const playlist = path.join(dir, `${stem}.m3u8`);
      const text = readFileSync(playlist, 'utf8');
      assert.ok(text.includes('#EXT-X-ENDLIST'), text);
      const segs = [...text.matchAll(/#EXT-X-TRTC-FILE-ATTR:(\d+),(\d+)\n#EXTINF:([\d.]+),\n(.+)\n/g)];
      assert.ok(segs.length >= 1, text);
      const onDisk = readdirSync(dir).filter((f) => f.startsWith(stem) && f.endsWith('.ts')).sort();
      assert.deepEqual(segs.map((s) => s[4]).sort(), onDisk, 'every segment written is listed (the open one was closed, not lost)');
      const [, , bytes, extinf, uri] = segs[segs.length - 1];
      assert.equal(statSync(path.join(dir, uri)).size, Number(bytes), `${uri} is complete`);
      const p = probe(path.join(dir, uri));
      assert.equal(p.streams[0].codec_name, 'h264');
      assert.ok(Number(p.streams[0].nb_read_packets) > 5, `${uri}: ${JSON.stringify(p)}`);
      assert.ok(Number(p.format.duration) > 0.5 && Math.abs(Number(p.format.duration) - Number(extinf)) < 0.5, `${uri}: ${JSON.stringify(p)} vs EXTINF ${extinf}`);

      // The next start resumes the live task: ha1_ files.
      d = await startDaemon({ apps: [appWith(cb.port)], dataDir, defaults: ['--api-rate-limit', '100000'] });
      try {
        const c2 = makeClient(d.port, APP1);
        publish(d.port, room, 'anna');
        await until('the ha1_ playlist', async () => {
          const r = await describeTask(c2, TaskId);
          return r.Status !== 'Exited' && r.StorageFileList.find((f) => f.FileName === `ha1_${stem}.m3u8`);
        }, 60000);
        await c2.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
      } finally {
        for (const p of procs.splice(0)) p.kill('SIGKILL');
        await d.stop();
      }
    } finally {
      for (const p of procs.splice(0)) p.kill('SIGKILL');
      cb.close();
    }
  });

  test('a callback receiver that hangs: the stop waits stop-timeout, then exits 0', T, async () => {
    const cb = await holdingReceiver(); // never released: every attempt is in flight until its 5 s timeout
    try {
      const d = await startDaemon({ apps: [appWith(cb.port)], defaults: ['--api-rate-limit', '100000'], args: ['--stop-timeout', '3'] });
      try {
        await recording(d, 9721, 'recorder_9721');
        await until('a callback held', () => cb.held.length > 0, 30000);
        d.proc.kill('SIGTERM');
        const res = await exitWithin(d, 3000 + 20000);
        assert.deepEqual(res, { code: 0, signal: null }, d.stderr.split('\n').slice(-20).join('\n'));
        const m = /stop-timeout \(3 s\) reached: (\d+) workers killed \(their tasks stay live\), (\d+) uploads left queued for the next start, (\d+) callbacks not delivered/.exec(d.stderr);
        assert.ok(m, `the stop ran into its bound:\n${d.stderr.split('\n').slice(-20).join('\n')}`);
        assert.ok(Number(m[3]) >= 1, m[0]);
      } finally {
        for (const p of procs.splice(0)) p.kill('SIGKILL');
      }
    } finally {
      cb.close();
    }
  });

  test('a callback receiver that is down is not waited for: its events stay in the outbox and go out after the restart', T, async () => {
    // A port that refuses: every delivery fails at once and waits out a backoff.
    const gone = http.createServer();
    await new Promise((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const port = gone.address().port;
    await new Promise((resolve) => gone.close(resolve));
    const dataDir = makeTmpDir();
    const d = await startDaemon({ apps: [appWith(port)], dataDir, defaults: ['--api-rate-limit', '100000'], args: ['--stop-timeout', '20'] });
    let TaskId;
    try {
      ({ TaskId } = await recording(d, 9722, 'recorder_9722')); // its worker's 301 cannot be delivered
      const t0 = Date.now();
      d.proc.kill('SIGTERM');
      const res = await exitWithin(d, 20000);
      assert.deepEqual(res, { code: 0, signal: null }, d.stderr.split('\n').slice(-20).join('\n'));
      assert.doesNotMatch(d.stderr, /stop-timeout \(20 s\) reached/, `exited after ${Date.now() - t0} ms without waiting out the receiver`);
    } finally {
      for (const p of procs.splice(0)) p.kill('SIGKILL');
    }
    const cb = await holdingReceiver();
    cb.release();
    const again = await startDaemon({ apps: [appWith(cb.port)], dataDir, defaults: ['--api-rate-limit', '100000'], args: ['--stop-timeout', '3'] });
    try {
      await until('the first run\'s 301 delivered after the restart', () => cb.received.some((j) => j.EventType === 301 && j.EventInfo.TaskId === TaskId && j.EventInfo.Payload.Status === 0), 30000);
    } finally {
      again.proc.kill('SIGTERM');
      await exitWithin(again, 20000);
      cb.close();
    }
  });

  test('a second SIGTERM exits at once (status 3); the store passes integrity_check and the task is still live', T, async () => {
    const cb = await holdingReceiver(); // never released: the first SIGTERM alone would wait 60 s
    const dataDir = makeTmpDir();
    try {
      const d = await startDaemon({ apps: [appWith(cb.port)], dataDir, defaults: ['--api-rate-limit', '100000'], args: ['--stop-timeout', '60'] });
      const { TaskId } = await recording(d, 9731, 'recorder_9731');
      await until('the 301 at the receiver', () => cb.held.length > 0, 30000);
      const pids = [...d.stderr.matchAll(new RegExp(`worker of task ${TaskId} started \\(pid (\\d+)\\)`, 'g'))].map((x) => Number(x[1]));
      assert.equal(pids.length, 1);
      d.proc.kill('SIGTERM');
      await until('the stop begun', () => /signal received: stopping/.test(d.stderr), 10000);
      d.proc.kill('SIGTERM');
      const res = await exitWithin(d, 15000);
      assert.deepEqual(res, { code: FORCED_EXIT, signal: null }, d.stderr.split('\n').slice(-20).join('\n'));
      assert.match(d.stderr, /second signal: stopping at once/);
      // No worker outlives the daemon.
      await until('the worker gone', () => { try { process.kill(pids[0], 0); return false; } catch { return true; } }, 10000);

      const db = path.join(dataDir, 'cloudrec.db');
      assert.ok(existsSync(db));
      // python3's sqlite3 module: the sqlite3 command-line tool is not among the README's packages.
      const check = 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])';
      assert.equal(execFileSync('python3', ['-c', check, db], { encoding: 'utf8' }).trim(), 'ok');
      const d2 = await startDaemon({ apps: [APP1], dataDir, defaults: ['--api-rate-limit', '100000', '--workers', 'off'] });
      try {
        const r = await describeTask(makeClient(d2.port, APP1), TaskId);
        assert.notEqual(r.Status, 'Exited', 'the task stays live for the next start');
      } finally {
        await d2.stop();
      }
    } finally {
      for (const p of procs.splice(0)) p.kill('SIGKILL');
      cb.close();
    }
  });
});
