// `cloudrec merge` on a real single-stream recording made here: alice leaves and comes back after
// more than 15 s (two files), bob after less (one file, the gap filled), bob's aux stream, carol
// with audio only (.m4a). Checks the outputs' count, names, durations (±100 ms of the playlists'
// spans), A/V sync (±40 ms, the publisher's flashes and beeps), what -m 1, -s, -a, -p, -r, -b
// change, and the errors a user can act on. A second task (dave) has its worker killed (-9) mid-
// recording: the failover's ha1_ files join his timeline. The recording is also merged from and
// to an S3 prefix on moto_server (signatures checked), and a lone one-frame TS segment is left out.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, cpSync, writeFileSync, truncateSync, rmSync } from 'node:fs';
import path from 'node:path';
import { APP1, BIN, startDaemon, makeClient, makeTmpDir, userSig, sleep, until } from './helpers.mjs';
import { startMoto, motoAvailable } from './s3.mjs';

const T = { timeout: 120000 };
const b64 = (u) => Buffer.from(u).toString('base64').replace(/\//g, '-').replace(/=/g, '.');

function publish(port, room, user, seconds, extra = []) {
  return spawn(BIN, ['publish', '--server', `http://127.0.0.1:${port}`, '--sdkappid', String(APP1.sdkAppId), '--room', String(room),
    '--user', user, '--usersig', userSig(APP1, user), '--size', '160x90', '--fps', '10', '--duration', String(seconds), ...extra], { stdio: 'ignore' });
}

function readPlaylist(file) {
  const text = readFileSync(file, 'utf8');
  const segments = [...text.matchAll(/#EXT-X-TRTC-FILE-ATTR:(\d+),\d+\n#EXTINF:([\d.]+),\n(.+)\n/g)]
    .map(([, startMs, extinf, uri]) => ({ uri, start: Number(startMs), end: Number(startMs) + Math.round(Number(extinf) * 1000) }));
  return { segments, ended: text.includes('#EXT-X-ENDLIST') };
}

/** A user's spans (the union of main audio and main video, cut at gaps over 15 s), from the playlists. */
function spans(dir, user, kinds = ['main_audio', 'main_video']) {
  const segs = [];
  for (const k of kinds) {
    const f = readdirSync(dir).find((n) => n.endsWith(`__UserId_s_${b64(user)}__UserId_e_${k}.m3u8`));
    if (f) segs.push(...readPlaylist(path.join(dir, f)).segments);
  }
  segs.sort((a, b) => a.start - b.start);
  const out = [];
  for (const s of segs) {
    const cur = out[out.length - 1];
    if (cur && s.start - cur.end <= 15000) cur.end = Math.max(cur.end, s.end);
    else out.push({ start: s.start, end: s.end, first: s.uri });
  }
  return out;
}

/** The same over every playlist of the user, the failover's ha<n>_ ones included. */
function spansAll(dir, user, kinds = ['main_audio', 'main_video']) {
  const segs = [];
  for (const k of kinds) {
    for (const f of readdirSync(dir).filter((n) => n.endsWith(`__UserId_s_${b64(user)}__UserId_e_${k}.m3u8`))) segs.push(...readPlaylist(path.join(dir, f)).segments);
  }
  segs.sort((a, b) => a.start - b.start);
  const out = [];
  for (const s of segs) {
    const cur = out[out.length - 1];
    if (cur && s.start - cur.end <= 15000) cur.end = Math.max(cur.end, s.end);
    else out.push({ start: s.start, end: s.end, first: s.uri });
  }
  return out;
}

function probe(file) {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_type,width,height,avg_frame_rate,nb_frames',
    '-of', 'json', file], { encoding: 'utf8' });
  const j = JSON.parse(out);
  const v = j.streams.find((s) => s.codec_type === 'video');
  const a = j.streams.find((s) => s.codec_type === 'audio');
  return { duration: Number(j.format.duration), video: v, audio: a };
}

function merge(dir, args = [], env = undefined) {
  const r = spawnSync(BIN, ['merge', '-f', dir, ...args], { encoding: 'utf8', env: env ? { ...process.env, ...env } : undefined });
  return { code: r.status, out: r.stdout, err: r.stderr, files: r.stdout.trim().split('\n').filter(Boolean).map((p) => path.basename(p)) };
}

/** Mean luma of the frame at @t seconds. */
function luma(file, t) {
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-ss', String(t), '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], { maxBuffer: 1 << 24 });
  let sum = 0;
  for (const b of raw) sum += b;
  return sum / raw.length;
}

