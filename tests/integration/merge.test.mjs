// `cloudrec merge` on a real single-stream recording made here: alice leaves and comes back after
// more than 15 s (two files), bob after less (one file, the gap filled) with a blue aux stream
// while his camera is away, carol with audio only (.m4a), frank with an aux stream only (green,
// with aux audio). Checks the outputs' count, names, durations (±100 ms of the playlists'
// spans), each track's placement and A/V sync (±40 ms, the publisher's flashes and beeps), what
// -m 1, -s, -a 0/1/2, -p, -r, -b change, and the errors a user can act on. Hand-made recordings
// (ffmpeg) force the audio to start before, with or after the video. A second task (dave) has its worker killed (-9) mid-
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

/** When a file's first picture (mean luma over 20: not the black before it) and first sound
 * (|sample| over 0.02: not the silence before it) come, and its first flash and first beep (after
 * 300 ms of no beep), in seconds on the file's timeline as a player shows it (edit lists applied). */
function marks(file) {
  const st = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,start_time', '-of', 'json', file], { encoding: 'utf8' })).streams;
  const out = { picture: null, flash: null, sound: null, beep: null };
  if (st.some((x) => x.codec_type === 'video')) {
    const times = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'frame=best_effort_timestamp_time', '-of', 'csv=p=0', file], { encoding: 'utf8' })
      .split('\n').filter((l) => l.trim()).map((l) => parseFloat(l));
    const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:v', '-fps_mode', 'passthrough', '-vf', 'scale=16:16', '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], { maxBuffer: 1 << 26 });
    let prev = 255;
    for (let i = 0; i * 256 < raw.length && out.flash === null; i++) {
      let sum = 0;
      for (let k = 0; k < 256; k++) sum += raw[i * 256 + k];
      const l = sum / 256;
      if (l > 20 && out.picture === null) out.picture = times[i];
      if (l > 200 && prev < 180) out.flash = times[i];
      prev = l;
    }
  }
  const start = Number(st.find((x) => x.codec_type === 'audio').start_time);
  const pcm = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:a', '-ac', '1', '-ar', '48000', '-f', 's16le', '-'], { maxBuffer: 1 << 26 });
  let quiet = 0;
  for (let i = 0; i < pcm.length / 2 && out.beep === null; i++) {
    const x = Math.abs(pcm.readInt16LE(i * 2)) / 32768;
    if (x > 0.02 && out.sound === null) out.sound = start + i / 48000;
    if (x > 0.4 && quiet >= 48000 * 0.3) out.beep = start + i / 48000;
    quiet = x > 0.4 ? 0 : quiet + 1;
  }
  return out;
}

/** Mean R, G, B of the frame at @t seconds. */
function rgb(file, t) {
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-ss', String(t), '-i', file, '-frames:v', '1', '-vf', 'scale=16:16', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 24 });
  const m = [0, 0, 0];
  for (let i = 0; i < raw.length; i++) m[i % 3] += raw[i];
  return m.map((x) => Math.round(x / (raw.length / 3)));
}

const T0 = Date.UTC(2026, 11, 3, 2, 0, 0);
const stamp = (ms) => new Date(ms).toISOString().replace(/[-:TZ.]/g, '');

/** A hand-made recording of @user in @dir (cloudrec's names, playlists and FILE-ATTR times): a
 * grey 160x96 15 fps H.264 video starting @v ms after T0 and a 48 kHz AAC audio (a quiet tone)
 * starting @a ms after T0, both up to T0 + 5 s in ~2 s segments of one continuous mux, one flash and one
 * beep at T0 + 2 s (a single mark: a placement off by a whole second cannot pass for right). */
