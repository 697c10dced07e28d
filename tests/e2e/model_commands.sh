#!/usr/bin/env bash
# dmf eval, predict and recommend end to end on a model directory written by
# hand here (python3, no numpy), so every expected figure is computed
# independently: eval's RMSE and MAE and ranking metrics, predict's values,
# recommend's lists by brute force, for 1-4 ranks.
source "$DMF_E2E_LIB"

python3 - <<'PY'
import json, os, struct
def npy(path, rows, cols=None):
    shape = f"({len(rows)},)" if cols is None else f"({len(rows)}, {cols})"
    d = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }"
    pad = 64 - (10 + len(d) + 1) % 64
    header = d + " " * pad + "\n"
    flat = rows if cols is None else [x for r in rows for x in r]
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack(f"<{len(flat)}f", *flat))
os.mkdir("model")
users = ["10", "20", "30"]            # numeric IDs, canonical order
items = ["a", "b", "c", "d", "e"]     # text IDs, bytewise order
P = [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]
Q = [[1.0, 2.0], [2.0, 1.0], [0.0, 0.0], [1.5, 1.5], [-1.0, 3.0]]
bu = [0.5, -0.5, 0.0]
bi = [0.0, 0.25, 1.0, -0.25, 0.0]
npy("model/user_factors.npy", P, 2); npy("model/item_factors.npy", Q, 2)
npy("model/user_bias.npy", bu); npy("model/item_bias.npy", bi)
open("model/user_ids.txt", "w").write("\n".join(users) + "\n")
open("model/item_ids.txt", "w").write("\n".join(items) + "\n")
json.dump({"format_version": 1, "k": 2, "biases": "both", "mu": 3.0,
           "rating_min": 1.0, "rating_max": 5.0,
           "run_options": {"lambda": "0.1", "lambda-user": "0.5", "reg-weighting": "uniform"}},
          open("model/manifest.json", "w"))
def predict(u, i):
    if u not in users or i not in items:
        return 3.0 + (bu[users.index(u)] if u in users else 0) + (bi[items.index(i)] if i in items else 0)
    a, b = users.index(u), items.index(i)
    return 3.0 + bu[a] + bi[b] + sum(x * y for x, y in zip(P[a], Q[b]))
ratings = [("10", "a", 4), ("10", "c", 5), ("20", "b", 3), ("30", "d", 2), ("99", "a", 1), ("20", "zz", 4)]
with open("test.csv", "w") as f:
    for u, i, r in ratings: f.write(f"{u},{i},{r}\n")
def score(rs):
    e = [r - predict(u, i) for u, i, r in rs]
    return (sum(x * x for x in e) / len(e)) ** 0.5, sum(abs(x) for x in e) / len(e)
warm = [x for x in ratings if x[0] in users and x[1] in items]
json.dump({"mean": score(ratings), "drop": score(warm),
           "pred": [predict(u, i) for u, i, _ in ratings],
           "clipped": [min(5.0, max(1.0, predict(u, i))) for u, i, _ in ratings]},
          open("expected.json", "w"))
# Brute force top-N: score desc, ties to the lower item ID; 10 rated a and c.
rated = {("10", "a"), ("10", "c")}
with open("expected_top3.csv", "w") as f:
    f.write("user,rank,item,score\n")
    for u in users:
        cand = sorted((-predict(u, i), i) for i in items if (u, i) not in rated)
        for rank, (s, i) in enumerate(cand[:3], 1): f.write(f"{u},{rank},{i},{-s:g}\n")
# Ranking metrics by brute force (README "Commands: eval"): ratings >= 3 are
# relevant, the items 10 rated (a, c) left out of its ranking, ties to the
# lower item ID (user 30's e ties c at 4 and comes 5th, out of the top 4).
import math
rank_test = [("10", "b", 5), ("10", "d", 2), ("10", "a", 4), ("20", "a", 4), ("20", "e", 5),
             ("20", "c", 1), ("30", "e", 3), ("99", "a", 5), ("30", "zz", 4)]
with open("rank.csv", "w") as f:
    for u, i, r in rank_test: f.write(f"{u},{i},{r}\n")
