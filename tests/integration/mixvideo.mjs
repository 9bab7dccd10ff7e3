// Helpers of the mixed-recording tests: plain colour publishers, the expected tile rectangles of
// the seeds' templates (restated from the documented rules, not from the C code), decoded frames
// and their pixels, tones in decoded audio, and a tiny PNG writer for served images.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { APP1, BIN, userSig } from './helpers.mjs';

/** A publisher of one plain colour (and, with @tone, a plain sine). */
export function publishPlain(port, room, user, colour, { size = '64x36', fps = 5, tone = 0, stream = 'main', seconds = 150, extra = [] } = {}) {
  const args = ['publish', '--server', `http://127.0.0.1:${port}`, '--sdkappid', String(APP1.sdkAppId), '--room', String(room),
    '--user', user, '--usersig', userSig(APP1, user), '--size', size, '--fps', String(fps), '--bitrate', '80',
    '--duration', String(seconds), '--plain', '--color', hex(colour), '--stream', stream];
  args.push(...extra);
  if (tone > 0) args.push('--tone', String(tone));
  else args.push('--no-audio');
  return spawn(BIN, args, { stdio: 'ignore' });
}

export const hex = ([r, g, b]) => `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;

/** @n colours of full saturation and evenly spaced hues, far apart after compression. */
export function palette(n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const h = (i * 360) / n;
    const f = (k) => {
      const x = (k + h / 60) % 6;
      return Math.round(255 * (1 - Math.max(0, Math.min(x, 4 - x, 1))));
    };
    out.push([f(5), f(3), f(1)]);
  }
  return out;
}

// Edges are rounded from fractions of the canvas, one edge at a time (tiles that touch in
// fractions touch in pixels).
function fracRect(W, H, fx, fy, fw, fh) {
  const x0 = Math.round(fx * W), y0 = Math.round(fy * H);
  return { x: x0, y: y0, w: Math.round((fx + fw) * W) - x0, h: Math.round((fy + fh) * H) - y0 };
}

/** Grid: 1/1, 1/2 wide, 1/2, 1/3, 1/4, 1/5 tiles for 1, 2, <=4, <=9, <=16, <=25 users; a partial
 * last row centred, the rows in use centred. */
export function gridRects(W, H, n) {
  const cols = n === 1 ? 1 : n <= 4 ? 2 : n <= 9 ? 3 : n <= 16 ? 4 : 5;
  const gridRows = n === 2 ? 1 : cols;
  const rows = Math.ceil(n / cols);
  const tw = 1 / cols, th = 1 / gridRows;
  const top = ((gridRows - rows) * th) / 2;
  const out = [];
  for (let i = 0; i < n; i++) {
    const row = Math.floor(i / cols), col = i % cols;
    const inRow = row === rows - 1 ? n - row * cols : cols;
    const left = ((cols - inRow) * tw) / 2;
    out.push(fracRect(W, H, left + col * tw, top + row * th, tw, th));
  }
  return out;
}

/** Floating: the first tile fills the canvas; the others 0.235 of it with 0.012 gaps, 4 a row
 * from the bottom-left (<= 17 pictures). */
export function floatingRects(W, H, n) {
  const out = [fracRect(W, H, 0, 0, 1, 1)];
  const size = n <= 17 ? 0.235 : 0.188, gap = n <= 17 ? 0.012 : 0.01, perRow = n <= 17 ? 4 : 5;
  for (let k = 0; k < n - 1; k++) {
    const row = Math.floor(k / perRow), col = k % perRow;
    out.push(fracRect(W, H, gap + col * (size + gap), 1 - gap - size - row * (size + gap), size, size));
  }
  return out;
}

/** Screen share (<= 5 pictures): the big one 4/5 wide on the left, the others 1/5 x 1/4 down the
 * right-hand column. */
export function screenShareRects(W, H, n) {
  const out = [fracRect(W, H, 0, 0, 4 / 5, 1)];
  for (let k = 0; k < n - 1; k++) out.push(fracRect(W, H, 4 / 5, k / 4, 1 / 5, 1 / 4));
  return out;
}

/** One decoded frame at @seconds into @file, as RGB bytes. */
export function frameAt(file, seconds, W, H) {
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-ss', seconds.toFixed(2), '-i', file, '-frames:v', '1', '-f', 'rawvideo',
    '-pix_fmt', 'rgb24', '-'], { maxBuffer: W * H * 3 + 1024 });
  const listed = [...readFileSync(file, 'utf8').matchAll(/#EXTINF:([\d.]+),/g)].reduce((a, m) => a + Number(m[1]), 0);
  assert.equal(raw.length, W * H * 3, `a ${W}x${H} frame at ${seconds} s of ${file} (${listed.toFixed(1)} s listed)`);
  return { raw, W, H };
}

export function pixel(frame, x, y) {
  const i = (y * frame.W + x) * 3;
  return [frame.raw[i], frame.raw[i + 1], frame.raw[i + 2]];
}

const dist = (a, b) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

/** The colour at (x, y) is @want (each channel within @tol). */
export function assertColour(frame, x, y, want, what, tol = 40) {
  const got = pixel(frame, x, y);
  assert.ok(dist(got, want) <= tol, `${what}: pixel (${x},${y}) is ${hex(got)}, expected ${hex(want)}`);
}

/** The centre and points 2 px inside the middle of each edge of @r are @want. */
export function assertRect(frame, r, want, what, tol = 40) {
  const cx = r.x + Math.floor(r.w / 2), cy = r.y + Math.floor(r.h / 2);
  const points = [[cx, cy], [r.x + 2, cy], [r.x + r.w - 3, cy], [cx, r.y + 2], [cx, r.y + r.h - 3]];
  for (const [x, y] of points) assertColour(frame, x, y, want, `${what} ${JSON.stringify(r)}`, tol);
}

/** The first segment's wall-clock start (ms) of an HLS playlist, from its FILE-ATTR. */
export function playlistStartMs(m3u8) {
  const m = readFileSync(m3u8, 'utf8').match(/#EXT-X-TRTC-FILE-ATTR:(\d+),/);
  assert.ok(m, `${m3u8} lists a segment`);
  return Number(m[1]);
}

/** Mono 16 kHz samples of @file's audio from @from for @seconds. */
export function audioSamples(file, from, seconds) {
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-ss', String(from), '-t', String(seconds), '-i', file, '-vn', '-ac', '1', '-ar', '16000',
    '-f', 's16le', '-'], { maxBuffer: 64 * 1024 * 1024 });
  return new Int16Array(raw.buffer, raw.byteOffset, raw.length / 2);
}

/** Goertzel power of @hz in @samples (16 kHz), normalised by the count. */
export function tonePower(samples, hz) {
  const k = (2 * Math.PI * hz) / 16000;
  const coeff = 2 * Math.cos(k);
  let s1 = 0, s2 = 0;
  for (const x of samples) {
    const s0 = x / 32768 + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - coeff * s1 * s2) / samples.length;
}

// ---- a PNG writer (RGBA, no filter) for the images the tests serve ----

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A @w x @h PNG whose pixel (x, y) is @paint(x, y) = [r, g, b, a]. */
export function png(w, h, paint) {
  const rows = [];
  for (let y = 0; y < h; y++) {
    const row = Buffer.alloc(1 + w * 4);
    for (let x = 0; x < w; x++) Buffer.from(paint(x, y)).copy(row, 1 + x * 4);
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}
