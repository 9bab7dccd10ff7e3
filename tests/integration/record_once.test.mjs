// Seed 004's one-call recording: POST /v1/record answers at once, records every anchor of the
// room into one file per anchor (MP3, video-only MP4, MP4), stores them in the "COS" bucket
// (moto_server through storage-endpoint) under <Path>/<room>/<UserId>_<UTC>.<ext>, and POSTs the
// seed's result to the body's Callback once the robot is removed or the room is destroyed. The
// three Modes run at once in three rooms of one daemon, so the file stays short.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { APP1, BIN, startDaemon, makeClient, makeTmpDir, userSig, until, callbackServer } from './helpers.mjs';
import { startMoto, motoAvailable } from './s3.mjs';
import { waitRoom } from './media.mjs';

const T = { timeout: 180000 };
const BUCKET = 'once-1250000000';
const skip = !motoAvailable() && 'moto_server is not installed';
const ROOM_IDLE_S = 4;

function publish(port, { room, strRoom, user, seconds = 120 }) {
  const where = strRoom !== undefined ? ['--str-room', strRoom] : ['--room', String(room)];
  return spawn(BIN, ['publish', '--server', `http://127.0.0.1:${port}`, '--sdkappid', String(APP1.sdkAppId), ...where,
    '--user', user, '--usersig', userSig(APP1, user), '--size', '320x180', '--fps', '10', '--duration', String(seconds)], { stdio: 'ignore' });
}

/** POST /v1/record with @body (an object, or raw text); resolves { status, headers, text, json }. */
function record(port, body, { method = 'POST', headers = {} } = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: '/v1/record', agent: false,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers } }, (res) => {
      let out = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { out += c; });
      res.on('end', () => {
        let json;
        try { json = JSON.parse(out); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text: out, json });
      });
    });
    req.on('error', reject);
    req.end(method === 'GET' ? undefined : text);
  });
}

function probe(file) {
  return JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,codec_type:format=duration,format_name', '-of', 'json', file], { encoding: 'utf8' }));
}

