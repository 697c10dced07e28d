#!/usr/bin/env bash
# jobs/bench/peer.sh without LIBMF: the skip line when no build is given, and
# the whole pipeline at tiny size against a stand-in mf-train that prints
# LIBMF's iteration table (the real one is never part of the suite): every
# solver the binary lists is run, each epoch and iteration is a CSV line, the
# chart and the summary are written.
source "$(dirname "$0")/lib.sh"
peer="$(cd "$(dirname "$0")/../.." && pwd)/jobs/bench/peer.sh"
export DMF_BENCH_DIR="$WORK/bench" MPIRUN="$DMF_MPIEXEC"

# No LIBMF: one line saying how to get it, exit 0, nothing written.
expect_ok env -u DMF_PEER_LIBMF "$peer"
contains "$WORK/stdout" "skipped: no LIBMF build (set DMF_PEER_LIBMF"
[[ "$(wc -l <"$WORK/stdout")" == 1 ]] || fail "more than the skip line: $(cat "$WORK/stdout")"
expect_ok env DMF_PEER_LIBMF="$WORK" "$peer"
contains "$WORK/stdout" "skipped: no LIBMF build"
[[ ! -e "$WORK/bench" ]] || fail "peer.sh wrote $WORK/bench without LIBMF"

# The stand-in: mf-train's options, header and one line per iteration
# (held-out RMSE falling by 0.01), and the model file.
mkdir libmf
cat >libmf/mf-train <<'EOF'
#!/usr/bin/env bash
iters=20
while (($# > 2)); do
  case "$1" in -t) iters="$2" ;; esac
  shift 2
done
printf '%4s%13s%13s%13s\n' iter tr_rmse va_rmse obj
for ((i = 0; i < iters; i++)); do
  printf '%4d%13.4f%13.4f%13s\n' "$i" 0.9 "0.9$((9 - i))00" 1.0e+05
done
echo "m 1" >"$2"
EOF
chmod +x libmf/mf-train

expect_ok env DMF_PEER_LIBMF="$WORK/libmf" PEER_QUICK=1 DATASETS=ml1m LAYOUTS=1,1 CG_STEPS=3 \
  EPOCHS=10 ITERS=3 LIBMF_EVERY=2 "$peer"
out="$WORK/bench/peer"
contains "$WORK/stdout" "LIBMF's best grid point: -l2 0.05 -r 0.1"
contains "$WORK/stdout" "ml1m, k = 8: LIBMF best grid point"
contains "$WORK/stdout" "Issue 13's ratios"
not_contains "$WORK/stdout" "FAILED"
python3 - "$out/peer.csv" "$out/peer-ml1m-k8.svg" "$($DMF train --help)" <<'EOF'
import collections, csv, re, sys
import xml.etree.ElementTree as ET

rows = list(csv.DictReader(open(sys.argv[1])))
runs = collections.defaultdict(list)
for r in rows:
    runs[(r["tool"], r["solver"], r["variant"], r["run"])].append(r)
solvers = re.search(r"\(([\w|-]+)\)\s*\[default: als\]", " ".join(sys.argv[3].split())).group(1)
want = {(s, v) for s in solvers.split("|") for v in (["cholesky", "cg3"] if s == "als" else ["default"])}
got = {(solver, variant) for tool, solver, variant, _ in runs if tool == "dmf"}
assert got == want, f"dmf runs {sorted(got)}, want {sorted(want)}"
for (tool, solver, variant, run), lines in runs.items():
    iterations = [int(r["iteration"]) for r in lines]
    assert iterations == list(range(1, 11 if tool == "dmf" else 4)), (run, iterations)
    seconds = [float(r["seconds"]) for r in lines]
    assert seconds == sorted(seconds) and seconds[-1] <= float(lines[0]["total_seconds"]), run
    # dmf's times are those of its epoch lines (it wrote the model after them)
    assert tool == "libmf" or seconds[-1] < float(lines[0]["total_seconds"]), run
    assert lines[0]["epoch_seconds"] == "" and all(float(r["epoch_seconds"]) >= 0 for r in lines[1:])
    assert all(0 < float(r["heldout_rmse"]) < 5 for r in lines), run
    assert {r["k"] for r in lines} == {"8"} and {r["ranks"] for r in lines} == {"1"}
libmf = [r for r in rows if r["tool"] == "libmf"]
assert [float(r["heldout_rmse"]) for r in libmf[:3]] == [0.99, 0.98, 0.97], libmf[:3]
# the grid point, then again after every second dmf run and at the end
assert sum(1 for key in runs if key[0] == "libmf") == 1 + (len(want) + 1) // 2
svg = ET.parse(sys.argv[2]).getroot()
legend = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
assert "dmf als-cholesky 1x1" in legend and any(t.startswith("LIBMF") for t in legend), legend
EOF
