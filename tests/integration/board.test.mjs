// The built-in whiteboard (docs/board.md): a teacher draws with real mouse events on /board in
// edit mode, a student and a view page (what the class recording captures) see the same board,
// pixel for pixel where it matters; chat; the log; the refusals; a restart keeps the log; a
// closed tab frees its place. Headless Chromium is real; nothing is mocked.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { APP1, APP2, makeTmpDir, startDaemon, userSig } from './helpers.mjs';
import { launchChromium } from './media.mjs';

const W = 800;
const H = 450;
const ROOM = 'class-7 a';

let browser;
before(async () => { browser = await launchChromium(); });
after(async () => { await browser?.close(); });

function boardQuery(app, room, user, extra = {}) {
  return new URLSearchParams({ sdkappid: String(app.sdkAppId), room, userid: user, usersig: userSig(app, user), ...extra });
}

async function openBoard(daemon, user, { mode = 'edit', room = ROOM, app = APP1 } = {}) {
  const page = await browser.newPage({ viewport: mode === 'view' ? { width: W, height: H } : { width: 1400, height: 900 } });
  page.on('pageerror', (e) => { page.lastError = e; });
  const q = boardQuery(app, room, user, { mode, width: String(W), height: String(H) });
  await page.goto(`http://127.0.0.1:${daemon.port}/board?${q}`);
  await page.waitForFunction(() => window.cloudrecBoard && window.cloudrecBoard.ready, null, { timeout: 30000 });
  return page;
}

function get(port, pathAndQuery, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathAndQuery, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body, headers: res.headers }));
    });
    req.on('upgrade', (res, socket) => { socket.destroy(); resolve({ status: res.statusCode, upgraded: true }); });
    req.on('error', reject);
    req.setTimeout(20000, () => req.destroy(new Error('timeout')));
  });
}

const WS_HEADERS = { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' };

async function boardLog(port, app, room, user, extra = {}) {
  const r = await get(port, `/board/log?${boardQuery(app, room, user, extra)}`);
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body);
}

// Drags the mouse over the teacher's canvas from (x0,y0) to (x1,y1), normalised coordinates.
async function drag(page, from, to, steps = 12) {
  const box = await page.locator('#board').boundingBox();
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  await page.mouse.move(...at(from));
  await page.mouse.down();
  for (let i = 1; i <= steps; i++) {
    const p = [from[0] + ((to[0] - from[0]) * i) / steps, from[1] + ((to[1] - from[1]) * i) / steps];
    await page.mouse.move(...at(p));
  }
  await page.mouse.up();
}

async function setColor(page, hex) {
  await page.$eval('#color', (el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }, hex);
}

async function waitSeq(page, seq) {
  await page.waitForFunction((s) => window.cloudrecBoard.seq >= s && window.cloudrecBoard.ready, seq, { timeout: 30000 });
}

// The view page's canvas pixel at normalised (x, y): [r, g, b].
async function pixel(page, x, y) {
  return page.evaluate(([nx, ny]) => {
    const c = document.getElementById('board');
    const d = c.getContext('2d').getImageData(Math.round(nx * c.width), Math.round(ny * c.height), 1, 1).data;
    return [d[0], d[1], d[2]];
  }, [x, y]);
}

function near(actual, expected, what) {
  const ok = actual.every((v, i) => Math.abs(v - expected[i]) <= 40);
  assert.ok(ok, `${what}: pixel ${JSON.stringify(actual)}, expected about ${JSON.stringify(expected)}`);
}

function pagesOf(state) {
  return JSON.stringify({ shown: state.shown, pages: state.pages });
}

