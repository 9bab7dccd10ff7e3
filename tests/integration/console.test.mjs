// The web console as a newcomer meets it (docs/console.md): `cloudrec serve` with no app prints a
// one-time login link; headless Chromium opens it, publishes its fake camera from the console's
// publish page (UserSig from the session), a `cloudrec publish` stream joins, the Create form
// starts a mixed recording of both, the task shows InProgress with a layout preview whose
// rectangles are the layout engine's, Stop ends it, the page plays it (hls.js from the binary) and
// downloads its MP4. Then the same console at a phone's size, and what the console refuses:
// requests without a session, with an expired one, without its header, from another site, for
// another app, and file names that leave the task's directory. Screenshots are kept under a
// temporary directory printed in the log.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { APP1, APP2, BIN, TLSSigAPIv2, startDaemon, makeClient, rawRequest, userSig, sleep, until } from './helpers.mjs';
import { launchChromium, roomState, waitRoom } from './media.mjs';

const T = { timeout: 150000 };
const ADMIN = 'operator-token-0123456789';
const SHOTS = mkdtempSync(path.join(tmpdir(), 'cloudrec-console-shots-'));
console.log(`# console screenshots: ${SHOTS}`);

const LINK_RE = /^ {2}Console of SdkAppId (\d+) \(one-time login link, valid \d+ minutes\): (http:\/\/\S+)$/gm;
const CRED_RE = /^ {2}SdkAppId (\d+) {2}SecretId (\S+) {2}SecretKey (\S+) {2}UserSig key (\S+)$/gm;

function links(d) {
  return Object.fromEntries([...d.stdout.matchAll(LINK_RE)].map((m) => [m[1], m[2]]));
}
function creds(d) {
  return Object.fromEntries([...d.stdout.matchAll(CRED_RE)].map((m) => [m[1], { sdkAppId: Number(m[1]), secretId: m[2], secretKey: m[3], usersigKey: m[4] }]));
}
async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** Polls @fn in the page until it returns a truthy value. (Playwright's waitForFunction compiles
 * its predicate with eval, which the console's Content-Security-Policy forbids; evaluate does
 * not need it, so the page is tested under its real policy.) */
