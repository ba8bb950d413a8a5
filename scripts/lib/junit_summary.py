#!/usr/bin/env python3
"""Summarises a ginkgo JUnit report: the failed specs with their first message
line, then RESULT passed=.. failed=.. skipped=.. seconds=..

  junit_summary.py junit.xml SECONDS
"""
import sys
import xml.etree.ElementTree as ET


def main():
    path, seconds = sys.argv[1], sys.argv[2]
    root = ET.parse(path).getroot()
    passed = failed = skipped = 0
    for case in root.iter("testcase"):
        name = case.get("name", "")
        if name.startswith("[SynchronizedBeforeSuite]") or name.startswith("[SynchronizedAfterSuite]") \
                or name.startswith("[ReportAfterSuite]") or name.startswith("[BeforeSuite]"):
            if case.find("failure") is not None or case.find("error") is not None:
                print(f"FAILED {name}")
                failed += 1
            continue
        if case.find("skipped") is not None:
            skipped += 1
        elif case.find("failure") is not None or case.find("error") is not None:
            failed += 1
            bad = case.find("failure")
            if bad is None:
                bad = case.find("error")
            msg = (bad.get("message") or bad.text or "").strip().splitlines()
            print(f"FAILED {name}\n    {msg[0][:300] if msg else ''}")
        else:
            passed += 1
    print(f"RESULT passed={passed} failed={failed} skipped={skipped} seconds={seconds}")


if __name__ == "__main__":
    main()
