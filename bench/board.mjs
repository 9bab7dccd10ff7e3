// Board rendering bench: `cloudrec board-render` of 10 minutes of a busy board (an op every
// 500 ms, 20,000 stroke points in all, shapes, text, pages, undos) at 1280x720 15 fps, against
// the encoder's own cost in the same run: `gst-launch-1.0 videotestsrc num-buffers=N ! x264enc`
// with the same settings (veryfast, no B-frames, the same bit rate and GOP) into fakesink.
// Reported: wall seconds, CPU-seconds per media-second of each (user + system of the child, from
// the shell's `times`), and the ratio.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { BUILD, REPO } from './common.mjs';

const MINUTES = Number(process.env.BENCH_BOARD_MINUTES ?? 10);
const W = 1280, H = 720, FPS = 15, KBPS = 1536, GOP = 2;
const POINTS = 20000 * MINUTES / 10;
const FROM = 1768908600000;
const TO = FROM + MINUTES * 60 * 1000;
const f = (v, n = 3) => (Number.isFinite(v) ? v.toFixed(n) : 'n/a');

/** The busy board: an op every 500 ms; most are strokes (a wandering pen), every 20th a filled
 * rectangle, every 20th a text, every 50th an undo, every 200th a new page. */
function busyLog() {
  const ops = [];
  const n = (TO - FROM) / 500;
  const strokes = Math.round(n * (1 - 1 / 20 - 1 / 20 - 1 / 50 - 1 / 200));
  const per = Math.max(2, Math.round(POINTS / strokes));
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  let page = 0, last = null, pages = 1;
  for (let i = 0; i < n; i++) {
    const entry = (op) => ops.push({ t: 'op', seq: ops.length + 1, ts: FROM + 250 + i * 500, user: 'teacher', op });
    const col = `#${Math.floor(rnd() * 0xffffff).toString(16).padStart(6, '0')}`;
    if (i % 200 === 199) {
      page = pages++;
      entry({ kind: 'page', action: 'add', page });
    } else if (i % 50 === 49 && last) {
      entry({ kind: 'undo', id: last });
      last = null;
    } else if (i % 20 === 5) {
      const x = rnd() * 0.7, y = rnd() * 0.7;
      entry({ kind: 'shape', id: `r${i}`, page, shape: 'rect', color: '#000000', width: 0.005, fill: col, x0: x, y0: y, x1: x + 0.2, y1: y + 0.15 });
    } else if (i % 20 === 10) {
      entry({ kind: 'text', id: `t${i}`, page, color: '#202020', size: 0.05, x: rnd() * 0.7, y: rnd() * 0.9, text: `step ${i}: x = ${i * 3}` });
    } else {
      let x = rnd(), y = rnd();
      const points = [];
      for (let k = 0; k < per; k++) {
        x = Math.min(1, Math.max(0, x + (rnd() - 0.5) * 0.04));
        y = Math.min(1, Math.max(0, y + (rnd() - 0.5) * 0.04));
        points.push([Number(x.toFixed(4)), Number(y.toFixed(4))]);
      }
      last = `s${i}`;
      entry({ kind: 'stroke', id: last, page, color: col, width: 0.004, points });
    }
  }
  return ops;
}

/** Runs @argv, returning wall seconds and the child's user + system CPU seconds. */
function timed(argv) {
  const w0 = performance.now();
  const r = spawnSync('bash', ['-c', '"$@" >"$TMPOUT" 2>&1; s=$?; times; exit $s', 'bench', ...argv],
    { encoding: 'utf8', env: { ...process.env, TMPOUT: path.join(dir, 'out.txt') } });
  const wall = (performance.now() - w0) / 1000;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${spawnSync('cat', [path.join(dir, 'out.txt')], { encoding: 'utf8' }).stdout}`);
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(r.stdout.trim());
  const cpu = m ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]) : NaN;
  return { wall, cpu };
}

const dir = mkdtempSync(path.join(tmpdir(), 'cloudrec-bench-board-'));
try {
  const ops = busyLog();
  const points = ops.reduce((a, e) => a + (e.op.points ? e.op.points.length : 0), 0);
  const log = path.join(dir, 'board.json');
  writeFileSync(log, JSON.stringify(ops));
  const media = (TO - FROM) / 1000;
  const frames = Math.round(media * FPS);
  const board = timed([path.join(BUILD, 'cloudrec'), 'board-render', '--log', log, '--width', String(W), '--height', String(H), '--fps', String(FPS),
    '--from', String(FROM), '--to', String(TO), '--user-id', 'tic_record_user_9960_1', '--out', path.join(dir, 'rec'), '--bitrate', String(KBPS)]);
  const summary = JSON.parse(spawnSync('cat', [path.join(dir, 'out.txt')], { encoding: 'utf8' }).stdout.trim().split('\n').at(-1));
  const base = timed(['gst-launch-1.0', '-q', 'videotestsrc', `num-buffers=${frames}`, '!',
    `video/x-raw,format=I420,width=${W},height=${H},framerate=${FPS}/1`, '!',
    'x264enc', 'speed-preset=veryfast', 'bframes=0', `bitrate=${KBPS}`, `key-int-max=${GOP * FPS}`, '!', 'video/x-h264,profile=high', '!', 'fakesink']);
  const bc = board.cpu / media, ec = base.cpu / media;
  console.log(`board ${MINUTES} min, ${ops.length} ops, ${points} points, ${W}x${H}@${FPS}: board-render ${f(board.wall, 1)} s wall ` +
    `(${f(media / board.wall, 1)}x real time), ${f(bc)} CPU-s per media-s, ${summary.Pictures} pictures for ${summary.Frames} frames; ` +
    `x264 alone (videotestsrc) ${f(base.wall, 1)} s wall, ${f(ec)} CPU-s per media-s -> ratio ${f(bc / ec, 2)}`);
  mkdirSync(path.join(REPO, 'bench', 'out'), { recursive: true });
  writeFileSync(path.join(REPO, 'bench', 'out', 'board.json'), JSON.stringify({ minutes: MINUTES, ops: ops.length, points, width: W, height: H, fps: FPS,
    board_wall_s: board.wall, board_cpu_per_media_s: bc, pictures: summary.Pictures, frames: summary.Frames,
    x264_wall_s: base.wall, x264_cpu_per_media_s: ec }, null, 2) + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
