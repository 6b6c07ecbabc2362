#!/usr/bin/env python3
"""Reads a meson test log (meson-logs/testlog*.json).

Usage: testlog-counts.py TESTLOG.json

Prints "PASSED FAILED SKIPPED" on its first line (an expected failure
counts as passed; a timeout or an error as failed), then the name of
each failed test and how it failed, one a line. run-tests.sh and
build-aux/run-hardening.sh add these to their counts.
"""
import json
import sys

counts = {"OK": 0, "FAIL": 0, "SKIP": 0}
failed = []
for line in open(sys.argv[1]):
    test = json.loads(line)
    result = test["result"]
    kind = "OK" if result in ("OK", "EXPECTEDFAIL") else "SKIP" if result == "SKIP" else "FAIL"
    counts[kind] += 1
    if kind == "FAIL":
        failed.append("%s (%s)" % (test["name"], result))
print(counts["OK"], counts["FAIL"], counts["SKIP"])
for name in failed:
    print(name)