test('a class on the whiteboard: draw, see, chat, log, refusals, restart', { timeout: 300000 }, async () => {
  const dataDir = makeTmpDir();
  let daemon = await startDaemon({ dataDir });
  const t0 = Date.now();
  const teacher = await openBoard(daemon, 'teacher');
  assert.equal(await teacher.evaluate(() => window.cloudrecBoard.seq), 0);

  // A green stroke with real mouse events, across the top left.
  await setColor(teacher, '#00a000');
  await teacher.selectOption('#width', '0.025');
  await drag(teacher, [0.1, 0.2], [0.4, 0.2]);
  await waitSeq(teacher, 1);
  // A red filled rectangle at the right.
  await teacher.click('[data-tool=rect]');
  await setColor(teacher, '#ff0000');
  await teacher.check('#fill');
  await drag(teacher, [0.6, 0.5], [0.9, 0.8]);
  await waitSeq(teacher, 2);
  // A text at the bottom left.
  await teacher.click('[data-tool=text]');
  await setColor(teacher, '#000000');
  const box = await teacher.locator('#board').boundingBox();
  await teacher.mouse.click(box.x + 0.1 * box.width, box.y + 0.7 * box.height);
  await teacher.waitForSelector('#textinput', { state: 'visible' });
  // The page focuses the box just after the click (a timer, so the click does not take the focus
  // back): keys typed before that went to the page (seen on a loaded machine: "o <b>class</b>").
  await teacher.waitForFunction(() => document.activeElement?.id === 'textinput', null, { timeout: 20000 });
  await teacher.keyboard.type('Hello <b>class</b>');
  await teacher.keyboard.press('Enter');
  await waitSeq(teacher, 3);
  // A page added, then back to the first.
  await teacher.click('#addpage');
  await waitSeq(teacher, 4);
  assert.deepEqual(await teacher.evaluate(() => [window.cloudrecBoard.state.shown, window.cloudrecBoard.state.pages.length]), [1, 2]);
  await teacher.click('#prev');
  await waitSeq(teacher, 5);
  assert.equal(await teacher.evaluate(() => window.cloudrecBoard.state.shown), 0);
  // A blue stroke, undone.
  await teacher.click('[data-tool=pen]');
  await setColor(teacher, '#0000ff');
  await drag(teacher, [0.1, 0.45], [0.4, 0.45]);
  await waitSeq(teacher, 6);
  await teacher.click('#undo');
  await waitSeq(teacher, 7);
  const state = await teacher.evaluate(() => window.cloudrecBoard.state);
  assert.deepEqual(state.pages[0].map((e) => e.kind), ['stroke', 'shape', 'text']);
  assert.equal(state.pages[0][1].fill, '#ff0000');
  assert.equal(state.pages[0][2].text, 'Hello <b>class</b>');
  assert.deepEqual(state.pages[1], []);

  // A student and the view page see the same board.
  const student = await openBoard(daemon, 'student');
  const view = await openBoard(daemon, 'tic_record_user_7', { mode: 'view' });
  await waitSeq(student, 7);
  await waitSeq(view, 7);
  const tState = pagesOf(await teacher.evaluate(() => window.cloudrecBoard.state));
  assert.equal(pagesOf(await student.evaluate(() => window.cloudrecBoard.state)), tState);
  assert.equal(pagesOf(await view.evaluate(() => window.cloudrecBoard.state)), tState);
  // The view page: the board alone, W x H, no toolbar, no scrollbars.
  assert.equal(await view.isVisible('#toolbar'), false);
  assert.equal(await view.isVisible('#chatform'), false);
  assert.deepEqual(await view.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]), [W, H]);
  const viewCanvas = await view.locator('#board').boundingBox();
  assert.deepEqual([viewCanvas.x, viewCanvas.y, viewCanvas.width, viewCanvas.height], [0, 0, W, H]);
  await view.waitForTimeout(200); // one animation frame
  near(await pixel(view, 0.25, 0.2), [0, 160, 0], 'the green stroke');
  near(await pixel(view, 0.75, 0.65), [255, 0, 0], 'the red rectangle');
  near(await pixel(view, 0.25, 0.45), [255, 255, 255], 'the undone blue stroke');
  near(await pixel(view, 0.5, 0.95), [255, 255, 255], 'the background');
  near(await pixel(view, 0.95, 0.1), [255, 255, 255], 'the background');

  // Chat from the student reaches the teacher, as text (nothing in it is markup).
  await student.fill('#chattext', '<img src=x onerror="window.pwned=1">hi');
  await student.press('#chattext', 'Enter');
  await teacher.waitForFunction(() => document.querySelectorAll('#chatlist li').length === 1, null, { timeout: 30000 });
  assert.equal(await teacher.textContent('#chatlist li'), 'student<img src=x onerror="window.pwned=1">hi');
  assert.equal(await teacher.evaluate(() => document.querySelectorAll('#chatlist img').length), 0);
  assert.equal(await teacher.evaluate(() => window.pwned), undefined);
  await waitSeq(view, 8);

  // The log: every entry in seq order, stamped within the test's wall clock.
  const t1 = Date.now();
  const log = await boardLog(daemon.port, APP1, ROOM, 'student');
  assert.equal(log.LastSeq, 8);
  assert.deepEqual(log.Ops.map((e) => e.seq), [1, 2, 3, 4, 5, 6, 7, 8]);
  for (let i = 0; i < log.Ops.length; i++) {
    assert.ok(log.Ops[i].ts >= t0 && log.Ops[i].ts <= t1, `ts ${log.Ops[i].ts} outside [${t0}, ${t1}]`);
    if (i > 0) assert.ok(log.Ops[i].ts >= log.Ops[i - 1].ts);
  }
  assert.deepEqual(log.Ops.map((e) => e.t === 'op' ? e.op.kind : 'chat'), ['stroke', 'shape', 'text', 'page', 'page', 'stroke', 'undo', 'chat']);
  assert.equal(log.Ops[0].user, 'teacher');
  assert.equal(log.Ops[7].user, 'student');
  assert.equal((await boardLog(daemon.port, APP1, ROOM, 'student', { since: '6' })).Ops.length, 2);
  const mid = log.Ops[3].ts;
  const ranged = await boardLog(daemon.port, APP1, ROOM, 'student', { from: String(mid), to: String(mid) });
  assert.ok(ranged.Ops.every((e) => e.ts === mid) && ranged.Ops.some((e) => e.seq === 4));
  // Another room is another board.
  assert.deepEqual((await boardLog(daemon.port, APP1, 'other', 'student')).Ops, []);

  // Refusals before the upgrade: bad UserSig, another app's UserSig, an app the server lacks, none.
  const bad = boardQuery(APP1, ROOM, 'student');
  bad.set('usersig', bad.get('usersig').slice(0, -6) + 'AAAAAA');
  let r = await get(daemon.port, `/board/ws?${bad}`, WS_HEADERS);
  assert.ok(r.status === 401 || r.status === 403, `status ${r.status}`);
  assert.ok(!r.upgraded);
  assert.equal(JSON.parse(r.body).Code, 'AuthFailure');
  const foreign = boardQuery(APP1, ROOM, 'student');
  foreign.set('usersig', userSig(APP2, 'student'));
  r = await get(daemon.port, `/board/ws?${foreign}`, WS_HEADERS);
  assert.equal(r.status, 403);
  assert.match(JSON.parse(r.body).Message, /UserSig/);
  r = await get(daemon.port, `/board/ws?${boardQuery(APP2, ROOM, 'student')}`, WS_HEADERS);
  assert.equal(r.status, 403);
  assert.match(JSON.parse(r.body).Message, /1400000002 is not an application/);
  const none = boardQuery(APP1, ROOM, 'student');
  none.delete('usersig');
  r = await get(daemon.port, `/board/ws?${none}`, WS_HEADERS);
  assert.equal(r.status, 401);
  r = await get(daemon.port, `/board/log?${bad}`);
  assert.ok(r.status === 401 || r.status === 403);
  // The browser's WebSocket with a bad sig never opens.
  const opened = await student.evaluate((url) => new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.onopen = () => resolve(true);
    ws.onclose = () => resolve(false);
  }), `ws://127.0.0.1:${daemon.port}/board/ws?${bad}`);
  assert.equal(opened, false);

  // Malformed ops and an oversized message: an error message, nothing stored, still connected.
  const before = (await boardLog(daemon.port, APP1, ROOM, 'student')).LastSeq;
  await student.evaluate(() => {
    const b = window.cloudrecBoard;
    b.sendOp({ kind: 'stroke', id: 's1', page: 0, color: 'red', width: 0.01, points: [[0, 0]] });
    b.sendOp({ kind: 'stroke', id: 's2', page: 0, color: '#ff0000', width: 0.01, points: [[0, 1.5]] });
    b.sendOp({ kind: 'shape', id: 's3', page: 9, shape: 'rect', color: '#ff0000', width: 0.01, x0: 0, y0: 0, x1: 1, y1: 1 });
    b.sendOp({ kind: 'wipe', page: 0 });
    b.sendChat('x'.repeat(300 * 1024));
  });
  await student.waitForFunction(() => window.cloudrecBoard.errors.length >= 5, null, { timeout: 30000 });
  const errors = await student.evaluate(() => window.cloudrecBoard.errors);
  assert.match(errors[0], /op\.color/);
  assert.match(errors[1], /op\.points\[0\]\[1\]/);
  assert.match(errors[2], /op\.page 9 does not exist/);
  assert.match(errors[3], /op\.kind/);
  assert.match(errors[4], /at most 262144/);
  assert.equal((await boardLog(daemon.port, APP1, ROOM, 'student')).LastSeq, before);
  // The connection still works after the refusals.
  await student.evaluate(() => window.cloudrecBoard.sendChat('still here'));
  await waitSeq(teacher, before + 1);

  // A restart keeps the log: a new view page shows the strokes.
  await Promise.all([teacher.close(), student.close(), view.close()]);
  await daemon.stop();
  daemon = await startDaemon({ dataDir });
  const view2 = await openBoard(daemon, 'tic_record_user_8', { mode: 'view' });
  await waitSeq(view2, before + 1);
  await view2.waitForTimeout(200);
  near(await pixel(view2, 0.25, 0.2), [0, 160, 0], 'the green stroke after the restart');
  near(await pixel(view2, 0.75, 0.65), [255, 0, 0], 'the red rectangle after the restart');
  near(await pixel(view2, 0.25, 0.45), [255, 255, 255], 'the undone stroke after the restart');
  assert.equal(view2.lastError, undefined);
  await view2.close();
  await daemon.stop();
});

