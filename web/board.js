// The whiteboard's shared script (docs/board.md): the board state (ops applied in seq order),
// its drawing on a <canvas>, and the client of /board/ws. Used by /board (edit and view) and by
// the replay page.
//
// Why one script for all of them: the recording's view page, the teacher's editor and the replay
// must show the same pixels for the same log. Every rule of the contract's Rendering section
// lives here once (and in the C renderer, which follows docs/board.md "Rendering").
(function (global) {
  'use strict';

  // ---- state ----

  function BoardState() {
    this.pages = [[]]; // pages[P]: the elements of page P in log order
    this.shown = 0;    // the page shown
    this.seq = 0;      // the last seq applied
    this.ts = 0;       // its ts
    this.chats = [];   // {seq, ts, user, text}
  }

  // Applies one entry of the log; false when it was applied before (seq not newer).
  BoardState.prototype.apply = function (entry) {
    if (!entry || typeof entry.seq !== 'number' || entry.seq <= this.seq) return false;
    this.seq = entry.seq;
    this.ts = entry.ts;
    if (entry.t === 'chat') {
      this.chats.push({ seq: entry.seq, ts: entry.ts, user: entry.user, text: entry.text });
    } else if (entry.t === 'op' && entry.op) {
      this.applyOp(entry.op, entry.user, entry.seq);
    }
    return true;
  };

  BoardState.prototype.page = function (p) {
    while (this.pages.length <= p) this.pages.push([]);
    return this.pages[p];
  };

  BoardState.prototype.applyOp = function (op, user, seq) {
    switch (op.kind) {
      case 'stroke':
      case 'shape':
      case 'text':
        this.page(op.page).push(Object.assign({ user: user, seq: seq }, op));
        break;
      case 'page':
        if (op.action === 'add') {
          this.page(op.page);
          this.shown = op.page;
        } else if (op.page < this.pages.length) {
          this.shown = op.page;
        }
        break;
      case 'undo':
        for (let p = 0; p < this.pages.length; p++)
          this.pages[p] = this.pages[p].filter((el) => el.id !== op.id);
        break;
      case 'clear':
        if (op.page < this.pages.length) this.pages[op.page] = [];
        break;
    }
  };

  // The state at board time T: every entry with ts <= T, in seq order.
  BoardState.at = function (entries, t) {
    const s = new BoardState();
    const sorted = entries.slice().sort((a, b) => a.seq - b.seq);
    for (const e of sorted) if (e.ts <= t) s.apply(e);
    return s;
  };

  // ---- drawing ----

  function drawElement(ctx, el, w, h) {
    ctx.save();
    if (el.kind === 'stroke') {
      ctx.lineCap = 'round';
      ctx.lineJoin = 'round';
      ctx.lineWidth = el.width * h;
      ctx.strokeStyle = el.color;
      ctx.beginPath();
      const pts = el.points;
      ctx.moveTo(pts[0][0] * w, pts[0][1] * h);
      if (pts.length === 1) ctx.lineTo(pts[0][0] * w, pts[0][1] * h); // a dot: the round cap
      for (let i = 1; i < pts.length; i++) ctx.lineTo(pts[i][0] * w, pts[i][1] * h);
      ctx.stroke();
    } else if (el.kind === 'shape') {
      const x0 = el.x0 * w, y0 = el.y0 * h, x1 = el.x1 * w, y1 = el.y1 * h;
      ctx.beginPath();
      if (el.shape === 'line') {
        ctx.moveTo(x0, y0);
        ctx.lineTo(x1, y1);
      } else if (el.shape === 'rect') {
        ctx.rect(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0));
      } else {
        ctx.ellipse((x0 + x1) / 2, (y0 + y1) / 2, Math.abs(x1 - x0) / 2, Math.abs(y1 - y0) / 2,
          0, 0, 2 * Math.PI);
      }
      if (el.fill && el.shape !== 'line') {
        ctx.fillStyle = el.fill;
        ctx.fill();
      }
      ctx.lineWidth = el.width * h;
      ctx.strokeStyle = el.color;
      ctx.lineCap = 'round';
      ctx.lineJoin = 'miter';
      ctx.stroke();
    } else if (el.kind === 'text') {
      const px = el.size * h;
      ctx.font = px + 'px sans-serif';
      ctx.textBaseline = 'top';
      ctx.textAlign = 'left';
      ctx.fillStyle = el.color;
      const lines = String(el.text).split('\n');
      for (let i = 0; i < lines.length; i++) ctx.fillText(lines[i], el.x * w, el.y * h + i * px * 1.2);
    }
    ctx.restore();
  }

  // Draws the shown page of @state (and @extra elements on top) on @canvas, whose backing store
  // is width x height device pixels.
  function draw(canvas, state, extra) {
    const ctx = canvas.getContext('2d');
    const w = canvas.width, h = canvas.height;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, w, h);
    const els = state.pages[state.shown] || [];
    for (const el of els) drawElement(ctx, el, w, h);
    for (const el of extra || []) if (el.page === state.shown) drawElement(ctx, el, w, h);
  }

  // ---- the connection ----

  // Connects to /board/ws with @params {sdkappid, room, userid, usersig}; reconnects when the
  // socket drops, asking only for what it has not applied (since=seq). Messages given while
  // disconnected wait and go once; nothing is sent twice.
  function BoardClient(params, handlers) {
    this.params = params;
    this.h = handlers || {};
    this.state = new BoardState();
    this.ready = false;
    this.clockOffset = 0; // board clock - local clock, ms
    this.queue = [];
    this.ws = null;
    this.closed = false;
    this.retryMs = 500;
    this.connect();
  }

  BoardClient.prototype.url = function () {
    const q = new URLSearchParams({
      sdkappid: this.params.sdkappid, room: this.params.room,
      userid: this.params.userid, usersig: this.params.usersig,
    });
    if (this.state.seq > 0) q.set('since', String(this.state.seq));
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return proto + '//' + location.host + '/board/ws?' + q.toString();
  };

  BoardClient.prototype.connect = function () {
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.onopen = () => {
      this.retryMs = 500;
      const q = this.queue;
      this.queue = [];
      for (const text of q) ws.send(text);
      if (this.h.status) this.h.status('connected');
    };
    ws.onmessage = (ev) => {
      let m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (m.t === 'welcome') {
        this.clockOffset = m.clock - Date.now();
        this.welcomeSeq = m.seq;
        if (this.state.seq >= m.seq) this.setReady();
      } else if (m.t === 'error') {
        if (this.h.error) this.h.error(m.message);
      } else if (this.state.apply(m)) {
        if (this.h.entry) this.h.entry(m);
        if (!this.ready && this.state.seq >= this.welcomeSeq) this.setReady();
      }
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.ready = false;
      if (this.h.status) this.h.status('disconnected');
      if (this.closed) return;
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 5000);
    };
  };

  BoardClient.prototype.setReady = function () {
    this.ready = true;
    if (this.h.ready) this.h.ready();
  };

  BoardClient.prototype.send = function (msg) {
    const text = JSON.stringify(msg);
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
    else this.queue.push(text);
  };

  BoardClient.prototype.sendOp = function (op) { this.send({ t: 'op', op: op }); };
  BoardClient.prototype.sendChat = function (text) { this.send({ t: 'chat', text: text }); };
  BoardClient.prototype.close = function () {
    this.closed = true;
    if (this.ws) this.ws.close();
  };

  global.CloudrecBoard = { BoardState: BoardState, BoardClient: BoardClient, draw: draw, drawElement: drawElement };
})(typeof window !== 'undefined' ? window : globalThis);
