// Recording rules that need a room of real publishers and time to pass: the stream cap of a
// single-stream task (api-max-streams; a left-out stream takes the place of one that leaves),
// MaxIdleTime counting only while no anchor is in the room (a muted publisher is still one), and
// how long a newcomer takes to show in the mixed picture (measured, bounded generously).
// Each describe has its own daemon, so this file runs on its own.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { APP1, BIN, startDaemon, makeClient, userSig, freshRoom, until, callbackServer } from './helpers.mjs';
import { waitRoom } from './media.mjs';
import { publishPlain, gridRects, hex } from './mixvideo.mjs';

const T = { timeout: 240000 };
const b64name = (s) => Buffer.from(s).toString('base64').replaceAll('/', '-').replaceAll('=', '.');
const stem = (room, user) => `${APP1.sdkAppId}_${room}__UserId_s_${b64name(user)}__UserId_e_main`;

function publish(port, room, user, args = []) {
  return spawn(BIN, ['publish', '--server', `http://127.0.0.1:${port}`, '--sdkappid', String(APP1.sdkAppId), '--room', String(room),
    '--user', user, '--usersig', userSig(APP1, user), '--size', '320x180', '--fps', '10', '--duration', '150', ...args], { stdio: 'ignore' });
}

/** Resolves once @proc has exited (at once if it has). */
function exited(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => proc.once('exit', resolve));
}

function singleBody(room, robot, record = {}) {
  return {
    SdkAppId: APP1.sdkAppId, RoomId: String(room), UserId: robot, UserSig: userSig(APP1, robot),
    RecordParams: { RecordMode: 1, MaxIdleTime: 60, StreamType: 0, OutputFormat: 0, ...record },
    StorageParams: { CloudStorage: { Vendor: 0, Region: 'ap-guangzhou', Bucket: 'b-1250000000', AccessKey: 'ak', SecretKey: 'sk', FileNamePrefix: ['rules'] } },
  };
}