async function waitPage(page, fn, arg, timeoutMs = 20000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await page.evaluate(fn, arg);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${fn.toString().slice(0, 120)}`);
    await sleep(200);
  }
}

/** A console client outside the browser: its cookie, its header. */
async function login(port, body) {
  const r = await rawRequest(port, { path: '/console/login', headers: { 'Content-Type': 'application/json', 'X-Cloudrec-Console': '1' }, body: JSON.stringify(body) });
  const cookie = (r.headers['set-cookie'] ?? [])[0]?.split(';')[0];
  return { status: r.status, cookie, json: r.json };
}
async function consoleCall(port, cookie, urlPath, body, extra = {}) {
  const headers = { 'X-Cloudrec-Console': '1', ...(cookie ? { Cookie: cookie } : {}), ...extra };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await rawRequest(port, { method: body === undefined ? 'GET' : 'POST', path: urlPath, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, json: r.json, body: r.text, headers: r.headers };
}

describe('the console as a newcomer', () => {
  let d;
  let browser;
  let demo;
  let synth;
  before(async () => {
    d = await startDaemon({ apps: null, defaults: ['--api-rate-limit', '100000'], args: ['--console-admin-token', ADMIN] });
    demo = creds(d);
    browser = await launchChromium();
  });
  after(async () => {
    synth?.kill('SIGINT');
    await browser?.close();
    await d?.stop();
  });

  let taskId;
  const ROOM = '7301';
  test('login link, publish from the console, mixed recording from the form, preview, stop, play, download', T, async () => {
    const appId = Object.keys(demo)[0];
    const app = demo[appId];
    assert.equal(appId, '1400000001', 'the demo app');
    const link = links(d)[appId];
    assert.ok(link, `no login link in:\n${d.stdout}`);

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    page.on('dialog', (dlg) => dlg.accept());
    // The address alone, as a browser opens it: the console's login, not the API's JSON error.
    await page.goto(`http://127.0.0.1:${d.port}/`);
    await page.waitForSelector('#login:not([hidden])');
    await shot(page, 'desktop-0-login');
    await page.goto(link);
    assert.equal(new URL(page.url()).pathname, '/');
    await page.waitForSelector('#app-id');
    assert.equal(await page.textContent('#app-id'), `SdkAppId ${appId}`);
    await shot(page, 'desktop-1-logged-in');

    // Publish the fake camera from the console's publish page: its UserSig comes from the session.
    await page.click('#tabs button[data-view="publish"]');
    await page.fill('#p-room', ROOM);
    await page.fill('#p-user', 'camera');
    await page.click('#publish-sign');
    await page.waitForSelector('#publish-link:not([hidden])');
    const [pub] = await Promise.all([context.waitForEvent('page'), page.click('#publish-link')]);
    await pub.waitForLoadState();
    assert.equal(await pub.inputValue('#usersig') !== '', true, 'the publish page got a UserSig');
    assert.ok(!pub.url().includes('usersig'), 'the UserSig left the address bar');
    await pub.click('#start');
    await waitPage(pub, () => window.cloudrecPublish.state() === 'connected' || document.getElementById('status').className === 'error', null, 30000);
    assert.equal(await pub.evaluate(() => window.cloudrecPublish.state()), 'connected', await pub.textContent('#status'));

    // One `cloudrec publish` stream in the same room, signed with the printed UserSig key.
    const sig = new TLSSigAPIv2.Api(app.sdkAppId, app.usersigKey).genSig('synth', 3600);
    synth = spawn(BIN, ['publish', '--server', `http://127.0.0.1:${d.port}`, '--sdkappid', appId, '--room', ROOM, '--user', 'synth',
      '--usersig', sig, '--size', '320x240', '--duration', '90'], { stdio: 'ignore' });

    await page.click('#tabs button[data-view="rooms"]');
    await page.waitForSelector(`.room[data-room="${ROOM}"] tr[data-user="camera"]`, { timeout: 20000 });
    await page.waitForSelector(`.room[data-room="${ROOM}"] tr[data-user="synth"]`, { timeout: 20000 });
    await shot(page, 'desktop-2-rooms');

    // The Create form: a mixed recording (grid, 640x360, HLS + MP4) of both.
    await page.click('#tabs button[data-view="create"]');
    await page.fill('#c-room', ROOM);
    await page.selectOption('#c-mode', '2');
    await page.selectOption('#c-layout', '3');
    await page.fill('#c-width', '640');
    await page.fill('#c-height', '360');
    await page.selectOption('#c-format', '1');
    await page.fill('#c-sub-video', 'camera, synth');
    await page.fill('#c-watermark', '10,10,200,30,console');
    await shot(page, 'desktop-3-create-form');
    await page.click('#create-send');
    await page.waitForSelector('#task:not([hidden])');
    taskId = await page.getAttribute('#task', 'data-task');
    assert.match(taskId, /^[A-Za-z0-9._-]{32}$/);
    await waitPage(page, () => document.getElementById('task-status')?.textContent === 'InProgress', null, 40000);
    await waitPage(page, () => document.querySelectorAll('#layout-preview .tile:not(.empty)').length === 2, null, 20000);

    // The preview's rectangles, measured on the page, are the layout engine's (the signed API's
    // CloudrecDescribeLayout), and grid mode puts the two side by side on the 640x360 canvas.
    const client = makeClient(d.port, app);
    const layout = await client.request('CloudrecDescribeLayout', { SdkAppId: app.sdkAppId, TaskId: taskId });
    assert.equal(layout.Width, 640);
    assert.equal(layout.Height, 360);
    const drawn = await page.evaluate(() => {
      const p = document.getElementById('layout-preview').getBoundingClientRect();
      const W = Number(document.getElementById('layout-preview').dataset.width), H = Number(document.getElementById('layout-preview').dataset.height);
      return [...document.querySelectorAll('#layout-preview .tile')].map((t) => {
        const r = t.getBoundingClientRect();
        return { UserId: t.dataset.user, Left: Math.round((r.left - p.left) * W / p.width), Top: Math.round((r.top - p.top) * H / p.height),
          Width: Math.round(r.width * W / p.width), Height: Math.round(r.height * H / p.height) };
      });
    });
    const engine = layout.Tiles.map((t) => ({ UserId: t.UserId, Left: t.Left, Top: t.Top, Width: t.Width, Height: t.Height }));
    assert.equal(drawn.length, engine.length);
    for (let i = 0; i < engine.length; i++) {
      assert.equal(drawn[i].UserId, engine[i].UserId);
      for (const k of ['Left', 'Top', 'Width', 'Height']) assert.ok(Math.abs(drawn[i][k] - engine[i][k]) <= 1, `tile ${i} ${k}: drawn ${drawn[i][k]}, engine ${engine[i][k]}`);
    }
    assert.deepEqual(engine.map((t) => t.UserId).sort(), ['camera', 'synth']);
    assert.ok(engine.every((t) => t.Top + t.Height <= 360 && t.Left + t.Width <= 640 && t.Width > 0));
    assert.notDeepEqual([engine[0].Left, engine[0].Top], [engine[1].Left, engine[1].Top], 'two tiles, two places');
    await shot(page, 'desktop-4-task-in-progress');

    // Record a while, then Stop from the page.
    await until('a file is being recorded', async () => (await client.request('CloudrecDescribeTask', { SdkAppId: app.sdkAppId, TaskId: taskId })).StorageFileList.length > 0, 30000);
    await sleep(6000);
    await page.click('#task-stop');
    await waitPage(page, () => document.getElementById('task-status')?.textContent === 'Exited', null, 20000);
    await until('the task finished', async () => (await client.request('CloudrecDescribeTask', { SdkAppId: app.sdkAppId, TaskId: taskId })).Finished, 60000);
    await page.waitForSelector('#files tr[data-file$=".mp4"]', { timeout: 20000 });
    await page.waitForSelector('#files tr[data-file$=".m3u8"]');
    const mp4Row = await page.textContent('#files tr[data-file$=".mp4"]');
    assert.match(mp4Row, /\d+(\.\d)? (KiB|MiB)/, `the MP4's size: ${mp4Row}`);
    assert.match(mp4Row, /\d+s/, `the MP4's duration: ${mp4Row}`);
    const m3u8Row = await page.textContent('#files tr[data-file$=".m3u8"]');
    assert.match(m3u8Row, /\d+s/, `the playlist's duration: ${m3u8Row}`);

    // Play the HLS recording in the page: hls.js (served from the binary) advances time over a
    // picture of the recorded size.
    await page.click('#files button.play[data-file$=".m3u8"]');
    await waitPage(page, () => document.getElementById('player').currentTime > 2, null, 30000);
    const v = await page.evaluate(() => ({ t: document.getElementById('player').currentTime, w: document.getElementById('player').videoWidth, h: document.getElementById('player').videoHeight, hls: !!window.Hls }));
    assert.ok(v.hls, 'hls.js loaded from /console/hls.min.js');
    assert.deepEqual([v.w, v.h], [640, 360]);
    await shot(page, 'desktop-5-playback');

    // Download its MP4.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#files a.download[data-file$=".mp4"]')]);
    const saved = path.join(SHOTS, 'recording.mp4');
    await download.saveAs(saved);
    const mp4 = readFileSync(saved);
    assert.ok(mp4.length > 10000, `MP4 of ${mp4.length} bytes`);
    assert.equal(mp4.subarray(4, 8).toString('latin1'), 'ftyp');

    // The minutes it recorded, as the usage actions count them: the mixed 640x360 canvas is SD.
    await page.click('#tabs button[data-view="usage"]');
    await page.click('#usage-load');
    await waitPage(page, () => Number(document.querySelector('#usage tr[data-mix="multi"] td[data-key="SD"]')?.textContent) > 0, null, 20000);
    const sd = Number(await page.textContent('#usage tr[data-mix="multi"] td[data-key="SD"]'));
    const hlsSeconds = Number(/(\d+)s/.exec(m3u8Row)[1]);
    assert.ok(Math.abs(sd * 60 - hlsSeconds) <= 2, `mixed SD minutes ${sd} for a ${hlsSeconds} s playlist`);
    await shot(page, 'desktop-6-usage');

    // The login link was for one use only.
    const again = await rawRequest(d.port, { method: 'GET', path: new URL(link).pathname + new URL(link).search });
    assert.equal(again.status, 403);
    await pub.close();
    await context.close();
  });

  test('the console at a phone-sized screen: login with SecretId/SecretKey, the tasks list', T, async () => {
    const app = Object.values(demo)[0];
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${d.port}/`);
    await page.waitForSelector('#login:not([hidden])');
    await page.fill('#secret-id', app.secretId);
    await page.fill('#secret-key', 'wrong');
    await page.click('#login-form button[type="submit"]');
    await waitPage(page, () => document.getElementById('login-error').textContent.includes('LoginFailed'));
    await shot(page, 'phone-0-login-refused');
    await page.fill('#secret-key', app.secretKey);
    await page.click('#login-form button[type="submit"]');
    await page.waitForSelector(`#tasks tr[data-task="${taskId}"]`);
    assert.match(await page.textContent(`#tasks tr[data-task="${taskId}"]`), /Exited/);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
    await shot(page, 'phone-1-tasks');
    await page.click(`#tasks tr[data-task="${taskId}"]`);
    await page.waitForSelector('#files tr[data-file$=".mp4"]');
    await shot(page, 'phone-2-task');
    await page.click('#logout');
    await page.waitForSelector('#login:not([hidden])');
    await context.close();
  });

  test('a robot kicked from an app\'s session ends with LeaveCode 1, from the operator\'s with 3, a room the operator dismisses with 4', T, async () => {
    const app = Object.values(demo)[0];
    const ROOM2 = '7302';
    const client = makeClient(d.port, app);
    const pubSig = new TLSSigAPIv2.Api(app.sdkAppId, app.usersigKey).genSig('synth2', 3600);
    const pub = spawn(BIN, ['publish', '--server', `http://127.0.0.1:${d.port}`, '--sdkappid', String(app.sdkAppId), '--room', ROOM2, '--user', 'synth2',
      '--usersig', pubSig, '--size', '160x120', '--duration', '60'], { stdio: 'ignore' });
    try {
      const robots = ['rob_a', 'rob_b', 'rob_c'];
      const tasks = {};
      for (const r of robots) {
        tasks[r] = (await client.CreateCloudRecording({
          SdkAppId: app.sdkAppId, RoomId: ROOM2, UserId: r, UserSig: new TLSSigAPIv2.Api(app.sdkAppId, app.usersigKey).genSig(r, 3600),
          RecordParams: { RecordMode: 1, StreamType: 1 }, StorageParams: { CloudStorage: { Vendor: 0, Region: 'r', Bucket: 'b-1', AccessKey: 'a', SecretKey: 's' } },
        })).TaskId;
      }
      const mine = await login(d.port, { SecretId: app.secretId, SecretKey: app.secretKey });
      const admin = await login(d.port, { AdminToken: ADMIN });
      const rooms = async () => (await consoleCall(d.port, mine.cookie, '/console/api', { Action: 'CloudrecDescribeRooms', Params: {} })).json.Response.Rooms;
      await until('the three robots in the room', async () => {
        const room = (await rooms()).find((x) => x.RoomId === ROOM2);
        return room && robots.every((r) => room.Users.find((u) => u.UserId === r)?.RecordingTaskId === tasks[r]);
      }, 40000);
      // The publisher's stream with its codecs and what it has sent (`cloudrec publish`: H.264 + Opus).
      const stream = await until('synth2 sending for a second', async () => {
        const st = (await rooms()).find((x) => x.RoomId === ROOM2)?.Users.find((u) => u.UserId === 'synth2')?.Streams[0];
        return st && st.Kbps > 0 ? st : null;
      }, 30000);
      assert.equal(stream.VideoCodec, 'H264');
      assert.equal(stream.AudioCodec, 'OPUS');
      assert.ok(stream.ReceivedBytes > 1000, JSON.stringify(stream));
      assert.ok(stream.Kbps > 10 && stream.Kbps < 20000, JSON.stringify(stream));
      const act = (who, Action, Params) => consoleCall(d.port, who.cookie, '/console/api', { Action, Params: { SdkAppId: app.sdkAppId, ...Params } });
      assert.equal((await act(mine, 'RemoveUser', { RoomId: Number(ROOM2), UserIds: ['rob_a'] })).json.Response.Error, undefined);
      assert.equal((await act(admin, 'RemoveUser', { RoomId: Number(ROOM2), UserIds: ['rob_b'] })).json.Response.Error, undefined);
      const leave = async (r) => (await client.request('CloudrecDescribeTask', { SdkAppId: app.sdkAppId, TaskId: tasks[r] })).LeaveCode;
      await until('rob_a and rob_b ended', async () => (await leave('rob_a')) >= 0 && (await leave('rob_b')) >= 0, 30000);
      assert.equal(await leave('rob_a'), 1);
      assert.equal(await leave('rob_b'), 3);
      assert.equal((await act(admin, 'DismissRoom', { RoomId: Number(ROOM2) })).json.Response.Error, undefined);
      await until('rob_c ended', async () => (await leave('rob_c')) >= 0, 30000);
      assert.equal(await leave('rob_c'), 4);
    } finally {
      pub.kill('SIGINT');
    }
  });

  test('a single-stream recording from the form: the per-user files play side by side, in sync', T, async () => {
    const app = Object.values(demo)[0];
    const ROOM3 = '7303';
    const pubs = [['left', 'red'], ['right', 'blue']].map(([user, color]) => spawn(BIN, ['publish', '--server', `http://127.0.0.1:${d.port}`,
      '--sdkappid', String(app.sdkAppId), '--room', ROOM3, '--user', user, '--usersig', new TLSSigAPIv2.Api(app.sdkAppId, app.usersigKey).genSig(user, 3600),
      '--size', '320x180', '--color', color, '--duration', '60'], { stdio: 'ignore' }));
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      page.on('dialog', (dlg) => dlg.accept());
      await page.goto(`http://127.0.0.1:${d.port}/`);
      await page.fill('#secret-id', app.secretId);
      await page.fill('#secret-key', app.secretKey);
      await page.click('#login-form button[type="submit"]');
      await page.waitForSelector('#app-id');
      await page.click('#tabs button[data-view="create"]');
      await page.fill('#c-room', ROOM3);
      await page.fill('#c-robot', 'recorder_side');
      await page.selectOption('#c-mode', '1');
      await page.selectOption('#c-streams', '2');
      await page.selectOption('#c-format', '0');
      await page.fill('#c-sub-video', '');
      await page.fill('#c-watermark', '');
      await page.click('#create-send');
      await page.waitForSelector('#task:not([hidden])');
      const id = await page.getAttribute('#task', 'data-task');
      const client = makeClient(d.port, app);
      await until('a video file per user', async () => (await client.request('CloudrecDescribeTask', { SdkAppId: app.sdkAppId, TaskId: id })).StorageFileList.length === 2, 40000);
      await sleep(5000);
      await page.click('#task-stop');
      await until('the task finished', async () => (await client.request('CloudrecDescribeTask', { SdkAppId: app.sdkAppId, TaskId: id })).Finished, 60000);
      await page.click('#side-by-side', { timeout: 20000 });
      const state = await waitPage(page, () => {
        const media = [...document.querySelectorAll('#side video')];
        if (media.length !== 2 || media.some((m) => m.currentTime < 1.5)) return null;
        return media.map((m) => ({ user: m.dataset.user, t: m.currentTime, begin: Number(m.dataset.begin), w: m.videoWidth, h: m.videoHeight }));
      }, null, 30000);
      assert.deepEqual(state.map((m) => m.user).sort(), ['left', 'right']);
      assert.ok(state.every((m) => m.w === 320 && m.h === 180), JSON.stringify(state));
      // In sync on the wall clock: the same instant of the room in both.
      const wall = state.map((m) => m.begin + m.t * 1000);
      assert.ok(Math.abs(wall[0] - wall[1]) < 1000, `wall clocks ${wall.join(' vs ')}`);
      await shot(page, 'desktop-7-side-by-side');
    } finally {
      for (const p of pubs) p.kill('SIGINT');
      await context.close();
    }
  });
});

