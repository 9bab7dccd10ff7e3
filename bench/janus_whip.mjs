// A tiny WHIP-to-Janus-VideoRoom signalling bridge for bench/janus.mjs: Janus 1.1.2 has no WHIP
// endpoint, and the bench publishes into Janus with the same `cloudrec publish` it uses for
// cloudrec. It speaks cloudrec's WHIP paths (POST /whip/APP/room/ROOM/USER/STREAM with the SDP
// offer, Location of the resource, DELETE it) and Janus's HTTP API:
//   POST offer -> create a session, attach janus.plugin.videoroom, `joinandconfigure` as a
//   publisher with the offer (jsep, trickle false: the offer holds every candidate), wait on the
//   session's long poll for the plugin's event carrying the answer -> 201 + answer;
//   DELETE -> destroy the session; OPTIONS on a live resource -> 204 (`cloudrec publish` asks
//   now and then: a 404 tells it the server ended the session).
// Signalling only: the media flows between the publisher and Janus directly.
import http from 'node:http';

let transactions = 0;

async function janus(base, path, body) {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ transaction: `t${++transactions}`, ...body }) });
  const reply = await res.json();
  if (reply.janus === 'error') throw new Error(`janus ${body.janus}: ${reply.error?.reason ?? JSON.stringify(reply)}`);
  return reply;
}

/** The next event of session @sid from @handle that carries a jsep (or an error), over the long poll. */
async function awaitJsep(base, sid, handle, deadlineMs = 15000) {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    const res = await fetch(`${base}/${sid}?maxev=10&rid=${Date.now()}`);
    const evs = [].concat(await res.json());
    for (const ev of evs) {
      if (ev.sender !== handle || ev.janus !== 'event') continue;
      const data = ev.plugindata?.data ?? {};
      if (data.error) throw new Error(`videoroom: ${data.error}`);
      if (ev.jsep) return ev.jsep;
    }
  }
  throw new Error('no answer from Janus');
}

/**
 * Serves WHIP on @host:@port (0: any free port) for Janus's HTTP API at @janusBase (e.g.
 * http://127.0.0.1:8088/janus), publishing into VideoRoom @room. Resolves to { server, port }.
 */
export async function startWhipBridge({ host, port = 0, janusBase, room }) {
  const live = new Set();
  const server = http.createServer(async (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    for await (const chunk of req) body += chunk;
    try {
      const post = /^\/whip\/\d+\/(?:str-)?room\/[^/]+\/([^/]+)\/(main|aux)$/.exec(req.url);
      const del = /^\/whip-resource\/(\d+)$/.exec(req.url);
      if (req.method === 'POST' && post) {
        const sid = (await janus(janusBase, '', { janus: 'create' })).data.id;
        const hid = (await janus(janusBase, `/${sid}`, { janus: 'attach', plugin: 'janus.plugin.videoroom' })).data.id;
        const answer = awaitJsep(janusBase, sid, hid);
        await janus(janusBase, `/${sid}/${hid}`, { janus: 'message',
          body: { request: 'joinandconfigure', ptype: 'publisher', room, display: decodeURIComponent(post[1]), audio: true, video: true },
          jsep: { type: 'offer', sdp: body, trickle: false } });
        const jsep = await answer;
        live.add(String(sid));
        res.writeHead(201, { 'Content-Type': 'application/sdp', Location: `/whip-resource/${sid}` });
        res.end(jsep.sdp);
      } else if (req.method === 'OPTIONS' && del) {
        res.writeHead(live.has(del[1]) ? 204 : 404).end();
      } else if (req.method === 'DELETE' && del) {
        live.delete(del[1]);
        await janus(janusBase, `/${del[1]}`, { janus: 'destroy' }).catch(() => {});
        res.writeHead(200).end();
      } else {
        res.writeHead(404).end();
      }
    } catch (e) {
      res.writeHead(502, { 'Content-Type': 'text/plain' }).end(String(e.message ?? e));
    }
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  return { server, port: server.address().port };
}