vals, top1 = {}, set()
for u in users:
    cand = [i for i in items if (u, i) not in rated]
    rel = {i for v, i, r in rank_test if v == u and i in cand and r >= 3}
    if not rel: continue
    order = [i for _, i in sorted((-predict(u, i), i) for i in cand)]
    top1.add(order[0])
    pos = [j for j, i in enumerate(order, 1) if i in rel]
    hits = sum(1 for p in pos if p <= 4)
    ap, h = 0.0, 0
    for p in pos:
        if p <= 4: h += 1; ap += h / p
    ndcg = lambda k: (sum(1 / math.log2(p + 1) for p in pos if p <= k) /
                      sum(1 / math.log2(j + 1) for j in range(1, min(k, len(rel)) + 1)))
    pairs = [(a, b) for a in rel for b in cand if b not in rel]
    for name, v in (("precision@4", hits / 4), ("recall@4", hits / len(rel)),
                    ("map@4", ap / min(4, len(rel))), ("ndcg@4", ndcg(4)), ("ndcg@10", ndcg(10)),
                    ("mrr@4", 1 / pos[0] if pos[0] <= 4 else 0), ("hit@4", float(pos[0] <= 4)),
                    ("auc", sum(order.index(a) < order.index(b) for a, b in pairs) / len(pairs))):
        vals.setdefault(name, []).append(v)
want = {name: sum(v) / len(v) for name, v in vals.items()}
want["coverage@1"] = len(top1) / len(items)
json.dump(want, open("expected_ranking.json", "w"))
PY
printf '10,a,9\n10,c,9\n' > rated.csv

check_eval() {  # check_eval JSON_FILE POLICY
  python3 - "$1" "$2" <<'PY'
import json, sys
got = json.load(open(sys.argv[1])); want = json.load(open("expected.json"))[sys.argv[2]]
assert abs(got["rmse"] - want[0]) < 1e-6 and abs(got["mae"] - want[1]) < 1e-6, (got, want)
assert got["cold"] == 2, got
assert got["count"] == (6 if sys.argv[2] == "mean" else 4), got
PY
}

# eval_and_predict_at NP: eval's figures and predict's values at NP ranks.
eval_and_predict_at() {
  local np="$1"
  expect_ok dmf_np "$np" eval --model model --data test.csv --json --quiet
  cp stdout eval.json && check_eval eval.json mean
  expect_ok dmf_np "$np" eval --model model --data test.csv --json --cold-start drop --quiet
  cp stdout eval.json && check_eval eval.json drop

  expect_ok dmf_np "$np" predict --model model --data test.csv --out "pred$np.csv" --quiet
  expect_ok dmf_np "$np" predict --model model --data test.csv --out "clip$np.csv" --clip --quiet
  python3 - "pred$np.csv" "clip$np.csv" <<'PY'
import json, sys
want = json.load(open("expected.json"))
for path, key in ((sys.argv[1], "pred"), (sys.argv[2], "clipped")):
    lines = open(path).read().splitlines()
    assert lines[0] == "user,item,prediction", lines
    rows = [l.split(",") for l in lines[1:]]
    assert [(u, i) for u, i, _ in rows] == [("10","a"),("10","c"),("20","b"),("30","d"),("99","a"),("20","zz")], rows
    for (_, _, p), w in zip(rows, want[key]): assert abs(float(p) - w) < 1e-5, (path, p, w)
PY
}

# eval and predict read their pairs by byte range, so 1 and 3 ranks cover
# them; recommend's ring of item blocks runs at every rank count.
for np in 1 3; do eval_and_predict_at "$np"; done
for np in $(e2e_ranks 1 2 3 4); do
  expect_ok dmf_np "$np" recommend --model model --all-users --top 3 --exclude-rated rated.csv \
    --out "top$np.csv" --quiet
  python3 - "top$np.csv" <<'PY'
import sys
got = [l.split(",") for l in open(sys.argv[1]).read().splitlines()]
want = [l.split(",") for l in open("expected_top3.csv").read().splitlines()]
assert got[0] == want[0] and len(got) == len(want), (got, want)
for g, w in zip(got[1:], want[1:]):
    assert g[:3] == w[:3] and abs(float(g[3]) - float(w[3])) < 1e-5, (g, w)
PY
done
contains stdout "top 3 items of 3 users"

# --candidates (allow-list) and --exclude (deny-list) with --exclude-rated:
# the brute force's top 3 of the items they leave; IDs the model does not
# have (zz, yy) counted; blank lines and spaces around an ID ignored.
printf 'b\n\n  a \nzz\ne\nd\n' > cand.txt
printf 'd\nyy\n' > deny.txt
python3 - <<'PY'
users, items = ["10", "20", "30"], ["a", "b", "c", "d", "e"]
P = [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]
Q = [[1.0, 2.0], [2.0, 1.0], [0.0, 0.0], [1.5, 1.5], [-1.0, 3.0]]
bu, bi, mu = [0.5, -0.5, 0.0], [0.0, 0.25, 1.0, -0.25, 0.0], 3.0
def score(p, b, i):
    return mu + b + bi[i] + sum(x * y for x, y in zip(p, Q[i]))
