// TS timestamps of the recorded HLS, as TRTC's files have them and the merge tools (ffmpeg -copyts)
// expect: each segment's first PTS is its start (#EXT-X-TRTC-FILE-ATTR) minus the playlist's
// #EXT-X-TRTC-START-REC-TIME, so a playlist's first segment starts near 0 and its segments glued
// with -copyts last as long as the recording, for single-stream tracks and the mixed picture.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { APP1, BIN, startDaemon, makeClient, makeTmpDir, userSig, sleep, until, workerPids } from './helpers.mjs';

const T = { timeout: 180000 };

function publish(port, room, user, seconds) {
  return spawn(BIN, ['publish', '--server', `http://127.0.0.1:${port}`, '--sdkappid', String(APP1.sdkAppId), '--room', String(room),
    '--user', user, '--usersig', userSig(APP1, user), '--size', '160x90', '--fps', '10', '--duration', String(seconds)], { stdio: 'ignore' });
}

function storage(prefix) {
  return { CloudStorage: { Vendor: 0, Region: 'ap-guangzhou', Bucket: 'b-1250000000', AccessKey: 'ak', SecretKey: 'sk', FileNamePrefix: [prefix] } };
}

/** The playlist's START-REC-TIME and its segments {uri, startMs, extinf}. */
function readPlaylist(file) {
  const text = readFileSync(file, 'utf8');
  const rec = text.match(/#EXT-X-TRTC-START-REC-TIME:(\d+)/);
  assert.ok(rec, `${file} has no START-REC-TIME`);
  const segments = [...text.matchAll(/#EXT-X-TRTC-FILE-ATTR:(\d+),\d+\n#EXTINF:([\d.]+),\n(.+)\n/g)]
    .map(([, startMs, extinf, uri]) => ({ uri, startMs: Number(startMs), extinf: Number(extinf) }));
  return { startRec: Number(rec[1]), segments, ended: text.includes('#EXT-X-ENDLIST') };
}

function startTime(file) {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=start_time', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  return Number(out.trim());
}

function duration(file) {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  return Number(out.trim());
}

/** The longest time between two packets of the playlist @file: {s, at}. */
function worstHole(file) {
  const out = execFileSync('ffprobe', ['-v', 'error', '-allowed_extensions', 'ALL', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  const times = out.split('\n').filter((l) => l.trim() !== '').map(parseFloat).filter(Number.isFinite).sort((a, b) => a - b);
  let worst = { s: 0, at: 0 };
  for (let i = 1; i < times.length; i++) if (times[i] - times[i - 1] > worst.s) worst = { s: +(times[i] - times[i - 1]).toFixed(3), at: times[i - 1] };
  // a stream, not a stub: bob's 6 s at 10 fps gave 49 video packets in a loaded CI run (his first
  // second goes to joining), so not more than that is asked
  assert.ok(times.length > 25, `${file}: ${times.length} packets`);
  return worst;
}

/**
 * Checks one playlist: the first segment's first PTS near 0, every segment's first PTS at its
 * FILE-ATTR start minus START-REC-TIME, and the segments concatenated with -copyts (the merge
 * tools' way) as long as the recording. Returns the numbers measured.
 */
function checkPlaylist(dir, m3u8, out) {
  const pl = readPlaylist(path.join(dir, m3u8));
  assert.ok(pl.segments.length >= 1, `${m3u8} lists no segment`);
  const measured = pl.segments.map((s) => ({
    uri: s.uri, pts: startTime(path.join(dir, s.uri)), expected: (s.startMs - pl.startRec) / 1000, extinf: s.extinf,
  }));
  const merged = path.join(out, `${path.basename(m3u8, '.m3u8')}.mp4`);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-copyts', '-i', `concat:${pl.segments.map((s) => path.join(dir, s.uri)).join('|')}`,
    '-c', 'copy', merged]);
  const last = pl.segments[pl.segments.length - 1];
  const span = (last.startMs + last.extinf * 1000 - pl.segments[0].startMs) / 1000;
  const mergedDuration = duration(merged);
  console.log('TIMESTAMPS', m3u8, JSON.stringify({ startRec: pl.startRec, segments: measured, span, mergedDuration }));
  assert.ok(measured[0].pts < 0.5, `${m3u8}: the first segment starts at PTS ${measured[0].pts} s`);
  for (const m of measured) {
    assert.ok(Math.abs(m.pts - m.expected) < 0.2, `${m.uri}: first PTS ${m.pts} s, FILE-ATTR - START-REC-TIME = ${m.expected} s`);
  }
  assert.ok(Math.abs(mergedDuration - span) < 1.5, `${m3u8}: merged with -copyts: ${mergedDuration} s, recorded ${span} s`);
  return measured;
}

describe('TS timestamps count from START-REC-TIME', () => {
  let d;
  let c;
  const procs = [];
  before(async () => {
    d = await startDaemon({ defaults: ['--api-rate-limit', '100000'] });
    c = makeClient(d.port, APP1);
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await d.stop();
  });

  /**
   * Records @room; with @stallMs the task's worker is stopped (SIGSTOP) that long midway, as a
   * machine busy with other tasks may hold it back.
   */
  async function record(room, recordParams, extra = {}, { stallMs = 0 } = {}) {
    procs.push(publish(d.port, room, 'alice', 60));
    const robot = `recorder_${room}`;
    const { TaskId } = await c.CreateCloudRecording({
      SdkAppId: APP1.sdkAppId, RoomId: String(room), UserId: robot, UserSig: userSig(APP1, robot),
      RecordParams: { MaxIdleTime: 60, StreamType: 0, ...recordParams }, StorageParams: storage('ts'), ...extra,
    });
    await until('the first file', async () => (await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId })).StorageFileList.length > 0, 40000);
    await sleep(5000);
    procs.push(publish(d.port, room, 'bob', 6)); // joins ~5 s later and leaves after 6 s
    await sleep(3000);
    if (stallMs > 0) {
      const [pid] = workerPids(d, TaskId);
      process.kill(pid, 'SIGSTOP');
      await sleep(stallMs);
      process.kill(pid, 'SIGCONT');
    }
    await sleep(11000 - stallMs);
    const files = (await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId })).StorageFileList;
    await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
    const dir = path.join(d.dataDir, 'storage', 'ts', TaskId);
    await until('every playlist ended', () => files.every((f) => {
      const m = path.join(dir, f.FileName);
      return existsSync(m) && readPlaylist(m).ended;
    }), 30000);
    for (const p of procs.splice(0)) p.kill('SIGKILL');
    return { dir, files };
  }

  test('single-stream: each user\'s audio and video playlists; a worker held back 0.4 s leaves no hole', T, async () => {
    const { dir, files } = await record(9501, { RecordMode: 1 }, {}, { stallMs: 400 });
    const users = [...new Set(files.map((f) => f.UserId))].sort();
    assert.deepEqual(users, ['alice', 'bob'], `files: ${JSON.stringify(files)}`);
    const out = makeTmpDir('cloudrec-ts-');
    let later = 0;
    for (const f of files) later += checkPlaylist(dir, f.FileName, out).length - 1;
    // The packets that waited in the sockets while the worker stood still are placed by their RTP
    // times: no hole in any playlist (0.4 s of each before the jitter buffer's latency covered it)
    for (const f of files) {
      const worst = worstHole(path.join(dir, f.FileName));
      console.log('HOLE', f.FileName, worst);
      assert.ok(worst.s < (f.FileName.includes('_audio') ? 0.1 : 0.35), `${f.FileName}: a hole of ${worst.s} s at ${worst.at} s`);
    }
    assert.ok(later >= 2, 'alice recorded more than one segment per track');
    assert.ok(readdirSync(dir).some((n) => n.endsWith('.ts')));
  });

  test('mixed: one playlist of the room, a user joining and leaving', T, async () => {
    const { dir, files } = await record(9502, { RecordMode: 2 }, {
      MixTranscodeParams: { VideoParams: { Width: 320, Height: 180, Fps: 10, BitRate: 300000, Gop: 2 }, AudioParams: { SampleRate: 1, Channel: 2, BitRate: 64000 } },
      MixLayoutParams: { MixLayoutMode: 3 },
    });
    assert.equal(files.length, 1);
    const out = makeTmpDir('cloudrec-ts-');
    const measured = checkPlaylist(dir, files[0].FileName, out);
    assert.ok(measured.length >= 2, 'the mix recorded more than one segment');
  });
});
