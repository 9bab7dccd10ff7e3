// MP4 from a 1-hour recording: cr_outputs_write (OutputFormat 1, hls+mp4; build/bench/remux)
// against `ffmpeg -f concat -c copy -movflags +faststart` on the same segments, in the same run.
//
// The HLS (H.264 640x360 15 fps ~500 kbit/s, GOP 2 s, AAC 48 kHz mono, ~10 s TS segments, the
// shape of an AvMerge task) is made once by gen_hls.sh and cached in bench/out/hls-<seconds>/.
// Cases: one file, and split at BENCH_REMUX_SPLIT_S (default 1200 s -> 3 files; ffmpeg's segment
// muxer at the same time, cutting at the next keyframe). Each run is its own process measured by
// GNU time (wall, user+sys, peak RSS: what RUSAGE_CHILDREN gives); ours also reports the
// cr_outputs_write call alone. Every output is checked with ffprobe (total duration within 0.5 s
// of the recording, 2 streams per file, the same packet counts as ffmpeg's, the audio ending
// within 50 ms of the video in every file) so a broken output cannot pass as fast.
// Env: BENCH_REMUX_SECONDS (3600), BENCH_REMUX_SPLIT_S (1200), BENCH_REMUX_ROUNDS (2; the runs are interleaved ours/ffmpeg so drift falls on both).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILD, REPO } from './common.mjs';

const SECONDS = Number(process.env.BENCH_REMUX_SECONDS ?? 3600);
const SPLIT_S = Number(process.env.BENCH_REMUX_SPLIT_S ?? 1200);
const ROUNDS = Number(process.env.BENCH_REMUX_ROUNDS ?? 2);
const OUT = path.join(REPO, 'bench', 'out');
const HLS = path.join(OUT, `hls-${SECONDS}`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')}... failed (${r.status}): ${r.stderr}`);
  return r;
}

/** Runs @args under GNU time; { wall, cpu, rssMb, stdout }. */
function timed(args) {
  const r = run('/usr/bin/time', ['-f', 'TIME %e %U %S %M', ...args]);
  const m = /TIME (\S+) (\S+) (\S+) (\d+)\s*$/.exec(r.stderr);
  return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), rssMb: Number(m[4]) / 1024, stdout: r.stdout };
}

/** Streams and packet counts of an MP4: { duration, streams: ['video:54000', 'audio:168750'] }. */
function probe(file) {
  const r = run('ffprobe', ['-v', 'error', '-count_packets', '-show_entries', 'format=duration:stream=codec_type,nb_read_packets,duration', '-of', 'json', file]);
  const j = JSON.parse(r.stdout);
  const end = (t) => Number(j.streams.find((s) => s.codec_type === t)?.duration ?? NaN);
  return { duration: Number(j.format.duration), streams: j.streams.map((s) => `${s.codec_type}:${s.nb_read_packets}`),
    avEndMs: (end('audio') - end('video')) * 1000 };
}

/** Checks the files of one run; returns their summed duration and packets per stream type. A
 * wrong output is measured and reported, and fails the bench at the end. */
const problems = [];
function verify(label, files, expectFiles) {
  if (files.length !== expectFiles) throw new Error(`${label}: ${files.length} files, expected ${expectFiles}`);
  let duration = 0, avEndMs = 0;
  const packets = {};
  for (const f of files) {
    const p = probe(f);
    if (p.streams.length !== 2) throw new Error(`${label}: ${f} has ${p.streams.length} streams`);
    duration += p.duration;
    avEndMs = Math.max(avEndMs, Math.abs(p.avEndMs));
    for (const s of p.streams) { const [t, n] = s.split(':'); packets[t] = (packets[t] ?? 0) + Number(n); }
  }
  if (Math.abs(duration - SECONDS) > 0.5) problems.push(`${label}: ${duration.toFixed(3)} s of media, expected ${SECONDS} +- 0.5`);
  if (avEndMs > 50) problems.push(`${label}: the audio ends ${avEndMs.toFixed(0)} ms from the video (more than 50)`);
  return { duration, packets, avEndMs };
}

run(path.join(REPO, 'bench', 'gen_hls.sh'), [HLS, String(SECONDS)], { stdio: ['ignore', 'inherit', 'inherit'] });
const segments = readdirSync(HLS).filter((f) => f.endsWith('.ts')).sort();
const work = path.join(os.tmpdir(), `cloudrec-remux-bench-${process.pid}`);
mkdirSync(work, { recursive: true });
const list = path.join(work, 'list.txt');
writeFileSync(list, segments.map((f) => `file '${path.join(HLS, f)}'\n`).join(''));
// Both read the segments from the page cache: read them once first.
for (const f of segments) readFileSync(path.join(HLS, f));

