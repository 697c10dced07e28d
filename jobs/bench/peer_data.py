#!/usr/bin/env python3
"""Data preparation of the peer benchmark (jobs/bench/peer.sh). Standard
library only.

    peer_data.py dense IN OUT     ratings with ID tokens (user::item::rating[::time],
                                  MovieLens/MovieTweetings .dat) -> OUT as LIBMF text
                                  `u i r`, each ID token replaced by a dense 0-based
                                  index in order of first appearance
    peer_data.py warm TRAIN TEST OUT
                                  the lines of TEST (`u i r`) whose user and item both
                                  occur in TRAIN -> OUT; prints the counts

Why: LIBMF sizes its factor matrices by the largest index it reads, so
IMDb-numbered items (up to 7 digits) would cost it gigabytes; dense indices
give both tools the same small matrices. And the two tools score a test
rating whose user or item has no training rating differently (dmf from its
biases, LIBMF from the global mean or an untrained row), so the benchmark
scores both on the warm part of the test set only.
"""
import sys


def dense(src, dst):
    users, items = {}, {}
    with open(src) as f, open(dst, "w") as out:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            fields = line.rstrip("\n").split("::")
            if len(fields) < 3:
                sys.exit(f"peer_data.py: {src}:{number}: expected user::item::rating")
            u = users.setdefault(fields[0], len(users))
            i = items.setdefault(fields[1], len(items))
            out.write(f"{u} {i} {fields[2]}\n")
    print(f"{dst}: {len(users)} users, {len(items)} items")


def warm(train, test, dst):
    users, items = set(), set()
    with open(train) as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 3:
                users.add(fields[0])
                items.add(fields[1])
    kept = dropped = 0
    with open(test) as f, open(dst, "w") as out:
        for line in f:
            fields = line.split()
            if len(fields) < 3:
                continue
            if fields[0] in users and fields[1] in items:
                out.write(line)
                kept += 1
            else:
                dropped += 1
    print(f"{dst}: {kept} test ratings kept, {dropped} with a user or item not in {train} left out")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "dense":
        dense(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "warm":
        warm(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