/** The number of segments a playlist lists (0 when it is not there yet) and whether it ended. */
function playlistState(file) {
  if (!existsSync(file)) return { segments: 0, ended: false };
  const text = readFileSync(file, 'utf8');
  return { segments: (text.match(/#EXTINF:/g) || []).length, ended: text.includes('#EXT-X-ENDLIST') };
}

describe('recording rules', () => {
  let d;
  let c;
  let cb;
  const procs = [];
  before(async () => {
    cb = await callbackServer();
    const app = { ...APP1, callbackKey: 'rulesKey', callbackUrl: `http://127.0.0.1:${cb.port}/cb` };
    // Two streams per task at most; the ingest liveness left at its default (30 s), above the
    // 15 s mute of the MaxIdleTime test.
    d = await startDaemon({ apps: [app], defaults: ['--api-rate-limit', '100000', '--api-max-streams', '2'] });
    c = makeClient(d.port, APP1);
  });
  after(async () => {
    if (process.env.CLOUDREC_TEST_LOG) writeFileSync(process.env.CLOUDREC_TEST_LOG, d.stderr);
    for (const p of procs) p.kill('SIGKILL');
    await d.stop();
    cb.server.close();
  });
  const describeTask = (TaskId) => c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
  const callbacks = (TaskId, type) => cb.received.map((r) => r.json).filter((j) => j.EventInfo.TaskId === TaskId && j.EventType === type);

  test('api-max-streams 2: the first two users by room entry are recorded, the third when one of them leaves', T, async () => {
    const { roomId: room, userId: robot } = freshRoom();
    const pubs = {};
    for (const u of ['u1', 'u2', 'u3']) {
      pubs[u] = publish(d.port, room, u);
      procs.push(pubs[u]);
      await waitRoom(d, APP1.sdkAppId, room, (st) => st.Streams.some((x) => x.UserId === u && x.AudioCaps && x.VideoCaps), { timeoutMs: 30000 });
    }
    const { TaskId } = await c.CreateCloudRecording(singleBody(room, robot));
    const dir = path.join(d.dataDir, 'storage', 'rules', TaskId);
    const m3u8 = (u, t) => path.join(dir, `${stem(room, u)}_${t}.m3u8`);
    const listed = async () => (await describeTask(TaskId)).StorageFileList.map((f) => `${f.UserId}/${f.TrackType}/${f.FileName}`).sort();
    const entries = (users) => users.flatMap((u) => ['audio', 'video'].map((t) => `${u}/${t}/${stem(room, u)}_${t}.m3u8`)).sort();

    // On a timeout, what the task and its worker did (a busy machine can be slow; say how slow).
    const explain = async (p) => {
      try {
        return await p;
      } catch (err) {
        const status = await describeTask(TaskId).then((r) => r.Status, (e) => e.code);
        const files = existsSync(dir) ? readdirSync(dir).join(' ') : '(no directory)';
        const log = d.stderr.split('\n').filter((l) => l.includes(TaskId) || l.includes(`room ${room}`)).slice(-30).join('\n');
        err.message += `\nstatus ${status}; files: ${files}\nlog:\n${log}`;
        throw err;
      }
    };

    // u1 and u2 are recorded; u3 is left out, and the worker says so once.
    await explain(until('u1 and u2 listed', async () => (await listed()).length >= 4, 90000));
    await explain(until('u1 and u2 have three video segments each',
      () => ['u1', 'u2'].every((u) => playlistState(m3u8(u, 'video')).segments >= 3), 60000));
    assert.deepEqual(await listed(), entries(['u1', 'u2']), 'only the first two users by room entry');
    assert.ok(!readdirSync(dir).some((f) => f.includes(b64name('u3'))), `no file of u3: ${readdirSync(dir).join(' ')}`);
    const capLine = new RegExp(`task ${TaskId}: u3/main is not recorded: the task records at most 2 streams at once \\(api-max-streams\\)`);
    assert.match(d.stderr, capLine, 'the worker logs the left-out stream');
    assert.equal(d.stderr.split('\n').filter((l) => capLine.test(l)).length, 1, 'logged once, not at every follow');
    assert.ok(!/u1\/main is not recorded|u2\/main is not recorded/.test(d.stderr));

    // u1 stops publishing (its WHIP session is deleted): u3 takes its place, u2 goes on.
    const u2Before = playlistState(m3u8('u2', 'video')).segments;
    pubs.u1.kill('SIGTERM');
    await exited(pubs.u1);
    await until('u1\'s playlists ended', () => playlistState(m3u8('u1', 'audio')).ended && playlistState(m3u8('u1', 'video')).ended, 60000);
    await explain(until('u3\'s audio and video are recorded',
      () => playlistState(m3u8('u3', 'audio')).segments >= 1 && playlistState(m3u8('u3', 'video')).segments >= 1, 60000));
    assert.deepEqual(await listed(), entries(['u1', 'u2', 'u3']), 'u1\'s files stay listed; u3\'s are added');
    const u2 = playlistState(m3u8('u2', 'video'));
    assert.ok(!u2.ended && u2.segments > u2Before, `u2's recording goes on: ${u2Before} -> ${u2.segments} segments`);
    assert.ok(!playlistState(m3u8('u2', 'audio')).ended);
    // u3's files are named like the others and hold its media.
    const u3Video = readFileSync(m3u8('u3', 'video'), 'utf8');
    assert.match(u3Video, new RegExp(`^${stem(room, 'u3').replaceAll('.', '\\.')}_video_\\d{17}\\.ts$`, 'm'));
    assert.match(u3Video, /#EXT-X-TRTC-USER-ID:u3/);

    await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
    for (const p of [pubs.u2, pubs.u3]) p.kill('SIGKILL');
    await until('every playlist ended', () => ['u2', 'u3'].every((u) => playlistState(m3u8(u, 'video')).ended), 30000);
  });

  test('MaxIdleTime 5: a muted publisher (connection up, no RTP for 15 s) keeps the task; once it is gone the task ends with LeaveCode 99', T, async () => {
    const { roomId: room, userId: robot } = freshRoom();
    // RTP stops 14 s after the publisher starts, for 15 s; RTCP goes on. The publisher is in the
    // room before the task starts, so the task is recording before the mute.
    const pub = publish(d.port, room, 'mute1', ['--mute', '14:15']);
    procs.push(pub);
    const spawnedAt = Date.now();
    await waitRoom(d, APP1.sdkAppId, room, (st) => st.Streams.some((x) => x.UserId === 'mute1' && x.AudioCaps && x.VideoCaps), { timeoutMs: 30000 });
    const { TaskId } = await c.CreateCloudRecording(singleBody(room, robot, { MaxIdleTime: 5 }));
    await until('InProgress', async () => (await describeTask(TaskId)).Status === 'InProgress', 30000);
    assert.ok(Date.now() - spawnedAt < 14000, 'the task records before the mute starts (the machine was too slow to test this)');

    // The mute: media stop (the task turns Idle) but the publisher stays in the room.
    await until('Idle: no media while muted', async () => (await describeTask(TaskId)).Status === 'Idle', 30000);
    const mutedAt = Date.now();
    const seen = new Set();
    // Through the mute and 5 s beyond (15 s of mute is three MaxIdleTimes), the task stays live.
    while (Date.now() < spawnedAt + 14000 + 15000 + 5000) {
      const r = await describeTask(TaskId); // throws ResourceNotFound once the task has finished
      seen.add(r.Status);
      assert.notEqual(r.Status, 'Exited', `the task ended ${(Date.now() - mutedAt) / 1000} s into the mute`);
      assert.deepEqual(callbacks(TaskId, 302), [], 'no 302 while the publisher is in the room');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await until('InProgress again after the mute', async () => (await describeTask(TaskId)).Status === 'InProgress', 30000);
    console.log('MUTE statuses seen during the mute:', [...seen].join(','), 'muted for', ((Date.now() - mutedAt) / 1000).toFixed(1), 's');
    assert.ok(!/no anchor in the room/.test(d.stderr.split('\n').filter((l) => l.includes(TaskId)).join('\n')));

    // The publisher dies (no WHIP DELETE): the ingest drops it after its liveness timeout (30 s),
    // then MaxIdleTime (5 s) runs out.
    const killedAt = Date.now();
    pub.kill('SIGKILL');
    const stop = await until('the 302 callback', () => callbacks(TaskId, 302)[0], 90000);
    const endedAfter = (Date.now() - killedAt) / 1000;
    console.log('MUTE 302 arrived', endedAfter.toFixed(1), 's after the publisher was killed');
    assert.deepEqual(stop.EventInfo.Payload, { LeaveCode: 99 });
    assert.ok(endedAfter >= 5, `the task ended ${endedAfter} s after the kill: before MaxIdleTime could have run out`);
    assert.match(d.stderr, new RegExp(`task ${TaskId}: no anchor in the room for 5 s \\(MaxIdleTime\\); ending`));
  });
});

describe('mixed recording latency', () => {
  let d;
  let c;
  const procs = [];
  const W = 640;
  const H = 360;
  before(async () => {
    d = await startDaemon({ apps: [APP1], defaults: ['--api-rate-limit', '100000'] });
    c = makeClient(d.port, APP1);
  });
  after(async () => {
    if (process.env.CLOUDREC_TEST_LOG) writeFileSync(`${process.env.CLOUDREC_TEST_LOG}.mix`, d.stderr);
    for (const p of procs) p.kill('SIGKILL');
    await d.stop();
  });

  test('join to tile: a second publisher shows in its grid tile within 15 s of its WHIP answer', T, async () => {
    const { roomId: room, userId: robot } = freshRoom();
    const RED = [255, 0, 0];
    const GREEN = [0, 255, 0];
    procs.push(publishPlain(d.port, room, 'j1', RED));
    await waitRoom(d, APP1.sdkAppId, room, (st) => st.Streams.some((x) => x.UserId === 'j1' && x.VideoCaps), { timeoutMs: 30000 });
    const { TaskId } = await c.CreateCloudRecording({
      SdkAppId: APP1.sdkAppId, RoomId: String(room), UserId: robot, UserSig: userSig(APP1, robot),
      RecordParams: { RecordMode: 2, MaxIdleTime: 60, StreamType: 0, OutputFormat: 0 },
      StorageParams: { CloudStorage: { Vendor: 0, Region: 'ap-guangzhou', Bucket: 'b-1250000000', AccessKey: 'ak', SecretKey: 'sk' } },
      MixTranscodeParams: { VideoParams: { Width: W, Height: H, Fps: 10, BitRate: 800000, Gop: 2 }, AudioParams: { SampleRate: 1, Channel: 2, BitRate: 64000 } },
      MixLayoutParams: { MixLayoutMode: 3, BackGroundColor: '#404040' },
    });
    const m3u8 = path.join(d.dataDir, 'storage', TaskId, `${APP1.sdkAppId}_${room}.m3u8`);
    await until('the mixed playlist has two segments', () => playlistState(m3u8).segments >= 2, 60000);

    // j2 joins; its WHIP answer's time is the daemon's log line.
    const spawnedAt = Date.now();
    procs.push(publishPlain(d.port, room, 'j2', GREEN));
    const answerRe = new RegExp(`^(\\S+) INFO \\S+: whip: session \\S+: user j2 publishes main in room ${room} \\(answered in ([\\d.]+) ms\\)$`, 'm');
    const answered = await until('j2\'s WHIP answer in the log', () => answerRe.exec(d.stderr), 30000);
    const answeredMs = Date.parse(answered[1].replace(/(\.\d{3})\d*Z$/, '$1Z'));
    assert.ok(Math.abs(answeredMs - spawnedAt) < 30000, `the log's clock: answered at ${answered[1]}, spawned at ${new Date(spawnedAt).toISOString()}`);

    // The playlist covers 15 s past the answer (the bound), then the task ends.
    const covered = () => {
      const segs = [...readFileSync(m3u8, 'utf8').matchAll(/#EXT-X-TRTC-FILE-ATTR:(\d+),\d+\n#EXTINF:([\d.]+),/g)];
      return segs.length > 0 && Math.max(...segs.map(([, s, dur]) => Number(s) + 1000 * Number(dur))) > answeredMs + 15000;
    };
    await until('the mixed playlist covers 15 s after the answer', covered, 90000);
    await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
    while (procs.length) procs.pop().kill('SIGKILL');
    await until('the mixed playlist ends', () => playlistState(m3u8).ended, 30000);

    // Every decoded picture of the segments from the one before the answer on: the mean colour of
    // a 32x32 square in the middle of j2's tile (the right half of a grid of two), on the wall
    // clock of the segment's FILE-ATTR plus the picture's PTS offset in it.
    const tile = gridRects(W, H, 2)[1];
    const cx = tile.x + Math.floor(tile.w / 2) - 16, cy = tile.y + Math.floor(tile.h / 2) - 16;
    const text = readFileSync(m3u8, 'utf8');
    const segs = [...text.matchAll(/#EXT-X-TRTC-FILE-ATTR:(\d+),\d+\n#EXTINF:([\d.]+),\n(.+)\n/g)]
      .map(([, s, dur, uri]) => ({ startMs: Number(s), dur: Number(dur), file: path.join(path.dirname(m3u8), uri) }));
    const fromSeg = Math.max(0, segs.findIndex((s) => s.startMs + 1000 * s.dur > answeredMs) - 1);
    const green = (rgb) => rgb[1] > 180 && rgb[0] < 80 && rgb[2] < 80;
    let shownAt = null;
    let lastBefore = null;
    for (const seg of segs.slice(fromSeg)) {
      const pts = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', seg.file],
        { encoding: 'utf8' }).trim().split('\n').filter((l) => l !== '').map(Number);
      const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', seg.file, '-map', '0:v:0', '-fps_mode', 'passthrough',
        '-vf', `crop=32:32:${cx}:${cy},scale=1:1:flags=area`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 20 });
      assert.equal(raw.length, pts.length * 3, `${seg.file}: one colour per decoded picture`);
      for (let i = 0; i < pts.length; i++) {
        const rgb = [raw[3 * i], raw[3 * i + 1], raw[3 * i + 2]];
        const at = seg.startMs + 1000 * (pts[i] - pts[0]);
        if (green(rgb)) {
          shownAt = at;
          break;
        }
        lastBefore = { at, colour: hex(rgb) };
      }
      if (shownAt !== null) break;
    }
    assert.ok(shownAt !== null, `j2's colour never showed in its tile; last seen ${JSON.stringify(lastBefore)}`);
    const latency = shownAt - answeredMs;
    console.log(`JOIN-TILE latency_ms=${Math.round(latency)} (answered in ${answered[2]} ms; spawn to answer ${answeredMs - spawnedAt} ms; the tile showed ${lastBefore?.colour} before)`);
    assert.ok(latency > 0, `the tile shows j2 ${latency} ms before its WHIP answer: the clocks disagree`);
    assert.ok(latency < 15000, `JOIN-TILE latency ${latency} ms`);
  });
});
