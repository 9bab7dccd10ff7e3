// A WHIP session lives as long as its connection: a publisher that sends no RTP at all (camera
// and microphone off) but keeps its connection (RTCP, ICE) stays in the room; one that is killed
// (no DELETE, no DTLS close) leaves after ingest-liveness-timeout; one that closes its peer
// connection without DELETE (a DTLS alert) leaves at once.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { APP1, BIN, startDaemon, userSig, sleep } from './helpers.mjs';
import { launchChromium, publishFromBrowser, roomState, waitRoom } from './media.mjs';

const T = { timeout: 120000 };
const LIVENESS = 10; // seconds: ingest-liveness-timeout of the daemon under test

function publish(port, { room, user, args = [] }) {
  const proc = spawn(BIN, ['publish', '--server', `http://127.0.0.1:${port}`, '--sdkappid', String(APP1.sdkAppId),
    '--room', String(room), '--user', user, '--usersig', userSig(APP1, user), '--size', '160x90', '--fps', '5', ...args],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => { stdout += d; });
  proc.stderr.on('data', (d) => { stderr += d; });
  proc.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  Object.defineProperty(proc, 'out', { get: () => stdout });
  return proc;
}

const rxBytes = (state, user) => state.Streams.find((s) => s.UserId === user)?.RxBytes;

describe('WHIP session liveness', () => {
  let d;
  const procs = [];
  before(async () => {
    d = await startDaemon({ apps: [APP1], args: ['--ingest-liveness-timeout', String(LIVENESS)] });
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await d.stop();
  });

  test('a publisher sending no RTP for 20 s but keeping its connection stays in the room', T, async () => {
    const room = 8601;
    const p = publish(d.port, { room, user: 'quiet', args: ['--mute', '4:20', '--duration', '45'] });
    procs.push(p);
    await waitRoom(d, APP1.sdkAppId, room, (s) => rxBytes(s, 'quiet') > 0, { timeoutMs: 20000 });
    // The mute has begun once the received bytes stop growing.
    let early = await roomState(d, APP1.sdkAppId, room);
    for (;;) {
      await sleep(1000);
      const now = await roomState(d, APP1.sdkAppId, room);
      if (rxBytes(now, 'quiet') === rxBytes(early, 'quiet')) break;
      early = now;
    }
    const mutedAt = Date.now();
    // Past the liveness timeout (10 s) and past the old RTP timeout: still there, and no RTP came.
    await sleep(12000);
    const late = await roomState(d, APP1.sdkAppId, room);
    assert.equal(late.Streams.length, 1, `the muted publisher left after ${(Date.now() - mutedAt) / 1000} s: ${JSON.stringify(late.Events.slice(-3))}`);
    assert.equal(rxBytes(late, 'quiet'), rxBytes(early, 'quiet'), 'RTP kept arriving: the publisher was not muted');
    assert.equal(p.exitCode, null, `the publisher exited: ${p.exitCode}`);
    // The RTP comes back and is counted again.
    await waitRoom(d, APP1.sdkAppId, room, (s) => rxBytes(s, 'quiet') > rxBytes(late, 'quiet'), { timeoutMs: 20000 });
    p.kill('SIGTERM');
    const exit = await p.exited;
    assert.equal(exit.code, 0, exit.stderr);
    const s = await waitRoom(d, APP1.sdkAppId, room, (st) => st.Streams.length === 0);
    assert.deepEqual(s.Events.slice(-2).map((e) => `${e.Type}:${e.Reason}`), ['unpublish:left', 'leave:left']);
  });

  test('a publisher killed with SIGKILL (no DELETE) leaves after the liveness timeout', T, async () => {
    const room = 8602;
    const p = publish(d.port, { room, user: 'gone', args: ['--duration', '60'] });
    procs.push(p);
    await waitRoom(d, APP1.sdkAppId, room, (s) => s.Streams.length === 1 && rxBytes(s, 'gone') > 0, { timeoutMs: 20000 });
    p.kill('SIGKILL');
    const killed = Date.now();
    const s = await waitRoom(d, APP1.sdkAppId, room, (st) => st.Streams.length === 0, { timeoutMs: (LIVENESS + 20) * 1000 });
    const took = (Date.now() - killed) / 1000;
    console.log(`# the killed publisher left ${took.toFixed(1)} s after SIGKILL (ingest-liveness-timeout ${LIVENESS} s)`);
    assert.deepEqual(s.Events.slice(-2).map((e) => `${e.Type}:${e.Reason}`), ['unpublish:liveness-timeout', 'leave:liveness-timeout']);
  });

  test('a browser that closes its peer connection without DELETE leaves at once (DTLS close)', T, async () => {
    const room = 8603;
    const browser = await launchChromium();
    try {
      const page = await publishFromBrowser(browser, d.port, { sdkAppId: APP1.sdkAppId, room, user: 'closer', usersig: userSig(APP1, 'closer') });
      await waitRoom(d, APP1.sdkAppId, room, (s) => s.Streams.length === 1);
      await page.evaluate(() => window.cloudrecPublish.peer().close());
      const closed = Date.now();
      const s = await waitRoom(d, APP1.sdkAppId, room, (st) => st.Streams.length === 0, { timeoutMs: (LIVENESS + 20) * 1000 });
      const took = (Date.now() - closed) / 1000;
      console.log(`# the closed peer left ${took.toFixed(1)} s after RTCPeerConnection.close()`);
      assert.deepEqual(s.Events.slice(-2).map((e) => `${e.Type}:${e.Reason}`), ['unpublish:closed', 'leave:closed']);
    } finally {
      await browser.close().catch(() => {});
    }
  });
});
