// Runs the integration suites, the longest first, N at a time (TAP on stdout).
//
// Why: `node --test DIR` starts its files in name order, so a long file whose name sorts late ran
// alone at the end while the other slot stood idle (CI 2026-12-04: 21 min for 38 min of suites on
// two slots; tiw_video_generation, 4 min, started after 17). Longest first leaves short files to
// fill the end. The seconds below are each file's time in that run; a file not listed counts as
// DEFAULT_S. Usage: node tests/integration/run.mjs [concurrency]
import { run } from 'node:test';
import { tap } from 'node:test/reporters';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SECONDS = {
  'tiw_video_generation.test.mjs': 253, 'record.test.mjs': 238, 'storage.test.mjs': 209,
  'rules.test.mjs': 160, 'mix.test.mjs': 114, 'tiw_record.test.mjs': 112, 'tiw_board.test.mjs': 91,
  'soak.test.mjs': 84, 'console.test.mjs': 82, 'auto_record.test.mjs': 80, 'merge.test.mjs': 79,
  'drills.test.mjs': 73, 'timestamps.test.mjs': 68, 'web_record.test.mjs': 67,
  'ingest.test.mjs': 52, 'lifecycle.test.mjs': 52, 'compose.test.mjs': 42, 'liveness.test.mjs': 40,
  'disks.test.mjs': 40, 'lossy_ingest.test.mjs': 36, 'rooms.test.mjs': 34,
  'record_once.test.mjs': 32, 'shutdown.test.mjs': 30, 'hostile_ingest.test.mjs': 28,
  'playback.test.mjs': 27, 'tiw_video.test.mjs': 24, 'publish.test.mjs': 21, 'outbox.test.mjs': 20,
  'board.test.mjs': 18, 'usage.test.mjs': 16,
};
const DEFAULT_S = 10;

const dir = path.dirname(fileURLToPath(import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.test.mjs'))
  .sort((a, b) => (SECONDS[b] ?? DEFAULT_S) - (SECONDS[a] ?? DEFAULT_S) || a.localeCompare(b))
  .map((f) => path.join(dir, f));
const concurrency = Number(process.argv[2] ?? 2);

const stream = run({ files, concurrency });
stream.on('test:fail', () => { process.exitCode = 1; });
stream.compose(tap).pipe(process.stdout);