rated = {("10", "a"), ("10", "c")}
with open("expected_filtered.csv", "w") as f:
    f.write("user,rank,item,score\n")
    for u, p, b in zip(users, P, bu):
        cand = sorted((-score(p, b, i), items[i]) for i in range(5)
                      if items[i] in "abe" and (u, items[i]) not in rated)
        for rank, (s, i) in enumerate(cand[:3], 1): f.write(f"{u},{rank},{i},{-s:g}\n")
# Fold-in (README "Commands: recommend"): each user's [p; b_u] minimizes
# sum (r - mu - b_i - b_u - p.q_i)^2 + 0.5 (|p|^2 + b_u^2) (the manifest's
# lambda-user 0.5, uniform weighting) over its rows of known items; solved
# here by Gaussian elimination of the 3 x 3 normal equations.
fold = [("77", "a", 5), ("20", "c", 5), ("77", "b", 1), ("20", "a", 2), ("77", "e", 4), ("77", "zz", 3)]
with open("fold.csv", "w") as f:
    for u, i, r in fold: f.write(f"{u},{i},{r}\n")
def solve(rows):
    A = [[0.0] * 3 for _ in range(3)]; y = [0.0] * 3
    for i, r in rows:
        z = Q[i] + [1.0]
        for a in range(3):
            y[a] += (r - mu - bi[i]) * z[a]
            for b in range(3): A[a][b] += z[a] * z[b]
    for a in range(3): A[a][a] += 0.5
    for c in range(3):
        for a in range(c + 1, 3):
            m = A[a][c] / A[c][c]
            for b in range(3): A[a][b] -= m * A[c][b]
            y[a] -= m * y[c]
    x = [0.0] * 3
    for a in (2, 1, 0): x[a] = (y[a] - sum(A[a][b] * x[b] for b in range(a + 1, 3))) / A[a][a]
    return x
with open("expected_fold.csv", "w") as f:
    f.write("user,rank,item,score\n")
    for u in ("77", "20"):  # the order of their first lines
        rows = [(items.index(i), r) for v, i, r in fold if v == u and i in items]
        x = solve(rows)
        seen = {i for i, _ in rows}
        cand = sorted((-score(x[:2], x[2], i), items[i]) for i in range(5) if i not in seen)
        for rank, (s, i) in enumerate(cand[:2], 1): f.write(f"{u},{rank},{i},{-s!r}\n")
PY
check_lists() {  # check_lists GOT WANT: same users, ranks and items; scores within 1e-4
  python3 - "$1" "$2" <<'PY'
import sys
got = [l.split(",") for l in open(sys.argv[1]).read().splitlines()]
want = [l.split(",") for l in open(sys.argv[2]).read().splitlines()]
assert got[0] == want[0] and len(got) == len(want), (got, want)
for g, w in zip(got[1:], want[1:]):
    assert g[:3] == w[:3] and abs(float(g[3]) - float(w[3])) < 1e-4, (g, w)
PY
}
# The MPI tests check these lists at 1-4 ranks; here 1 and 3 ranks (uneven
# item blocks) end to end.
for np in $(e2e_ranks 1 3); do
  expect_ok dmf_np "$np" recommend --model model --all-users --top 3 --exclude-rated rated.csv \
    --candidates cand.txt --exclude deny.txt --out "filtered$np.csv" --quiet
  check_lists "filtered$np.csv" expected_filtered.csv
  same_bytes filtered1.csv "filtered$np.csv"
done
contains stdout "3 of 5 items may be listed (--candidates: 4 items, 1 of its 5 IDs not in the model, ignored; --exclude: 1 items, 1 of its 2 IDs not in the model, ignored)"
for np in $(e2e_ranks 1 3); do
  expect_ok dmf_np "$np" recommend --model model --fold-in fold.csv --exclude-rated rated.csv \
    --top 2 --out "fold$np.csv" --quiet
  check_lists "fold$np.csv" expected_fold.csv
  same_bytes fold1.csv "fold$np.csv"
