// The VOD library (docs/storage.md "VOD library"): a worker commits a finished recording through
// POST /internal/vod/{SdkAppId}/{TaskId} on the link; the daemon stores it under <data-dir>/vod,
// answers a FileId and a VideoUrl signed with Tencent VOD's key hotlink protection scheme
// (md5(KEY + Dir + t + us)), and serves it on /vod/<FileId>/<name> only with a valid unexpired
// signature: whole, by single Range, HEAD; HLS playlists with their segment URIs signed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { APP1, startDaemon, makeClient, createTask, linkRequest, until, makeTmpDir } from './helpers.mjs';

const T = { timeout: 120000 };

function ffmpeg(args) {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args], { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, `ffmpeg ${args.join(' ')}: ${r.stderr}`);
}

/** A raw GET/HEAD on the daemon's port with the path sent exactly as given (no normalisation). */
function raw(port, method, urlPath, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const md5 = (s) => createHash('md5').update(s).digest('hex');

/** A URL of @fileId/@name signed with @key expiring at @expiry (Unix s), as a client would make it. */
function signedPath(key, fileId, name, expiry, us = 'abcdef0123') {
  const dir = `/vod/${fileId}/`;
  const t = expiry.toString(16);
  return `${dir}${encodeURIComponent(name)}?t=${t}&us=${us}&sign=${md5(key + dir + t + us)}`;
}

describe('the VOD library', () => {
  let d;
  let key;
  let taskId;
  let mp4Path;
  let mp4Bytes;
  let hlsPlaylist;
  const vod = {};

  before(async () => {
    d = await startDaemon({ args: ['--vod-url-ttl', '600'] });
    const c = makeClient(d.port, APP1);
    taskId = await createTask(c);
    const rec = path.join(d.dataDir, 'spool-test');
    mkdirSync(path.join(rec, 'hls'), { recursive: true });
    mp4Path = path.join(rec, 'a.mp4');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc=duration=2:size=160x120:rate=15', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', mp4Path]);
    mp4Bytes = readFileSync(mp4Path);
    hlsPlaylist = path.join(rec, 'hls', 'play.m3u8');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc=duration=3:size=160x120:rate=15', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-g', '15',
      '-f', 'hls', '-hls_time', '1', '-hls_list_size', '0', '-hls_segment_filename', path.join(rec, 'hls', 'seg_%d.ts'), hlsPlaylist]);
    const keyFile = path.join(d.dataDir, 'vod-url.key');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    key = readFileSync(keyFile, 'utf8').trim();
    assert.match(key, /^[A-Za-z0-9]{32}$/);
  });
  after(async () => {
    await d.stop();
  });

  test('an MP4 commit answers a FileId and a signed VideoUrl that serves the same bytes', T, async () => {
    const r = await linkRequest(d, 'POST', `/internal/vod/${APP1.sdkAppId}/${taskId}`, {
      Path: mp4Path, Kind: 'mp4', Name: 'rec.mp4', UserId: 'alice', TrackType: 'audio_video', MediaId: 'main',
      TencentVod: { Procedure: 'p1', ExpireTime: 0, SubAppId: 7, ClassId: 3, SessionContext: 'sc', SourceContext: 'src', UserDefineRecordId: 'my_rec-1' },
    });
    assert.equal(r.status, 200, r.text);
    assert.match(r.json.FileId, /^\d{19}$/);
    assert.equal(r.json.CacheFile, 'my_rec-1__UserDefine_u_rec.mp4');
    assert.equal(r.json.Size, mp4Bytes.length);
    assert.equal(r.json.ExpireAt, 0);
    const url = new URL(r.json.VideoUrl);
    assert.equal(url.origin, `http://127.0.0.1:${d.port}`);
    assert.equal(url.pathname, `/vod/${r.json.FileId}/${r.json.CacheFile}`);
    assert.deepEqual([...url.searchParams.keys()], ['t', 'us', 'sign']);
    // The documented rule, recomputed here: md5(KEY + Dir + t + us).
    assert.equal(url.searchParams.get('sign'), md5(key + `/vod/${r.json.FileId}/` + url.searchParams.get('t') + url.searchParams.get('us')));
    const expiry = parseInt(url.searchParams.get('t'), 16);
    const now = Math.floor(Date.now() / 1000);
    assert.ok(expiry > now + 500 && expiry <= now + 601, `t ${expiry} vs now ${now} + ttl 600`);
    Object.assign(vod, { mp4: r.json, mp4Url: url.pathname + url.search });

    const meta = JSON.parse(readFileSync(path.join(d.dataDir, 'vod', r.json.FileId, 'meta.json'), 'utf8'));
    assert.equal(meta.TaskId, taskId);
    assert.equal(meta.SdkAppId, APP1.sdkAppId);
    assert.equal(meta.Procedure, 'p1');
    assert.equal(meta.SubAppId, 7);
    assert.equal(meta.ClassId, 3);
    assert.equal(meta.SessionContext, 'sc');
    assert.equal(meta.SourceContext, 'src');
    assert.equal(meta.UserId, 'alice');
    assert.equal(meta.MediaId, 'main');
    assert.deepEqual(meta.Files, [r.json.CacheFile]);

    const full = await raw(d.port, 'GET', vod.mp4Url);
    assert.equal(full.status, 200);
    assert.equal(full.headers['content-type'], 'video/mp4');
    assert.equal(full.headers['accept-ranges'], 'bytes');
    assert.ok(full.body.equals(mp4Bytes), 'the served bytes are the committed file');
  });

  test('single ranges: 206 with exact slices, 416 past the end, HEAD', T, async () => {
    const n = mp4Bytes.length;
    for (const [range, start, end] of [['bytes=0-99', 0, 99], ['bytes=1000-1999', 1000, 1999], ['bytes=-300', n - 300, n - 1], [`bytes=${n - 10}-`, n - 10, n - 1]]) {
      const r = await raw(d.port, 'GET', vod.mp4Url, { Range: range });
      assert.equal(r.status, 206, range);
      assert.equal(r.headers['content-range'], `bytes ${start}-${end}/${n}`);
      assert.equal(Number(r.headers['content-length']), end - start + 1);
      assert.ok(r.body.equals(mp4Bytes.subarray(start, end + 1)), `${range}: the exact slice`);
    }
    const past = await raw(d.port, 'GET', vod.mp4Url, { Range: `bytes=${n}-` });
    assert.equal(past.status, 416);
    assert.equal(past.headers['content-range'], `bytes */${n}`);
    const head = await raw(d.port, 'HEAD', vod.mp4Url);
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers['content-length']), n);
    assert.equal(head.headers['content-type'], 'video/mp4');
    assert.equal(head.body.length, 0);
  });

  test('no, wrong or expired signatures are 403; an unknown FileId is 404', T, async () => {
    const { FileId, CacheFile } = vod.mp4;
    const bare = await raw(d.port, 'GET', `/vod/${FileId}/${CacheFile}`);
    assert.equal(bare.status, 403);
    assert.match(bare.body.toString(), /missing signature/);
    const good = new URL(vod.mp4Url, 'http://x');
    for (const [k, v] of [['sign', '0'.repeat(32)], ['t', (parseInt(good.searchParams.get('t'), 16) + 1).toString(16)], ['us', 'other']]) {
      const u = new URL(good);
      u.searchParams.set(k, v);
      const r = await raw(d.port, 'GET', u.pathname + u.search);
      assert.equal(r.status, 403, `tampered ${k}`);
    }
    // Signed with another key.
    const forged = await raw(d.port, 'GET', signedPath('NotTheKey123', FileId, CacheFile, Math.floor(Date.now() / 1000) + 600));
    assert.equal(forged.status, 403);
    // Signed with the right key but expired a minute ago.
    const expired = await raw(d.port, 'GET', signedPath(key, FileId, CacheFile, Math.floor(Date.now() / 1000) - 60));
    assert.equal(expired.status, 403);
    assert.match(expired.body.toString(), /expired/);
    // The same signature made fresh: served (the expired one failed for its t, nothing else).
    const fresh = await raw(d.port, 'GET', signedPath(key, FileId, CacheFile, Math.floor(Date.now() / 1000) + 60));
    assert.equal(fresh.status, 200);
    // A well-signed URL of an entry that does not exist.
    const unknown = await raw(d.port, 'GET', signedPath(key, '5000000000000000001', 'x.mp4', Math.floor(Date.now() / 1000) + 60));
    assert.equal(unknown.status, 404);
    // A name the entry does not list (its metadata), even with a valid signature of the directory.
    const meta = await raw(d.port, 'GET', signedPath(key, FileId, 'meta.json', Math.floor(Date.now() / 1000) + 60));
    assert.notEqual(meta.status, 200);
    const other = await raw(d.port, 'GET', signedPath(key, FileId, 'other.mp4', Math.floor(Date.now() / 1000) + 60));
    assert.equal(other.status, 404);
  });

  test('traversal never leaves the library', T, async () => {
    const { FileId } = vod.mp4;
    const exp = Math.floor(Date.now() / 1000) + 60;
    const q = new URL(signedPath(key, FileId, 'x', exp), 'http://x').search;
    writeFileSync(path.join(d.dataDir, 'secret.txt'), 'secret');
    for (const p of [
      `/vod/${FileId}/../../secret.txt`, `/vod/${FileId}/%2e%2e%2f%2e%2e%2fsecret.txt`, `/vod/${FileId}/..%2F..%2Fsecret.txt`,
      `/vod/${FileId}/%2e%2e`, `/vod/${FileId}/a%00.mp4`, `/vod/../vod-url.key`, `/vod/${FileId}/sub/x.mp4`,
      `/vod/${FileId}/.meta.json.tmp`,
    ]) {
      const r = await raw(d.port, 'GET', p + q);
      assert.ok(r.status === 400 || r.status === 404, `${p}: ${r.status}`);
      assert.ok(!r.body.toString().includes('secret') && !r.body.toString().includes(key), `${p} leaked`);
    }
  });

  test('an HLS commit: the playlist carries the signature on its segments and ffprobe plays it', T, async () => {
    const r = await linkRequest(d, 'POST', `/internal/vod/${APP1.sdkAppId}/${taskId}`, { Path: hlsPlaylist, Kind: 'hls', Name: 'rec.m3u8' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.CacheFile, 'rec.m3u8');
    const url = new URL(r.json.VideoUrl);
    const list = await raw(d.port, 'GET', url.pathname + url.search);
    assert.equal(list.status, 200);
    assert.equal(list.headers['content-type'], 'application/vnd.apple.mpegurl');
    const lines = list.body.toString().split('\n');
    const segs = lines.filter((l) => l && !l.startsWith('#'));
    assert.ok(segs.length >= 3, list.body.toString());
    for (const s of segs) assert.equal(s, `${s.split('?')[0]}${url.search}`, 'each segment carries the signature');
    assert.ok(lines.includes('#EXT-X-ENDLIST'));
    // A segment fetched with the playlist's signature, and without it.
    const seg = segs[0].split('?')[0];
    const segOk = await raw(d.port, 'GET', `${path.posix.dirname(url.pathname)}/${seg}${url.search}`);
    assert.equal(segOk.status, 200);
    assert.equal(segOk.headers['content-type'], 'video/mp2t');
    assert.ok(segOk.body.equals(readFileSync(path.join(path.dirname(hlsPlaylist), seg))));
    assert.equal((await raw(d.port, 'GET', `${path.posix.dirname(url.pathname)}/${seg}`)).status, 403);
    const probe = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', r.json.VideoUrl],
      { encoding: 'utf8', timeout: 60000 });
    assert.equal(probe.status, 0, probe.stderr);
    const duration = Number(probe.stdout.trim());
    assert.ok(Math.abs(duration - 3) < 0.5, `ffprobe duration ${probe.stdout}`);
  });

  test('ExpireTime: the entry answers 404 once it passed (before any sweep)', T, async () => {
    const r = await linkRequest(d, 'POST', `/internal/vod/${APP1.sdkAppId}/${taskId}`,
      { Path: mp4Path, Kind: 'mp4', Name: 'short.mp4', TencentVod: { ExpireTime: 1 } });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.ExpireAt > 0);
    const url = new URL(r.json.VideoUrl);
    // Served right after the commit unless the second already passed on a slow machine.
    const first = await raw(d.port, 'GET', url.pathname + url.search);
    assert.ok(first.status === 200 || Date.now() / 1000 >= r.json.ExpireAt, `first GET ${first.status}`);
    await until('the expired entry to answer 404', async () => (await raw(d.port, 'GET', url.pathname + url.search)).status === 404, 20000);
    assert.ok(Date.now() / 1000 >= r.json.ExpireAt);
  });

  test('the link refuses paths outside the data directory and bad input', T, async () => {
    const outside = path.join(makeTmpDir('cloudrec-vod-out-'), 'x.mp4');
    writeFileSync(outside, mp4Bytes);
    const base = `/internal/vod/${APP1.sdkAppId}/${taskId}`;
    const entriesBefore = readdirSync(path.join(d.dataDir, 'vod')).sort();
    for (const [body, why] of [
      [{ Path: outside, Kind: 'mp4', Name: 'x.mp4' }, 'outside the data dir'],
      [{ Path: path.join(d.dataDir, '..', path.basename(path.dirname(outside)), 'x.mp4'), Kind: 'mp4', Name: 'x.mp4' }, 'dot-dot out'],
      [{ Path: '/etc/passwd', Kind: 'mp4', Name: 'x.mp4' }, '/etc/passwd'],
      [{ Path: path.join(d.dataDir, 'vod-url.key'), Kind: 'mp4', Name: 'k.mp4' }, 'the key'],
      [{ Path: 'spool-test/a.mp4', Kind: 'mp4', Name: 'x.mp4' }, 'relative'],
      [{ Path: mp4Path, Kind: 'flv', Name: 'x.mp4' }, 'kind'],
      [{ Path: mp4Path, Kind: 'mp4', Name: '../x.mp4' }, 'name'],
      [{ Path: mp4Path, Kind: 'mp4', Name: 'x.mp4', TencentVod: { UserDefineRecordId: 'bad/id' } }, 'record id'],
    ]) {
      const r = await linkRequest(d, 'POST', base, body);
      assert.equal(r.status, 400, `${why}: ${r.text}`);
      assert.equal(r.json.Code, 'InvalidParameter', why);
    }
    assert.deepEqual(readdirSync(path.join(d.dataDir, 'vod')).sort(), entriesBefore, 'nothing stored, nothing left behind');
    const noTask = await linkRequest(d, 'POST', `/internal/vod/${APP1.sdkAppId}/nosuchtask`, { Path: mp4Path, Kind: 'mp4', Name: 'x.mp4' });
    assert.equal(noTask.status, 404);
    // The link still commits good input after those.
    const r = await linkRequest(d, 'POST', base, { Path: mp4Path, Kind: 'mp4', Name: 'ok.mp4' });
    assert.equal(r.status, 200);
    // And the link is not on the TCP port.
    const tcp = await fetch(`http://127.0.0.1:${d.port}${base}`, { method: 'POST', body: JSON.stringify({ Path: mp4Path, Kind: 'mp4', Name: 'x.mp4' }) });
    assert.equal(tcp.status, 404);
  });
});

