#!/usr/bin/env bash
# The manifest under a checksum (manifest.xxh3): a manifest changed after dmf
# wrote it — a hand-edited epoch, a state directory outside the checkpoint,
# an emptied "files" — is never trusted: --resume auto warns and uses the
# checkpoint before it, --resume PATH and eval --model fail naming the file.
# Directories without manifest.xxh3 (written by an older dmf) still load,
# but names outside the directory and unlisted files are refused there too.
source "$DMF_E2E_LIB"

expect_ok dmf generate --users 800 --items 300 --ratings 20000 --true-rank 3 --out ratings.csv \
  --quiet
als=(train --data ratings.csv --rank 4 --checkpoint-every 1)

# edit DIR PYTHON: rewrites DIR/manifest.json after running PYTHON on `m`.
edit() {
  python3 - "$1/manifest.json" "$2" <<'PY'
import json, sys
path, code = sys.argv[1], sys.argv[2]
m = json.load(open(path))
exec(code)
json.dump(m, open(path, "w"), indent=2)
PY
}

# fresh_checkpoints: ck/ holds checkpoints of epochs 1-3 of a run on 2 ranks.
fresh_checkpoints() {
  rm -rf ck model resumed resumed2
  expect_ok dmf_np 2 "${als[@]}" --epochs 3 --checkpoint-dir ck --out model --quiet
  [[ -f ck/ckpt-000003-epoch-3/manifest.xxh3 ]] || fail "no manifest.xxh3 in a checkpoint"
}

# --- a hand-edited epoch ------------------------------------------------------------
fresh_checkpoints
edit ck/ckpt-000003-epoch-3 'm["checkpoint"]["loop"]["epoch"] = 1'
expect_fail 1 dmf_np 2 "${als[@]}" --epochs 5 --checkpoint-dir ck --out resumed \
  --resume ck/ckpt-000003-epoch-3
contains stderr "error: ck/ckpt-000003-epoch-3/manifest.json does not match its checksum in ck/ckpt-000003-epoch-3/manifest.xxh3"
[[ "$(count_lines stderr "dmf: error:")" == 1 ]] || fail "not one error"
expect_ok dmf_np 2 "${als[@]}" --epochs 5 --checkpoint-dir ck --out resumed --resume auto
contains stderr "checkpoint ck/ckpt-000003-epoch-3 cannot be used (ck/ckpt-000003-epoch-3/manifest.json does not match its checksum"
contains stderr "resuming from ck/ckpt-000002-epoch-2"
rm -rf resumed

# --- the same edits where there is no manifest.xxh3 (an older dmf) -----------------
# A state directory outside the checkpoint.
fresh_checkpoints
rm ck/ckpt-000003-epoch-3/manifest.xxh3
edit ck/ckpt-000003-epoch-3 'm["checkpoint"]["states"]["current"]["dir"] = "../elsewhere"'
expect_fail 1 dmf_np 2 "${als[@]}" --epochs 5 --checkpoint-dir ck --out resumed \
  --resume ck/ckpt-000003-epoch-3
contains stderr 'ck/ckpt-000003-epoch-3/manifest.json: the directory of state "current" is not inside the checkpoint'
# "files" emptied: nothing would be verified.
rm ck/ckpt-000002-epoch-2/manifest.xxh3
edit ck/ckpt-000002-epoch-2 'm["files"] = {}'
expect_ok dmf_np 2 "${als[@]}" --epochs 5 --checkpoint-dir ck --out resumed2 --resume auto
contains stderr 'ck/ckpt-000002-epoch-2/manifest.json: "files" does not list user_factors.npy'
contains stderr "resuming from ck/ckpt-000001-epoch-1"
# A file of the checkpoint that "files" leaves out.
fresh_checkpoints
rm ck/ckpt-000003-epoch-3/manifest.xxh3
cp ck/ckpt-000003-epoch-3/user_bias.npy ck/ckpt-000003-epoch-3/unlisted.npy
expect_fail 1 dmf_np 2 "${als[@]}" --epochs 5 --checkpoint-dir ck --out resumed \
  --resume ck/ckpt-000003-epoch-3
contains stderr '"files" does not list unlisted.npy'
# A name outside the directory in "files".
rm ck/ckpt-000003-epoch-3/unlisted.npy
edit ck/ckpt-000003-epoch-3 'm["files"]["../ck2/user_bias.npy"] = m["files"]["user_bias.npy"]'
expect_fail 1 dmf_np 2 "${als[@]}" --epochs 5 --checkpoint-dir ck --out resumed \
  --resume ck/ckpt-000003-epoch-3
contains stderr '"files" names ../ck2/user_bias.npy, which is not inside the directory'

# --- model directories --------------------------------------------------------------
expect_ok dmf eval --model model --data ratings.csv
edit model 'm["mu"] = m["mu"] + 1'
expect_fail 1 dmf_np 2 eval --model model --data ratings.csv
contains stderr "error: model/manifest.json does not match its checksum in model/manifest.xxh3"
expect_fail 1 dmf_np 2 predict --model model --data ratings.csv --out p.csv
contains stderr "model/manifest.json does not match its checksum"
echo "not a checksum" >model/manifest.xxh3
expect_fail 1 dmf eval --model model --data ratings.csv
contains stderr "model/manifest.xxh3 is malformed"
# Without manifest.xxh3, as an older dmf wrote it: read as it is.
rm model/manifest.xxh3
expect_ok dmf_np 2 eval --model model --data ratings.csv
