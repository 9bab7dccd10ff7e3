// `cloudrec board-render` (step 11): a synthetic board log with ops at known board times is made
// into a user's single-stream HLS recording; every frame is decoded (ffmpeg) and each element must
// appear in the first frame at or after its ts (within one frame, 1/15 s), pages, undo and clear
// must show, the duration must be to - from, the playlist must carry the recorder's TRTC tags,
// and `cloudrec compose` must take the directory as it takes a camera's. Bad entries only warn;
// bad options name the option, an unreadable log names the file.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BIN, makeTmpDir } from './helpers.mjs';

const T = { timeout: 180000 };
const W = 320, H = 180, FPS = 15;
const FROM = 1768908632500; // a board time (Unix ms)
const TO = FROM + 12000; // two segments (10 s each)
const USER = 'tic_record_user_1234_7';

const op = (seq, dt, body) => ({ t: 'op', seq, ts: FROM + dt, user: 'teacher', op: body });
// Where each element is, in fractions of the picture, and its colour.
const STROKE_AT = [0.25, 0.5], RECT_AT = [0.7, 0.25], TEXT_BOX = [0.1, 0.7, 0.5, 0.85];
const LOG = [
  op(2, 2037, { kind: 'shape', id: 'r1', page: 0, shape: 'rect', color: '#000000', width: 0.01, fill: '#0000ff', x0: 0.5, y0: 0.1, x1: 0.9, y1: 0.4 }),
  op(1, 1000, { kind: 'stroke', id: 's1', page: 0, color: '#ff0000', width: 0.04, points: [[0.1, 0.5], [0.25, 0.5], [0.4, 0.5]] }),
  { t: 'chat', seq: 3, ts: FROM + 2500, user: 'teacher', text: 'look' },
  op(4, 3500, { kind: 'text', id: 't1', page: 0, color: '#000000', size: 0.1, x: 0.1, y: 0.7, text: 'HHHH' }),
  op(5, 3600, { kind: 'spray', id: 'x' }), // unknown kind: warned, skipped
  'junk', // not an entry: warned, skipped
  op(6, 4500, { kind: 'page', action: 'add', page: 1 }),
  op(7, 5000, { kind: 'page', action: 'goto', page: 0 }),
  op(8, 5600, { kind: 'undo', id: 's1' }),
  op(9, 6300, { kind: 'clear', page: 0 }),
];
// What each element's presence must be, by board time: [from, until) (ms after FROM).
const SHOWN = {
  stroke: [[1000, 4500], [5000, 5600]],
  rect: [[2037, 4500], [5000, 6300]],
  text: [[3500, 4500], [5000, 6300]],
};

const near = (p, want, tol = 60) => p.every((v, i) => Math.abs(v - want[i]) <= tol);

function render(dir, extra = []) {
  const log = path.join(dir, 'board.json');
  writeFileSync(log, JSON.stringify(LOG));
  const out = path.join(dir, 'rec');
  const r = spawnSync(BIN, ['board-render', '--log', log, '--width', String(W), '--height', String(H), '--from', String(FROM), '--to', String(TO),
    '--user-id', USER, '--out', out, ...extra], { encoding: 'utf8', timeout: 120000 });
  return { ...r, out, log };
}

/** Every frame of the recording: [{ pts (s since START-REC-TIME), rgb }] (the segments in order). */
function decodeAll(out, playlist) {
  const text = readFileSync(playlist, 'utf8');
  const segments = text.split('\n').filter((l) => l && !l.startsWith('#'));
  const joined = path.join(out, '..', 'all.ts');
  writeFileSync(joined, Buffer.concat(segments.map((s) => readFileSync(path.join(out, s)))));
  const pts = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', joined], { encoding: 'utf8' })
    .split('\n').map((l) => l.replace(/,.*$/, '').trim()).filter((l) => l !== '').map(Number); // side data adds lines
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-copyts', '-i', joined, '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    { maxBuffer: (pts.length + 2) * W * H * 3 });
  assert.equal(raw.length, pts.length * W * H * 3, 'one picture per frame');
  return pts.map((p, i) => ({ pts: p, rgb: raw.subarray(i * W * H * 3, (i + 1) * W * H * 3) }));
}

