// GET /metrics as Prometheus scrapes it: parsed by a Prometheus text-format parser, every declared
// metric present, the counters and gauges moving as the test acts (API calls and their codes, a
// publisher's stream and WHIP session, a recording's worker with its CPU and memory, the files it
// hands over, the callbacks delivered), the metrics-token bearer check, and log-format=json.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { APP1, BIN, startDaemon, makeClient, userSig, until, expectCode, rawRequest, callbackServer } from './helpers.mjs';

const T = { timeout: 180000 };

async function scrape(d, headers = {}) {
  const res = await rawRequest(d.port, { method: 'GET', path: '/metrics', headers });
  return res;
}

/** name -> { type, samples: [{ labels, value }] } from a 200 scrape. */
async function metrics(d, headers) {
  const res = await scrape(d, headers);
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  // Every line as the exposition format's grammar has it (the parser below is lenient).
  const LINE = /^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*\})? (-?[0-9.e+-]+|\+Inf|-Inf|NaN))$/;
  for (const line of res.text.split('\n').slice(0, -1)) assert.match(line, LINE);
  assert.ok(res.text.endsWith('\n'));
  const families = parsePrometheusTextFormat(res.text);
  const out = {};
  for (const f of families) {
    out[f.name] = {
      type: f.type,
      samples: f.metrics.map((m) => ({ labels: m.labels ?? {}, value: m.value !== undefined ? Number(m.value) : undefined, buckets: m.buckets, count: m.count !== undefined ? Number(m.count) : undefined })),
    };
  }
  out.text = res.text;
  return out;
}