const expectSplit = Math.ceil(SECONDS / SPLIT_S);
const cases = [
  { name: 'one file', maxS: 86400, files: 1 },
  { name: `split ${SPLIT_S} s`, maxS: SPLIT_S, files: expectSplit },
];
const results = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const c of cases) {
    for (const who of round % 2 === 0 ? ['ffmpeg', 'cloudrec'] : ['cloudrec', 'ffmpeg']) {
      const dir = path.join(work, `${who}-${c.maxS}`);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      let t, inCall = null;
      if (who === 'cloudrec') {
        t = timed([path.join(BUILD, 'bench', 'remux'), HLS, dir, String(c.maxS)]);
        inCall = JSON.parse(t.stdout);
        if (!inCall.ok) throw new Error(`remux failed: ${inCall.error}`);
      } else if (c.files === 1) {
        t = timed(['ffmpeg', '-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'concat', '-safe', '0', '-i', list,
          '-c', 'copy', '-movflags', '+faststart', path.join(dir, 'out.mp4')]);
      } else {
        t = timed(['ffmpeg', '-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'concat', '-safe', '0', '-i', list,
          '-c', 'copy', '-f', 'segment', '-segment_time', String(c.maxS), '-segment_format', 'mp4',
          '-segment_format_options', 'movflags=+faststart', '-reset_timestamps', '1', path.join(dir, 'out%02d.mp4')]);
      }
      const files = readdirSync(dir).filter((f) => f.endsWith('.mp4')).sort().map((f) => path.join(dir, f));
      const v = verify(`${who} ${c.name}`, files, c.files);
      results.push({ round, case: c.name, who, files: files.length, ...v, wall: t.wall, cpu: t.cpu, rssMb: t.rssMb,
        callWall: inCall?.wall_s, callCpu: inCall?.cpu_s });
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
rmSync(work, { recursive: true, force: true });

// Both must hold the same media: every video frame and every audio frame.
for (const c of cases) {
  const rs = results.filter((r) => r.case === c.name);
  const ref = rs[0].packets;
  for (const r of rs) {
    if (r.packets.video !== ref.video || r.packets.audio !== ref.audio)
      problems.push(`${c.name}: packets differ: ${JSON.stringify(ref)} vs ${JSON.stringify(r.packets)} (${r.who})`);
  }
}

const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const summary = [];
console.log(`${SECONDS} s of media, ${segments.length} segments, ${ROUNDS} round(s), medians; packets ${results.map((r) => `${r.who} ${JSON.stringify(r.packets)}`).slice(0, 2).join(', ')}`);
console.log('| case | tool | media s | wall s | CPU s | media-s per wall-s | CPU-s per media-s | peak RSS MB | max |audio end - video end| ms |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const c of cases) {
  const row = {};
  for (const who of ['ffmpeg', 'cloudrec']) {
    const rs = results.filter((r) => r.case === c.name && r.who === who);
    const wall = med(rs.map((r) => r.wall)), cpu = med(rs.map((r) => r.cpu)), rss = med(rs.map((r) => r.rssMb));
    const avEndMs = Math.max(...rs.map((r) => r.avEndMs)), media = med(rs.map((r) => r.duration));
    row[who] = { wall, cpu, rss, avEndMs, speed: SECONDS / wall, cpuPerMediaS: cpu / SECONDS,
      callCpu: who === 'cloudrec' ? med(rs.map((r) => r.callCpu)) : undefined };
    console.log(`| ${c.name} | ${who} | ${media.toFixed(2)} | ${wall.toFixed(2)} | ${cpu.toFixed(2)} | ${row[who].speed.toFixed(0)}x | ${row[who].cpuPerMediaS.toExponential(2)} | ${rss.toFixed(1)} | ${avEndMs.toFixed(0)} |`);
  }
  const ratio = { wall: row.cloudrec.wall / row.ffmpeg.wall, cpu: row.cloudrec.cpu / row.ffmpeg.cpu, rss: row.cloudrec.rss / row.ffmpeg.rss };
  console.log(`| ${c.name} | cloudrec/ffmpeg | | ${ratio.wall.toFixed(2)}x | ${ratio.cpu.toFixed(2)}x | | | ${ratio.rss.toFixed(2)}x | |`);
  summary.push({ case: c.name, ...row, ratio });
}
mkdirSync(OUT, { recursive: true });
writeFileSync(path.join(OUT, 'remux.json'), JSON.stringify({ seconds: SECONDS, segments: segments.length, summary, results, problems }, null, 2));
if (problems.length > 0) {
  console.log(`WRONG OUTPUT:\n  ${problems.join('\n  ')}`);
  process.exitCode = 1;
}