describe('what the console refuses', () => {
  let d;
  before(async () => {
    d = await startDaemon({ apps: [APP1, APP2], args: ['--console-admin-token', ADMIN, '--console-session-minutes', '4', '--console-session-unit-s', '1'] });
  });
  after(async () => { await d?.stop(); });

  test('GET / from a browser is the page; an API call on / is unchanged', async () => {
    const page = await rawRequest(d.port, { method: 'GET', path: '/', headers: { Accept: 'text/html,application/xhtml+xml' } });
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'], /text\/html/);
    assert.match(page.text, /cloudrec console/);
    const plain = await rawRequest(d.port, { method: 'GET', path: '/' });
    assert.match(plain.text, /MissingParameter/);
    const c = makeClient(d.port, APP1, { method: 'GET' });
    const r = await c.request('CloudrecDescribeTasks', { SdkAppId: APP1.sdkAppId });
    assert.equal(r.TotalCount, 0);
  });

  test('no session, no console header, a foreign Origin, an expired session', async () => {
    for (const [p, body] of [['/console/session'], ['/console/api', { Action: 'CloudrecDescribeTasks', Params: {} }], ['/console/usersig', { UserId: 'x' }], [`/console/files/${APP1.sdkAppId}/t/`]]) {
      const r = await consoleCall(d.port, null, p, body);
      assert.equal(r.status, 401, `${p} without a session`);
      assert.equal(r.json.Response.Error.Code, 'AuthFailure.SessionInvalid');
    }
    const { cookie, status } = await login(d.port, { SecretId: APP1.secretId, SecretKey: APP1.secretKey });
    assert.equal(status, 200);
    assert.equal((await login(d.port, { SecretId: APP1.secretId, SecretKey: APP2.secretKey })).status, 401);
    assert.equal((await login(d.port, { AdminToken: 'guess' })).status, 401);
    const ok = await consoleCall(d.port, cookie, '/console/api', { Action: 'CloudrecDescribeTasks', Params: {} });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.Response.TotalCount, 0);
    // A forged request: no console header (a form or an image), or another site's Origin.
    const noHeader = await rawRequest(d.port, { path: '/console/api', headers: { Cookie: cookie, 'Content-Type': 'application/json' }, body: '{"Action":"CloudrecDescribeTasks","Params":{}}' });
    assert.equal(noHeader.status, 403);
    const foreign = await consoleCall(d.port, cookie, '/console/api', { Action: 'CloudrecDescribeTasks', Params: {} }, { Origin: 'http://evil.example' });
    assert.equal(foreign.status, 403);
    // The session lasts 4 s here (console-session-minutes 4 of 1 s each).
    await sleep(4500);
    const late = await consoleCall(d.port, cookie, '/console/api', { Action: 'CloudrecDescribeTasks', Params: {} });
    assert.equal(late.status, 401);
    assert.equal(late.json.Response.Error.Code, 'AuthFailure.SessionInvalid');
  });

  test("an app's session never reaches another app; the operator's picks any", async () => {
    const c2 = makeClient(d.port, APP2);
    const { TaskId: task2 } = await c2.CreateCloudRecording({
      SdkAppId: APP2.sdkAppId, RoomId: '7401', UserId: 'rec_7401', UserSig: userSig(APP2, 'rec_7401'),
      RecordParams: { RecordMode: 1 }, StorageParams: { CloudStorage: { Vendor: 0, Region: 'r', Bucket: 'b-1', AccessKey: 'a', SecretKey: 's' } },
    });
    const { cookie } = await login(d.port, { SecretId: APP1.secretId, SecretKey: APP1.secretKey });
    const mine = await consoleCall(d.port, cookie, '/console/api', { Action: 'CloudrecDescribeTasks', Params: {} });
    assert.equal(mine.json.Response.TotalCount, 0, 'APP2 task not listed for APP1');
    for (const [action, params] of [['CloudrecDescribeTasks', {}], ['CloudrecDescribeTask', { TaskId: task2 }], ['DeleteCloudRecording', { TaskId: task2 }], ['DismissRoom', { RoomId: 7401 }]]) {
      const r = await consoleCall(d.port, cookie, '/console/api', { Action: action, Params: { SdkAppId: APP2.sdkAppId, ...params } });
      assert.equal(r.json.Response.Error?.Code, 'AuthFailure.UnauthorizedOperation', `${action} for APP2`);
    }
    // Its own app's id with APP2's task: not found (tasks are addressed by app and id).
    const r = await consoleCall(d.port, cookie, '/console/api', { Action: 'CloudrecDescribeTask', Params: { TaskId: task2 } });
    assert.equal(r.json.Response.Error.Code, 'ResourceNotFound');
    assert.equal((await consoleCall(d.port, cookie, `/console/files/${APP2.sdkAppId}/${task2}/`)).status, 403);
    assert.equal((await consoleCall(d.port, cookie, `/console/files/${APP1.sdkAppId}/${task2}/`)).status, 404);
    assert.equal((await consoleCall(d.port, cookie, '/console/usersig', { UserId: 'u', SdkAppId: APP2.sdkAppId })).status, 403);
    const sig = await consoleCall(d.port, cookie, '/console/usersig', { UserId: 'u' });
    assert.equal(sig.json.Response.SdkAppId, APP1.sdkAppId);
    assert.ok(sig.json.Response.UserSig.length > 50);
    // The validation and limits are the API's: a broken Create answers the API's code.
    const bad = await consoleCall(d.port, cookie, '/console/api', { Action: 'CreateCloudRecording', Params: { RoomId: '1', UserId: 'r', UserSig: 'x', RecordParams: { RecordMode: 9 } } });
    assert.match(bad.json.Response.Error.Code, /^InvalidParameter/);

    // The operator's session: every app, the one named in Params.
    const admin = await login(d.port, { AdminToken: ADMIN });
    assert.equal(admin.status, 200);
    const s = await consoleCall(d.port, admin.cookie, '/console/session');
    assert.deepEqual(s.json.Response.Apps.sort(), [APP1.sdkAppId, APP2.sdkAppId].sort());
    const theirs = await consoleCall(d.port, admin.cookie, '/console/api', { Action: 'CloudrecDescribeTasks', Params: { SdkAppId: APP2.sdkAppId } });
    assert.deepEqual(theirs.json.Response.Tasks.map((t) => t.TaskId), [task2]);
    assert.equal(theirs.json.Response.Tasks[0].Request.StorageParams.CloudStorage.SecretKey, undefined, 'no storage key shown');
    const stop = await consoleCall(d.port, admin.cookie, '/console/api', { Action: 'DeleteCloudRecording', Params: { SdkAppId: APP2.sdkAppId, TaskId: task2 } });
    assert.equal(stop.json.Response.Error, undefined);
  });

  test("kick and dismiss: an app's session acts as a client, the operator's as the server (the room events' origin)", T, async () => {
    const ROOM = 7403;
    const procs = ['p1', 'p2', 'p3'].map((user) => spawn(BIN, ['publish', '--server', `http://127.0.0.1:${d.port}`, '--sdkappid', String(APP1.sdkAppId),
      '--room', String(ROOM), '--user', user, '--usersig', userSig(APP1, user), '--size', '160x120', '--duration', '60'], { stdio: 'ignore' }));
    try {
      await waitRoom(d, APP1.sdkAppId, ROOM, (st) => st.Streams?.length === 3, { timeoutMs: 30000 });
      const app = await login(d.port, { SecretId: APP1.secretId, SecretKey: APP1.secretKey });
      const admin = await login(d.port, { AdminToken: ADMIN });
      const rooms = await consoleCall(d.port, app.cookie, '/console/api', { Action: 'CloudrecDescribeRooms', Params: {} });
      const room = rooms.json.Response.Rooms.find((r) => r.RoomId === String(ROOM));
      assert.deepEqual(room.Users.map((u) => u.UserId), ['p1', 'p2', 'p3']);
      assert.ok(room.Users.every((u) => u.JoinTime > 0 && u.Streams[0].StreamType === 'main'));
      const kick = (who, user) => consoleCall(d.port, who.cookie, '/console/api', { Action: 'RemoveUser', Params: { SdkAppId: APP1.sdkAppId, RoomId: ROOM, UserIds: [user] } });
      assert.equal((await kick(app, 'p1')).json.Response.Error, undefined);
      assert.equal((await kick(admin, 'p2')).json.Response.Error, undefined);
      const dismissed = await consoleCall(d.port, admin.cookie, '/console/api', { Action: 'DismissRoom', Params: { SdkAppId: APP1.sdkAppId, RoomId: ROOM } });
      assert.equal(dismissed.json.Response.Error, undefined);
      const events = (await roomState(d, APP1.sdkAppId, ROOM)).Events;
      const origin = (type, user) => events.find((e) => e.Type === type && (user === undefined || e.UserId === user))?.Origin;
      assert.equal(origin('kick', 'p1'), 'client');
      assert.equal(origin('kick', 'p2'), 'server');
      assert.equal(origin('dismiss'), 'server');
    } finally {
      for (const p of procs) p.kill('SIGINT');
    }
  });

  test('file names never leave the task directory', async () => {
    const c1 = makeClient(d.port, APP1);
    const { TaskId } = await c1.CreateCloudRecording({
      SdkAppId: APP1.sdkAppId, RoomId: '7402', UserId: 'rec_7402', UserSig: userSig(APP1, 'rec_7402'),
      RecordParams: { RecordMode: 1 }, StorageParams: { CloudStorage: { Vendor: 0, Region: 'r', Bucket: 'b-1', AccessKey: 'a', SecretKey: 's' } },
    });
    const { cookie } = await login(d.port, { SecretId: APP1.secretId, SecretKey: APP1.secretKey });
    const base = `/console/files/${APP1.sdkAppId}/${TaskId}`;
    assert.equal((await consoleCall(d.port, cookie, `${base}/`)).status, 200);
    for (const name of ['..%2F..%2Fcloudrec.db', '%2e%2e', '..', '.hidden', 'a%00b']) {
      const r = await consoleCall(d.port, cookie, `${base}/${name}`);
      assert.ok([400, 404].includes(r.status), `${name}: ${r.status}`);
    }
    const up = await consoleCall(d.port, cookie, `/console/files/${APP1.sdkAppId}/..%2F${TaskId}/x`);
    assert.ok([400, 404].includes(up.status));
    const logout = await consoleCall(d.port, cookie, '/console/logout', {});
    assert.equal(logout.status, 200);
    assert.equal((await consoleCall(d.port, cookie, `${base}/`)).status, 401, 'logged out');
  });

  test('failed logins: ten a minute from one address, then even the right key waits', async () => {
    // Last in this suite: it locks 127.0.0.1 out of logging in for a minute.
    // (Earlier tests of this suite failed twice already in this minute.)
    let refused = 0;
    for (let i = 0; i < 10; i++) {
      const r = await login(d.port, { SecretId: APP1.secretId, SecretKey: `wrong${i}` });
      if (r.status === 429) break;
      assert.equal(r.status, 401);
      refused++;
    }
    assert.ok(refused >= 1 && refused <= 10, `${refused} failures before the lockout`);
    const locked = await login(d.port, { SecretId: APP1.secretId, SecretKey: APP1.secretKey });
    assert.equal(locked.status, 429);
    assert.equal(locked.json.Response.Error.Code, 'RequestLimitExceeded');
  });
});