test('board-max-connections: one page too many is refused; a closed tab frees its place', { timeout: 120000 }, async () => {
  const daemon = await startDaemon({ args: ['--board-max-connections', '2'] });
  const room = 'limit';
  const a = await openBoard(daemon, 'a', { room });
  const b = await openBoard(daemon, 'b', { room });
  let r = await get(daemon.port, `/board/ws?${boardQuery(APP1, room, 'c')}`, WS_HEADERS);
  assert.equal(r.status, 503);
  assert.equal(JSON.parse(r.body).Code, 'LimitExceeded');
  // Another board is not full.
  r = await get(daemon.port, `/board/ws?${boardQuery(APP1, 'other', 'c')}`, WS_HEADERS);
  assert.equal(r.status, 101);
  await b.close();
  const c = await (async () => {
    for (let i = 0; i < 100; i++) {
      r = await get(daemon.port, `/board/ws?${boardQuery(APP1, room, 'c')}`, WS_HEADERS);
      if (r.status === 101) return r;
      await new Promise((res) => setTimeout(res, 200));
    }
    return r;
  })();
  assert.equal(c.status, 101, 'the closed tab\'s place was not freed');
  await a.close();
  await daemon.stop();
});

test('the rate bound refuses the excess with an error and keeps the page connected', { timeout: 120000 }, async () => {
  const daemon = await startDaemon({ args: ['--board-rate-limit', '5'] });
  const page = await openBoard(daemon, 'fast', { room: 'rate' });
  await page.evaluate(() => { for (let i = 0; i < 40; i++) window.cloudrecBoard.sendChat('m' + i); });
  await page.waitForFunction(() => window.cloudrecBoard.errors.length >= 1, null, { timeout: 30000 });
  assert.match((await page.evaluate(() => window.cloudrecBoard.errors))[0], /too many messages: at most 5 a second/);
  await page.waitForTimeout(1500);
  const log = await boardLog(daemon.port, APP1, 'rate', 'fast');
  assert.ok(log.LastSeq >= 5 && log.LastSeq < 40, `LastSeq ${log.LastSeq}`);
  await page.evaluate(() => window.cloudrecBoard.sendChat('later'));
  await waitSeq(page, log.LastSeq + 1);
  await page.close();
  await daemon.stop();
});