done
contains stdout "2 folded-in users"
contains stdout "(6 ratings, 1 of them of items not in the model, ignored; solved with lambda-user 0.5 and uniform weighting)"
printf 'a\nb,3\n' > cand_bad.txt
expect_fail 1 dmf_np 2 recommend --model model --all-users --candidates cand_bad.txt --out x.csv --quiet
contains stderr "cand_bad.txt:2: one ID per line expected, found 'b,3'"
printf 'zz\nyy\n' > cand_none.txt
expect_fail 1 dmf recommend --model model --all-users --candidates cand_none.txt --out x.csv --quiet
contains stderr "none of its 2 item IDs is in the model"
expect_fail 1 dmf recommend --model model --all-users --exclude nothing.txt --out x.csv --quiet
contains stderr "nothing.txt"
printf '77,a,5\n77,b,five\n' > fold_bad.csv
expect_fail 1 dmf recommend --model model --fold-in fold_bad.csv --out x.csv --quiet
contains stderr "fold_bad.csv:2"
cp -r model bad_alpha && python3 - <<'PY'
import json
m = json.load(open("bad_alpha/manifest.json"))
m["feedback"] = "implicit"; m["run_options"]["alpha"] = "much"
json.dump(m, open("bad_alpha/manifest.json", "w"))
PY
expect_fail 1 dmf recommend --model bad_alpha --fold-in fold.csv --out x.csv --quiet
contains stderr "bad_alpha/manifest.json: run_options.alpha is 'much'"
[[ ! -e x.csv ]] || fail "x.csv written by a refused command"

# dmf similar: cosine of the item factors, the item itself left out, ties
# to the lower ID (a and b are equally close to d), c's zero factors
# (cosine 0 with every item), an unknown item left out and counted.
printf 'd\nc\nghost\n' > queries.txt
for np in $(e2e_ranks 1 3); do
  expect_ok dmf_np "$np" similar --model model --items queries.txt --top 3 --out "similar$np.csv" --quiet
  same_bytes similar1.csv "similar$np.csv"
done
contains stdout "wrote the 3 most similar items of 3 items to similar"
contains stdout "1 not in the model, left out; 1 with all-zero factors"
python3 - <<'PY'
import math
got = [l.split(",") for l in open("similar1.csv").read().splitlines()]
want = [["item", "rank", "similar", "score"],
        ["d", "1", "a", 4.5 / (math.sqrt(4.5) * math.sqrt(5))], ["d", "2", "b", 4.5 / (math.sqrt(4.5) * math.sqrt(5))],
        ["d", "3", "e", 3.0 / (math.sqrt(4.5) * math.sqrt(10))],
        ["c", "1", "a", 0.0], ["c", "2", "b", 0.0], ["c", "3", "d", 0.0]]
assert got[0] == want[0] and len(got) == len(want), got
for g, w in zip(got[1:], want[1:]):
    assert g[:3] == w[:3] and abs(float(g[3]) - w[3]) < 1e-6, (g, w)
PY
# The item lists of recommend apply: a denied (a) and the allowed only (b, e).
printf 'a\n' > deny_a.txt
printf 'e\nb\nc\n' > allow_bec.txt
expect_ok dmf similar --model model --item d --top 2 --exclude deny_a.txt --candidates allow_bec.txt
[[ "$(grep -c '^d,' stdout)" == 2 ]] && contains stdout "d,1,b," && contains stdout "d,2,e," ||
  fail "similar ignored its item lists: $(cat stdout)"
expect_fail 1 dmf similar --model model --item ghost --top 2
contains stderr "item ghost is not in the model"
expect_fail 1 dmf similar --model model --item a --topn 2
contains stderr "topn"

# eval's ranking metrics: the brute force's figures, the same bytes at every
# rank count; cold pairs and pairs rated in --exclude-rated left out.
for np in $(e2e_ranks 1 2 3 4); do
  expect_ok dmf_np "$np" eval --model model --data rank.csv --exclude-rated rated.csv \
    --relevant-threshold 3 --metrics 'precision,recall,map@k,ndcg,ndcg@10,mrr,hit,auc,coverage@1' \
    --k 4 --json --quiet
  cp stdout "ranking$np.json"
  same_bytes ranking1.json "ranking$np.json"