const px = (f, fx, fy) => {
  const i = (Math.floor(fy * H) * W + Math.floor(fx * W)) * 3;
  return [f.rgb[i], f.rgb[i + 1], f.rgb[i + 2]];
};
const has = {
  stroke: (f) => near(px(f, ...STROKE_AT), [255, 0, 0]),
  rect: (f) => near(px(f, ...RECT_AT), [0, 0, 255]),
  text: (f) => {
    let dark = 0;
    for (let y = Math.floor(TEXT_BOX[1] * H); y < TEXT_BOX[3] * H; y++)
      for (let x = Math.floor(TEXT_BOX[0] * W); x < TEXT_BOX[2] * W; x++) {
        const i = (y * W + x) * 3;
        if (f.rgb[i] < 80 && f.rgb[i + 1] < 80 && f.rgb[i + 2] < 80) dark++;
      }
    return dark > 30;
  },
};

describe('board-render', () => {
  test('a board log becomes a single-stream recording: each element at its ts within a frame', T, () => {
    const dir = makeTmpDir('cloudrec-board-');
    const r = render(dir);
    assert.equal(r.status, 0, r.stderr);
    // The bad entries are warnings naming the log, and the rest renders.
    assert.match(r.stderr, /warning: .*board\.json: entry 5 is not an object/);
    assert.match(r.stderr, /warning: .*board\.json: op seq 5 .*kind "spray" is unknown/);
    const summary = JSON.parse(r.stdout.trim());
    assert.equal(summary.Frames, (TO - FROM) / 1000 * FPS);
    assert.ok(summary.Pictures < 20, `pictures drawn only when the board changed (${summary.Pictures})`);

    // The playlist: the recorder's single-stream tags, named for the user.
    const names = readdirSync(r.out);
    const playlist = path.join(r.out, names.find((n) => n.endsWith('_video.m3u8')));
    assert.equal(playlist, summary.Playlist.startsWith('/') ? summary.Playlist : path.resolve(summary.Playlist));
    const b64 = Buffer.from(USER).toString('base64').replace(/\//g, '-').replace(/=/g, '.');
    assert.equal(path.basename(playlist), `0_1234__UserId_s_${b64}__UserId_e_main_video.m3u8`);
    const m3u8 = readFileSync(playlist, 'utf8');
    assert.match(m3u8, new RegExp(`^#EXT-X-TRTC-USER-ID:${USER}$`, 'm'));
    assert.match(m3u8, /^#EXT-X-TRTC-MIX-STREAM:0$/m);
    assert.match(m3u8, /^#EXT-X-TRTC-STREAM-TYPE:1$/m);
    assert.match(m3u8, /^#EXT-X-TRTC-MEDIA-ID:main$/m);
    assert.match(m3u8, new RegExp(`^#EXT-X-TRTC-VIDEO-METADATA:WIDTH:${W} HEIGHT:${H} Codec:27$`, 'm'));
    assert.match(m3u8, /#EXT-X-ENDLIST\n$/);
    const startRec = Number(m3u8.match(/^#EXT-X-TRTC-START-REC-TIME:(\d+)$/m)[1]);
    const attrs = [...m3u8.matchAll(/^#EXT-X-TRTC-FILE-ATTR:(\d+),(\d+)$/gm)].map((m) => Number(m[1]));
    assert.equal(attrs[0], FROM, 'the first segment starts at the first frame\'s board time');
    assert.ok(startRec <= FROM && FROM - startRec < 1000, `START-REC-TIME ${startRec} just before ${FROM}`);
    const listed = [...m3u8.matchAll(/^#EXTINF:([\d.]+),$/gm)].reduce((a, m) => a + Number(m[1]), 0);
    assert.ok(Math.abs(listed - (TO - FROM) / 1000) <= 1 / FPS + 0.01, `${listed} s listed for ${(TO - FROM) / 1000} s`);
    assert.equal(attrs.length, 2, 'a 10 s segment and the rest');
    assert.ok(Math.abs(attrs[1] - (FROM + 10000)) <= 1000 / FPS, `the second segment at +${attrs[1] - FROM} ms`);

    // Every frame: its board time is START-REC-TIME + its PTS (as for a camera's recording).
    const frames = decodeAll(r.out, playlist);
    assert.equal(frames.length, (TO - FROM) / 1000 * FPS);
    const boardMs = (f) => startRec + f.pts * 1000;
    assert.ok(Math.abs(boardMs(frames[0]) - FROM) <= 2, `first frame at ${boardMs(frames[0]) - FROM} ms`);
    assert.ok(Math.abs(boardMs(frames.at(-1)) - (TO - 1000 / FPS)) <= 2, 'the last frame one frame before the end');
    const frameMs = 1000 / FPS;
    for (const [what, spans] of Object.entries(SHOWN)) {
      for (const f of frames) {
        const t = boardMs(f) - FROM;
        const want = spans.some(([a, b]) => t >= a && t < b);
        // Within one frame of an edge a frame may go either way (rounding of the PTS).
        const edge = spans.some(([a, b]) => Math.abs(t - a) < frameMs || Math.abs(t - b) < frameMs);
        if (!edge) assert.equal(has[what](f), want, `${what} at +${t.toFixed(0)} ms: ${want ? 'missing' : 'shown'}`);
      }
      // The first frame showing it is within one frame after the op's ts.
      for (const [a] of spans) {
        const first = frames.find((f) => boardMs(f) - FROM >= a - frameMs && has[what](f));
        assert.ok(first, `${what} appears after +${a} ms`);
        const late = boardMs(first) - FROM - a;
        assert.ok(late >= -2 && late < frameMs + 2, `${what} at +${a} ms appears ${late.toFixed(1)} ms later`);
      }
    }
    // White where nothing is drawn.
    for (const f of [frames[0], frames.at(-1)]) assert.ok(near(px(f, 0.3, 0.2), [255, 255, 255], 20));
    console.log(`board-render: ${summary.Frames} frames, ${summary.Pictures} pictures, ${summary.Segments} segments, ${listed.toFixed(3)} s in ${summary.WallS} s`);

    // compose takes the directory as a camera's recording: the board fills the picture in time.
    const mp4 = path.join(dir, 'composed.mp4');
    const params = { MixTranscodeParams: { VideoParams: { Width: W, Height: H, Fps: FPS, BitRate: 300000, Gop: 2 } } };
    const c = spawnSync(BIN, ['compose', '--in', r.out, '--out', mp4, '--params', JSON.stringify(params)], { encoding: 'utf8', timeout: 120000 });
    assert.equal(c.status, 0, c.stderr);
    const dur = Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', mp4], { encoding: 'utf8' }));
    assert.ok(Math.abs(dur - (TO - FROM) / 1000) < 0.5, `composed ${dur} s`);
    const grab = (s) => ({ rgb: execFileSync('ffmpeg', ['-v', 'error', '-ss', s.toFixed(2), '-i', mp4, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']) });
    assert.ok(!has.rect(grab(1.5)), 'no rectangle before its ts in the composed file');
    assert.ok(has.rect(grab(3.0)), 'the rectangle after its ts in the composed file');
  });

  test('options and files are named in errors', T, () => {
    const dir = makeTmpDir('cloudrec-board-');
    const odd = render(dir, ['--width', '321']);
    assert.equal(odd.status, 2);
    assert.match(odd.stderr, /--width 321/);
    const back = spawnSync(BIN, ['board-render', '--log', 'x.json', '--width', '320', '--height', '180', '--from', '2000', '--to', '1000', '--user-id', 'u', '--out', dir], { encoding: 'utf8' });
    assert.equal(back.status, 2);
    assert.match(back.stderr, /--to 1000 must be after --from 2000/);
    const noLog = spawnSync(BIN, ['board-render', '--width', '320', '--height', '180', '--from', '1000', '--to', '2000', '--user-id', 'u', '--out', dir], { encoding: 'utf8' });
    assert.equal(noLog.status, 2);
    assert.match(noLog.stderr, /--log FILE\.json is required/);
    const missing = path.join(dir, 'missing.json');
    const gone = spawnSync(BIN, ['board-render', '--log', missing, '--width', '320', '--height', '180', '--from', '1000', '--to', '2000', '--user-id', 'u', '--out', dir], { encoding: 'utf8' });
    assert.equal(gone.status, 1);
    assert.ok(gone.stderr.includes(`--log ${missing}`), gone.stderr);
    const notLog = path.join(dir, 'n.json');
    writeFileSync(notLog, '{"hello":1}');
    const wrong = spawnSync(BIN, ['board-render', '--log', notLog, '--width', '320', '--height', '180', '--from', '1000', '--to', '2000', '--user-id', 'u', '--out', dir], { encoding: 'utf8' });
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /n\.json is neither a JSON array/);
  });
});
