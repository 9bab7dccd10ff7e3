// Crash drills, scripted and measured (docs/reliability.md quotes their numbers).
//
// Worker crashes: CLOUDREC_DRILLS drills (default 2; `make drills` runs 10), each on a fresh
// single-stream task with its own publisher: kill -9 of the task's worker at a random moment after
// it wrote a segment, three times. Each time the supervisor starts a new worker at once, its files
// carry ha<n>_, a signed 306 arrives, and the media missing between the last segment of the dead
// worker and the first of the new one is at most the open segment plus the restart, measured from
// the segments' own timestamps (playlist FILE-ATTR starts and durations, and the TS PTS through
// ffprobe). The fourth kill ends the task with its 302. Drills run two at a time on one daemon.
//
// Daemon crash: kill -9 of the daemon and of every worker mid-recording, then a start on the same
// data directory: the rooms died with the daemon, so each live task waits for its publisher,
// counting MaxIdleTime from the restart. A publisher that comes back (`cloudrec publish
// --reconnect`) is recorded again in ha1_ files; a task whose publisher does not ends with
// LeaveCode 99 MaxIdleTime after the restart, not before; the store passes integrity_check.
//
// Every measurement is printed as a "# DRILL ..." line and a test diagnostic.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHmac, randomInt } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { APP1, BIN, TASK_ID_RE, startDaemon, makeClient, makeTmpDir, userSig, until, sleep, callbackServer, freshRoom, workerPids } from './helpers.mjs';

const DRILLS = Math.max(1, Number(process.env.CLOUDREC_DRILLS ?? 2));
const PARALLEL = Math.max(1, Number(process.env.CLOUDREC_DRILLS_PARALLEL ?? 2));
const CALLBACK_KEY = 'drillsKey';
const SEGMENT_MS = 10000; // CR_TRACK_SEGMENT_S: a segment is cut at the first keyframe after 10 s
const FPS = 10;
const GOP_MS = 2000; // cloudrec publish: a keyframe every 2 * fps frames
// The media a worker crash may lose before the kill: the open segment, at most one segment
// target plus one GOP (the cut waits for a keyframe), plus 1 s for the muxer's lead and jitter.
const OPEN_SEGMENT_MAX_MS = SEGMENT_MS + GOP_MS + 1000;
// From the kill to the first media of the new worker: spawn, GStreamer init, joining the room,
// the forward, the next keyframe. A second or two here; bounded generously for a loaded machine.
const RECOVERY_MAX_MS = 30000;

function report(t, line) {
  console.log(`# DRILL ${line}`);
  t.diagnostic(`DRILL ${line}`);
}