function handMadeUser(dir, user, v, a) {
  const stem = (k) => `1400000001_7002__UserId_s_${b64(user)}__UserId_e_main_${k}`;
  const tmp = makeTmpDir('cloudrec-merge-hls-');
  const track = (kind, startMs, input, codec, type, meta) => {
    execFileSync('ffmpeg', ['-v', 'error', '-y', ...input, '-t', String((5000 - startMs) / 1000), ...codec, '-f', 'hls', '-hls_time', '2', '-hls_list_size', '0',
      '-hls_segment_type', 'mpegts', '-hls_segment_filename', path.join(tmp, `${kind}%d.ts`), path.join(tmp, `${kind}.m3u8`)]);
    let at = T0 + startMs;
    let body = `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n#EXT-X-TRTC-VERSION:0x1\n#EXT-X-TRTC-START-REC-TIME:${T0}\n`
      + `#EXT-X-TRTC-MEDIA-ID:main\n#EXT-X-TRTC-USER-ID:${user}\n#EXT-X-TRTC-MIX-STREAM:0\n#EXT-X-TRTC-STREAM-TYPE:${type}\n${meta}\n`;
    for (const [, extinf, uri] of readFileSync(path.join(tmp, `${kind}.m3u8`), 'utf8').matchAll(/#EXTINF:([\d.]+),\n(.+)\n/g)) {
      const name = `${stem(kind)}_${stamp(at)}.ts`;
      const data = readFileSync(path.join(tmp, uri));
      writeFileSync(path.join(dir, name), data);
      body += `#EXT-X-TRTC-FILE-ATTR:${at},${data.length}\n#EXTINF:${extinf},\n${name}\n`;
      at += Math.round(Number(extinf) * 1000);
    }
    writeFileSync(path.join(dir, `${stem(kind)}.m3u8`), `${body}#EXT-X-ENDLIST\n`);
  };
  const vMark = (2000 - v) / 1000;
  const aMark = (2000 - a) / 1000;
  track('video', v, ['-f', 'lavfi', '-i', `color=c=0x404040:size=160x96:rate=15,drawbox=c=white:t=fill:enable='gte(t,${vMark})*lt(t,${vMark}+1/15)'`],
    ['-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', '-bf', '0'], 1, '#EXT-X-TRTC-VIDEO-METADATA:WIDTH:160 HEIGHT:96 Codec:27');
  track('audio', a, ['-f', 'lavfi', '-i', `aevalsrc='0.8*sin(2*PI*1000*t)*gte(t,${aMark})*lt(t,${aMark}+0.1)+0.1*sin(2*PI*440*t)':s=48000:c=stereo`],
    ['-c:a', 'aac', '-ac', '2'], 0, '#EXT-X-TRTC-AUDIO-METADATA:Channel:2 SampleRate:48000 SampleFormat:1 Codec:86018');
  rmSync(tmp, { recursive: true });
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
    // Each publisher of room 9601 runs until stopped (SIGINT: it ends its session), its time
    // counted from when the daemon has its session (a loaded machine can take seconds to start
    // one: a --duration would count those too).
    const lines = (what) => d.stderr.split('\n').filter((l) => l.includes(what)).length;
    const start = async (user, extra = [], stream = 'main') => {
      const what = `user ${user} publishes ${stream} in room ${room}`;
      const n = lines(what);
      const p = publish(d.port, room, user, 600, extra);
      procs.push(p);
      await until(`${user}'s ${stream} session`, () => lines(what) > n, 60000);
      return p;
    };
    const stop = async (p, user, stream = 'main') => {
      const what = `of user ${user} (${stream}, room ${room}) ended`;
      const n = lines(what);
      p.kill('SIGINT');
      await until(`the end of ${user}'s ${stream} session`, () => lines(what) > n, 30000);
    };
    const first = Promise.all([start('alice'), start('bob'), start('carol', ['--no-video', '--plain']),
      // frank: an aux stream only (video and aux audio), green.
      start('frank', ['--stream', 'aux', '--size', '176x96', '--color', 'green'], 'aux')]);
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
    const [alice, bob, carol, frank] = await first;
    await sleep(5000);
    await Promise.all([stop(bob, 'bob'), stop(frank, 'frank', 'aux')]);
    await sleep(1000);
    await Promise.all([stop(alice, 'alice'), stop(carol, 'carol')]);
    const aliceLeft = Date.now();
    // bob's aux stream (blue, another size, no audio) while his camera is away, then his camera
    // back (after less than 15 s); alice back after more than 15 s.
    const aux = await start('bob', ['--stream', 'aux', '--no-audio', '--size', '192x108', '--color', 'blue'], 'aux');
    await sleep(3000);
    await stop(aux, 'bob', 'aux');
    await sleep(1000);
    const bob2 = await start('bob');
    await sleep(4000);
    await stop(bob2, 'bob');
    await sleep(Math.max(0, aliceLeft + 17000 - Date.now()));
    const alice2 = await start('alice');
    await sleep(5000);
    await stop(alice2, 'alice');
    await failover;
    const files = (await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId })).StorageFileList;
    await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
    await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: fo.TaskId });
    dir = path.join(d.dataDir, 'storage', 'm', TaskId);
    await until('every playlist ended', () => files.every((f) => existsSync(path.join(dir, f.FileName)) && readPlaylist(path.join(dir, f.FileName)).ended), 30000);
    const haEnded = () => readdirSync(foDir).filter((n) => n.startsWith('ha1_') && n.endsWith('.m3u8'));
    await until("the failover's playlists ended", () => haEnded().length >= 2 && haEnded().every((n) => readPlaylist(path.join(foDir, n)).ended), 30000);
    // CLOUDREC_MERGE_KEEP=DIR keeps the recording (to compare other merge tools on it).
    if (process.env.CLOUDREC_MERGE_KEEP) {
      cpSync(dir, process.env.CLOUDREC_MERGE_KEEP, { recursive: true });
      writeFileSync(`${process.env.CLOUDREC_MERGE_KEEP}.log`, d.stderr);
    }
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
    // frank (aux only): no main video, so -a 0 makes an .m4a of his aux audio.
    for (const s of spans(work, 'frank', ['aux_audio'])) expected.push({ u: 'frank', s, name: `${b64('frank')}_${s.first.match(/_(\d{17})\.ts$/)[1]}.m4a` });
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
      assert.equal(Boolean(p.video), e.name.endsWith('_av.mp4'));
    }
    // Placement: in every file, each track's first picture and first sound are where the
    // recording puts its first slice (FILE-ATTR), whichever comes first: a copied track through
    // an MP4 edit list, an encoded one after black or silence. The recorder's AAC encoder
    // (voaacenc) puts 1600 samples of priming before the sound.
    for (const e of expected.filter((x) => x.name.endsWith('_av.mp4'))) {
      const first = (k) => readPlaylist(path.join(work, readdirSync(work).find((n) => n.endsWith(`${b64(e.u)}__UserId_e_main_${k}.m3u8`))))
        .segments.find((x) => x.start >= e.s.start && x.start < e.s.end).start - e.s.start;
      const m = marks(path.join(work, e.name));
      const want = { picture: first('video') / 1000, sound: first('audio') / 1000 + 1600 / 48000 };
      console.log('MERGE placement', e.name, JSON.stringify({ got: m, want }));
      for (const k of ['picture', 'sound']) {
        assert.ok(m[k] !== null && Math.abs(m[k] - want[k]) <= 0.04, `${e.name}: the first ${k} at ${m[k]} s, the recording puts it at ${want[k].toFixed(3)} s`);
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
    // alice's video is copied, unless her recording itself has a hole of more than 500 ms in it
    // (a loaded machine can start a span's video later than its audio): then it is filled.
    const vf = readdirSync(dir).find((n) => n.endsWith(`__UserId_s_${b64('alice')}__UserId_e_main_video.m3u8`));
    const vsegs = readPlaylist(path.join(dir, vf)).segments;
    for (const s of spans(dir, 'alice')) {
      const line = lines.find((l) => l.startsWith(`${b64('alice')}_${s.first.match(/_(\d{17})\.ts$/)[1]}`));
      assert.ok(line && /video:\d+:(copy|gap)/.test(line), `alice's span at ${s.start}: ${r.out}`);
      const v = vsegs.filter((x) => x.start >= s.start && x.start < s.end);
      let hole = v.length === 0 ? Infinity : Math.max(v[0].start - s.start, s.end - v[v.length - 1].end);
      for (let i = 1; i < v.length; i++) hole = Math.max(hole, v[i].start - v[i - 1].end);
      if (Math.abs(hole - 500) > 60) assert.equal(/video:\d+:gap/.test(line), hole > 500, `alice's span (video hole ${hole} ms): ${line}`);
    }
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

  test('-a 0, 1, 2 pick the main or the aux video as the table says; -p the rate, -r the size', T, () => {
    const fileOf = (w, u) => readdirSync(w).find((f) => f.startsWith(`${b64(u)}_`) && (f.endsWith('_av.mp4') || f.endsWith('.m4a')));
    const segs = (u, k) => {
      const f = readdirSync(dir).find((n) => n.endsWith(`__UserId_s_${b64(u)}__UserId_e_${k}.m3u8`));
      return f ? readPlaylist(path.join(dir, f)).segments : [];
    };
    const span = (list) => {
      const first = list.reduce((x, y) => (y.start < x.start ? y : x));
      return { start: first.start, end: Math.max(...list.map((x) => x.end)), stamp: first.uri.match(/_(\d{17})\.ts$/)[1] };
    };
    const name = (u, sp, ext) => `${b64(u)}_${sp.stamp}${ext}`;
    const blue = ([r, g, b]) => b > 150 && r < 90 && g < 90;
    const green = ([r, g, b]) => g > 90 && r < 60 && b < 60;
    // Three pictures 0.35 s apart around @t (one of them may be the once-a-second white flash).
    const colourAt = (file, t, want) => [t - 0.35, t, t + 0.35].map((x) => rgb(file, x)).filter(want).length >= 2;
    // bob: main video, then (his camera away) a blue aux stream, then main again.
    const main = segs('bob', 'main_video');
    const aux = segs('bob', 'aux_video');
    const auxAlone = aux.filter((x) => !main.some((m) => x.start < m.end && m.start < x.end));
    assert.ok(auxAlone.length >= 1, `bob's aux slices outside his main ones: ${JSON.stringify({ main, aux })}`);
    const bobAudio = segs('bob', 'main_audio');
    const fAudio = segs('frank', 'aux_audio');
    const fVideo = segs('frank', 'aux_video');
    assert.ok(fAudio.length > 0 && fVideo.length > 0, "frank's aux audio and video are recorded");
    const want = {
      0: { bob: span([...bobAudio, ...main]), frank: span(fAudio) },
      1: { bob: span([...bobAudio, ...main, ...auxAlone]), frank: span([...fAudio, ...fVideo]) },
      2: { bob: span([...bobAudio, ...aux]), frank: span([...fAudio, ...fVideo]) },
    };
    const out = {};
    for (const a of ['0', '1', '2']) {
      const w = copyRecording(dir);
      const r = merge(w, ['-a', a]);
      assert.equal(r.code, 0, r.err);
      const bob = path.join(w, fileOf(w, 'bob'));
      const frank = path.join(w, fileOf(w, 'frank'));
      out[a] = { w, bob, frank, pb: probe(bob), pf: probe(frank) };
      console.log(`MERGE -a ${a}`, JSON.stringify({ files: r.files, bob: { d: out[a].pb.duration, want: want[a].bob, w: out[a].pb.video?.width },
        frank: { d: out[a].pf.duration, w: out[a].pf.video?.width } }));
      // The names: the first slice of what the output is made of; carol (audio only) an .m4a.
      assert.equal(path.basename(bob), name('bob', want[a].bob, '_av.mp4'));
      assert.equal(path.basename(frank), name('frank', want[a].frank, a === '0' ? '.m4a' : '_av.mp4'));
      assert.ok(r.files.some((f) => f.startsWith(`${b64('carol')}_`) && f.endsWith('.m4a')), `carol's .m4a with -a ${a}: ${r.files}`);
      // alice has no aux stream: -a 2 gives her audio alone.
      const alice = r.files.filter((f) => f.startsWith(`${b64('alice')}_`));
      assert.equal(alice.length, 2);
      assert.ok(alice.every((f) => f.endsWith(a === '2' ? '.m4a' : '_av.mp4')), `alice with -a ${a}: ${alice}`);
      for (const [u, p] of [['bob', out[a].pb], ['frank', out[a].pf]]) {
        const sec = (want[a][u].end - want[a][u].start) / 1000;
        assert.ok(Math.abs(p.duration - sec) <= 0.1, `-a ${a} ${u}: ${p.duration} s, the playlists span ${sec} s`);
        assert.ok(p.audio, `-a ${a} ${u} has the audio`);
      }
    }
    // -a 0: bob's main picture (160 wide); frank, who has no main video, only his audio.
    assert.equal(out[0].pb.video.width, 160);
    assert.equal(out[0].pf.video, undefined, '-a 0: no video for a user with aux only');
    // -a 1: bob's main picture where he has one, the aux (blue, scaled to the main's size) where
    // not; frank's aux picture.
    assert.equal(out[1].pb.video.width, 160);
    const at = (x) => ((x.start + x.end) / 2 - want[1].bob.start) / 1000;
    const rgbs = { aux: [-0.35, 0, 0.35].map((d) => rgb(out[1].bob, at(auxAlone[0]) + d)), main: rgb(out[1].bob, at(main[0])) };
    console.log('MERGE -a 1 colours', JSON.stringify(rgbs));
    assert.ok(colourAt(out[1].bob, at(auxAlone[0]), blue), `-a 1: the aux picture where bob's camera is away: ${JSON.stringify(rgbs)}`);
    assert.ok(!colourAt(out[1].bob, at(main[0]), blue), `-a 1: the main picture where bob has one: ${JSON.stringify(rgbs)}`);
    assert.equal(out[1].pf.video.width, 176);
    assert.ok(colourAt(out[1].frank, out[1].pf.duration / 2, green), "-a 1: frank's aux picture");
    // -a 2: bob's aux picture (192 wide, blue) with his audio; frank's aux picture.
    assert.equal(out[2].pb.video.width, 192, '-a 2: the aux picture');
    const at2 = ((auxAlone[0].start + auxAlone[0].end) / 2 - want[2].bob.start) / 1000;
    assert.ok(colourAt(out[2].bob, at2, blue), '-a 2: the aux picture');
    assert.equal(out[2].pf.video.width, 176);
    assert.ok(colourAt(out[2].frank, out[2].pf.duration / 2, green), "-a 2: frank's aux picture");
    const bobFile = (w) => fileOf(w, 'bob');
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

  test('each track starts where the recording puts it, audio or video first, copied or encoded (hand-made recording)', T, () => {
    // Users whose first audio slice starts 0, 120 (copied, an edit list) or 988 ms (encoded,
    // silence first) after their first video slice, or whose video starts 300 (copied) or 900 ms
    // (encoded, black first) after their audio. Merged as planned, then with -p 15 (every video
    // encoded). Each output's first picture, first sound, flash and beep must be where the
    // recording puts them (the output starting at the user's first slice).
    const w = makeTmpDir('cloudrec-merge-order-');
    const cases = { same: [0, 0], alate: [0, 120], alate988: [0, 988], vlate: [300, 0], vlate900: [900, 0] };
    for (const [u, [v, a]] of Object.entries(cases)) handMadeUser(w, u, v, a);
    const plan = merge(w, ['--dry-run']).out;
    assert.match(plan.split('\n').find((l) => l.startsWith(b64('alate'))), /video:3:copy audio:3:copy/, plan);
    assert.match(plan.split('\n').find((l) => l.startsWith(b64('alate988'))), /video:3:copy audio:3:gap/, plan);
    assert.match(plan.split('\n').find((l) => l.startsWith(b64('vlate'))), /video:3:copy audio:3:copy/, plan);
    assert.match(plan.split('\n').find((l) => l.startsWith(b64('vlate900'))), /video:3:gap audio:3:copy/, plan);
    const PRIMING = 1024 / 48000; // ffmpeg's AAC encoder: the sound decodes that much after its PTS
    for (const args of [[], ['-p', '15']]) {
      const out = makeTmpDir('cloudrec-merge-order-out-');
      const r = merge(w, [...args, '--out', out]);
      assert.equal(r.code, 0, r.err);
      for (const [u, [v, a]] of Object.entries(cases)) {
        const f = r.files.find((n) => n.startsWith(`${b64(u)}_`));
        assert.equal(f, `${b64(u)}_${stamp(T0 + Math.min(v, a))}_av.mp4`);
        const m = marks(path.join(out, f));
        const t0 = Math.min(v, a);
        const want = {
          picture: (v - t0) / 1000,
          flash: (v - t0) / 1000 + Math.ceil(((2000 - v) * 15) / 1000 - 1e-6) / 15, // the first frame from T0 + 2 s
          sound: (a - t0) / 1000 + PRIMING,
          beep: (2000 - t0) / 1000 + PRIMING,
        };
        console.log('MERGE order', args.join(' ') || '(as planned)', u, JSON.stringify({ v, a, got: m, want }));
        for (const k of Object.keys(want)) {
          assert.ok(m[k] !== null && Math.abs(m[k] - want[k]) <= 0.04, `${args} ${u} (video at ${v} ms, audio at ${a} ms): ${k} at ${m[k]} s, want ${want[k].toFixed(3)} s`);
        }
      }
    }
  });

  test('a copied track whose encoder changes between runs (new SPS/PPS, same size) is encoded, so it decodes', T, () => {
    // Two ffmpeg-made runs (a discontinuity between them) of eve: baseline then high profile.
    const w = makeTmpDir('cloudrec-merge-sps-');
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
