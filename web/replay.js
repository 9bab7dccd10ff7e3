// The replay page's player (docs/class-record.md, "The replay page"): one clock, the board's
// (Unix ms), drives every video (each run of a stream placed at its own BoardStartMs: the board
// time of the run's MediaStartMs in the video) and the board (the log's state at that time, drawn by /board/board.js). Play, pause,
// seek, speed (playbackRate of every video and the clock's rate), the chat list.
// window.cloudrecReplay = { ready, time(), seek(ms), setSpeed(x), boardSeq() } for tests.
(function () {
  'use strict';
  const q = new URLSearchParams(location.search);
  const api = { ready: false, error: null };
  window.cloudrecReplay = api;
  const el = (id) => document.getElementById(id);
  let data = null;
  let players = []; // {stream, video, hls}
  let base = 0;      // board ms at wall perf time t0
  let t0 = 0;
  let speed = 1;
  let playing = false;
  let lastSeq = 0;
  let shownChats = 0;

  function now() {
    return playing ? base + (performance.now() - t0) * speed : base;
  }

  function setClock(ms) {
    base = Math.max(data.Start, Math.min(data.End, ms));
    t0 = performance.now();
  }

  // Paused time has no media: the clock jumps over each pause.
  function skipPauses(ms) {
    for (const p of data.Pauses || []) if (ms >= p.PauseTime && ms < p.ResumeTime) return p.ResumeTime;
    return ms;
  }

  // Where board time @ms is in stream @s's video (s): each run (a stretch between two
  // discontinuities: a user who left and came back) at its own BoardStartMs, from its
  // MediaStartMs; between runs and outside them the nearest run edge, not inside.
  function streamTime(s, ms) {
    const runs = s.Runs && s.Runs.length ? s.Runs : [{ MediaStartMs: 0, BoardStartMs: s.BoardStartMs, DurationMs: s.DurationMs }];
    let best = null;
    for (const r of runs) {
      const t = ms - r.BoardStartMs;
      if (t >= 0 && t <= r.DurationMs) return { t: (r.MediaStartMs + t) / 1000, inside: true };
      const edge = t < 0 ? r.MediaStartMs : r.MediaStartMs + r.DurationMs;
      const dist = t < 0 ? -t : t - r.DurationMs;
      if (best === null || dist < best.dist) best = { t: edge / 1000, dist };
    }
    return { t: best.t, inside: false };
  }

  function syncVideos(ms, force) {
    for (const p of players) {
      const { t: target, inside } = streamTime(p.stream, ms);
      p.video.style.opacity = inside ? 1 : 0.2;
      if (force || Math.abs(p.video.currentTime - target) > 0.25) p.video.currentTime = target;
      p.video.playbackRate = speed;
      if (playing && inside) {
        if (p.video.paused) p.video.play().catch(() => {});
      } else if (!p.video.paused) p.video.pause();
    }
  }

  function drawBoard(ms) {
    const B = window.CloudrecBoard;
    const entries = data.Log || [];
    let seq = 0;
    for (const e of entries) if (e.ts <= ms && e.seq > seq) seq = e.seq;
    if (B) {
      const state = B.BoardState.at(entries, ms);
      B.draw(el('board'), state);
    }
    lastSeq = seq;
    const chats = entries.filter((e) => e.t === 'chat' && e.ts <= ms);
    if (q.get('showChatMessages') !== '0' && chats.length !== shownChats) {
      shownChats = chats.length;
      el('chat').innerHTML = '';
      for (const c of chats) {
        const div = document.createElement('div');
        div.className = 'msg';
        const who = document.createElement('span');
        who.className = 'who';
        who.textContent = c.user + ': ';
        div.appendChild(who);
        div.appendChild(document.createTextNode(c.text));
        el('chat').appendChild(div);
      }
    }
  }

  function render(force) {
    let ms = now();
    const skipped = skipPauses(ms);
    if (skipped !== ms) { setClock(skipped); ms = skipped; force = true; }
    if (ms >= data.End && playing) { playing = false; setClock(data.End); el('play').textContent = 'Play'; }
    syncVideos(ms, force);
    drawBoard(ms);
    el('seek').value = String(Math.round(ms - data.Start));
    const s = Math.floor((ms - data.Start) / 1000);
    el('clock').textContent = Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
  }

  function loop() {
    render(false);
    requestAnimationFrame(loop);
  }

  async function start() {
    const params = new URLSearchParams({ task: q.get('task') || '', sdkappid: q.get('sdkappid') || '', token: q.get('token') || '' });
    const res = await fetch('/board/replay/data?' + params);
    if (!res.ok) throw new Error('replay data: HTTP ' + res.status + ' ' + (await res.text()));
    data = await res.json();
    const canvas = el('board');
    canvas.width = data.Whiteboard.Width;
    canvas.height = data.Whiteboard.Height;
    for (const s of data.Streams) {
      const box = document.createElement('div');
      const label = document.createElement('div');
      label.className = 'label';
      label.textContent = s.UserId + ' (' + s.Media + ', ' + s.SyncSource + ')';
      const video = document.createElement('video');
      video.muted = true; // autoplay without a gesture; the page is a viewer
      video.playsInline = true;
      video.dataset.user = s.UserId;
      video.dataset.boardStart = String(s.BoardStartMs);
      box.appendChild(label);
      box.appendChild(video);
      el('videos').appendChild(box);
      let hls = null;
      if (window.Hls && window.Hls.isSupported()) {
        hls = new window.Hls();
        hls.loadSource(s.Url);
        hls.attachMedia(video);
      } else {
        video.src = s.Url;
      }
      players.push({ stream: s, video, hls });
    }
    el('seek').max = String(Math.max(0, data.End - data.Start));
    setClock(data.Start);
    el('play').onclick = () => {
      if (playing) { base = now(); playing = false; el('play').textContent = 'Play'; } else { setClock(now()); playing = true; el('play').textContent = 'Pause'; }
      render(true);
    };
    el('seek').oninput = () => { setClock(data.Start + Number(el('seek').value)); render(true); };
    el('speed').onchange = () => api.setSpeed(Number(el('speed').value));
    // ready once every video can show a frame
    await Promise.all(players.map((p) => new Promise((resolve) => {
      if (p.video.readyState >= 1) resolve();
      p.video.addEventListener('loadedmetadata', resolve, { once: true });
      setTimeout(resolve, 20000);
    })));
    render(true);
    requestAnimationFrame(loop);
    api.ready = true;
  }

  api.time = () => now();
  api.seek = (ms) => { setClock(ms); render(true); };
  api.setSpeed = (x) => { base = now(); t0 = performance.now(); speed = x; el('speed').value = String(x); render(false); };
  api.play = () => { if (!playing) el('play').click(); };
  api.pause = () => { if (playing) el('play').click(); };
  api.boardSeq = () => lastSeq;
  api.data = () => data;
  api.videos = () => players.map((p) => ({ user: p.stream.UserId, media: p.stream.Media, currentTime: p.video.currentTime, boardStart: p.stream.BoardStartMs, runs: p.stream.Runs, sync: p.stream.SyncSource }));
  api.streamTime = (i, ms) => streamTime(players[i].stream, ms);

  start().catch((e) => { api.error = String(e); document.body.insertAdjacentText('afterbegin', String(e)); });
})();
