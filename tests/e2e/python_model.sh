#!/usr/bin/env bash
# python/dmf_model.py against the dmf command on the same model: predict
# gives dmf predict's numbers (cold pairs and --clip included), recommend
# gives dmf recommend's top-N (with --exclude-rated, for cold users, and
# with dmf's tie-break when every score is equal), similar_items is the
# cosine of item factors, and unknown IDs raise KeyError naming them. It runs
# on Debian's /usr/bin/python3 with python3-numpy (cmake/bootstrap.sh
# installs it); DMF_PYTHON overrides the interpreter.
source "$DMF_E2E_LIB"

PYTHON="${DMF_PYTHON:-/usr/bin/python3}"
"$PYTHON" -c 'import numpy' 2>/dev/null ||
  fail "$PYTHON cannot import numpy: install python3-numpy (cmake/bootstrap.sh does)"
export PYTHONPATH="$DMF_SOURCE_DIR/python"

expect_ok dmf generate --users 120 --items 80 --ratings 3000 --true-rank 3 --noise 0.3 \
  --out ratings.csv --quiet
expect_ok dmf_np 2 train --data ratings.csv --rank 4 --epochs 5 --out model --quiet

# Pairs: known ones, then a cold user, a cold item, and both cold.
sed -n '2,201p' ratings.csv | cut -d, -f1,2 >pairs.csv  # not tail | head: head's early exit can kill tail with SIGPIPE, failing the pipe under pipefail
first_item="$(head -n 1 pairs.csv | cut -d, -f2)"
first_user="$(head -n 1 pairs.csv | cut -d, -f1)"
printf 'ghost,%s\n%s,phantom\nghost,phantom\n' "$first_item" "$first_user" >>pairs.csv
expect_ok dmf predict --model model --data pairs.csv --columns user,item --out predicted.csv
expect_ok dmf predict --model model --data pairs.csv --columns user,item --clip --out clipped.csv

"$PYTHON" - <<'PY'
import csv, dmf_model, numpy as np
m = dmf_model.load("model")
for name, clip in (("predicted.csv", False), ("clipped.csv", True)):
    rows = list(csv.DictReader(open(name)))
    want = np.array([float(r["prediction"]) for r in rows])
    got = m.predict([r["user"] for r in rows], [r["item"] for r in rows], clip=clip)
    worst = np.max(np.abs(got - want))
    assert worst < 1e-5, "%s: predictions differ by up to %g" % (name, worst)
    assert len(rows) == 203
print("predict: 203 pairs within", worst)
rows = list(csv.DictReader(open("predicted.csv")))
assert abs(m.predict(rows[0]["user"], rows[0]["item"]) - float(rows[0]["prediction"])) < 1e-5
# The formula, by hand for one known pair.
u, i = m.user_row(rows[0]["user"]), m.item_row(rows[0]["item"])
by_hand = m.mu + m.user_bias[u] + m.item_bias[i] + float(np.dot(m.user_factors[u], m.item_factors[i]))
assert abs(by_hand - m.predict(rows[0]["user"], rows[0]["item"])) < 1e-6
for args in (("ghost", rows[0]["item"]), (rows[0]["user"], "phantom")):
    try:
        m.predict([args[0]], [args[1]], cold_start="error")
        raise SystemExit("FAIL: no KeyError for %s" % (args,))
    except KeyError as e:
        assert ("ghost" if args[0] == "ghost" else "phantom") in str(e), e
PY

# recommend: users from the file, one cold, the items they rated left out.
tail -n +2 ratings.csv | cut -d, -f1 | sort -u | sed -n '1,25p' >users.txt
echo ghost >>users.txt
expect_ok dmf_np 2 recommend --model model --users users.txt --top 8 --exclude-rated ratings.csv \
  --out recommended.csv
expect_ok dmf recommend --model model --users users.txt --top 8 --out unfiltered.csv

