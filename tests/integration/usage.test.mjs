// TRTC's usage actions through the official SDK: a single-stream task (a 160x90 user: SD video,
// her audio track not billed apart; an audio-only user: audio) and a mixed task (a 640x360 canvas: SD, "multi") recorded side by
// side; DescribeRecordingUsage and DescribeRecordStatistic report exactly the media the tasks'
// playlists hold (the sum of their EXTINF), by class and by mix type, as 5-minute points for a
// day and daily points for longer; bad dates, spans and apps get TRTC's errors.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { APP1, APP2, BIN, startDaemon, makeClient, userSig, until, expectCode } from './helpers.mjs';

const T = { timeout: 240000 };
const KEYS = ['Audio', 'SD', 'HD', 'FullHD', '2K', '4K'];

function publish(port, room, user, extra = []) {
  return spawn(BIN, ['publish', '--server', `http://127.0.0.1:${port}`, '--sdkappid', String(APP1.sdkAppId), '--room', String(room),
    '--user', user, '--usersig', userSig(APP1, user), '--size', '160x90', '--fps', '5', '--duration', '180', ...extra], { stdio: 'ignore' });
}

/** Seconds of media in each playlist of a task's directory: { name: seconds }. */
function playlistSeconds(dir) {
  const out = {};
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.m3u8'))) {
    out[f] = [...readFileSync(path.join(dir, f), 'utf8').matchAll(/#EXTINF:([\d.]+),/g)].reduce((s, m) => s + Number(m[1]), 0);
  }
  return out;
}

const day = (ms) => new Date(ms).toISOString().slice(0, 10);

describe('usage actions', () => {
  const procs = [];
  let d;
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    if (d) await d.stop();
  });

  test('DescribeRecordingUsage and DescribeRecordStatistic report the recorded media by class and mix type', T, async () => {
    d = await startDaemon({ apps: [APP1, APP2], defaults: ['--api-rate-limit', '100000'] });
    const c = makeClient(d.port, APP1);
    const started = Date.now();
    procs.push(publish(d.port, 9901, 'alice'), publish(d.port, 9901, 'bob', ['--no-video']), publish(d.port, 9902, 'carol'));
    const storage = (prefix) => ({ CloudStorage: { Vendor: 0, Region: 'ap-guangzhou', Bucket: 'b-1250000000', AccessKey: 'ak', SecretKey: 'sk', FileNamePrefix: [prefix] } });
    const single = await c.CreateCloudRecording({
      SdkAppId: APP1.sdkAppId, RoomId: '9901', UserId: 'usage_rec1', UserSig: userSig(APP1, 'usage_rec1'),
      RecordParams: { RecordMode: 1, StreamType: 0, MaxIdleTime: 300 }, StorageParams: storage('usage1'),
    });
    const mixed = await c.CreateCloudRecording({
      SdkAppId: APP1.sdkAppId, RoomId: '9902', UserId: 'usage_rec2', UserSig: userSig(APP1, 'usage_rec2'),
      RecordParams: { RecordMode: 2, StreamType: 0, MaxIdleTime: 300 }, StorageParams: storage('usage2'),
      MixTranscodeParams: { VideoParams: { Width: 640, Height: 360, Fps: 10, BitRate: 300000, Gop: 2 } },
    });
    const dirOf = (prefix, TaskId) => path.join(d.dataDir, 'storage', prefix, TaskId);
    // Some segments of every stream, then stop both.
    await until('segments of alice, bob and the mix', async () => {
      const a = (() => { try { return playlistSeconds(dirOf('usage1', single.TaskId)); } catch { return {}; } })();
      const m = (() => { try { return playlistSeconds(dirOf('usage2', mixed.TaskId)); } catch { return {}; } })();
      return Object.keys(a).length >= 2 && Object.values(a).every((s) => s >= 4) && Object.values(m).some((s) => s >= 4);
    }, 120000);
    for (const t of [single, mixed]) await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: t.TaskId });
    for (const t of [single, mixed]) {
      await until(`task ${t.TaskId} finished`, async () => c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: t.TaskId }).then(() => false, () => true), 90000);
    }
    const singleLists = playlistSeconds(dirOf('usage1', single.TaskId));
    const mixLists = playlistSeconds(dirOf('usage2', mixed.TaskId));
    // alice's picture is billed (160x90: SD), her audio track is not billed apart; bob has audio only.
    const alice = Object.entries(singleLists).filter(([n]) => n.includes('YWxpY2U.') && /_main_(audio_)?video\.m3u8$/.test(n)).reduce((s, [, v]) => s + v, 0);
    const bob = Object.entries(singleLists).filter(([n]) => n.includes('Ym9i') && /_main_audio\.m3u8$/.test(n)).reduce((s, [, v]) => s + v, 0);
    const mix = Object.values(mixLists).reduce((s, v) => s + v, 0);
    assert.ok(alice > 3 && bob > 3 && mix > 3, JSON.stringify({ singleLists, mixLists }));

    // Two days (yesterday and today): daily points, every one present.
    const StartTime = day(started - 86400000);
    const EndTime = day(Date.now());
    const sum = (list, key) => list.reduce((s, u) => s + u.UsageValue[KEYS.indexOf(key)], 0) * 60;
    const singleUsage = await c.DescribeRecordingUsage({ StartTime, EndTime, MixType: 'single', SdkAppId: APP1.sdkAppId });
    assert.deepEqual(singleUsage.UsageKey, KEYS);
    assert.equal(singleUsage.UsageList.length, 2);
    assert.deepEqual(singleUsage.UsageList.map((u) => u.TimeKey), [`${StartTime} 00:00:00`, `${EndTime} 00:00:00`]);
    assert.equal(singleUsage.UsageList[0].TimeStampKey, Date.parse(`${StartTime}T00:00:00Z`) / 1000);
    const near = (got, want, what) => assert.ok(Math.abs(got - want) < 0.05, `${what}: ${got.toFixed(3)} s reported, ${want.toFixed(3)} s in the playlists`);
    near(sum(singleUsage.UsageList, 'SD'), alice, 'single SD (alice, 160x90)');
    near(sum(singleUsage.UsageList, 'Audio'), bob, 'single audio (bob)');
    for (const k of ['HD', 'FullHD', '2K', '4K']) assert.equal(sum(singleUsage.UsageList, k), 0, k);
    const multi = await c.DescribeRecordingUsage({ StartTime, EndTime, MixType: 'multi' });
    near(sum(multi.UsageList, 'SD'), mix, 'multi SD (a 640x360 canvas)');
    assert.equal(sum(multi.UsageList, 'Audio'), 0);

    // One day: 288 five-minute points.
    const today = await c.DescribeRecordingUsage({ StartTime: EndTime, EndTime, MixType: 'single' });
    assert.equal(today.UsageList.length, 288);
    assert.equal(today.UsageList[1].TimeKey, `${EndTime} 00:05:00`);
    assert.equal(today.UsageList[1].TimeStampKey - today.UsageList[0].TimeStampKey, 300);

    // The statistic: seconds, Class1 = SD, single and mixed together.
    const stat = await c.DescribeRecordStatistic({ StartTime, EndTime });
    assert.equal(stat.SdkAppIdUsages.length, 1);
    assert.equal(stat.SdkAppIdUsages[0].SdkAppId, String(APP1.sdkAppId));
    const usages = stat.SdkAppIdUsages[0].Usages;
    assert.deepEqual(usages.map((u) => u.TimeKey), [StartTime, EndTime]);
    const total = (k) => usages.reduce((s, u) => s + u[k], 0);
    assert.ok(Math.abs(total('Class1VideoTime') - (alice + mix)) <= 1.5, `Class1VideoTime ${total('Class1VideoTime')} vs ${alice + mix}`);
    assert.ok(Math.abs(total('AudioTime') - bob) <= 1, `AudioTime ${total('AudioTime')} vs ${bob}`);
    assert.equal(total('Class2VideoTime') + total('Class3VideoTime'), 0);

    // Another app's usage is its own: APP2 recorded nothing.
    const other = await makeClient(d.port, APP2).DescribeRecordingUsage({ StartTime, EndTime, MixType: 'single' });
    assert.equal(sum(other.UsageList, 'SD') + sum(other.UsageList, 'Audio'), 0);
  });

  test('bad dates, a span over 31 days, another app and a bad MixType are refused', T, async () => {
    const c = makeClient(d.port, APP1);
    await expectCode(c.DescribeRecordingUsage({ StartTime: '2026-01-01', EndTime: '2026-02-01', MixType: 'single' }), 'InvalidParameter.QueryScaleOversize', /32 days/);
    await expectCode(c.DescribeRecordStatistic({ StartTime: '2026-01-01', EndTime: '2026-02-01' }), 'InvalidParameter', /at most 31/);
    await expectCode(c.DescribeRecordStatistic({ StartTime: '2026-02-30', EndTime: '2026-03-01' }), 'InvalidParameter', /StartTime/);
    await expectCode(c.DescribeRecordStatistic({ StartTime: '2026-03-02', EndTime: '2026-03-01' }), 'InvalidParameter', /before StartTime/);
    await expectCode(c.DescribeRecordingUsage({ StartTime: '2026-03-01', EndTime: '2026-03-01', MixType: 'both' }), 'InvalidParameter.OutOfRange', /MixType/);
    await expectCode(c.DescribeRecordingUsage({ StartTime: '2026-03-01', EndTime: '2026-03-01', MixType: 'single', SdkAppId: APP2.sdkAppId }), 'InvalidParameter.SdkAppId');
    await expectCode(c.DescribeRecordStatistic({ EndTime: '2026-03-01' }), 'MissingParameter', /StartTime/);
  });
});