describe('one-call recording (POST /v1/record)', { skip }, () => {
  let s3;
  let d;
  let c;
  let cb;
  const procs = [];
  const body = (over = {}) => ({
    SdkAppId: APP1.sdkAppId, RoomId: 43474, UserId: 'user_55952145', UserSig: userSig(APP1, 'user_55952145'), Mode: '02',
    CosConfig: { Region: 'ap-shanghai', Bucket: BUCKET, Path: '/trtc' }, ...over,
  });

  before(async () => {
    s3 = await startMoto([BUCKET]);
    cb = await callbackServer();
    const dir = makeTmpDir();
    const conf = path.join(dir, 'cloudrec.conf');
    // The app's storage keys: used when CosConfig has no SecretId/SecretKey.
    writeFileSync(conf, [`[app ${APP1.sdkAppId}]`, `secrets=${APP1.secretId}:${APP1.secretKey}`, `usersig-key=${APP1.usersigKey}`,
      `storage-access-key=${s3.accessKey}`, `storage-secret-key=${s3.secretKey}`, ''].join('\n'));
    d = await startDaemon({
      apps: [],
      defaults: ['--api-rate-limit', '100000'],
      args: ['--config', conf, '--storage-endpoint', `0=${s3.endpoint}`, '--room-idle-timeout', String(ROOM_IDLE_S)],
    });
    c = makeClient(d.port, APP1);
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    if (process.env.CLOUDREC_TEST_DEBUG) writeFileSync(process.env.CLOUDREC_TEST_DEBUG, d?.stderr ?? '');
    await d?.stop();
    cb?.server.close();
  });

  test('bad bodies are answered at once with HTTP 400 {"Error":{"Code","Message"}} naming the field', T, async () => {
    const cases = [
      ['{"SdkAppId": 1400000001,', /BodyParamsError/, /JSON/],
      ['[1,2]', /BodyParamsError/, /JSON object/],
      [body({ SdkAppId: '1400000001' }), /InvalidParameter\.SdkAppId/, /SdkAppId must be an integer, got a string/],
      [body({ SdkAppId: undefined }), /MissingParameter\.SdkAppId/, /SdkAppId is required/],
      [body({ RoomId: '43474' }), /InvalidParameter\.RoomId/, /RoomId must be an integer/],
      [body({ RoomId: 0 }), /InvalidParameter\.RoomId/, /RoomId must be in/],
      [body({ RoomId: undefined }), /MissingParameter\.RoomId/, /RoomId or StrRoomId/],
      [body({ RoomId: undefined, StrRoomId: 'a/b' }), /InvalidParameter\.StrRoomId/, /StrRoomId/],
      [body({ UserId: 42 }), /InvalidParameter\.UserId/, /UserId must be a string, got a number/],
      [body({ UserId: 'bad id' }), /InvalidParameter\.UserId/, /UserId must be made of/],
      [body({ UserSig: undefined }), /MissingParameter\.UserSig/, /UserSig/],
      [body({ UserSig: userSig(APP1, 'someone_else') }), /InvalidParameter\.UserSig/, /UserSig is not valid for UserId user_55952145/],
      [body({ CosConfig: undefined }), /MissingParameter\.CosConfig/, /CosConfig is required/],
      [body({ CosConfig: 'cos' }), /InvalidParameter\.CosConfig/, /CosConfig must be an object/],
      [body({ CosConfig: { Bucket: BUCKET } }), /MissingParameter\.CosConfig\.Region/, /CosConfig\.Region is required/],
      [body({ CosConfig: { Region: 'ap-shanghai', Bucket: BUCKET, Path: '/a/../b' } }), /InvalidParameter\.CosConfig\.Path/, /CosConfig\.Path/],
      [body({ CosConfig: { Region: 'ap-shanghai', Bucket: BUCKET, SecretId: 'x' } }), /MissingParameter\.CosConfig\.SecretKey/, /CosConfig\.SecretKey is required/],
      [body({ Mode: 2 }), /InvalidParameter\.Mode/, /Mode must be a string, got a number/],
      [body({ Mode: '03' }), /InvalidParameter\.Mode/, /Mode must be "00"/],
      [body({ Callback: 'ftp://x/y' }), /InvalidParameter\.Callback/, /Callback must be an http/],
      [body({ SdkAppId: 1400000099 }), /InvalidParameter\.SdkAppId/, /not an application/],
      [JSON.stringify(body({ Pad: 'x'.repeat(20000) })), /RequestSizeLimitExceeded/, /at most 16384/],
      // over api-max-body: refused from the headers, the body never read
      [JSON.stringify(body({ Pad: 'x'.repeat(300000) })), /RequestSizeLimitExceeded/, /larger than/],
    ];
    for (const [b, code, message] of cases) {
      const r = await record(d.port, b);
      const what = typeof b === 'string' ? b.slice(0, 60) : JSON.stringify(b).slice(0, 120);
      assert.equal(r.status, 400, `${what}: ${r.status} ${r.text}`);
      assert.match(r.headers['content-type'], /application\/json/);
      assert.deepEqual(Object.keys(r.json), ['Error'], r.text);
      assert.deepEqual(Object.keys(r.json.Error).sort(), ['Code', 'Message']);
      assert.match(r.json.Error.Code, code, `${what}: ${r.text}`);
      assert.match(r.json.Error.Message, message, `${what}: ${r.text}`);
    }
    const get = await record(d.port, '', { method: 'GET' });
    assert.equal(get.status, 405);
    // None of them became a task (nothing in the room, nothing in the bucket).
    assert.deepEqual(await s3.list(BUCKET), []);
  });

  test('each Mode records one file per anchor of its type, stores it under Path/room, and POSTs the seed\'s result when the robot is removed or the room ends', T, async () => {
    // a: Mode 00 (MP3), integer room, the app's storage keys; stopped by RemoveUser.
    // b: Mode 01 (video MP4), string room, keys in the body; stopped by RemoveUserByStrRoomId.
    // c: Mode 02 (audio+video MP4), RoomId and StrRoomId (RoomId wins); ends with the room.
    const rooms = {
      a: { room: 43101, mode: '00', robot: 'rec_a', ext: 'mp3', where: { RoomId: 43101 } },
      b: { strRoom: 'once-b', mode: '01', robot: 'rec_b', ext: 'mp4', where: { StrRoomId: 'once-b' }, keys: true },
      c: { room: 43103, mode: '02', robot: 'rec_c', ext: 'mp4', where: { RoomId: 43103, StrRoomId: 'ignored-c' } },
    };
    const anchors = ['alice', 'bob'];
    for (const r of Object.values(rooms)) {
      r.procs = anchors.map((user) => publish(d.port, { room: r.room, strRoom: r.strRoom, user }));
      procs.push(...r.procs);
    }
    const roomKey = (r) => r.strRoom ?? r.room;
    await Promise.all(Object.values(rooms).map((r) => waitRoom(d, APP1.sdkAppId, roomKey(r),
      (s) => anchors.every((u) => s.Streams.some((x) => x.UserId === u && x.AudioActive && x.VideoActive)), { str: r.strRoom !== undefined, timeoutMs: 60000 })));

    for (const [name, r] of Object.entries(rooms)) {
      const cos = { Region: 'ap-shanghai', Bucket: BUCKET, Path: '/trtc/' };
      if (r.keys) Object.assign(cos, { SecretId: s3.accessKey, SecretKey: s3.secretKey });
      const res = await record(d.port, {
        SdkAppId: APP1.sdkAppId, ...r.where, UserId: r.robot, UserSig: userSig(APP1, r.robot), Mode: r.mode,
        CosConfig: cos, Callback: `http://127.0.0.1:${cb.port}/result/${name}`,
      });
      assert.equal(res.status, 200, res.text);
      assert.match(res.headers['content-type'], /^text\/plain/);
      assert.equal(res.text, 'Async run task submitted');
      assert.match(res.headers['x-scf-reqid'], /^[0-9a-f-]{36}$/);
      r.taskId = res.headers['x-cloudrec-taskid'];
      assert.ok(r.taskId, 'the TaskId header');
    }
    // The robots join as audience members.
    await Promise.all(Object.values(rooms).map((r) => waitRoom(d, APP1.sdkAppId, roomKey(r),
      (s) => s.Members.some((m) => m.UserId === r.robot && m.TaskId === r.taskId), { str: r.strRoom !== undefined, timeoutMs: 30000 })));
    // Some seconds of media, then the three ends.
    await until('media recorded', async () => {
      const all = await Promise.all(Object.values(rooms).map((r) => c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: r.taskId })));
      return all.every((x) => x.Status === 'InProgress');
    }, 60000);
    await new Promise((res) => setTimeout(res, 6000));
    assert.equal(cb.received.filter((x) => x.json?.SdkAppId !== undefined).length, 0, 'no result before the end');
    await c.RemoveUser({ SdkAppId: APP1.sdkAppId, RoomId: rooms.a.room, UserIds: [rooms.a.robot] });
    await c.RemoveUserByStrRoomId({ SdkAppId: APP1.sdkAppId, RoomId: rooms.b.strRoom, UserIds: [rooms.b.robot] });
    for (const p of rooms.c.procs) p.kill('SIGTERM'); // the anchors leave (WHIP DELETE)

    await until('three results', () => cb.received.filter((x) => x.json?.Files !== undefined).length >= 3, 120000);
    // a and b still have their anchors publishing: the robot's removal ended them.
    for (const p of [...rooms.a.procs, ...rooms.b.procs]) assert.equal(p.exitCode, null, 'the anchors of a and b still publish');

    for (const [name, r] of Object.entries(rooms)) {
      const got = cb.received.filter((x) => x.json?.Files !== undefined && x.json.UserId === r.robot);
      assert.equal(got.length, 1, `one result for ${name}`);
      const res = got[0].json;
      assert.match(got[0].headers['content-type'], /application\/json/);
      assert.deepEqual(Object.keys(res).sort(), ['Files', 'RoomId', 'SdkAppId', 'StrRoomId', 'UserId']);
      assert.equal(res.SdkAppId, String(APP1.sdkAppId));
      assert.equal(res.RoomId, r.room !== undefined ? String(r.room) : '');
      assert.equal(res.StrRoomId, r.strRoom ?? '');
      assert.equal(res.UserId, r.robot);
      assert.equal(res.Files.length, 2, `${name}: one file per anchor: ${JSON.stringify(res.Files)}`);
      assert.deepEqual(res.Files.map((f) => f.UserId).sort(), anchors);
      for (const f of res.Files) {
        assert.deepEqual(Object.keys(f).sort(), ['Message', 'RecordFile', 'Status', 'UserId']);
        assert.equal(f.Status, 1, `${name}/${f.UserId}: ${f.Message}`);
        assert.equal(typeof f.Message, 'string');
        const prefix = `${s3.endpoint}/${BUCKET}/trtc/${roomKey(r)}/${f.UserId}_`;
        assert.ok(f.RecordFile.startsWith(prefix), `${f.RecordFile} starts with ${prefix}`);
        assert.match(f.RecordFile.slice(prefix.length), new RegExp(`^\\d{17}\\.${r.ext}$`));
        // The object is there and plays as the Mode says.
        const key = f.RecordFile.slice(`${s3.endpoint}/${BUCKET}/`.length);
        const local = path.join(d.dataDir, `check-${name}-${f.UserId}.${r.ext}`);
        writeFileSync(local, await s3.get(BUCKET, key));
        const p = probe(local);
        const codecs = p.streams.map((s) => s.codec_name).sort();
        if (r.mode === '00') assert.deepEqual(codecs, ['mp3'], `${name}: ${JSON.stringify(p)}`);
        if (r.mode === '01') assert.deepEqual(codecs, ['h264'], `${name}: ${JSON.stringify(p)}`);
        if (r.mode === '02') assert.deepEqual(codecs, ['aac', 'h264'], `${name}: ${JSON.stringify(p)}`);
        assert.ok(Number(p.format.duration) >= 3, `${name}/${f.UserId}: ${p.format.duration} s`);
      }
      // Only those files: the working HLS never reached the bucket.
      const objects = (await s3.list(BUCKET)).map((o) => o.Key).filter((k) => k.startsWith(`trtc/${roomKey(r)}/`));
      assert.equal(objects.length, 2, `${name}: ${objects}`);
    }
  });
});