# compare_recommendations CSV EXCLUDE_RATED(0|1): python's lists against dmf's.
compare_recommendations() {
  "$PYTHON" - "$@" <<'PY'
import collections, csv, sys, dmf_model, numpy as np
m = dmf_model.load("model")
name, exclude_rated = sys.argv[1], sys.argv[2] == "1"
rated = collections.defaultdict(set)
for r in csv.DictReader(open("ratings.csv")):
    rated[r["user"]].add(r["item"])
dmf = collections.OrderedDict()
for r in csv.DictReader(open(name)):
    dmf.setdefault(r["user"], []).append((r["item"], float(r["score"])))
users = [line.strip() for line in open("users.txt")]
assert list(dmf) == [u for u in users if u in dmf], list(dmf)
short = 0
for user in users:
    # A user who rated every item has nothing left to recommend: no lines.
    expected = dmf.get(user, [])
    items, scores = m.recommend(user, 8, exclude=rated[user] if exclude_rated else ())
    assert len(items) == len(expected), (user, items, expected)
    assert len(items) == min(8, len(m.item_ids) - (len(rated[user]) if exclude_rated else 0))
    short += len(items) < 8
    for rank, ((want_item, want_score), item, score) in enumerate(zip(expected, items, scores)):
        assert abs(score - want_score) < 1e-5, (user, rank, score, want_score)
        # Another item only where dmf's single precision could order two
        # nearly equal scores the other way.
        assert item == want_item or abs(m.scores(user)[m.item_row(item)] - want_score) < 1e-5, \
            (user, rank, items, expected)
    if exclude_rated:
        assert not set(items) & rated[user]
print("recommend: %s: %d users match, %d with fewer than 8 items" % (name, len(users), short))
PY
}
compare_recommendations recommended.csv 1
compare_recommendations unfiltered.csv 0

# Ties: a model without biases gives a cold user μ for every item; dmf then
# lists the lowest rows (IDs in canonical order, bytewise for these string
# IDs), and so must python, exactly.
awk -F, 'NR == 1 {print; next} {print "u" $1 ",i" $2 "," $3 "," $4}' ratings.csv >named.csv
expect_ok dmf train --data named.csv --rank 3 --epochs 3 --biases none --out plain --quiet
expect_ok dmf recommend --model plain --user ghost --top 12 --out ties.csv
"$PYTHON" - <<'PY'
import csv, dmf_model
m = dmf_model.load("plain")
want = [r["item"] for r in csv.DictReader(open("ties.csv"))]
items, scores = m.recommend("ghost", 12)
assert items == want, (items, want)
assert items == m.item_ids[:12] and items[:3] == sorted(items[:3]), items
assert set(scores) == {m.mu}, scores
assert m.biases == "none" and not m.user_bias.any() and not m.item_bias.any()
try:
    m.recommend("ghost", 3, cold_start="error")
    raise SystemExit("FAIL: no KeyError for a cold user")
except KeyError as e:
    assert "ghost" in str(e)
print("ties: ok")
PY

# Bias files may be absent for a side without bias; a side with bias needs
# its file; another format_version is refused. Each error names the file.
cp -r plain no-bias-files && rm no-bias-files/user_bias.npy no-bias-files/item_bias.npy
cp -r model no-item-bias && rm no-item-bias/item_bias.npy
cp -r model future && sed -i -E 's/"format_version": *1,/"format_version": 99,/' future/manifest.json
grep -q '"format_version": 99,' future/manifest.json || fail "could not edit future/manifest.json"
"$PYTHON" - <<'PY'
import dmf_model, numpy as np
plain, stripped = dmf_model.load("plain"), dmf_model.load("no-bias-files")
assert np.array_equal(plain.predict(plain.user_ids[:5], plain.item_ids[:5]),
                      stripped.predict(plain.user_ids[:5], plain.item_ids[:5]))
for directory, message in (("no-item-bias", "no-item-bias/item_bias.npy is missing"),
                           ("future", "future/manifest.json: format_version 99")):
    try:
        dmf_model.load(directory)
        raise SystemExit("FAIL: %s loaded" % directory)
    except ValueError as e:
        assert message in str(e), e
print("model files: ok")
PY

# similar_items: the cosine of item factors, computed here without numpy.
"$PYTHON" - <<'PY'
import math, dmf_model
m = dmf_model.load("model")
rows = [[float(v) for v in row] for row in m.item_factors]
item = m.item_ids[3]
def cos(a, b):
    return sum(x * y for x, y in zip(a, b)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
want = sorted(((cos(rows[3], rows[r]), -r) for r in range(len(rows)) if r != 3), reverse=True)[:5]
items, cosines = m.similar_items(item, 5)
assert items == [m.item_ids[-r] for _, r in want], (items, want)
assert all(abs(c - w) < 1e-9 for c, (w, _) in zip(cosines, want))
assert item not in items
try:
    m.similar_items("phantom")
    raise SystemExit("FAIL: no KeyError for an unknown item")
except KeyError as e:
    assert "phantom" in str(e)
print("similar_items: ok")
PY

echo "python_model: ok"
