// Step 6: recordings reach the user's object store through the spool and the uploader, and are
// never lost on the way. A real S3-compatible server (moto_server, signature checks on) stands
// in for COS / AWS S3 through `--storage-endpoint VENDOR=URL`; boto3 looks at what landed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { APP1, BIN, startDaemon, makeClient, userSig, sleep, until, callbackServer, expectCode } from './helpers.mjs';
import { startMoto, motoAvailable } from './s3.mjs';

const T = { timeout: 240000 };
const CALLBACK_KEY = 'storageKey1';
const BUCKET = 'rec-bucket-1250000000';
const b64name = (s) => Buffer.from(s).toString('base64').replaceAll('/', '-').replaceAll('=', '.');
const skip = !motoAvailable() && 'moto_server is not installed';

function publish(port, { room, strRoom, user, seconds = 120, args = [] }) {
  const where = strRoom !== undefined ? ['--str-room', strRoom] : ['--room', String(room)];
  return spawn(BIN, ['publish', '--server', `http://127.0.0.1:${port}`, '--sdkappid', String(APP1.sdkAppId), ...where,
    '--user', user, '--usersig', userSig(APP1, user), '--size', '320x180', '--fps', '10', '--duration', String(seconds), ...args], { stdio: 'ignore' });
}

/** Files left under @dir (recursively). */
function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