describe('VOD settings', () => {
  test('vod-url-key and public-url shape the VideoUrl; the key survives a restart when generated', T, async () => {
    const d = await startDaemon({ args: ['--vod-url-key', 'FixedKey12345678', '--public-url', 'https://vod.example.test/base/'] });
    try {
      const taskId = await createTask(makeClient(d.port, APP1));
      const f = path.join(d.dataDir, 'in.aac');
      ffmpeg(['-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'aac', '-f', 'adts', f]);
      const r = await linkRequest(d, 'POST', `/internal/vod/${APP1.sdkAppId}/${taskId}`, { Path: f, Kind: 'aac', Name: 'a.aac' });
      assert.equal(r.status, 200, r.text);
      const url = new URL(r.json.VideoUrl);
      assert.equal(url.origin + url.pathname, `https://vod.example.test/base/vod/${r.json.FileId}/a.aac`);
      // Signed over the path the daemon serves (/vod/...), with the configured key.
      assert.equal(url.searchParams.get('sign'), md5('FixedKey12345678' + `/vod/${r.json.FileId}/` + url.searchParams.get('t') + url.searchParams.get('us')));
      assert.equal(existsSync(path.join(d.dataDir, 'vod-url.key')), false);
      const got = await raw(d.port, 'GET', `/vod/${r.json.FileId}/a.aac${url.search}`);
      assert.equal(got.status, 200);
      assert.equal(got.headers['content-type'], 'audio/aac');
      assert.ok(got.body.equals(readFileSync(f)));
    } finally {
      await d.stop();
    }
    const d1 = await startDaemon();
    const k1 = readFileSync(path.join(d1.dataDir, 'vod-url.key'), 'utf8');
    await d1.stop();
    const d2 = await startDaemon({ dataDir: d1.dataDir });
    try {
      assert.equal(readFileSync(path.join(d2.dataDir, 'vod-url.key'), 'utf8'), k1);
    } finally {
      await d2.stop();
    }
  });
});