function copyRecording(src) {
  const dst = makeTmpDir('cloudrec-merge-');
  for (const n of readdirSync(src)) if (n.endsWith('.ts') || n.endsWith('.m3u8')) cpSync(path.join(src, n), path.join(dst, n));
  return dst;
}

describe('cloudrec merge', () => {
  let d;
  let dir;
  let foDir; // the failover task's recording
  let moto; // a promise of moto_server (or null)
  const procs = [];
  before(async () => {
    d = await startDaemon({ defaults: ['--api-rate-limit', '100000'] });
    const c = makeClient(d.port, APP1);
    const room = 9601;
    const robot = 'recorder_merge';
    const { TaskId } = await c.CreateCloudRecording({
      SdkAppId: APP1.sdkAppId, RoomId: String(room), UserId: robot, UserSig: userSig(APP1, robot),
      RecordParams: { RecordMode: 1, MaxIdleTime: 60, StreamType: 0 },
      StorageParams: { CloudStorage: { Vendor: 0, Region: 'ap-guangzhou', Bucket: 'b-1250000000', AccessKey: 'ak', SecretKey: 'sk', FileNamePrefix: ['m'] } },
    });
    procs.push(publish(d.port, room, 'alice', 6));
    procs.push(publish(d.port, room, 'bob', 5));
    procs.push(publish(d.port, room, 'bob', 5, ['--stream', 'aux', '--no-audio', '--size', '192x108']));
    procs.push(publish(d.port, room, 'carol', 6, ['--no-video', '--plain']));
    // The failover task: dave; his worker killed -9 once it has closed a segment of each
    // track (~10 s), a new one going on in ha1_ files.
    const fo = await c.CreateCloudRecording({
      SdkAppId: APP1.sdkAppId, RoomId: '9602', UserId: 'recorder_fo', UserSig: userSig(APP1, 'recorder_fo'),
      RecordParams: { RecordMode: 1, MaxIdleTime: 60, StreamType: 0 },
      StorageParams: { CloudStorage: { Vendor: 0, Region: 'ap-guangzhou', Bucket: 'b-1250000000', AccessKey: 'ak', SecretKey: 'sk', FileNamePrefix: ['f'] } },
    });
    procs.push(publish(d.port, 9602, 'dave', 90)); // until the task is deleted
    foDir = path.join(d.dataDir, 'storage', 'f', fo.TaskId);
    const failover = (async () => {
      const pidOf = () => Number(new RegExp(`worker of task ${fo.TaskId} started \\(pid (\\d+)\\)`).exec(d.stderr)?.[1]);
      const closed = (k) => existsSync(foDir) && readdirSync(foDir).some((n) => !n.startsWith('ha') && n.endsWith(`_main_${k}.m3u8`)
        && readPlaylist(path.join(foDir, n)).segments.length > 0);
      await until("a closed segment of each of dave's tracks", () => pidOf() > 0 && closed('audio') && closed('video'), 40000);
      process.kill(pidOf(), 'SIGKILL');
      // The new worker's segments open (ha1_ .ts of both tracks), then a few seconds in them.
      const opened = (k) => readdirSync(foDir).some((n) => n.startsWith('ha1_') && n.includes(`_main_${k}_`) && n.endsWith('.ts'));
      await until('the failover worker recording both tracks', () => opened('audio') && opened('video'), 40000);
      await sleep(4000);
    })();
    failover.catch(() => {}); // awaited below
    moto = motoAvailable() ? startMoto(['merge-rec', 'merge-out']) : null;
    await sleep(11000);
    procs.push(publish(d.port, room, 'bob', 4)); // back after ~5 s
    await sleep(16000);
    procs.push(publish(d.port, room, 'alice', 5)); // back after ~20 s
    await sleep(7000);
    await failover;
    const files = (await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId })).StorageFileList;
    await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
    await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: fo.TaskId });
    dir = path.join(d.dataDir, 'storage', 'm', TaskId);
    await until('every playlist ended', () => files.every((f) => existsSync(path.join(dir, f.FileName)) && readPlaylist(path.join(dir, f.FileName)).ended), 30000);
    const haEnded = () => readdirSync(foDir).filter((n) => n.startsWith('ha1_') && n.endsWith('.m3u8'));
    await until("the failover's playlists ended", () => haEnded().length >= 2 && haEnded().every((n) => readPlaylist(path.join(foDir, n)).ended), 30000);
    // CLOUDREC_MERGE_KEEP=DIR keeps the recording (to compare other merge tools on it).
    if (process.env.CLOUDREC_MERGE_KEEP) cpSync(dir, process.env.CLOUDREC_MERGE_KEEP, { recursive: true });
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await d?.stop();
  });

  test('-m 0: a file per segment, named and as long as the playlists say, in sync', T, () => {
    const work = copyRecording(dir);
    const r = merge(work);
    assert.equal(r.code, 0, r.err);
    const expected = [];
    for (const u of ['alice', 'bob']) for (const s of spans(work, u)) expected.push({ u, s, name: `${b64(u)}_${s.first.match(/_(\d{17})\.ts$/)[1]}_av.mp4` });
    for (const s of spans(work, 'carol', ['main_audio'])) expected.push({ u: 'carol', s, name: `${b64('carol')}_${s.first.match(/_(\d{17})\.ts$/)[1]}.m4a` });
    console.log('MERGE', JSON.stringify({ files: r.files, expected: expected.map((e) => ({ name: e.name, span: (e.s.end - e.s.start) / 1000 })) }));
    assert.equal(expected.filter((e) => e.u === 'alice').length, 2, 'alice came back after more than 15 s');
    assert.equal(expected.filter((e) => e.u === 'bob').length, 1, 'bob came back within 15 s');
    assert.deepEqual([...r.files].sort(), expected.map((e) => e.name).sort());
    for (const e of expected) {
      const p = probe(path.join(work, e.name));
      const span = (e.s.end - e.s.start) / 1000;
      console.log('MERGE duration', e.name, p.duration, span);
      assert.ok(Math.abs(p.duration - span) <= 0.1, `${e.name}: ${p.duration} s, the playlists span ${span} s`);
      assert.ok(p.audio, `${e.name} has audio`);
      assert.equal(Boolean(p.video), e.u !== 'carol');
    }
    // Placement: alice's remuxed file keeps her first video slice where FILE-ATTR puts it, after
    // her first audio slice (an MP4 edit list), not moved to the file's start.
    {
      const [e] = expected.filter((x) => x.u === 'alice');
      const pl = (k) => readPlaylist(path.join(work, readdirSync(work).find((n) => n.endsWith(`${b64('alice')}__UserId_e_main_${k}.m3u8`)))).segments[0].start;
      const st = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,start_time', '-of', 'json', path.join(work, e.name)], { encoding: 'utf8' })).streams;
      const at = (t) => Number(st.find((x) => x.codec_type === t).start_time) * 1000;
      console.log('MERGE start', e.name, { video: at('video'), audio: at('audio'), fileAttr: pl('video') - pl('audio') });
      if (pl('video') < pl('audio')) {
        // Known limit (docs/merge.md, issue 14 open): a file whose audio starts after its video
        // gets its audio at the file's start. Only the usual order (audio first, video waiting
        // for a keyframe) is asserted until that is fixed.
        console.log(`# KNOWN LIMIT ${e.name}: the recording's audio starts ${pl('audio') - pl('video')} ms after its video; not asserted`);
      } else {
        assert.ok(Math.abs(at('video') - at('audio') - (pl('video') - pl('audio'))) <= 2, `${e.name}: video starts ${at('video') - at('audio')} ms after the audio`);
      }
    }
    // Sync: each merged file's A/V offset within 40 ms of the recording's own (its playlists'
    // segments at their FILE-ATTR times, the same measurement): merging keeps the sync it finds.
    for (const u of ['alice', 'bob']) {
      const pl = (k) => path.join(work, readdirSync(work).find((n) => n.endsWith(`${b64(u)}__UserId_e_main_${k}.m3u8`)));
      const src = JSON.parse(execFileSync(BIN, ['avsync', '--playlists', pl('video'), pl('audio')], { encoding: 'utf8' }));
      for (const e of expected.filter((x) => x.u === u)) {
        const got = JSON.parse(execFileSync(BIN, ['avsync', path.join(work, e.name)], { encoding: 'utf8' }));
        console.log('MERGE avsync', e.name, JSON.stringify({ merged: got, recording: src }));
        assert.ok(got.Pairs >= 2, `flashes and beeps found in ${e.name}: ${JSON.stringify(got)}`);
        assert.ok(got.OffsetMs >= src.MinMs - 40 && got.OffsetMs <= src.MaxMs + 40,
          `${e.name}: A/V offset ${got.OffsetMs} ms, the recording's ${src.MinMs}..${src.MaxMs} ms`);
      }
    }
  });

  test('--dry-run tells what is copied and what encoded', T, () => {
    const r = merge(dir, ['--dry-run']);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split('\n');
    const alice = lines.filter((l) => l.startsWith(b64('alice')));
    assert.ok(alice.every((l) => l.includes('video:') && /video:\d+:copy/.test(l)), r.out);
    assert.ok(lines.some((l) => l.startsWith(b64('bob')) && /video:\d+:gap/.test(l)), r.out);
  });

  test('-m 1 fills the gaps, -s drops them', T, () => {
    const sp = spans(dir, 'alice');
    const whole = (sp[sp.length - 1].end - sp[0].start) / 1000;
    const sum = sp.reduce((a, s) => a + (s.end - s.start), 0) / 1000;
    const w1 = copyRecording(dir);
    const r1 = merge(w1, ['-m', '1']);
    assert.equal(r1.code, 0, r1.err);
    const a1 = r1.files.filter((f) => f.startsWith(b64('alice')));
    assert.equal(a1.length, 1);
    const d1 = probe(path.join(w1, a1[0])).duration;
    const w2 = copyRecording(dir);
    const r2 = merge(w2, ['-m', '1', '-s']);
    const a2 = r2.files.filter((f) => f.startsWith(b64('alice')));
    assert.equal(a2.length, 1);
    const d2 = probe(path.join(w2, a2[0])).duration;
    console.log('MERGE -m 1', { d1, whole, d2, sum });
    assert.ok(Math.abs(d1 - whole) <= 0.1, `-m 1: ${d1} s, want ${whole}`);
    assert.ok(Math.abs(d2 - sum) <= 0.1, `-m 1 -s: ${d2} s, want ${sum}`);
  });

  test('-a picks the aux video, -p the rate, -r the size', T, () => {
    const bobFile = (w) => readdirSync(w).find((f) => f.startsWith(b64('bob')) && f.endsWith('_av.mp4'));
    const w0 = copyRecording(dir);
    merge(w0);
    assert.equal(probe(path.join(w0, bobFile(w0))).video.width, 160);
    const w2 = copyRecording(dir);
    assert.equal(merge(w2, ['-a', '2']).code, 0);
    assert.equal(probe(path.join(w2, bobFile(w2))).video.width, 192, '-a 2: the aux picture');
    const wp = copyRecording(dir);
    assert.equal(merge(wp, ['-p', '24', '-r', '320', '180']).code, 0);
    const p = probe(path.join(wp, bobFile(wp)));
    console.log('MERGE -p -r', JSON.stringify(p.video));
    assert.equal(p.video.width, 320);
    assert.equal(p.video.height, 180);
    const [n, dd] = p.video.avg_frame_rate.split('/').map(Number);
    assert.ok(Math.abs(n / dd - 24) < 0.5, `-p 24: ${p.video.avg_frame_rate}`);
    const wq = copyRecording(dir);
    assert.equal(merge(wq, ['-p', '1000']).code, 0);
    const q = probe(path.join(wq, bobFile(wq)));
    const [qn, qd] = q.video.avg_frame_rate.split('/').map(Number);
    assert.ok(Math.abs(qn / qd - 120) < 1, `-p 1000 is clamped to 120: ${q.video.avg_frame_rate}`);
  });

  test('-b: black where bob was away, not his last picture', T, () => {
    const sp = spans(dir, 'bob', ['main_video']);
    const vs = readPlaylist(path.join(dir, readdirSync(dir).find((n) => n.endsWith(`${b64('bob')}__UserId_e_main_video.m3u8`)))).segments;
    // The middle of the longest hole between bob's video segments, in output seconds.
    let hole = null;
    for (let i = 1; i < vs.length; i++) if (!hole || vs[i].start - vs[i - 1].end > hole.len) hole = { len: vs[i].start - vs[i - 1].end, at: (vs[i - 1].end + vs[i].start) / 2 };
    assert.ok(hole && hole.len > 2000, `bob's video has a gap: ${JSON.stringify(vs)}`);
    const start = spans(dir, 'bob')[0].start;
    const t = (hole.at - start) / 1000;
    const wl = copyRecording(dir);
    merge(wl);
    const wb = copyRecording(dir);
    merge(wb, ['-b']);
    const f = readdirSync(wl).find((n) => n.startsWith(b64('bob')) && n.endsWith('_av.mp4'));
    const last = luma(path.join(wl, f), t);
    const black = luma(path.join(wb, f), t);
    console.log('MERGE -b luma', { t, last, black, sp });
    assert.ok(black < 20, `-b: luma ${black} in the gap`);
    assert.ok(last > black + 10, `the last picture in the gap: luma ${last}`);
  });

  test('a failover (kill -9 of the worker): the ha1_ files join the same timeline, one file covering both parts', T, () => {
    const work = copyRecording(foDir);
    if (process.env.CLOUDREC_MERGE_KEEP) cpSync(foDir, `${process.env.CLOUDREC_MERGE_KEEP}-failover`, { recursive: true });
    const names = readdirSync(work);
    const first = names.filter((n) => /^\d+_9602__UserId_s_.*\.m3u8$/.test(n));
    const ha = names.filter((n) => n.startsWith('ha1_') && n.endsWith('.m3u8'));
    assert.ok(first.length >= 2 && ha.length >= 2, `both workers' playlists: ${names.filter((n) => n.endsWith('.m3u8'))}`);
    const listed = (files, kind) => files.filter((n) => n.endsWith(`_main_${kind}.m3u8`))
      .flatMap((n) => readPlaylist(path.join(work, n)).segments).reduce((a, x) => a + (x.end - x.start), 0) / 1000;
    assert.ok(listed(first, 'audio') >= 3 && listed(ha, 'audio') >= 3, `media before and after the kill: ${listed(first, 'audio')} s, ${listed(ha, 'audio')} s`);
    const r = merge(work);
    assert.equal(r.code, 0, r.err);
    const sp = spansAll(work, 'dave');
    assert.equal(sp.length, 1, `one span: ${JSON.stringify(sp)}`);
    assert.deepEqual(r.files, [`${b64('dave')}_${sp[0].first.match(/_(\d{17})\.ts$/)[1]}_av.mp4`]);
    const out = path.join(work, r.files[0]);
    const p = probe(out);
    const span = (sp[0].end - sp[0].start) / 1000;
    const sync = JSON.parse(execFileSync(BIN, ['avsync', out], { encoding: 'utf8' }));
    // The publisher beeps and flashes once a second: the merged file has the beeps and flashes of
    // both workers' playlists (measured the same way), the lost open segment being the hole
    // between them, filled.
    const part = (files) => JSON.parse(execFileSync(BIN, ['avsync', '--playlists', ...['video', 'audio'].map((k) => path.join(work, files.find((n) => n.endsWith(`_main_${k}.m3u8`))))], { encoding: 'utf8' }));
    const parts = [part(first), part(ha)];
    console.log('MERGE failover', JSON.stringify({ duration: p.duration, span, sync, parts }));
    assert.ok(Math.abs(p.duration - span) <= 0.1, `${p.duration} s, the playlists span ${span} s`);
    assert.ok(parts[0].Beeps >= 2 && parts[1].Beeps >= 2, `beeps before and after the kill: ${JSON.stringify(parts)}`);
    assert.ok(sync.Beeps >= parts[0].Beeps + parts[1].Beeps - 1, `beeps: ${JSON.stringify(sync)} vs ${JSON.stringify(parts)}`);
    assert.ok(sync.Flashes >= parts[0].Flashes + parts[1].Flashes - 2, `flashes: ${JSON.stringify(sync)} vs ${JSON.stringify(parts)}`);
  });

  test('a copied track whose encoder changes between runs (new SPS/PPS, same size) is encoded, so it decodes', T, () => {
    // Two ffmpeg-made runs (a discontinuity between them) of eve: baseline then high profile.
    const w = makeTmpDir('cloudrec-merge-sps-');
    const T0 = Date.UTC(2026, 11, 3, 2, 0, 0);
    const stamp = (ms) => new Date(ms).toISOString().replace(/[-:TZ.]/g, '');
    const stem = (k) => `1400000001_7001__UserId_s_${b64('eve')}__UserId_e_main_${k}`;
    const make = (name, args) => { execFileSync('ffmpeg', ['-v', 'error', '-y', ...args, '-f', 'mpegts', path.join(w, name)]); return readFileSync(path.join(w, name)).length; };
    const video = (profile, preset) => ['-f', 'lavfi', '-i', 'testsrc=size=160x96:rate=15', '-t', '2', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', preset, '-profile:v', profile];
    const v = [[`${stem('video')}_${stamp(T0)}.ts`, video('baseline', 'ultrafast')], [`${stem('video')}_${stamp(T0 + 2000)}.ts`, video('high', 'fast')]]
      .map(([n, a]) => ({ n, size: make(n, a) }));
    const an = `${stem('audio')}_${stamp(T0)}.ts`;
    const asize = make(an, ['-f', 'lavfi', '-i', 'sine=sample_rate=48000', '-t', '4', '-c:a', 'aac', '-ac', '2']);
    const head = (type, meta) => `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:11\n#EXT-X-TRTC-VERSION:0x1\n#EXT-X-TRTC-START-REC-TIME:${T0}\n`
      + `#EXT-X-TRTC-MEDIA-ID:main\n#EXT-X-TRTC-USER-ID:eve\n#EXT-X-TRTC-MIX-STREAM:0\n#EXT-X-TRTC-STREAM-TYPE:${type}\n${meta}\n`;
    writeFileSync(path.join(w, `${stem('video')}.m3u8`), head(1, '#EXT-X-TRTC-VIDEO-METADATA:WIDTH:160 HEIGHT:96 Codec:27')
      + `#EXT-X-TRTC-FILE-ATTR:${T0},${v[0].size}\n#EXTINF:2.000,\n${v[0].n}\n#EXT-X-DISCONTINUITY\n#EXT-X-TRTC-FILE-ATTR:${T0 + 2000},${v[1].size}\n#EXTINF:2.000,\n${v[1].n}\n#EXT-X-ENDLIST\n`);
    writeFileSync(path.join(w, `${stem('audio')}.m3u8`), head(0, '#EXT-X-TRTC-AUDIO-METADATA:Channel:2 SampleRate:48000 SampleFormat:1 Codec:86018')
      + `#EXT-X-TRTC-FILE-ATTR:${T0},${asize}\n#EXTINF:4.000,\n${an}\n#EXT-X-ENDLIST\n`);
    assert.match(merge(w, ['--dry-run']).out, /video:2:copy/, 'planned as a copy (one size, no hole)');
    const r = merge(w);
    assert.equal(r.code, 0, r.err);
    const errors = spawnSync('ffmpeg', ['-v', 'error', '-i', path.join(w, r.files[0]), '-f', 'null', '-'], { encoding: 'utf8' }).stderr;
    assert.equal(errors, '', 'the merged video decodes without errors');
    assert.equal(Number(probe(path.join(w, r.files[0])).video.nb_frames), 60);
  });

  test('a lone one-frame TS segment (no program a demuxer can find) is left out, not an error', T, () => {
    // ffmpeg's HLS muxer ends an AAC stream with such a segment; its first 4 packets (SDT, PAT,
    // PMT, one PES) are what GStreamer's tsdemux cannot activate a program from.
    const tmp = makeTmpDir('cloudrec-merge-tiny-');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '1', '-c:a', 'aac', '-ac', '2',
      '-f', 'hls', '-hls_time', '1', '-hls_list_size', '0', '-hls_segment_type', 'mpegts', '-hls_segment_filename', path.join(tmp, 's%d.ts'), path.join(tmp, 'i.m3u8')]);
    const tiny = readFileSync(path.join(tmp, 's1.ts')).subarray(0, 4 * 188);
    const work = copyRecording(dir);
    const pl = path.join(work, readdirSync(work).find((n) => n.endsWith(`__UserId_s_${b64('carol')}__UserId_e_main_audio.m3u8`)));
    const { segments } = readPlaylist(pl);
    const last = segments[segments.length - 1];
    const name = last.uri.replace(/_(\d{17})\.ts$/, (m, st) => `_${String(BigInt(st) + 1n)}.ts`);
    writeFileSync(path.join(work, name), tiny);
    writeFileSync(pl, readFileSync(pl, 'utf8').replace('#EXT-X-ENDLIST', `#EXT-X-DISCONTINUITY\n#EXT-X-TRTC-FILE-ATTR:${last.end},${tiny.length}\n#EXTINF:0.021,\n${name}\n#EXT-X-ENDLIST`));
    const r = merge(work);
    assert.equal(r.code, 0, r.err);
    const f = r.files.find((x) => x.startsWith(b64('carol')));
    const span = (last.end + 21 - segments[0].start) / 1000;
    const p = probe(path.join(work, f));
    console.log('MERGE tiny segment', { duration: p.duration, span });
    assert.ok(Math.abs(p.duration - span) <= 0.1, `${p.duration} s, the playlist spans ${span} s`);
  });

  test('S3: -f s3://BUCKET/PREFIX lists, plans, fetches only what it merges, uploads the outputs there or to --out', { ...T, skip: !motoAvailable() && 'no moto_server' }, async () => {
    const s3 = await moto;
    const env = { AWS_ACCESS_KEY_ID: s3.accessKey, AWS_SECRET_ACCESS_KEY: s3.secretKey };
    const prefix = 'task-merge';
    // The recording in the bucket as the recorder's store lays it out (PREFIX/<file>), plus an
    // object below it that is not part of it.
    // carol's (audio only) alone, to keep the uploads to moto short.
    const local = copyRecording(dir);
    for (const n of readdirSync(local)) if (!n.includes(`_s_${b64('carol')}__`)) rmSync(path.join(local, n));
    const files = readdirSync(local);
    const up = spawnSync('python3', ['-c', `
import sys, os, boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1", config=Config(s3={"addressing_style": "path"}))
for f in sys.argv[4:]:
    s3.upload_file(os.path.join(sys.argv[3], f), "merge-rec", sys.argv[2] + "/" + f)
s3.put_object(Bucket="merge-rec", Key=sys.argv[2] + "/old/x.m3u8", Body=b"garbage")
`, s3.endpoint, prefix, local, ...files], { encoding: 'utf8', env: { ...process.env, ...env } });
    assert.equal(up.status, 0, up.stderr);
    const want = merge(local, ['--dry-run']).out.trim().split('\n').map((l) => l.split(' ')[0]).sort();
    assert.equal(want.length, 1, `carol's one file: ${want}`);
    const r = merge(`s3://merge-rec/${prefix}`, ['--s3-endpoint', s3.endpoint], env);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.out.trim().split('\n').sort(), want.map((f) => `s3://merge-rec/${prefix}/${f}`));
    // What was uploaded is the merged file: as long as the playlist's span.
    const f0 = want[0];
    const got = path.join(makeTmpDir('cloudrec-merge-s3-'), f0);
    writeFileSync(got, await s3.get('merge-rec', `${prefix}/${f0}`));
    const sp = spans(local, 'carol', ['main_audio']);
    assert.ok(Math.abs(probe(got).duration - (sp[0].end - sp[0].start) / 1000) <= 0.1, `${probe(got).duration} s`);
    // --out elsewhere: another bucket's prefix; and a local directory.
    const r2 = merge(`s3://merge-rec/${prefix}`, ['--s3-endpoint', s3.endpoint, '--out', 's3://merge-out/merged', '-m', '1'], env);
    assert.equal(r2.code, 0, r2.err);
    const outKeys = (await s3.list('merge-out')).map((o) => o.Key).sort();
    assert.deepEqual(outKeys, r2.out.trim().split('\n').map((u) => u.replace('s3://merge-out/', '')).sort());
    assert.ok(outKeys.length === 1 && outKeys[0].startsWith('merged/'), `${outKeys}`);
    const ld = makeTmpDir('cloudrec-merge-out-');
    const r3 = merge(`s3://merge-rec/${prefix}`, ['--s3-endpoint', s3.endpoint, '--out', ld], env);
    assert.equal(r3.code, 0, r3.err);
    assert.deepEqual(readdirSync(ld).sort(), want);
    // No key: a usage error naming the variables; a wrong key: the server's refusal.
    const nk = merge(`s3://merge-rec/${prefix}`, ['--s3-endpoint', s3.endpoint], { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' });
    assert.equal(nk.code, 2);
    assert.match(nk.err, /AWS_ACCESS_KEY_ID/);
    const bad = merge(`s3://merge-rec/${prefix}`, ['--s3-endpoint', s3.endpoint], { ...env, AWS_SECRET_ACCESS_KEY: 'wrong' });
    assert.equal(bad.code, 1);
    assert.match(bad.err, /SignatureDoesNotMatch|InvalidAccessKeyId|AccessDenied/);
    s3.kill();
  });

  test('errors name what to fix, with a non-zero exit', T, () => {
    const empty = makeTmpDir('cloudrec-merge-empty-');
    const e = merge(empty);
    assert.equal(e.code, 1);
    assert.match(e.err, /no single-stream recording/);
    const w = copyRecording(dir);
    const ts = readdirSync(w).filter((n) => n.includes(b64('alice')) && n.endsWith('.ts')).sort().pop();
    truncateSync(path.join(w, ts), 100);
    const t = merge(w);
    assert.equal(t.code, 1);
    assert.ok(t.err.includes(ts) && t.err.includes('truncated'), t.err);
    const pl = readdirSync(w).find((n) => n.endsWith('main_audio.m3u8'));
    writeFileSync(path.join(w, pl), 'garbage\n');
    const b = merge(w);
    assert.equal(b.code, 1);
    assert.ok(b.err.includes(pl), b.err);
    assert.equal(merge(w, ['-m', '7']).code, 2);
  });
});
