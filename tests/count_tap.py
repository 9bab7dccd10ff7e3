#!/usr/bin/env python3
"""Counts test cases in a Meson testlog.json whose programs speak TAP.

Each GLib test program prints one "ok N"/"not ok N" line per case; Meson only reports programs,
so the totals the CI line needs come from here. A program that died before printing its plan
(crash, timeout) counts as one failure so it can never vanish from the totals.
Prints: "<passed> <failed> <skipped>".
"""
import json
import re
import sys

passed = failed = skipped = 0
with open(sys.argv[1], encoding="utf-8", errors="replace") as log:
    for line in log:
        if not line.strip():
            continue
        entry = json.loads(line)
        out = entry.get("stdout", "") or ""
        seen = 0
        for tap in out.splitlines():
            m = re.match(r"^(not ok|ok)\b", tap)
            if not m:
                continue
            seen += 1
            if "# SKIP" in tap:
                skipped += 1
            elif m.group(1) == "ok":
                passed += 1
            else:
                failed += 1
        if entry.get("result") not in ("OK", "EXPECTEDFAIL", "SKIP") and (seen == 0 or failed == 0):
            failed += 1
print(passed, failed, skipped)
