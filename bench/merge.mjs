// `cloudrec merge` of a long 4-user single-stream recording against `ffmpeg -c copy` concatenating
// the same segments (one ffmpeg per user: video playlist + audio playlist -> MP4), in the same run.
//
// The recording is synthetic, made once and cached in bench/out/merge2-<seconds>/: one user's
// H.264 (640x360 15 fps ~500 kbit/s, x264 ultrafast, a keyframe every 2 s) and AAC (48 kHz stereo
// 64 kbit/s) encoded by ffmpeg into separate ~10 s MPEG-TS segments (its HLS muxer, continuous
// PTS), then given to 4 users (hard links) under cloudrec's names with cloudrec's playlists
// (`<SdkAppId>_<RoomId>__UserId_s_<b64>__UserId_e_main_<video|audio>.m3u8`, #EXT-X-TRTC-* tags,
// FILE-ATTR wall-clock starts and sizes, 17-digit UTC stamps in the segment names). Nothing in it
// needs encoding (one size, no holes): `cloudrec merge` remuxes all of it.
// Each run is a process (ours: one `cloudrec merge -f DIR` making the 4 files; ffmpeg: 4 processes
// in a row) measured by GNU time; outputs checked with ffprobe (4 files, 2 streams each, durations
// within 0.5 s of the recording, the same packet counts as ffmpeg's).
// Env: BENCH_MERGE_SECONDS (3600), BENCH_MERGE_ROUNDS (2; interleaved ours/ffmpeg).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync, readFileSync, linkSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILD, REPO } from './common.mjs';

const SECONDS = Number(process.env.BENCH_MERGE_SECONDS ?? 3600);
const ROUNDS = Number(process.env.BENCH_MERGE_ROUNDS ?? 2);
const USERS = ['alice', 'bob', 'carol', 'dave'];
const OUT = path.join(REPO, 'bench', 'out');
const SRC = path.join(OUT, `merge2-${SECONDS}`); // merge2: the one-frame last segment kept
const REC = path.join(SRC, 'rec');
const T0 = Date.UTC(2026, 11, 3, 2, 0, 0, 0); // the recording's wall-clock start
const b64 = (u) => Buffer.from(u).toString('base64').replace(/\//g, '-').replace(/=/g, '.');
const stamp = (ms) => new Date(ms).toISOString().replace(/[-:TZ.]/g, '');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')}... failed (${r.status}): ${r.stderr}`);
  return r;
}

function timed(args) {
  const r = run('/usr/bin/time', ['-f', 'TIME %e %U %S %M', ...args]);
  const m = /TIME (\S+) (\S+) (\S+) (\d+)\s*$/.exec(r.stderr);
  return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), rssMb: Number(m[4]) / 1024, stdout: r.stdout };
}

