// The CI version of the soak (issue 13; bench/soak.mjs, docs/reliability.md): 8 single-stream
// tasks, each recording a pre-encoded publisher, for 60 s after a 10 s warm-up (about 2
// minutes with the ramp and the file checks). It fails when the daemon's or a worker's RSS grows
// beyond the tolerances of bench/soak.mjs between the first and the last third of the window,
// when fds or threads grow, a worker restarts, a task does not end with its 302 after the Delete,
// or a file does not play. `make soak` runs the same code for an hour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSoak } from '../../bench/soak.mjs';

test('soak: 8 tasks for 60 s keep RSS, fds and threads flat and every file plays', { timeout: 300000 }, async () => {
  const tasks = Number(process.env.CLOUDREC_SOAK_TASKS ?? 8);
  const seconds = Number(process.env.CLOUDREC_SOAK_SECONDS ?? 60);
  const { ok, failures, report } = await runSoak({ tasks, seconds, warmup: 10, interval: 2, log: (s) => console.log(s) });
  assert.ok(report.samples.length >= seconds / 2 - 2, `only ${report.samples.length} samples`);
  assert.equal(report.files.playlists, tasks);
  assert.ok(ok, failures.join('\n'));
});