function publisher(port, room, user, extra = []) {
  const p = spawn(BIN, ['publish', '--server', `http://127.0.0.1:${port}`, '--sdkappid', String(APP1.sdkAppId), '--room', room,
    '--user', user, '--usersig', userSig(APP1, user), '--plain', '--no-audio', '--size', '160x90', '--fps', String(FPS),
    '--duration', '600', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  p.out = '';
  p.err = '';
  p.stdout.setEncoding('utf8').on('data', (s) => { p.out += s; });
  p.stderr.setEncoding('utf8').on('data', (s) => { p.err += s; });
  return p;
}

function body(room, robot, maxIdle) {
  return {
    SdkAppId: APP1.sdkAppId, RoomId: room, UserId: robot, UserSig: userSig(APP1, robot),
    RecordParams: { RecordMode: 1, StreamType: 2, MaxIdleTime: maxIdle, OutputFormat: 0 },
    StorageParams: { CloudStorage: { Vendor: 0, Region: 'ap-guangzhou', Bucket: 'b-1250000000', AccessKey: 'ak', SecretKey: 'sk', FileNamePrefix: ['drill'] } },
  };
}

// The callbacks of one task, each checked against its Sign header.
function events(cb, TaskId) {
  return cb.received.map((r) => {
    const sign = createHmac('sha256', CALLBACK_KEY).update(r.raw).digest('base64');
    assert.equal(r.headers.sign, sign, `callback signed with the app's key: ${r.raw}`);
    return { ...JSON.parse(r.raw), at: r.at };
  }).filter((j) => j.EventInfo.TaskId === TaskId);
}

// The task's directory in the local store: <storage>/drill/<TaskId>.
const taskDir = (d, TaskId) => path.join(d.dataDir, 'storage', 'drill', TaskId);

// The video playlist of failover prefix @prefix ('' for the first worker) with its segments:
// { file, startRec, segments: [{ start (ms, FILE-ATTR), bytes, dur (ms, EXTINF), uri }] }.
function playlist(d, TaskId, prefix) {
  const dir = taskDir(d, TaskId);
  if (!existsSync(dir)) return null;
  const name = readdirSync(dir).find((f) => f.endsWith('_video.m3u8') && (prefix ? f.startsWith(prefix) : !/^ha\d_/.test(f)));
  if (!name) return null;
  const text = readFileSync(path.join(dir, name), 'utf8');
  const startRec = Number(/#EXT-X-TRTC-START-REC-TIME:(\d+)/.exec(text)?.[1]);
  const segments = [...text.matchAll(/#EXT-X-TRTC-FILE-ATTR:(\d+),(\d+)\n#EXTINF:([\d.]+),\n(.+)\n/g)]
    .map((m) => ({ start: Number(m[1]), bytes: Number(m[2]), dur: Math.round(Number(m[3]) * 1000), uri: m[4] }));
  return { file: path.join(dir, name), dir, startRec, segments };
}

async function segmentsOf(d, TaskId, prefix, timeoutMs = 60000) {
  return until(`a closed segment in the ${prefix || 'first'} playlist of ${TaskId}`, () => {
    const pl = playlist(d, TaskId, prefix);
    return pl && pl.segments.length > 0 ? pl : null;
  }, timeoutMs);
}

// Every segment a playlist lists is on disk with the size it lists: what a crash left is usable.
function assertIntact(pl) {
  for (const s of pl.segments) {
    const f = path.join(pl.dir, s.uri);
    assert.ok(existsSync(f), `listed segment ${s.uri} exists`);
    assert.equal(statSync(f).size, s.bytes, `listed segment ${s.uri} has its listed size`);
  }
}

// [first PTS, last PTS + duration] of a TS segment, in ms, from ffprobe (null without ffprobe).
function ptsSpan(file) {
  const r = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'format=start_time,duration', '-of', 'json', file], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  const f = JSON.parse(r.stdout).format;
  const start = Number(f.start_time) * 1000;
  return [start, start + Number(f.duration) * 1000];
}

// The media missing between the dead worker's last closed segment and the new worker's first,
// from the playlists (FILE-ATTR start + EXTINF) and from the TS timestamps (PTS count from the
// playlist's START-REC-TIME, docs/recording.md): { end, start, gap, ptsGap }.
function mediaGap(prev, next) {
  const last = prev.segments.at(-1);
  const first = next.segments[0];
  const end = last.start + last.dur;
  const out = { end, start: first.start, gap: first.start - end, ptsGap: null };
  const a = ptsSpan(path.join(prev.dir, last.uri));
  const b = ptsSpan(path.join(next.dir, first.uri));
  if (a && b) out.ptsGap = Math.round((next.startRec + b[0]) - (prev.startRec + a[1]));
  return out;
}

// Waits (polling every 20 ms, for a fine measurement) until the daemon logged worker number @n
// of the task; returns [pid, ms since @since].
async function nextWorker(d, TaskId, n, since) {
  const end = Date.now() + 60000;
  for (;;) {
    const pids = workerPids(d, TaskId);
    if (pids.length >= n) return [pids[n - 1], Date.now() - since];
    if (Date.now() > end) assert.fail(`no worker number ${n} of task ${TaskId}`);
    await sleep(20);
  }
}

const stats = [];
function summary(t, label, values) {
  if (values.length === 0) return;
  const s = [...values].sort((a, b) => a - b);
  const pick = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  report(t, `${label}: n=${s.length} min=${s[0]} median=${pick(0.5)} p90=${pick(0.9)} max=${s.at(-1)} ms`);
}

// One drill: a fresh task, three kills with failovers, a fourth that ends the task.
async function drill(t, d, cb, c, index, procs) {
  const { roomId, userId } = freshRoom();
  const pub = publisher(d.port, roomId, `anchor_${roomId}`);
  procs.push(pub);
  const { TaskId } = await c.CreateCloudRecording(body(roomId, userId, 300));
  assert.match(TaskId, TASK_ID_RE);
  let prev = await segmentsOf(d, TaskId, '');
  for (let n = 1; n <= 4; n++) {
    const pids = workerPids(d, TaskId);
    assert.equal(pids.length, n, `one worker per failover so far: ${pids}`);
    const pid = pids.at(-1);
    // A random moment within one segment after the current worker listed its first segment.
    await sleep(randomInt(0, SEGMENT_MS));
    prev = playlist(d, TaskId, n === 1 ? '' : `ha${n - 1}_`);
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    if (n === 4) {
      const stop = await until('the 302 queued by the daemon', () => events(cb, TaskId).find((j) => j.EventType === 302), 30000);
      assert.deepEqual(stop.EventInfo.Payload, { LeaveCode: 0 });
      assert.equal(events(cb, TaskId).filter((j) => j.EventType === 306).length, 3, 'no fourth 306');
      assert.equal(workerPids(d, TaskId).length, 4, 'no fifth worker');
      const ext = await c.request('CloudrecDescribeTask', { SdkAppId: APP1.sdkAppId, TaskId });
      assert.equal(ext.Status, 'Exited');
      assert.equal(ext.Failovers, 3);
      assert.equal(ext.Finished, true);
      assertIntact(playlist(d, TaskId, 'ha3_'));
      report(t, `drill ${index} kill 4: 302 LeaveCode 0 ${stop.at - killedAt} ms after kill -9; task Exited, 3 failovers`);
      pub.kill('SIGTERM');
      return;
    }
    const [newPid, restartMs] = await nextWorker(d, TaskId, n + 1, killedAt);
    assert.notEqual(newPid, pid);
    const alive = existsSync(`/proc/${newPid}`);
    const failover = await until(`306 number ${n}`, () => {
      const l = events(cb, TaskId).filter((j) => j.EventType === 306);
      return l.length === n ? l.at(-1) : null;
    }, 60000);
    assert.deepEqual(failover.EventInfo.Payload, { Status: 0 });
    const next = await segmentsOf(d, TaskId, `ha${n}_`);
    assert.match(path.basename(next.file), new RegExp(`^ha${n}_`));
    // What the dead worker listed is intact and ends within one segment of the kill: only the
    // open segment is lost before it.
    assertIntact(prev);
    const g = mediaGap(prev, next);
    const before = killedAt - g.end;
    const recovery = g.start - killedAt;
    report(t, `drill ${index} kill ${n}: restart ${restartMs} ms (new worker pid ${newPid}${alive ? '' : ', already gone'}), `
      + `306 after ${failover.at - killedAt} ms, media lost ${g.gap} ms (playlist) / ${g.ptsGap ?? 'n/a'} ms (TS PTS) = `
      + `${before} ms of the open segment + ${recovery} ms until the new worker's first frame`);
    stats.push({ restartMs, gap: g.gap, ptsGap: g.ptsGap, before, recovery, notice: failover.at - killedAt });
    assert.ok(g.end <= killedAt + 1000, `the dead worker listed no media after its kill: ${g.end} vs ${killedAt}`);
    assert.ok(before <= OPEN_SEGMENT_MAX_MS, `at most the open segment was lost before the kill: ${before} ms > ${OPEN_SEGMENT_MAX_MS} ms`);
    assert.ok(recovery >= 0, `the new worker's first segment starts after the kill: ${recovery} ms`);
    assert.ok(recovery <= RECOVERY_MAX_MS, `the new worker records within ${RECOVERY_MAX_MS} ms of the kill: ${recovery} ms`);
    if (g.ptsGap !== null) assert.ok(Math.abs(g.ptsGap - g.gap) <= 1000, `TS timestamps agree with the playlists: ${g.ptsGap} vs ${g.gap}`);
  }
}

// Processes of this daemon's workers: `cloudrec record --link <data-dir>/worker.sock ...`.
function workerProcesses(dataDir) {
  const sock = path.join(dataDir, 'worker.sock');
  const out = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let argv;
    try { argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'); } catch { continue; }
    if (argv[1] === 'record' && argv.includes(sock)) out.push(Number(pid));
  }
  return out;
}

function integrityCheck(dataDir) {
  const db = path.join(dataDir, 'cloudrec.db');
  const r = spawnSync('python3', ['-c', 'import sqlite3,sys; c=sqlite3.connect("file:"+sys.argv[1]+"?mode=ro", uri=True, timeout=10); print(c.execute("PRAGMA integrity_check").fetchone()[0])', db], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

// The two drills run side by side (each with its own daemon, data directory and callback
// receiver): the CI version of this file then takes about as long as the worker drills alone.
describe('crash drills', { concurrency: 2 }, () => {
  describe('worker crash drills (kill -9 of the worker)', () => {
    let cb;
    const procs = [];
    before(async () => { cb = await callbackServer(); });
    after(() => {
      for (const p of procs) p.kill('SIGKILL');
      cb.server.close();
    });

    test(`${DRILLS} drills: three kills with failovers (ha1_..ha3_, signed 306, at most the open segment lost), a fourth ending the task`,
      { timeout: 120000 + Math.ceil(DRILLS / PARALLEL) * 150000 }, async (t) => {
        const app = { ...APP1, callbackKey: CALLBACK_KEY, callbackUrl: `http://127.0.0.1:${cb.port}/cb` };
        const d = await startDaemon({ apps: [app], defaults: ['--api-rate-limit', '100000'] });
        try {
          const c = makeClient(d.port, APP1);
          for (let i = 0; i < DRILLS; i += PARALLEL) {
            const batch = [];
            for (let j = i; j < Math.min(DRILLS, i + PARALLEL); j++) batch.push(drill(t, d, cb, c, j + 1, procs));
            await Promise.all(batch);
          }
          summary(t, 'restart delay (kill -9 to the new worker spawned)', stats.map((s) => s.restartMs));
          summary(t, 'media lost per kill (playlist timestamps)', stats.map((s) => s.gap));
          summary(t, 'media lost per kill (TS PTS)', stats.filter((s) => s.ptsGap !== null).map((s) => s.ptsGap));
          summary(t, 'of which the open segment', stats.map((s) => s.before));
          summary(t, 'of which the recovery (kill to the first new frame)', stats.map((s) => s.recovery));
          summary(t, '306 received after the kill', stats.map((s) => s.notice));
          assert.equal(stats.length, 3 * DRILLS);
        } finally {
          await d.stop();
        }
      });
  });

  describe('daemon crash drill (kill -9 of the daemon and its workers)', () => {
    let cb;
    const procs = [];
    before(async () => { cb = await callbackServer(); });
    after(() => {
      for (const p of procs) p.kill('SIGKILL');
      cb.server.close();
    });

    test('live tasks wait for their publishers, MaxIdleTime counted from the restart; a reconnecting publisher is recorded again (ha1_)', { timeout: 240000 }, async (t) => {
      const app = { ...APP1, callbackKey: CALLBACK_KEY, callbackUrl: `http://127.0.0.1:${cb.port}/cb` };
      const dataDir = makeTmpDir();
      let d = await startDaemon({ apps: [app], dataDir, defaults: ['--api-rate-limit', '100000'] });
      const port = d.port;
      let c = makeClient(port, APP1);
      const MAX_IDLE = 10;
      // Task A: its publisher dies with the daemon and does not come back.
      const a = freshRoom();
      // (--reconnect too, so a connection refused on a loaded machine is retried; it is killed
      // with the daemon and never comes back.)
      const pubA = publisher(port, a.roomId, `anchor_${a.roomId}`, ['--reconnect', '60']);
      procs.push(pubA);
      const { TaskId: taskA } = await c.CreateCloudRecording(body(a.roomId, a.userId, MAX_IDLE));
      // Task B: its publisher reconnects (cloudrec publish --reconnect).
      const b = freshRoom();
      const pubB = publisher(port, b.roomId, `anchor_${b.roomId}`, ['--reconnect', '120']);
      procs.push(pubB);
      const { TaskId: taskB } = await c.CreateCloudRecording(body(b.roomId, b.userId, 300));
      await segmentsOf(d, taskA, '', 120000);
      const prevB = await segmentsOf(d, taskB, '', 120000);
      await sleep(randomInt(0, 3000));

      const workers = workerProcesses(dataDir);
      assert.equal(workers.length, 2, `two workers run: ${workers}`);
      const killedAt = Date.now();
      process.kill(d.proc.pid, 'SIGKILL');
      for (const pid of workers) process.kill(pid, 'SIGKILL');
      pubA.kill('SIGKILL');
      await d.exited;
      await until('no worker left', () => workerProcesses(dataDir).length === 0, 10000);
      const downAt = Date.now();
      await sleep(1000);

      d = await startDaemon({ apps: [app], dataDir, defaults: ['--api-rate-limit', '100000'], args: ['--listen', `127.0.0.1:${port}`] });
      const restartAt = Date.now();
      try {
        c = makeClient(port, APP1);
        assert.equal(integrityCheck(dataDir), 'ok', 'the store after kill -9');
        report(t, `daemon: killed with its 2 workers; down ${restartAt - killedAt} ms (everything gone after ${downAt - killedAt} ms); store integrity_check ok after the restart`);
        // Both tasks are resumed by a new worker (failover 1).
        for (const id of [taskA, taskB]) {
          assert.match(d.stderr, new RegExp(`task ${id}: starting a new worker \\(failover 1\\)`));
        }
        // While it waits for its publisher, task A is live but not InProgress: nothing records it.
        await sleep(3000);
        const waiting = await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: taskA });
        assert.equal(waiting.Status, 'Idle', 'a resumed task without publisher is Idle');

        // B: the publisher reconnected and the new worker records it in ha1_ files.
        const nextB = await segmentsOf(d, taskB, 'ha1_', 90000);
        assert.ok((pubB.out.match(/^publishing /gm) ?? []).length >= 2, `the publisher published again: ${pubB.out}\n${pubB.err}`);
        const g = mediaGap(prevB, nextB);
        report(t, `daemon: reconnecting publisher recorded again in ${path.basename(nextB.file)}: media lost ${g.gap} ms (playlist) / ${g.ptsGap ?? 'n/a'} ms (TS PTS), `
          + `first new frame ${g.start - restartAt} ms after the restart; publisher log: ${JSON.stringify(pubB.err.trim().split('\n').slice(-2))}`);
        assert.ok(g.gap > 0 && killedAt - g.end <= OPEN_SEGMENT_MAX_MS, `at most the open segment lost before the kill: ${killedAt - g.end} ms`);
        const failB = await until('a 306 for B', () => events(cb, taskB).find((j) => j.EventType === 306 && j.at >= restartAt - 1000), 30000);
        assert.deepEqual(failB.EventInfo.Payload, { Status: 0 });

        // A: ends with LeaveCode 99 about MaxIdleTime after the restart, not before.
        const stopA = await until('the 302 of A', () => events(cb, taskA).find((j) => j.EventType === 302), 90000);
        assert.deepEqual(stopA.EventInfo.Payload, { LeaveCode: 99 });
        const idleEnd = stopA.at - restartAt;
        report(t, `daemon: task without publisher ended (302 LeaveCode 99) ${idleEnd} ms after the restart (MaxIdleTime ${MAX_IDLE} s)`);
        assert.ok(idleEnd >= MAX_IDLE * 1000, `not before MaxIdleTime from the restart: ${idleEnd} ms`);
        assert.ok(idleEnd <= (MAX_IDLE + 30) * 1000, `about MaxIdleTime after the restart: ${idleEnd} ms`);
        const extA = await c.request('CloudrecDescribeTask', { SdkAppId: APP1.sdkAppId, TaskId: taskA });
        assert.equal(extA.Status, 'Exited');
        assert.equal(extA.LeaveCode, 99);
        assert.equal(extA.Failovers, 1);

        // B records on; a Delete ends it normally. No task stays live.
        await until('B InProgress', async () => (await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: taskB })).Status === 'InProgress', 30000);
        await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: taskB });
        const stopB = await until('the 302 of B', () => events(cb, taskB).find((j) => j.EventType === 302), 60000);
        assert.deepEqual(stopB.EventInfo.Payload, { LeaveCode: 0 });
        for (const id of [taskA, taskB]) {
          const ext = await until(`task ${id} finished`, async () => {
            const e = await c.request('CloudrecDescribeTask', { SdkAppId: APP1.sdkAppId, TaskId: id });
            return e.Finished ? e : null;
          }, 30000);
          assert.equal(ext.Status, 'Exited');
        }
        assertIntact(playlist(d, taskB, ''));
        assertIntact(playlist(d, taskB, 'ha1_'));
      } finally {
        pubB.kill('SIGTERM');
        await d.stop();
      }
      assert.equal(integrityCheck(dataDir), 'ok', 'the store after the clean stop');
    });
  });
});
