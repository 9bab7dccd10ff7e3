// Media helpers of the ingest tests: headless Chromium publishing through the daemon's publish
// page, the daemon's internal API (room state, RTP forwards), and GStreamer receivers that decode
// what a forward delivers. Chromium and gst-launch are real; nothing is mocked.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { linkRequest } from './helpers.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

export const CHROMIUM = process.env.CLOUDREC_CHROMIUM ?? '/usr/bin/chromium';

export { chromium };

/** Headless Chromium with a fake camera (a moving pattern) and microphone (a beep). */
export async function launchChromium() {
  return chromium.launch(chromiumOptions());
}

/** The same as a server process of its own (to kill it like a crash). */
export async function launchChromiumServer() {
  return chromium.launchServer(chromiumOptions());
}

function chromiumOptions() {
  return {
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      '--allow-loopback-in-peer-connection', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  };
}

/** Opens the publish page and publishes; resolves the page once the peer connection is up. */
export async function publishFromBrowser(browser, port, { sdkAppId, room, roomType = 'room', user, usersig, source = 'camera' }) {
  const page = await browser.newPage();
  const q = new URLSearchParams({ sdkappid: String(sdkAppId), room: String(room), roomtype: roomType, user, usersig, source });
  await page.goto(`http://127.0.0.1:${port}/publish?${q}`);
  await page.click('#start');
  await page.waitForFunction(() => window.cloudrecPublish.state() === 'connected' || document.getElementById('status').className === 'error', null, { timeout: 20000 });
  const state = await page.evaluate(() => window.cloudrecPublish.state());
  assert.equal(state, 'connected', `the publish page did not connect: ${await page.textContent('#status')}`);
  return page;
}

/** A call to the daemon's /internal/* API, which it serves on the worker link's Unix socket only. */
export async function internal(daemon, method, urlPath, body) {
  return linkRequest(daemon, method, urlPath, body);
}

export async function roomState(daemon, sdkAppId, room, { str = false, after = 0 } = {}) {
  const r = await internal(daemon, 'GET', `/internal/rooms/${sdkAppId}/${str ? 'str-room' : 'room'}/${encodeURIComponent(room)}?after=${after}`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

/** Polls the room until @predicate(state) holds; returns the state. */
export async function waitRoom(daemon, sdkAppId, room, predicate, { str = false, timeoutMs = 15000 } = {}) {
  const end = Date.now() + timeoutMs;
  let state;
  while (Date.now() < end) {
    state = await roomState(daemon, sdkAppId, room, { str });
    if (predicate(state)) return state;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`room ${room} never reached the expected state; last: ${JSON.stringify(state)}`);
}

/** Two free UDP ports (RTP, RTCP) on loopback. */
export async function freeUdpPorts(n = 2) {
  const socks = await Promise.all(Array.from({ length: n }, () => new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = socks.map((s) => s.address().port);
  socks.forEach((s) => s.close());
  return ports;
}

const DECODERS = {
  H264: 'rtph264depay ! h264parse ! avdec_h264',
  VP8: 'rtpvp8depay ! vp8dec',
  OPUS: 'rtpopusdepay ! opusdec',
};

/**
 * Starts gst-launch decoding the RTP arriving on @rtpPort until @buffers decoded buffers (then
 * it exits 0 by itself). @caps: the forward's Caps. Resolves {code, ms} when it exits, or
 * {code: 'timeout'} after @timeoutMs.
 */
export function decodeForward(rtpPort, caps, buffers, timeoutMs = 15000) {
  const m = /encoding-name=\(string\)(\w+)/.exec(caps);
  assert.ok(m && DECODERS[m[1]], `no decoder for caps ${caps}`);
  const media = /media=\(string\)(\w+)/.exec(caps)[1];
  const clock = /clock-rate=\(int\)(\d+)/.exec(caps)[1];
  const pt = /payload=\(int\)(\d+)/.exec(caps)[1];
  const rtpCaps = `application/x-rtp,media=${media},clock-rate=${clock},encoding-name=${m[1]},payload=${pt}`;
  const args = ['-q', 'udpsrc', `port=${rtpPort}`, 'address=127.0.0.1', `caps=${rtpCaps}`, '!', 'rtpjitterbuffer', 'latency=100', '!',
    ...DECODERS[m[1]].split(' '), '!', 'fakesink', `num-buffers=${buffers}`];
  const started = Date.now();
  const proc = spawn('gst-launch-1.0', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const bound = waitUdpBound(rtpPort);
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const done = new Promise((resolve) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); resolve({ code: 'timeout', ms: Date.now() - started, stderr }); }, timeoutMs);
    proc.on('exit', (code) => { clearTimeout(timer); resolve({ code, ms: Date.now() - started, stderr }); });
  });
  return { proc, done, bound };
}

/** Resolves once something listens on UDP @port (a receiver is ready before it subscribes, as a
 * recorder binds its sockets before it asks for a forward). */
export async function waitUdpBound(port, timeoutMs = 10000) {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (readFileSync('/proc/net/udp', 'utf8').split('\n').some((l) => l.includes(hex))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing bound UDP port ${port} within ${timeoutMs} ms`);
}

/** Asks the daemon to forward a track to fresh loopback ports; returns {forwardId, caps, rtpPort, rtcpPort}. */
export async function subscribe(daemon, { sdkAppId, room, str = false, user, stream = 'main', media, rtpPort, rtcpPort }) {
  const r = await internal(daemon, 'POST', '/internal/forwards', {
    SdkAppId: sdkAppId, StrRoom: str, RoomId: String(room), UserId: user, Stream: stream, Media: media, RtpPort: rtpPort, RtcpPort: rtcpPort,
  });
  assert.equal(r.status, 201, `subscribe ${user}/${stream}/${media}: ${r.status} ${r.text}`);
  return { forwardId: r.json.ForwardId, caps: r.json.Caps, ssrc: r.json.Ssrc, rtpPort, rtcpPort };
}

/** Waits until the track is being forwarded (the first packets arrived at the ingest). */
export async function subscribeWhenFlowing(daemon, opts, timeoutMs = 10000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await internal(daemon, 'POST', '/internal/forwards', {
      SdkAppId: opts.sdkAppId, StrRoom: opts.str ?? false, RoomId: String(opts.room), UserId: opts.user, Stream: opts.stream ?? 'main',
      Media: opts.media, RtpPort: opts.rtpPort, RtcpPort: opts.rtcpPort,
    });
    if (r.status === 201) return { forwardId: r.json.ForwardId, caps: r.json.Caps, ssrc: r.json.Ssrc, rtpPort: opts.rtpPort, rtcpPort: opts.rtcpPort };
    if (r.status !== 404 || Date.now() > end) assert.fail(`subscribe ${opts.user}/${opts.media}: ${r.status} ${r.text}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

/** Counts the RTCP sender reports (PT 200) arriving on @port during @ms. */
export function countSenderReports(port, ms) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    let srs = 0;
    s.on('message', (msg) => { if (msg.length >= 8 && msg[1] === 200) srs++; });
    s.bind(port, '127.0.0.1', () => setTimeout(() => { s.close(); resolve(srs); }, ms));
  });
}
