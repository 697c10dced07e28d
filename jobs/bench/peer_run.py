#!/usr/bin/env python3
"""Runs one command of the peer benchmark and records when each line of its
output arrived. Standard library only.

    peer_run.py OUT.json [KEY=VALUE ...] -- CMD [ARG ...]

The clock starts just before the process is started and stops when it has
exited, so `wall` is end to end: process start (mpirun's, for dmf) to the
model written and the process gone. Both tools print a line as each epoch or
iteration ends and flush it (LIBMF's mf-train `<< flush`, dmf's progress
lines), so a line's arrival time is the end-to-end time of that epoch; the
same clock and the same rule for both tools. stdout and stderr are read as
one stream and kept whole in OUT.json with the KEY=VALUE pairs (the run's
description for peer_report.py), the command and its exit code. The command's
exit code is this script's.
"""
import json
import subprocess
import sys
import time


def main():
    if "--" not in sys.argv[2:]:
        sys.exit("usage: peer_run.py OUT.json [KEY=VALUE ...] -- CMD [ARG ...]")
    split = sys.argv.index("--", 2)
    out, pairs, cmd = sys.argv[1], sys.argv[2:split], sys.argv[split + 1:]
    meta = dict(pair.split("=", 1) for pair in pairs)
    lines = []
    started = time.time()  # orders the runs in the report
    start = time.monotonic()
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          bufsize=1, errors="replace") as proc:
        for line in proc.stdout:
            lines.append([round(time.monotonic() - start, 4), line.rstrip("\n")])
        rc = proc.wait()
    wall = time.monotonic() - start
    with open(out, "w") as f:
        json.dump({"meta": meta, "cmd": cmd, "rc": rc, "started": started, "wall": round(wall, 4),
                   "lines": lines}, f, indent=1)
        f.write("\n")
    return rc


if __name__ == "__main__":
    sys.exit(main())