/** ffmpeg's HLS segments of one medium: [{ file, extinf }]. */
function encode(kind) {
  const dir = path.join(SRC, kind);
  mkdirSync(dir, { recursive: true });
  const input = kind === 'video'
    ? ['-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=15', '-t', String(SECONDS), '-c:v', 'libx264', '-preset', 'ultrafast',
      '-b:v', '500k', '-maxrate', '500k', '-bufsize', '1000k', '-g', '30', '-keyint_min', '30', '-sc_threshold', '0', '-pix_fmt', 'yuv420p', '-an']
    : ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', String(SECONDS), '-c:a', 'aac', '-b:a', '64k', '-ac', '2', '-vn'];
  run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', ...input, '-f', 'hls', '-hls_time', '10', '-hls_list_size', '0',
    '-hls_segment_type', 'mpegts', '-hls_segment_filename', path.join(dir, 'seg%05d.ts'), path.join(dir, 'index.m3u8')]);
  const text = readFileSync(path.join(dir, 'index.m3u8'), 'utf8');
  const segs = [...text.matchAll(/#EXTINF:([\d.]+),\n(.+)\n/g)].map(([, d, f]) => ({ file: path.join(dir, f), extinf: Number(d) }));
  // The AAC encoder's priming makes the audio one frame longer than asked: its HLS ends with a
  // one-frame segment (a TS too short for GStreamer's tsdemux to find its program alone). Kept:
  // cloudrec reads it as the continuation of the segment before it.
  return segs;
}

/** The recording in cloudrec's names, made once. */
function makeRecording() {
  if (existsSync(path.join(SRC, 'done'))) return;
  rmSync(SRC, { recursive: true, force: true });
  mkdirSync(REC, { recursive: true });
  const media = { video: encode('video'), audio: encode('audio') };
  for (const u of USERS) {
    for (const kind of ['video', 'audio']) {
      const stem = `${1400000001}_${7001}__UserId_s_${b64(u)}__UserId_e_main_${kind}`;
      let pl = `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-ALLOW-CACHE:NO\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-TARGETDURATION:11\n`
        + `#EXT-X-TRTC-VERSION:0x1\n#EXT-X-TRTC-START-REC-TIME:${T0}\n#EXT-X-TRTC-MEDIA-ID:main\n#EXT-X-TRTC-USER-ID:${u}\n`
        + `#EXT-X-TRTC-MIX-STREAM:0\n#EXT-X-TRTC-STREAM-TYPE:${kind === 'video' ? 1 : 0}\n`
        + (kind === 'video' ? '#EXT-X-TRTC-VIDEO-METADATA:WIDTH:640 HEIGHT:360 Codec:27\n'
          : '#EXT-X-TRTC-AUDIO-METADATA:Channel:2 SampleRate:48000 SampleFormat:1 Codec:86018\n');
      let at = T0;
      for (const s of media[kind]) {
        const name = `${stem}_${stamp(at)}.ts`;
        linkSync(s.file, path.join(REC, name));
        pl += `#EXT-X-TRTC-FILE-ATTR:${at},${statSync(s.file).size}\n#EXTINF:${s.extinf.toFixed(3)},\n${name}\n`;
        at += Math.round(s.extinf * 1000);
      }
      writeFileSync(path.join(REC, `${stem}.m3u8`), `${pl}#EXT-X-ENDLIST\n`);
    }
  }
  writeFileSync(path.join(SRC, 'done'), String(SECONDS));
}

function probe(file) {
  const r = run('ffprobe', ['-v', 'error', '-count_packets', '-show_entries', 'format=duration:stream=codec_type,nb_read_packets', '-of', 'json', file]);
  const j = JSON.parse(r.stdout);
  return { duration: Number(j.format.duration), streams: j.streams.map((s) => `${s.codec_type}:${s.nb_read_packets}`) };
}

const problems = [];
function verify(label, files) {
  if (files.length !== USERS.length) throw new Error(`${label}: ${files.length} files, expected ${USERS.length}`);
  const packets = {};
  let worst = 0;
  for (const f of files) {
    const p = probe(f);
    if (p.streams.length !== 2) problems.push(`${label}: ${f} has ${p.streams.length} streams`);
    worst = Math.max(worst, Math.abs(p.duration - SECONDS));
    for (const s of p.streams) { const [t, n] = s.split(':'); packets[t] = (packets[t] ?? 0) + Number(n); }
  }
  if (worst > 0.5) problems.push(`${label}: a file's duration is ${worst.toFixed(3)} s from ${SECONDS}`);
  return { packets, worstDurationS: worst };
}

const t0 = Date.now();
makeRecording();
console.log(`recording: ${SECONDS} s x ${USERS.length} users in ${REC} (${((Date.now() - t0) / 1000).toFixed(0)} s to make or reuse)`);
const names = readdirSync(REC);
for (const n of names) if (n.endsWith('.ts')) readFileSync(path.join(REC, n)); // page cache for both
const dry = run(path.join(BUILD, 'cloudrec'), ['merge', '-f', REC, '--dry-run']).stdout;
if (/video:\d+:(?!copy)|audio:\d+:(?!copy)/.test(dry)) problems.push(`cloudrec would encode: ${dry}`);

const work = path.join(os.tmpdir(), `cloudrec-merge-bench-${process.pid}`);
const results = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const who of round % 2 === 0 ? ['ffmpeg', 'cloudrec'] : ['cloudrec', 'ffmpeg']) {
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    let t;
    if (who === 'cloudrec') {
      // merge writes beside the playlists: a directory of links to the recording.
      for (const n of names) linkSync(path.join(REC, n), path.join(work, n));
      t = timed([path.join(BUILD, 'cloudrec'), 'merge', '-f', work]);
    } else {
      t = { wall: 0, cpu: 0, rssMb: 0 };
      for (const u of USERS) {
        const list = (kind) => {
          const pl = readFileSync(path.join(REC, `1400000001_7001__UserId_s_${b64(u)}__UserId_e_main_${kind}.m3u8`), 'utf8');
          const f = path.join(work, `${u}-${kind}.txt`);
          writeFileSync(f, pl.split('\n').filter((l) => l.endsWith('.ts')).map((l) => `file '${path.join(REC, l)}'\n`).join(''));
          return f;
        };
        const r = timed(['ffmpeg', '-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'concat', '-safe', '0', '-i', list('video'),
          '-f', 'concat', '-safe', '0', '-i', list('audio'), '-map', '0:v', '-map', '1:a', '-c', 'copy', path.join(work, `${u}.mp4`)]);
        t.wall += r.wall; t.cpu += r.cpu; t.rssMb = Math.max(t.rssMb, r.rssMb);
      }
    }
    const files = readdirSync(work).filter((f) => f.endsWith('.mp4')).sort().map((f) => path.join(work, f));
    results.push({ round, who, ...verify(who, files), wall: t.wall, cpu: t.cpu, rssMb: t.rssMb });
  }
}
rmSync(work, { recursive: true, force: true });
const ref = results[0].packets;
for (const r of results) if (r.packets.video !== ref.video || r.packets.audio !== ref.audio)
  problems.push(`packets differ: ${JSON.stringify(ref)} vs ${JSON.stringify(r.packets)} (${r.who})`);