/** The segments a stored playlist lists, with their FILE-ATTR sizes. */
function listedSegments(text) {
  return [...text.matchAll(/#EXT-X-TRTC-FILE-ATTR:(\d+),(\d+)\n#EXTINF:([\d.]+),\n(.+)\n/g)]
    .map(([, start, bytes, extinf, uri]) => ({ start: Number(start), bytes: Number(bytes), extinf: Number(extinf), uri }));
}

function events(cb, taskId) {
  return cb.received.filter((r) => r.json?.EventInfo?.TaskId === taskId);
}

describe('recordings in an S3-compatible store', { skip }, () => {
  let s3; // Vendor 1, signatures checked
  let open; // Vendor 0, signatures not checked (keys with '+': see s3.mjs)
  let d;
  let c;
  let cb;
  const procs = [];
  const storage = (overrides = {}, server = s3) => ({
    CloudStorage: { Vendor: server === s3 ? 1 : 0, Region: 'us-east-1', Bucket: BUCKET, AccessKey: server.accessKey, SecretKey: server.secretKey, FileNamePrefix: ['rec', 's3'], ...overrides },
  });
  before(async () => {
    [s3, open] = await Promise.all([startMoto([BUCKET]), startMoto([BUCKET], { checked: false })]);
    cb = await callbackServer();
    const app = { ...APP1, callbackKey: CALLBACK_KEY, callbackUrl: `http://127.0.0.1:${cb.port}/cb` };
    d = await startDaemon({
      apps: [app],
      defaults: ['--api-rate-limit', '100000', '--upload-timeout', '3', '--upload-retry-max', '2'],
      args: ['--storage-endpoint', `1=${s3.endpoint}`, '--storage-endpoint', `0=${open.endpoint}`],
    });
    c = makeClient(d.port, APP1);
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    s3?.resume();
    if (process.env.CLOUDREC_TEST_DEBUG) (await import('node:fs')).writeFileSync(process.env.CLOUDREC_TEST_DEBUG, d?.stderr ?? '');
    await d?.stop();
    cb?.server.close();
  });

  test('a single-stream hls+mp4 recording lands under its keys, every listed segment stored, the MP4 made from the stored HLS, the spool empty', T, async () => {
    const room = 8701;
    procs.push(publish(d.port, { room, user: 'alice' }));
    const { TaskId } = await c.CreateCloudRecording({
      SdkAppId: APP1.sdkAppId, RoomId: String(room), UserId: 'robot_s3', UserSig: userSig(APP1, 'robot_s3'),
      RecordParams: { RecordMode: 1, OutputFormat: 1 }, StorageParams: storage(),
    });
    const prefix = `rec/s3/${TaskId}/`;
    await until('segments in the bucket', async () => (await s3.list(BUCKET, prefix)).filter((o) => o.Key.endsWith('.ts')).length >= 4, 60000);
    await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
    await until('305 (upload stopped)', () => events(cb, TaskId).some((r) => r.json.EventType === 305), 60000);
    for (const p of procs.splice(0)) p.kill('SIGKILL');

    const objects = new Map((await s3.list(BUCKET, prefix)).map((o) => [o.Key.slice(prefix.length), o]));
    const stem = `${APP1.sdkAppId}_${room}__UserId_s_${b64name('alice')}__UserId_e_main`;
    for (const type of ['audio', 'video']) {
      const name = `${stem}_${type}.m3u8`;
      assert.ok(objects.has(name), `${name} stored; have ${[...objects.keys()].join(', ')}`);
      const text = (await s3.get(BUCKET, prefix + name)).toString('utf8');
      assert.ok(text.includes('#EXT-X-ENDLIST'), `${name} ended:\n${text}`);
      const segs = listedSegments(text);
      assert.ok(segs.length >= 2, `${name} lists ${segs.length} segments`);
      for (const s of segs) {
        assert.ok(objects.has(s.uri), `${s.uri}, listed in ${name}, is in the bucket`);
        assert.equal(objects.get(s.uri).Size, s.bytes, `${s.uri}: stored size = FILE-ATTR size`);
      }
      // A segment's bytes are the recording's: a TS file (sync bytes every 188).
      const first = (await s3.get(BUCKET, prefix + segs[0].uri));
      assert.equal(first.length, segs[0].bytes);
      for (let i = 0; i < first.length; i += 188) assert.equal(first[i], 0x47, `${segs[0].uri}: TS sync byte at ${i}`);
    }
    assert.ok(objects.has(`${stem}.avsync.json`), 'the A/V sync report is stored too');
    // The MP4, made from segments pulled back from the store (the spool had let them go), covers
    // the stored HLS: its duration is the playlists' span.
    assert.ok(objects.has(`${stem}.mp4`), `${stem}.mp4 stored`);
    const mp4 = path.join(d.dataDir, 'check.mp4');
    writeFileSync(mp4, (await s3.get(BUCKET, `${prefix}${stem}.mp4`)));
    const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name:format=duration', '-of', 'json', mp4], { encoding: 'utf8' }));
    assert.deepEqual(probe.streams.map((st) => st.codec_name).sort(), ['aac', 'h264']);
    const span = listedSegments((await s3.get(BUCKET, `${prefix}${stem}_video.m3u8`)).toString('utf8')).reduce((a, sg) => a + sg.extinf, 0);
    assert.ok(Math.abs(Number(probe.format.duration) - span) < 1.5, `MP4 ${probe.format.duration} s vs HLS ${span} s`);
    rmSync(mp4);
    const mp4Stop = events(cb, TaskId).find((r) => r.json.EventType === 310);
    assert.equal(mp4Stop?.json.EventInfo.Payload.Status, 0, '310 Status 0');
    // Nothing stays behind: the spool is empty and the local store never saw the task.
    await until('the spool emptied', () => filesUnder(path.join(d.dataDir, 'spool')).length === 0, 20000);
    assert.deepEqual(filesUnder(path.join(d.dataDir, 'storage', 'rec', 's3', TaskId)), []);

    // 303 before 305 Status 0, no 308; each signed over its raw body.
    const mine = events(cb, TaskId);
    const types = mine.map((r) => r.json.EventType);
    assert.ok(types.indexOf(303) >= 0 && types.indexOf(303) < types.indexOf(305), `303 then 305: ${types}`);
    assert.equal(mine.find((r) => r.json.EventType === 303).json.EventInfo.Payload.Status, 0);
    assert.equal(mine.find((r) => r.json.EventType === 305).json.EventInfo.Payload.Status, 0);
    assert.ok(!types.includes(308), `no upload error: ${types}`);
    for (const r of mine) assert.equal(r.headers.sign, createHmac('sha256', CALLBACK_KEY).update(r.raw).digest('base64'));
  });

  test('wrong keys or no such bucket: Create is refused with the store\'s answer, nothing stored', T, async () => {
    const base = {
      SdkAppId: APP1.sdkAppId, RoomId: '8801', UserId: 'robot_bad', UserSig: userSig(APP1, 'robot_bad'), RecordParams: { RecordMode: 1 },
    };
    // (a HEAD has no body: a refused signature reads as AccessDenied)
    await expectCode(c.CreateCloudRecording({ ...base, StorageParams: storage({ SecretKey: 'not-the-secret' }) }), 'FailedOperation', /AccessDenied|SignatureDoesNotMatch/);
    await expectCode(c.CreateCloudRecording({ ...base, StorageParams: storage({ AccessKey: 'AKIANOSUCHKEY0000000' }) }), 'FailedOperation', /InvalidAccessKeyId|AccessDenied|403/);
    await expectCode(c.CreateCloudRecording({ ...base, StorageParams: storage({ Bucket: 'no-such-bucket-1250000000' }) }), 'FailedOperation', /NoSuchBucket/);
    assert.deepEqual((await s3.list(BUCKET, 'rec/s3/')).filter((o) => !o.Key.includes('/ha') && o.Key.includes('8801')), []);
  });

  test('the store hangs (SIGSTOP) mid-recording: 308, 305 Status 1 at the end, then every segment arrives and 305 Status 2', T, async () => {
    const room = 8703;
    procs.push(publish(d.port, { room, user: 'carol' }));
    const { TaskId } = await c.CreateCloudRecording({
      SdkAppId: APP1.sdkAppId, RoomId: String(room), UserId: 'robot_hang', UserSig: userSig(APP1, 'robot_hang'),
      RecordParams: { RecordMode: 1, StreamType: 1 }, StorageParams: storage({ FileNamePrefix: ['hang'] }),
    });
    const prefix = `hang/${TaskId}/`;
    await until('a first segment stored', async () => (await s3.list(BUCKET, prefix)).some((o) => o.Key.endsWith('.ts')), 60000);
    s3.pause();
    try {
      await until('308 while the store hangs', () => events(cb, TaskId).some((r) => r.json.EventType === 308), 60000);
      await sleep(12000); // more segments are written into the spool meanwhile
      const state = await c.request('CloudrecDescribeTask', { SdkAppId: APP1.sdkAppId, TaskId });
      assert.equal(state.Uploads.Failing, true, JSON.stringify(state.Uploads));
      assert.ok(state.Uploads.Pending >= 1 && state.Uploads.PendingBytes > 0, JSON.stringify(state.Uploads));
      assert.ok(state.Uploads.LastError.length > 0);
      await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
      await until('305 Status 1 (kept back)', () => events(cb, TaskId).some((r) => r.json.EventType === 305), 60000);
    } finally {
      s3.resume();
    }
    for (const p of procs.splice(0)) p.kill('SIGKILL');
    await until('305 Status 2 (stored since)', () => events(cb, TaskId).filter((r) => r.json.EventType === 305).length >= 2, 120000);
    const stops = events(cb, TaskId).filter((r) => r.json.EventType === 305).map((r) => r.json.EventInfo.Payload.Status);
    assert.deepEqual(stops, [1, 2]);
    const err = events(cb, TaskId).find((r) => r.json.EventType === 308).json.EventInfo.Payload;
    assert.ok(err.Code && err.Message, `308 carries the store's Code and Message: ${JSON.stringify(err)}`);
    const keys = new Set((await s3.list(BUCKET, prefix)).map((o) => o.Key.slice(prefix.length)));
    const stem = `${APP1.sdkAppId}_${room}__UserId_s_${b64name('carol')}__UserId_e_main`;
    const text = (await s3.get(BUCKET, `${prefix}${stem}_audio.m3u8`)).toString('utf8');
    assert.ok(text.includes('#EXT-X-ENDLIST'), text);
    const segs = listedSegments(text);
    assert.ok(segs.length >= 2);
    for (const sg of segs) assert.ok(keys.has(sg.uri), `${sg.uri} arrived`);
    await until('the spool emptied', () => filesUnder(path.join(d.dataDir, 'spool')).length === 0, 20000);
  });

  test('the daemon is killed during a multipart upload and restarted: the upload completes once, byte for byte', T, async () => {
    const room = 8704;
    const d2 = await startDaemon({
      apps: [APP1],
      // 512 KiB/s: the MP4's parts go slowly enough for the kill to land mid-upload.
      defaults: ['--api-rate-limit', '100000', '--upload-timeout', '3', '--upload-retry-max', '2', '--upload-part-mb', '1', '--upload-rate-limit-kbps', '512'],
      args: ['--storage-endpoint', `1=${s3.endpoint}`],
    });
    const c2 = makeClient(d2.port, APP1);
    const pub = publish(d2.port, { room, user: 'dave', args: ['--bitrate', '2500'] });
    procs.push(pub);
    const { TaskId } = await c2.CreateCloudRecording({
      SdkAppId: APP1.sdkAppId, RoomId: String(room), UserId: 'robot_mp', UserSig: userSig(APP1, 'robot_mp'),
      RecordParams: { RecordMode: 1, OutputFormat: 3, AvMerge: 1 }, StorageParams: storage({ FileNamePrefix: ['mp'] }),
    });
    await until('InProgress', async () => (await c2.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId })).Status === 'InProgress', 60000);
    await sleep(25000); // 25 s at 2.5 Mbit/s: an MP4 of several 1 MiB parts
    await c2.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
    pub.kill('SIGKILL');
    const spoolDir = path.join(d2.dataDir, 'spool', 'mp', TaskId);
    const mp4Name = `${APP1.sdkAppId}_${room}__UserId_s_${b64name('dave')}__UserId_e_main.mp4`;
    // The moment the multipart upload has its UploadId (kept in the queue), the store is frozen
    // and the daemon killed.
    await until('the multipart upload started', () => d2.stderr.includes(`multipart upload of mp/${TaskId}/${mp4Name} started`), 120000);
    s3.pause();
    const spooled = readFileSync(path.join(spoolDir, mp4Name));
    assert.ok(spooled.length > 2 * 1024 * 1024, `an MP4 of ${spooled.length} bytes needs several parts`);
    d2.proc.kill('SIGKILL');
    await d2.exited;
    s3.resume();
    const d3 = await startDaemon({
      apps: [APP1], dataDir: d2.dataDir,
      defaults: ['--api-rate-limit', '100000', '--upload-timeout', '3', '--upload-retry-max', '2', '--upload-part-mb', '1'],
      args: ['--storage-endpoint', `1=${s3.endpoint}`],
    });
    try {
      await until('the MP4 stored', async () => (await s3.list(BUCKET, `mp/${TaskId}/`)).some((o) => o.Key.endsWith(mp4Name)), 120000);
      await until('no multipart upload left open', async () => !(await s3.uploads(BUCKET)).some((u) => u.Key.startsWith(`mp/${TaskId}/`)), 30000);
      const stored = (await s3.get(BUCKET, `mp/${TaskId}/${mp4Name}`));
      assert.equal(stored.length, spooled.length);
      assert.ok(stored.equals(spooled), 'the stored MP4 is the spooled one, byte for byte');
      assert.equal((await s3.list(BUCKET, `mp/${TaskId}/`)).filter((o) => o.Key.endsWith('.mp4')).length, 1, 'stored once');
      await until('the spool emptied', () => filesUnder(path.join(d2.dataDir, 'spool')).length === 0, 30000);
      assert.match(d3.stderr, /uploads: \d+ files and playlists of \d+ tasks resume/);
    } finally {
      await d3.stop();
    }
  });

  test('the spool reaches spool-max-mb while the store hangs: SpoolFull in status and a 308, nothing dropped, everything stored later', T, async () => {
    const room = 8705;
    const d4 = await startDaemon({
      apps: [{ ...APP1, callbackKey: CALLBACK_KEY, callbackUrl: `http://127.0.0.1:${cb.port}/cb` }],
      defaults: ['--api-rate-limit', '100000', '--upload-timeout', '3', '--upload-retry-max', '2', '--spool-max-mb', '1'],
      args: ['--storage-endpoint', `1=${s3.endpoint}`],
    });
    const c4 = makeClient(d4.port, APP1);
    try {
      procs.push(publish(d4.port, { room, user: 'erin', args: ['--bitrate', '1000'] }));
      const { TaskId } = await c4.CreateCloudRecording({
        SdkAppId: APP1.sdkAppId, RoomId: String(room), UserId: 'robot_full', UserSig: userSig(APP1, 'robot_full'),
        RecordParams: { RecordMode: 1 }, StorageParams: storage({ FileNamePrefix: ['full'] }),
      });
      const prefix = `full/${TaskId}/`;
      let deleteAt = 0;
      await until('a first segment stored', async () => (await s3.list(BUCKET, prefix)).some((o) => o.Key.endsWith('.ts')), 60000);
      s3.pause();
      try {
        await until('308 SpoolFull', () => events(cb, TaskId).some((r) => r.json.EventType === 308 && r.json.EventInfo.Payload.Code === 'FailedOperation.SpoolFull'), 90000);
        const state = await c4.request('CloudrecDescribeTask', { SdkAppId: APP1.sdkAppId, TaskId });
        assert.equal(state.Uploads.SpoolFull, true, JSON.stringify(state.Uploads));
        await sleep(6000); // recording goes on into the spool, kept back
        deleteAt = Date.now();
        await c4.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
        await until('305 Status 1', () => events(cb, TaskId).some((r) => r.json.EventType === 305), 60000);
      } finally {
        s3.resume();
      }
      for (const p of procs.splice(0)) p.kill('SIGKILL');
      await until('305 Status 2', () => events(cb, TaskId).filter((r) => r.json.EventType === 305).length >= 2, 120000);
      const keys = new Set((await s3.list(BUCKET, prefix)).map((o) => o.Key.slice(prefix.length)));
      const stem = `${APP1.sdkAppId}_${room}__UserId_s_${b64name('erin')}__UserId_e_main`;
      for (const type of ['audio', 'video']) {
        const text = (await s3.get(BUCKET, `${prefix}${stem}_${type}.m3u8`)).toString('utf8');
        assert.ok(text.includes('#EXT-X-ENDLIST'), text);
        const segs = listedSegments(text);
        // Recorded through the whole outage: the segments kept back were offered again, not
        // dropped, so the stored playlist reaches the Delete.
        const last = segs[segs.length - 1];
        assert.ok(last.start + last.extinf * 1000 >= deleteAt - 3000,
          `${type}: the stored recording ends ${(deleteAt - last.start - last.extinf * 1000) / 1000} s before the Delete`);
        for (const sg of segs) assert.ok(keys.has(sg.uri), `${sg.uri} arrived`);
      }
      await until('the spool emptied', () => filesUnder(path.join(d4.dataDir, 'spool')).length === 0, 30000);
    } finally {
      await d4.stop();
    }
  });

  test('a string room whose keys hold \'+\': stored under exactly those keys', T, async () => {
    const room = 'st>~1'; // base64 "c3Q+fjE="
    procs.push(publish(d.port, { strRoom: room, user: 'bob' }));
    const { TaskId } = await c.CreateCloudRecording({
      SdkAppId: APP1.sdkAppId, RoomId: room, RoomIdType: 0, UserId: 'robot_plus', UserSig: userSig(APP1, 'robot_plus'),
      RecordParams: { RecordMode: 1, StreamType: 1 }, StorageParams: storage({ FileNamePrefix: ['plus'] }, open),
    });
    const prefix = `plus/${TaskId}/`;
    await until('segments in the bucket', async () => (await open.list(BUCKET, prefix)).filter((o) => o.Key.endsWith('.ts')).length >= 2, 60000);
    await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
    await until('305', () => events(cb, TaskId).some((r) => r.json.EventType === 305), 60000);
    for (const p of procs.splice(0)) p.kill('SIGKILL');
    const stem = `${APP1.sdkAppId}_c3Q+fjE.__UserId_s_${b64name('bob')}__UserId_e_main`;
    const keys = (await open.list(BUCKET, prefix)).map((o) => o.Key.slice(prefix.length));
    assert.ok(keys.includes(`${stem}_audio.m3u8`), `${stem}_audio.m3u8 in ${keys.join(', ')}`);
    const text = (await open.get(BUCKET, `${prefix}${stem}_audio.m3u8`)).toString('utf8');
    for (const s of listedSegments(text)) assert.ok(keys.includes(s.uri), `${s.uri} stored`);
    assert.ok(keys.every((k) => k.startsWith(`${stem}`)), `every key is the room's: ${keys.join(', ')}`);
  });
});