/** A sample's value read from the text (histograms with labels, which the parser flattens away). */
function sampleOf(text, series) {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function value(m, name, labels = {}) {
  const f = m[name];
  assert.ok(f, `${name} is exposed`);
  const s = f.samples.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s === undefined ? undefined : s.value;
}

function publish(port, room, user) {
  return spawn(BIN, ['publish', '--server', `http://127.0.0.1:${port}`, '--sdkappid', String(APP1.sdkAppId), '--room', String(room),
    '--user', user, '--usersig', userSig(APP1, user), '--size', '160x90', '--fps', '5', '--duration', '120'], { stdio: 'ignore' });
}

describe('/metrics', () => {
  const procs = [];
  const daemons = [];
  let cb;
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    for (const d of daemons) await d.stop().catch(() => {});
    if (cb) cb.server.close();
  });

  test('every metric is declared with its type; counters move with API calls, a stream, a recording and its callbacks', T, async () => {
    cb = await callbackServer();
    const app = { ...APP1, callbackKey: 'metricsKey', callbackUrl: `http://127.0.0.1:${cb.port}/cb` };
    const d = await startDaemon({ apps: [app], defaults: ['--api-rate-limit', '100000'] });
    daemons.push(d);
    const before = await metrics(d);
    const expected = {
      cloudrec_api_requests_total: 'counter', cloudrec_api_request_duration_seconds: 'histogram', cloudrec_tasks: 'gauge',
      cloudrec_tasks_created_total: 'counter', cloudrec_rooms: 'gauge', cloudrec_streams: 'gauge', cloudrec_whip_sessions: 'gauge',
      cloudrec_ingest_nacked_packets_total: 'counter', cloudrec_ingest_recovered_packets_total: 'counter', cloudrec_ingest_unrecovered_packets_total: 'counter',
      cloudrec_recorded_files_total: 'counter', cloudrec_spooled_bytes_total: 'counter', cloudrec_uploaded_bytes_total: 'counter', cloudrec_uploads_total: 'counter',
      cloudrec_upload_backlog: 'gauge', cloudrec_callbacks_total: 'counter', cloudrec_callback_backlog: 'gauge', cloudrec_workers: 'gauge',
      cloudrec_worker_starts_total: 'counter', cloudrec_worker_restarts_total: 'counter', cloudrec_worker_cpu_seconds_total: 'counter',
      cloudrec_worker_resident_bytes: 'gauge', process_cpu_seconds_total: 'counter', process_resident_memory_bytes: 'gauge', process_open_fds: 'gauge',
    };
    for (const [name, type] of Object.entries(expected)) assert.equal(before[name]?.type, type.toUpperCase(), `${name} is a ${type}`);
    assert.equal(value(before, 'cloudrec_tasks_created_total'), 0);
    assert.equal(value(before, 'cloudrec_whip_sessions'), 0);
    assert.ok(value(before, 'process_resident_memory_bytes') > 1e6);

    // Two API answers: a Describe of an unknown task (an error code) and a bad action (counted
    // as "unknown", never under the name the caller sent).
    const c = makeClient(d.port, app);
    const describeCode = await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: 'x'.repeat(32) })
      .then(() => assert.fail('an unknown task was described'), (err) => err.code);
    assert.ok(describeCode);
    await expectCode(c.request('NoSuchActionForMetrics', {}), 'InvalidAction');

    const room = 9701;
    procs.push(publish(d.port, room, 'alice'));
    await until('alice publishes', async () => value(await metrics(d), 'cloudrec_whip_sessions') === 1, 60000);
    const robot = 'metrics_robot';
    const { TaskId } = await c.CreateCloudRecording({
      SdkAppId: APP1.sdkAppId, RoomId: String(room), UserId: robot, UserSig: userSig(APP1, robot),
      RecordParams: { RecordMode: 1, StreamType: 1, MaxIdleTime: 300, MaxMediaFileDuration: 1 },
      StorageParams: { CloudStorage: { Vendor: 0, Region: 'ap-guangzhou', Bucket: 'b-1250000000', AccessKey: 'ak', SecretKey: 'sk', FileNamePrefix: ['metrics'] } },
    });
    // The worker runs and hands its first files over; its 301 is delivered.
    let last;
    const during = await until('a running worker with files handed over and a callback delivered', async () => {
      const m = await metrics(d);
      last = m;
      return value(m, 'cloudrec_workers') === 1 && value(m, 'cloudrec_recorded_files_total') >= 1
        && value(m, 'cloudrec_callbacks_total', { result: 'delivered' }) >= 1 && value(m, 'cloudrec_worker_resident_bytes', { task_id: TaskId }) > 0 ? m : null;
    }, 90000).catch((err) => {
      const show = (n) => `${n} ${JSON.stringify(last?.[n]?.samples)}`;
      throw new Error(`${err.message}\n${['cloudrec_workers', 'cloudrec_recorded_files_total', 'cloudrec_callbacks_total', 'cloudrec_worker_resident_bytes'].map(show).join('\n')}`);
    });
    assert.equal(value(during, 'cloudrec_tasks_created_total'), 1);
    assert.equal(value(during, 'cloudrec_worker_starts_total'), 1);
    assert.equal(value(during, 'cloudrec_worker_restarts_total'), 0);
    assert.equal(value(during, 'cloudrec_rooms'), 1);
    assert.equal(value(during, 'cloudrec_streams', { kind: 'main' }), 1);
    assert.equal(value(during, 'cloudrec_streams', { kind: 'aux' }), 0);
    assert.equal((value(during, 'cloudrec_tasks', { state: 'Idle' }) ?? 0) + (value(during, 'cloudrec_tasks', { state: 'InProgress' }) ?? 0), 1);
    assert.ok(value(during, 'cloudrec_worker_cpu_seconds_total', { task_id: TaskId }) >= 0);
    assert.ok(value(during, 'cloudrec_worker_resident_bytes', { task_id: TaskId }) > 5e6, 'a worker holds more than 5 MB');
    assert.equal(value(during, 'cloudrec_api_requests_total', { action: 'DescribeCloudRecording', code: describeCode }), 1);
    assert.equal(value(during, 'cloudrec_api_requests_total', { action: 'unknown', code: 'InvalidAction' }), 1);
    assert.equal(during.cloudrec_api_requests_total.samples.filter((s) => s.labels.action === 'NoSuchActionForMetrics').length, 0);
    assert.equal(value(during, 'cloudrec_api_requests_total', { action: 'CreateCloudRecording', code: 'Success' }), 1);
    const h = 'cloudrec_api_request_duration_seconds';
    assert.equal(sampleOf(during.text, `${h}_count{action="CreateCloudRecording"}`), 1, 'one Create observed in the latency histogram');
    assert.equal(sampleOf(during.text, `${h}_bucket{action="CreateCloudRecording",le="+Inf"}`), 1);
    assert.ok(sampleOf(during.text, `${h}_sum{action="CreateCloudRecording"}`) > 0);
    // Buckets are cumulative: never decreasing up to +Inf.
    const les = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];
    const counts = les.map((le) => sampleOf(during.text, `${h}_bucket{action="CreateCloudRecording",le="${le}"}`));
    for (let i = 1; i < counts.length; i++) assert.ok(counts[i] >= counts[i - 1], `bucket ${les[i]}: ${counts}`);

    // Delete: the worker ends, its per-task series go away, the 302 is delivered.
    await c.DeleteCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId });
    const end = await until('the worker gone and its 302 delivered', async () => {
      const m = await metrics(d);
      return value(m, 'cloudrec_workers') === 0 && cb.received.some((r) => JSON.parse(r.raw).EventType === 302) ? m : null;
    }, 90000);
    assert.equal(end.cloudrec_worker_resident_bytes.samples.filter((s) => s.labels.task_id === TaskId).length, 0);
    // Local storage: the worker writes the files itself; nothing went through the spool.
    assert.equal(value(end, 'cloudrec_spooled_bytes_total'), 0);
  });

  test('metrics-token: no token, a wrong one or another scheme get 401; the right one 200', T, async () => {
    const d = await startDaemon({ args: ['--metrics-token', 's3cr3t-token'] });
    daemons.push(d);
    for (const headers of [{}, { Authorization: 'Bearer wrong-token!' }, { Authorization: 'Basic czNjcjN0LXRva2Vu' }]) {
      const res = await scrape(d, headers);
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.match(res.headers['www-authenticate'], /^Bearer/);
    }
    const m = await metrics(d, { Authorization: 'Bearer s3cr3t-token' });
    assert.ok(m.cloudrec_tasks);
    const post = await rawRequest(d.port, { method: 'POST', path: '/metrics', headers: { Authorization: 'Bearer s3cr3t-token' }, body: '' });
    assert.equal(post.status, 405);
  });

  test('log-format=json: every stderr line is one JSON object with time, level, domain and message', T, async () => {
    const d = await startDaemon({ args: ['--log-format', 'json', '--log-level', 'debug'] });
    daemons.push(d);
    const c = makeClient(d.port, APP1);
    await c.DescribeCloudRecording({ SdkAppId: APP1.sdkAppId, TaskId: 'y'.repeat(32) }).catch(() => {});
    await until('a logged line', () => d.stderr.split('\n').filter(Boolean).length > 0, 10000);
    const lines = d.stderr.split('\n').filter(Boolean);
    for (const line of lines) {
      const o = JSON.parse(line);
      assert.deepEqual(Object.keys(o), ['time', 'level', 'domain', 'message']);
      assert.match(o.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);
    }
  });
});