done
python3 - <<'PY'
import json
got = json.load(open("ranking1.json")); want = json.load(open("expected_ranking.json"))
for name, w in want.items(): assert abs(got[name] - w) < 1e-12, (name, got, want)
assert "rmse" not in got and got["users_ranked"] == 3 and got["users_skipped"] == 0, got
assert got["cold_pairs_left_out"] == 2 and got["rated_pairs_left_out"] == 1, got
PY
expect_ok dmf eval --model model --data rank.csv --metrics rmse,hit@1 --quiet
contains stdout "RMSE "
contains stdout "hit@1 0.66667  (3 users ranked over 5 items, 0 without a relevant test item skipped; 2 cold test pairs left out)"
expect_fail 1 dmf eval --model model --data rank.csv --metrics ndcg@10,ndgc --quiet
contains stderr "--metrics: unknown metric 'ndgc'; accepted: rmse, mae, precision@k, recall@k, map@k, ndcg@k, mrr@k, hit@k, auc, coverage@k"
expect_fail 1 dmf eval --model model --data rank.csv --relevant-threshold 3 --quiet
contains stderr "--relevant-threshold applies to the ranking metrics"

# Ties go to the lower item ID: for user 10, a (3 + 0.5 + 0 + 1) and c
# (3 + 0.5 + 1 + 0) both score 4.5, after b (5.75) and d (4.75); a comes first.
expect_ok dmf recommend --model model --user 10 --top 4 --out tie.csv --quiet
[[ "$(sed -n 4p tie.csv)" == "10,3,a,4.5" && "$(sed -n 5p tie.csv)" == "10,4,c,4.5" ]] ||
  fail "tie not broken by item ID: $(cat tie.csv)"

# --users FILE keeps the file's order; an unknown user is ranked by item bias,
# left out, or an error naming the line.
printf '30\n\n10\nghost\n' > some.csv
expect_ok dmf_np 2 recommend --model model --users some.csv --top 1 --out some.out --quiet
[[ "$(cut -d, -f1 some.out | tr '\n' ' ')" == "user 30 10 ghost " ]] || fail "order: $(cat some.out)"
[[ "$(sed -n 4p some.out)" == "ghost,1,c,4" ]] || fail "cold user not ranked by bias: $(cat some.out)"
# A cold user's rated items are excluded too (matched by ID): ghost rated c,
# the highest-bias item, so it gets the next ones, a then b (3 + 0 vs 3.25).
printf 'ghost,c,5\n10,a,1\n' > ghost_rated.csv
for np in 1 3; do
  expect_ok dmf_np "$np" recommend --model model --users some.csv --top 2 \
    --exclude-rated ghost_rated.csv --out "ghost$np.csv" --quiet
  [[ "$(grep '^ghost,' "ghost$np.csv" | tr '\n' ' ')" == "ghost,1,b,3.25 ghost,2,a,3 " ]] ||
    fail "cold user's rated item not excluded at $np ranks: $(cat "ghost$np.csv")"
  grep -q '^10,.*,a,' "ghost$np.csv" && fail "user 10 was recommended a, which it rated"
done
expect_ok dmf_np 2 recommend --model model --users some.csv --top 1 --out some.drop --cold-start drop --quiet
[[ "$(wc -l < some.drop)" == 3 ]] || fail "cold user not dropped: $(cat some.drop)"
expect_fail 1 dmf_np 3 recommend --model model --users some.csv --top 1 --out x.csv --cold-start error --quiet
contains stderr "some.csv:4: user ghost is not in the model"
expect_fail 1 dmf eval --model model --data test.csv --cold-start error --quiet
contains stderr "test.csv:5: user 99 is not in the model"

# Nothing scored: every rating cold and dropped.
printf '99,a,1\n' > all_cold.csv
expect_ok dmf eval --model model --data all_cold.csv --cold-start drop --json --quiet
contains stdout '"rmse":null'
contains stdout '"cold":1'

# Refusals and broken models.
expect_fail 1 dmf recommend --model model --user 10 --all-users --top 1 --out y.csv --quiet
contains stderr "exactly one of"
expect_fail 1 dmf predict --model model --data test.csv --out pred1.csv --quiet
contains stderr "pred1.csv already exists"
expect_fail 1 dmf eval --model nowhere --data test.csv --quiet
contains stderr "nowhere"
cp -r model broken && printf '20\n10\n30\n' > broken/user_ids.txt
expect_fail 1 dmf_np 2 eval --model broken --data test.csv --quiet
contains stderr "broken/user_ids.txt"
cp -r model short && head -c 100 model/item_factors.npy > short/item_factors.npy
expect_fail 1 dmf eval --model short --data test.csv --quiet
contains stderr "short/item_factors.npy"