describe('recordings in the VOD library (CloudVod)', () => {
  let d;
  let c;
  let cb;
  const procs = [];
  before(async () => {
    cb = await callbackServer();
    const app = { ...APP1, callbackKey: CALLBACK_KEY, callbackUrl: `http://127.0.0.1:${cb.port}/cb` };
    d = await startDaemon({ apps: [app], defaults: ['--api-rate-limit', '100000'] });
    c = makeClient(d.port, APP1);
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await d?.stop();
    cb?.server.close();
  });

  test('hls+mp4 into the library: 311 per file with FileId and a signed VideoUrl that plays, 312, StorageFileList empty, the spool emptied', T, async () => {
    const room = 8702;
    procs.push(publish(d.port, { room, user: 'alice' }));
    const vod = { MediaType: 3, SubAppId: 12345, Procedure: 'proc1', SessionContext: 'ctx-1', UserDefineRecordId: 'rec_01' };
    const { TaskId } = await c.CreateCloudRecording({
      SdkAppId: APP1.sdkAppId, RoomId: String(room), UserId: 'robot_vod', UserSig: userSig(APP1, 'robot_vod'),
      RecordParams: { RecordMode: 1 }, StorageParams: { CloudVod: { TencentVod: vod } },
    });
    await until('both tracks sliced (307)', () => events(cb, TaskId).filter((r) => r.json.EventType === 307).length >= 2, 60000);
    assert.deepEqual((await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId })).StorageFileList, [], 'a VOD task lists no files');
    await sleep(3000);
    await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
    await until('312', () => events(cb, TaskId).some((r) => r.json.EventType === 312), 60000);
    for (const p of procs.splice(0)) p.kill('SIGKILL');

    const mine = events(cb, TaskId);
    const commits = mine.filter((r) => r.json.EventType === 311).map((r) => r.json.EventInfo.Payload);
    const names = commits.map((p) => p.TencentVod.CacheFile).sort();
    const stem = `${APP1.sdkAppId}_${room}__UserId_s_${b64name('alice')}__UserId_e_main`;
    assert.deepEqual(names, [`rec_01__UserDefine_u_${stem}.mp4`, `rec_01__UserDefine_u_${stem}_audio.m3u8`, `rec_01__UserDefine_u_${stem}_video.m3u8`]);
    for (const p of commits) {
      assert.equal(p.Status, 0, JSON.stringify(p));
      assert.match(p.TencentVod.FileId, /^\d{19}$/);
      assert.equal(p.TencentVod.UserId, 'alice');
      assert.equal(p.TencentVod.MediaId, 'main');
      for (const [k, v] of Object.entries({ SubAppId: 12345, Procedure: 'proc1', SessionContext: 'ctx-1', UserDefineRecordId: 'rec_01' })) assert.equal(p.TencentVod[k], v, k);
      assert.match(p.TencentVod.VideoUrl, /^http:\/\/127\.0\.0\.1:\d+\/vod\/\d{19}\/.+\?t=[0-9a-f]+&us=\w+&sign=[0-9a-f]{32}$/);
    }
    const mp4 = commits.find((p) => p.TencentVod.CacheFile.endsWith('.mp4')).TencentVod.VideoUrl;
    const full = await fetch(mp4);
    assert.equal(full.status, 200);
    const bytes = Buffer.from(await full.arrayBuffer());
    assert.equal(bytes.subarray(4, 8).toString('latin1'), 'ftyp', 'an MP4');
    const part = await fetch(mp4, { headers: { Range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(100, 200));
    assert.equal((await fetch(mp4.replace(/sign=[0-9a-f]+/, 'sign=00000000000000000000000000000000'))).status, 403, 'never public by accident');
    const stop = mine.find((r) => r.json.EventType === 312).json.EventInfo.Payload;
    assert.equal(stop.Status, 0);
    assert.equal(stop.TencentVod.SessionContext, 'ctx-1');
    assert.ok(!mine.some((r) => r.json.EventType === 310), 'no 310 for a VOD task');
    assert.deepEqual(filesUnder(path.join(d.dataDir, 'spool')), []);
  });
});
