# Thin wrapper over Meson. `make run` and `make test` are the two commands of the README.
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 30
LISTEN ?= 127.0.0.1:8080
DATA_DIR ?= var

.PHONY: all deps build run test unit drills asan fuzz bench bench-capacity bench-compare soak soak-short format clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD)

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

# The demo keeps both CloudStorage vendors' recordings in the local store (it says so when it
# starts); point a vendor at a real store with --storage-endpoint VENDOR=URL (docs/storage.md).
run: deps build
	$(BUILD)/cloudrec serve --listen $(LISTEN) --data-dir $(DATA_DIR) --storage-endpoint 0=local,1=local

test: deps build
	tests/run.sh $(BUILD)

unit: build
	meson test -C $(BUILD) --print-errorlogs

# The crash drills of docs/reliability.md at full length: ten worker drills (three kill -9 each)
# and the daemon drill, in a network namespace of their own as in `make test` (which runs 2).
DRILLS ?= 10
drills: deps build
	CLOUDREC_BIN=$(CURDIR)/$(BUILD)/cloudrec CLOUDREC_DRILLS=$(DRILLS) \
	  unshare -n sh -c 'ip link set lo up && exec "$$@"' drills \
	  node --test --test-concurrency=1 tests/integration/drills.test.mjs

asan:
	[ -f $(ASAN_BUILD)/build.ninja ] || meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C $(ASAN_BUILD)
	meson test -C $(ASAN_BUILD) --print-errorlogs

fuzz:
	[ -f $(FUZZ_BUILD)/build.ninja ] || CC=clang meson setup $(FUZZ_BUILD) -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C $(FUZZ_BUILD) fuzzers
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: deps build
	bench/run.sh $(BUILD)

# Only the capacity run (bench/capacity.mjs; BENCH_CAPACITY_STEPS, BENCH_CAPACITY_SECONDS)
bench-capacity: deps build
	unshare -n sh -c 'ip link set lo up && exec env BUILD=$(abspath $(BUILD)) node bench/capacity.mjs'

# Before/after in one run: make bench-compare BEFORE=<git revision>
bench-compare: deps build
	bench/compare.sh $(BEFORE)

# The soak (docs/reliability.md): concurrent single-stream tasks, flat RSS/fds/threads, every file
# playable, every task ended by its Delete. SOAK_TASKS is the most this 2-core machine holds with
# the publishers on it too (100 is the goal; 40 saturates the daemon's ingest: docs/reliability.md).
SOAK_TASKS ?= 30
soak: deps build
	CLOUDREC_SOAK_TASKS=$(SOAK_TASKS) CLOUDREC_SOAK_SECONDS=3600 bench/soak.sh $(BUILD)

soak-short: deps build
	CLOUDREC_SOAK_TASKS=$${CLOUDREC_SOAK_TASKS:-20} CLOUDREC_SOAK_SECONDS=$${CLOUDREC_SOAK_SECONDS:-600} bench/soak.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