const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const media = SECONDS * USERS.length;
console.log(`${USERS.length} users x ${SECONDS} s, ${ROUNDS} round(s), medians; packets ${JSON.stringify(ref)}`);
console.log('| tool | wall s | CPU s | media-s per wall-s | CPU-s per media-s | peak RSS MB | worst duration error s |');
console.log('|---|---|---|---|---|---|---|');
const row = {};
for (const who of ['ffmpeg', 'cloudrec']) {
  const rs = results.filter((r) => r.who === who);
  row[who] = { wall: med(rs.map((r) => r.wall)), cpu: med(rs.map((r) => r.cpu)), rss: med(rs.map((r) => r.rssMb)), dur: Math.max(...rs.map((r) => r.worstDurationS)) };
  console.log(`| ${who} | ${row[who].wall.toFixed(2)} | ${row[who].cpu.toFixed(2)} | ${(media / row[who].wall).toFixed(0)}x | ${(row[who].cpu / media).toExponential(2)} | ${row[who].rss.toFixed(1)} | ${row[who].dur.toFixed(3)} |`);
}
const ratio = { throughput: row.ffmpeg.wall / row.cloudrec.wall, cpu: row.cloudrec.cpu / row.ffmpeg.cpu, rss: row.cloudrec.rss / row.ffmpeg.rss };
console.log(`| cloudrec vs ffmpeg | throughput ${ratio.throughput.toFixed(2)}x | CPU ${ratio.cpu.toFixed(2)}x | | | RSS ${ratio.rss.toFixed(2)}x | |`);
mkdirSync(OUT, { recursive: true });
writeFileSync(path.join(OUT, 'merge.json'), JSON.stringify({ seconds: SECONDS, users: USERS.length, row, ratio, results, problems }, null, 2));
if (problems.length > 0) {
  console.log(`WRONG OUTPUT:\n  ${problems.join('\n  ')}`);
  process.exitCode = 1;
}
