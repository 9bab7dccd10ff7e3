// Auto-recording (seed 002, "全局自动录制"; issue 15, docs/auto-record.md): an app's template in
// the config file's [app N] group, changed at run time through the Cloudrec*AutoRecord extensions
// (kept across restarts until the file's value changes); rooms created after it was turned on are
// recorded from their first anchor's upstream by ordinary tasks (the TaskId in the callbacks and
// in CloudrecDescribeAutoRecordTasks, Describe/Delete by TaskId); rooms that already ran are not;
// the first MaxAnchors anchors by entry are recorded (lowered to 2 here with the test setting
// auto-record-max-anchors instead of 26 publishers on 2 cores); an anchor back within the resume
// wait (lowered to 4 s) continues the same files, after it a new task starts.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { APP1, BIN, TASK_ID_RE, startDaemon, makeClient, makeTmpDir, userSig, sleep, expectCode, until, callbackServer } from './helpers.mjs';
import { waitRoom } from './media.mjs';

const T = { timeout: 120000 };
const CALLBACK_KEY = 'autoCbKey1';
const APP = APP1.sdkAppId;

function configFile(dir, { callbackPort = 0, extra = [] } = {}) {
  const file = path.join(dir, `cloudrec-${Math.random().toString(16).slice(2)}.conf`);
  const lines = [
    `[app ${APP}]`,
    `secrets=${APP1.secretId}:${APP1.secretKey}`,
    `usersig-key=${APP1.usersigKey}`,
    ...(callbackPort ? [`callback-url=http://127.0.0.1:${callbackPort}/cb`, `callback-key=${CALLBACK_KEY}`] : []),
    ...extra,
  ];
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function publish(port, room, user, args = []) {
  return spawn(BIN, ['publish', '--server', `http://127.0.0.1:${port}`, '--sdkappid', String(APP), '--room', String(room),
    '--user', user, '--usersig', userSig(APP1, user), '--size', '320x180', '--fps', '10', '--duration', '60', ...args], { stdio: 'ignore' });
}

const exited = (p) => new Promise((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : p.once('exit', resolve)));

function probe(file) {
  return JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name', '-of', 'json', file], { encoding: 'utf8' }));
}

describe('auto-recording', () => {
  let d;
  let c;
  let cb;
  const procs = [];
  const tasksOf = async (room) => (await c.request('CloudrecDescribeAutoRecordTasks', { SdkAppId: APP, RoomId: String(room) })).Tasks;
  const describeTask = (TaskId) => c.request('CloudrecDescribeTask', { SdkAppId: APP, TaskId });
  const publishing = (room, n) => waitRoom(d, APP, room, (s) => (s.Streams ?? []).length >= n, { timeoutMs: 30000 });
  const events = (TaskId) => cb.received.map((r) => r.json).filter((j) => j?.EventInfo?.TaskId === TaskId);

  before(async () => {
    cb = await callbackServer();
    const dir = makeTmpDir();
    // Off in the file: the run-time change turns it on (test 1).
    const conf = configFile(dir, {
      callbackPort: cb.port,
      extra: ['auto-record=off', 'auto-record-storage=local', 'auto-record-prefix=auto/day1', 'auto-record-resume-wait=4', 'auto-record-max-anchors=2'],
    });
    d = await startDaemon({ apps: [], dataDir: dir, args: ['--config', conf], defaults: ['--api-rate-limit', '100000'] });
    c = makeClient(d.port, APP1);
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await d.stop();
    cb.server.close();
  });

  test('a room created after turning it on is recorded from its first anchor; one that ran before is not; callbacks, Describe and Delete by TaskId', T, async () => {
    const before = await c.request('CloudrecDescribeAutoRecord', { SdkAppId: APP });
    assert.equal(before.Source, 'file');
    assert.equal(before.AutoRecord.Enabled, 0);
    procs.push(publish(d.port, 7101, 'early'));
    await publishing(7101, 1);
    const on = await c.request('CloudrecModifyAutoRecord', { SdkAppId: APP, Enabled: 1 });
    assert.equal(on.Source, 'api');
    assert.equal(on.AutoRecord.Enabled, 1);
    assert.equal(on.AutoRecord.Storage, 'local');

    procs.push(publish(d.port, 7102, 'bob'), publish(d.port, 7101, 'late'));
    const [task] = await until('the auto task of room 7102', async () => (await tasksOf(7102)).at(0) && tasksOf(7102), 30000);
    assert.match(task.TaskId, TASK_ID_RE);
    assert.match(task.UserId, /^cloudrec_auto_[0-9a-f]{12}$/);
    assert.equal(task.RoomIdType, 1);
    const files = await until('bob\'s audio and video playlists', async () => {
      const r = await c.DescribeCloudRecording({ SdkAppId: APP, TaskId: task.TaskId });
      return r.StorageFileList.length >= 2 ? r.StorageFileList : null;
    }, 40000);
    assert.deepEqual(files.map((f) => `${f.UserId}/${f.TrackType}`).sort(), ['bob/audio', 'bob/video']);
    const dir = path.join(d.dataDir, 'storage', 'auto', 'day1', task.TaskId);
    for (const f of files) assert.ok(existsSync(path.join(dir, f.FileName)), `${f.FileName} in the local store under the prefix`);
    // The room that ran before it was turned on stays unrecorded, its later anchor too.
    await sleep(3000);
    assert.deepEqual(await tasksOf(7101), []);
    // The callbacks of an ordinary task, signed with the app's key; Delete by TaskId ends it.
    await until('301 of the auto task', () => events(task.TaskId).find((e) => e.EventType === 301), 15000);
    await c.DeleteCloudRecording({ SdkAppId: APP, TaskId: task.TaskId });
    const stop = await until('302', () => events(task.TaskId).find((e) => e.EventType === 302), 30000);
    assert.equal(stop.EventInfo.RoomId, '7102');
    assert.equal(stop.EventInfo.UserId, task.UserId);
  });

  test('only the first MaxAnchors anchors by room entry are recorded (2 here; 25 by default)', T, async () => {
    const room = 7103;
    procs.push(publish(d.port, room, 'first'));
    await publishing(room, 1);
    procs.push(publish(d.port, room, 'second'));
    await publishing(room, 2);
    procs.push(publish(d.port, room, 'third'));
    await publishing(room, 3);
    const [task] = await until('the auto task', async () => (await tasksOf(room)).at(0) && tasksOf(room), 30000);
    const users = await until('two anchors recorded', async () => {
      const r = await c.DescribeCloudRecording({ SdkAppId: APP, TaskId: task.TaskId });
      const u = [...new Set(r.StorageFileList.map((f) => f.UserId))].sort();
      return u.length >= 2 ? u : null;
    }, 40000);
    assert.deepEqual(users, ['first', 'second']);
    // The third's media flows the whole time: a segment of it would be listed within ~10 s.
    await sleep(12000);
    const r = await c.DescribeCloudRecording({ SdkAppId: APP, TaskId: task.TaskId });
    assert.ok(!r.StorageFileList.some((f) => f.UserId === 'third'), JSON.stringify(r.StorageFileList));
    assert.equal((await tasksOf(room)).length, 1, 'one task for the room');
    await c.DeleteCloudRecording({ SdkAppId: APP, TaskId: task.TaskId });
  });

  test('an anchor back within the resume wait continues the same files; after the wait it gets a new task', T, async () => {
    const room = 7104;
    const a = publish(d.port, room, 'dora', ['--duration', '12']);
    procs.push(a);
    const [task] = await until('the auto task', async () => (await tasksOf(room)).at(0) && tasksOf(room), 30000);
    await exited(a);
    // Back at once (well within 4 s): the same task, the same playlist after a discontinuity.
    const b = publish(d.port, room, 'dora', ['--duration', '12']);
    procs.push(b);
    await exited(b);
    assert.deepEqual((await tasksOf(room)).map((t) => t.TaskId), [task.TaskId]);
    const done = await until('the task ends after the resume wait (LeaveCode 99)', async () => {
      const t = (await tasksOf(room)).find((x) => x.TaskId === task.TaskId);
      return t.Status === 'Exited' ? t : null;
    }, 30000);
    assert.equal(done.LeaveCode, 99);
    const playlist = path.join(d.dataDir, 'storage', 'auto', 'day1', task.TaskId,
      (await describeTask(task.TaskId)).StorageFileList.find((f) => f.TrackType === 'video').FileName);
    const text = readFileSync(playlist, 'utf8');
    assert.match(text, /#EXT-X-DISCONTINUITY/, 'the returning anchor continued the same playlist');
    assert.match(text, /#EXT-X-ENDLIST/);
    await until('302 with LeaveCode 99', () => events(task.TaskId).find((e) => e.EventType === 302 && e.EventInfo.Payload.LeaveCode === 99), 15000);
    // Past the wait: the next upstream is a new task, with new files.
    procs.push(publish(d.port, room, 'dora', ['--duration', '20']));
    const next = await until('a second task', async () => {
      const list = await tasksOf(room);
      return list.length === 2 ? list : null;
    }, 30000);
    assert.notEqual(next[0].TaskId, task.TaskId, 'newest first');
    await c.DeleteCloudRecording({ SdkAppId: APP, TaskId: next[0].TaskId });
  });

  test('stream types and formats give the right files: audio as AAC, video as MP4 without audio', T, async () => {
    await c.request('CloudrecModifyAutoRecord', { SdkAppId: APP, StreamType: 'audio', Format: 'aac', MaxAnchors: 25 });
    procs.push(publish(d.port, 7105, 'alma'));
    const [aac] = await until('the audio task', async () => (await tasksOf(7105)).at(0) && tasksOf(7105), 30000);
    await c.request('CloudrecModifyAutoRecord', { SdkAppId: APP, StreamType: 'video', Format: 'mp4' });
    procs.push(publish(d.port, 7106, 'vera'));
    const [mp4] = await until('the video task', async () => (await tasksOf(7106)).at(0) && tasksOf(7106), 30000);
    // Some media into both, then the end makes the files.
    await until('media in both', async () => (await describeTask(aac.TaskId)).Status === 'InProgress' && (await describeTask(mp4.TaskId)).Status === 'InProgress', 30000);
    await sleep(4000);
    await c.DeleteCloudRecording({ SdkAppId: APP, TaskId: aac.TaskId });
    await c.DeleteCloudRecording({ SdkAppId: APP, TaskId: mp4.TaskId });
    for (const [task, user, ext, want] of [[aac, 'alma', 'aac', ['audio:aac']], [mp4, 'vera', 'mp4', ['video:h264']]]) {
      const ev = await until(`310 of ${ext}`, () => events(task.TaskId).find((e) => e.EventType === 310), 60000);
      assert.equal(ev.EventInfo.Payload.Status, 0, JSON.stringify(ev));
      const name = ev.EventInfo.Payload.FileList[0];
      assert.ok(name.endsWith(`.${ext}`), name);
      assert.match(name, new RegExp(`__UserId_s_${Buffer.from(user).toString('base64').replaceAll('=', '.')}__`));
      const got = probe(path.join(d.dataDir, 'storage', 'auto', 'day1', task.TaskId, name)).streams.map((s) => `${s.codec_type}:${s.codec_name}`);
      assert.deepEqual(got, want, `${name}: ${got}`);
    }
  });
});

describe('auto-recording template: config file, extensions, store', () => {
  test('bad values in the config file stop the start with the key named', T, async () => {
    const dir = makeTmpDir();
    for (const [line, re] of [
      ['auto-record-format=flv', /\[app 1400000001\] auto-record-format must be one of hls\|mp4\|aac\|hls\+mp4\|hls\+aac, got "flv"/],
      ['auto-record-file-minutes=0', /auto-record-file-minutes must be an integer in \[1, 1440\]/],
      ['auto-record-resume-wait=86401', /auto-record-resume-wait must be an integer in \[1, 86400\]/],
      ['auto-record-stream=video\nauto-record-format=aac', /auto-record-format aac \(AAC\) needs auto-record-stream audio/],
      ['auto-record-storage=cos\nauto-record-region=ap-guangzhou', /auto-record-storage cos needs auto-record-bucket/],
      ['auto-record-colour=blue', /unknown auto-recording key "auto-record-colour"/],
      ['auto-record=yes', /auto-record must be on or off/],
    ]) {
      const conf = configFile(dir, { extra: line.split('\n') });
      const r = spawnSync(BIN, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dir, '--config', conf], { encoding: 'utf8', timeout: 10000 });
      assert.notEqual(r.status, 0, `${line}: the daemon must not start`);
      assert.match(r.stderr, re, `${line}: ${r.stderr}`);
    }
  });

  test('the extensions read and change the template with TRTC-style errors; a change outlives a restart until the file changes', T, async () => {
    const dir = makeTmpDir();
    const conf = configFile(dir, { extra: ['auto-record=on', 'auto-record-format=hls+mp4', 'auto-record-storage=s3', 'auto-record-region=us-east-1',
      'auto-record-bucket=recs', 'auto-record-access-key=AK', 'auto-record-secret-key=SK', 'auto-record-prefix=a/b'] });
    let d = await startDaemon({ apps: [], dataDir: dir, args: ['--config', conf] });
    let c = makeClient(d.port, APP1);
    const r0 = await c.request('CloudrecDescribeAutoRecord', { SdkAppId: APP });
    assert.equal(r0.Source, 'file');
    assert.deepEqual(r0.AutoRecord, { Enabled: 1, StreamType: 'audio-video', Format: 'hls+mp4', FileMinutes: 1440, ResumeWait: 30, MaxAnchors: 25,
      Storage: 's3', Region: 'us-east-1', Bucket: 'recs', AccessKey: 'AK', Prefix: 'a/b' }, 'defaults filled in, SecretKey never shown');
    await expectCode(c.request('CloudrecModifyAutoRecord', { SdkAppId: APP, Format: 'aac' }), 'InvalidParameter', /Format aac \(AAC\) needs StreamType audio/);
    await expectCode(c.request('CloudrecModifyAutoRecord', { SdkAppId: APP, FileMinutes: 0 }), 'InvalidParameter.OutOfRange');
    await expectCode(c.request('CloudrecModifyAutoRecord', { SdkAppId: APP, Storage: 'ftp' }), 'InvalidParameter.OutOfRange', /Storage must be one of vod, local, cos, s3/);
    await expectCode(c.request('CloudrecModifyAutoRecord', { SdkAppId: APP, Prefix: '../x' }), 'InvalidParameter', /Prefix/);
    await expectCode(c.request('CloudrecModifyAutoRecord', { SdkAppId: APP, Colour: 1 }), 'UnknownParameter');
    await expectCode(c.request('CloudrecModifyAutoRecord', { SdkAppId: APP + 1, Enabled: 0 }), 'InvalidParameter.SdkAppId');
    assert.equal((await c.request('CloudrecDescribeAutoRecord', { SdkAppId: APP })).Source, 'file', 'refused changes change nothing');
    const m = await c.request('CloudrecModifyAutoRecord', { SdkAppId: APP, Enabled: 0, ResumeWait: 1, StreamType: 'audio', Format: 'aac', Storage: 'vod' });
    assert.equal(m.Source, 'api');
    assert.deepEqual([m.AutoRecord.Enabled, m.AutoRecord.ResumeWait, m.AutoRecord.Format, m.AutoRecord.Storage], [0, 1, 'aac', 'vod']);
    assert.deepEqual((await c.request('CloudrecDescribeAutoRecordTasks', { SdkAppId: APP })).Tasks, []);
    await d.stop();

    // Same file: the change is kept (the secret sealed in the store, not in plain text).
    d = await startDaemon({ apps: [], dataDir: dir, args: ['--config', conf] });
    c = makeClient(d.port, APP1);
    const r1 = await c.request('CloudrecDescribeAutoRecord', { SdkAppId: APP });
    assert.equal(r1.Source, 'api');
    assert.deepEqual([r1.AutoRecord.Enabled, r1.AutoRecord.Format, r1.AutoRecord.Bucket], [0, 'aac', 'recs']);
    const db = readFileSync(path.join(dir, 'cloudrec.db')).toString('latin1') + (existsSync(path.join(dir, 'cloudrec.db-wal')) ? readFileSync(path.join(dir, 'cloudrec.db-wal')).toString('latin1') : '');
    assert.ok(db.includes('SealedSecretKey') && !db.includes('"SecretKey":"SK"'), 'SecretKey sealed at rest');
    await d.stop();

    // The file's value changed: the file wins and the stored change is dropped.
    writeFileSync(conf, readFileSync(conf, 'utf8').replace('auto-record-format=hls+mp4', 'auto-record-format=mp4'));
    d = await startDaemon({ apps: [], dataDir: dir, args: ['--config', conf] });
    c = makeClient(d.port, APP1);
    const r2 = await c.request('CloudrecDescribeAutoRecord', { SdkAppId: APP });
    assert.equal(r2.Source, 'file');
    assert.deepEqual([r2.AutoRecord.Enabled, r2.AutoRecord.Format, r2.AutoRecord.Storage], [1, 'mp4', 's3']);
    await d.stop();
  });
});
