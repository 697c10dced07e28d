#!/usr/bin/env bash
# The dmf command itself: help, version, unknown commands and options,
# config files, --print-config read back by every command, what a command
# prints by default and with --verbose, and that errors are printed once
# with a non-zero exit.
source "$DMF_E2E_LIB"

expect_ok dmf --version
contains "$WORK/stdout" "dmf "

expect_ok dmf --help
for command in generate split info; do contains "$WORK/stdout" "  $command"; done

# No command: usage and exit 1.
expect_fail 1 dmf
contains "$WORK/stdout" "Usage: dmf <command>"

expect_fail 1 dmf frobnicate
contains "$WORK/stderr" "dmf: error: unknown command 'frobnicate' (see dmf --help)"

# A mistyped command gets the nearest one, on every rank alike, said once.
expect_fail 1 dmf_np 2 trian --data x
contains "$WORK/stderr" "dmf: error: unknown command 'trian'; did you mean 'train'?"
[[ "$(count_lines "$WORK/stderr" "dmf: error:")" == 1 ]] || fail "error not printed exactly once"

# Every command's --help lists each of its options, and 'dmf help CMD' is the same.
for command in generate split info; do
  expect_ok dmf "$command" --help
  cp "$WORK/stdout" "$WORK/help.$command"
  contains "$WORK/help.$command" "Usage: dmf $command [options]"
  contains "$WORK/help.$command" "--config"
  expect_ok dmf help "$command"
  same_bytes "$WORK/stdout" "$WORK/help.$command"
done
contains "$WORK/help.info" "--duplicates NAME"
# Every example at the end of a command's --help is a valid command line
# (checked with --print-config, which reads no files). The commands are the
# ones dmf --help lists, so a new command is covered without editing this.
mapfile -t listed < <(dmf --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
((${#listed[@]} >= 10)) || fail "dmf --help lists ${#listed[@]} commands"
for command in "${listed[@]}"; do
  expect_ok dmf "$command" --help
  sed -n '/^Examples:/,$p' "$WORK/stdout" | grep '^  [a-z]' | sed 's/^ *//; s/^mpirun -n [0-9]* //' > examples
  [[ "$(wc -l < examples)" == 2 ]] || fail "dmf $command --help does not end with two examples"
  while read -r -a example; do
    [[ "${example[0]}" == dmf && "${example[1]}" == "$command" ]] || fail "example of another command: ${example[*]}"
    expect_ok dmf "${example[@]:1}" --print-config
  done < examples
done

# train's options are grouped by task, in this order, the common ones first.
expect_ok dmf train --help
sections=$(grep -E '^[A-Z][^:]*:$' "$WORK/stdout" | tr '\n' '|')
[[ "$sections" == "Data:|Model:|Solver:|ALS (--solver als):|Optimizer and learning rate:|Gradient descent (--solver gd):|CCD++ (--solver ccd):|Implicit feedback (--feedback implicit):|Stopping:|Held-out sets:|Output:|Checkpoints:|General:|Examples:|" ]] ||
  fail "train's --help sections: $sections"
contains "$WORK/stdout" "(also -k, --factors)"
[[ "$(grep -n -- '--rank K' "$WORK/stdout" | cut -d: -f1)" -lt "$(grep -n -- '--reg-weighting' "$WORK/stdout" | cut -d: -f1)" ]] ||
  fail "--rank is not listed before --reg-weighting"

# A solver that is an optimizer's name points to where it goes; a near miss
# of a value gets the nearest one.
expect_fail 1 dmf train --data x --out y --solver adam
contains "$WORK/stderr" "--solver: 'adam' is not one of als|gd|ccd|sgd; adam is an optimizer of the gd solver: --solver gd --optimizer adam"
expect_fail 1 dmf train --data x --out y --solver asl
contains "$WORK/stderr" "--solver: 'asl' is not one of als|gd|ccd|sgd; did you mean als?"
contains "$WORK/help.info" "(error|first|last|mean|sum)"

printf '1,1,5\n1,2,3\n2,1,4\n' > r.csv

# Unknown option, with a suggestion, on 2 ranks: said once, exit 1.
expect_fail 1 dmf_np 2 info --data r.csv --jsno
[[ "$(count_lines "$WORK/stderr" "unknown option --jsno")" == 1 ]] || fail "error not printed exactly once"
contains "$WORK/stderr" "did you mean --json?"

expect_fail 1 dmf info --data r.csv --ranks -3
contains "$WORK/stderr" "--ranks: must be at least 0 (got -3)"

expect_fail 1 dmf info
contains "$WORK/stderr" "dmf info needs --data"

# Config files: values apply, the command line wins, errors name file:line.
printf '# settings\ndata = r.csv\njson = true\n' > ok.ini
expect_ok dmf info --config ok.ini
contains "$WORK/stdout" '"ratings": 3'
expect_ok dmf info --config ok.ini --json=false
contains "$WORK/stdout" "  ratings       3"

printf 'data = r.csv\nduplicates = maybe\n' > bad.ini
expect_fail 1 dmf_np 2 info --config bad.ini
contains "$WORK/stderr" "bad.ini:2: duplicates: 'maybe' is not one of error|first|last|mean|sum"
[[ "$(count_lines "$WORK/stderr" "dmf: error:")" == 1 ]] || fail "error not printed exactly once"

printf 'data = r.csv\nrating_range = 1:5\n' > unknown.ini
expect_fail 1 dmf info --config unknown.ini
contains "$WORK/stderr" "unknown.ini:2: unknown option 'rating_range'; did you mean --rating-range?"

# A key of another command is allowed in a shared config file.
printf 'data = r.csv\ntest-ratio = 0.5\n' > shared.ini
expect_ok dmf info --config shared.ini

# Quiet by default: the result on stdout, nothing on stderr; --verbose adds
# the effective configuration on stderr; --quiet and --verbose together are
# refused.
expect_ok dmf info --data r.csv --duplicates last
contains "$WORK/stdout" "ratings"
[[ ! -s "$WORK/stderr" ]] || fail "dmf info printed to stderr without --verbose"
expect_ok dmf info --data r.csv --duplicates last --verbose
contains "$WORK/stderr" "# dmf info: effective configuration"
contains "$WORK/stderr" "duplicates = last  # command line"
expect_fail 1 dmf info --data r.csv --verbose --quiet
contains "$WORK/stderr" "--verbose and --quiet ask for opposite things"
# ... unless one comes from a config file: the command line wins.
printf 'data = r.csv\nverbose = true\n' > verbose.ini
expect_ok dmf info --config verbose.ini --quiet
[[ ! -s "$WORK/stderr" ]] || fail "--quiet on the command line did not win over verbose = true"
expect_ok dmf info --config verbose.ini
contains "$WORK/stderr" "verbose = true  # verbose.ini:2"

# An error is the first thing printed, even when raised after parsing.
expect_fail 1 dmf train --data r.csv --out never --lr 0.1
[[ "$(head -n 1 "$WORK/stderr")" == "dmf: error: --lr applies to --solver gd or --solver sgd, not als" ]] ||
  fail "the error is not the first line: $(head -n 3 "$WORK/stderr")"
[[ ! -s "$WORK/stdout" ]] || fail "stdout before the error"

# --print-config writes the effective configuration (canonical names, no
# run), --config reads it back to the same configuration, for every command.
# A model for the commands that read one, and a run directory for gather.
expect_ok dmf train --data r.csv --rank 2 --epochs 1 --out m --quiet
mkdir runs && cp -r m runs/m
printf '1\n2\n' > users.txt
round_trip() {
  local name="$1"
  shift
  expect_ok dmf "$name" "$@" --print-config
  cp "$WORK/stdout" "$name.ini"
  contains "$name.ini" "# dmf $name: effective configuration"
  [[ ! -s "$WORK/stderr" ]] || fail "dmf $name --print-config printed to stderr"
  not_contains "$name.ini" "print-config ="
  expect_ok dmf "$name" --config "$name.ini" --print-config
  cmp -s "$name.ini" "$WORK/stdout" || {
    diff "$name.ini" "$WORK/stdout" >&2
    fail "dmf $name --config $name.ini --print-config differs from $name.ini"
  }
  expect_ok dmf "$name" --config "$name.ini"
}
round_trip generate --users 5 --items 4 --ratings 12 --out gen.csv
round_trip split --data r.csv --test-ratio 0.5 --by user --out-prefix parts
# A separator of one blank is written in quotes, or it would be lost.
printf '1 1 5\n1 2 3\n' > blank.txt
round_trip info --data blank.txt --format csv --sep ' ' --json --ranks 2
contains info.ini 'sep = " "'
contains "$WORK/stdout" '"ratings": 2'
round_trip eval --model m --data r.csv --cold-start drop
round_trip predict --model m --data r.csv --out pred.csv --clip
round_trip recommend --model m --users users.txt --top 1 --out top.csv
round_trip gradcheck --data r.csv --rank 2 --samples 5
round_trip gather --runs runs --sort name
echo '{"epoch": 1, "loss": 0.5, "objective": 9, "train_rmse": 0.7, "seconds": 0.1, "elapsed": 0.1}' >plot-in.jsonl
round_trip plot --metrics plot-in.jsonl --labels one --out curves.svg
# An ALS run prints the gd and checkpoint options at their defaults, which
# must not be refused when read back (options of another solver are).
round_trip train --data r.csv --epochs 1 --factors 2 --out m-als --quiet
# gd with a validation set and checkpoints: the model is the one the same
# options on the command line give, and its manifest holds the printed
# configuration.
printf '1,2,4\n2,2,2\n' > v.csv
train_args=(--data r.csv --validation v.csv --solver gd --optimizer sgd --lr 0.05 --k 3
  --epochs 3 --batch-size 2 --checkpoint-dir ck --checkpoint-every 2)
expect_ok dmf train "${train_args[@]}" --out m-cli --quiet
round_trip train "${train_args[@]}" --out m-ini --metrics-out m.jsonl
contains train.ini "rank = 3"
! grep -q "^k =" train.ini || fail "train.ini names --rank by its alias"
for f in user_factors.npy item_factors.npy user_bias.npy item_bias.npy user_ids.txt item_ids.txt; do
  same_bytes m-cli/$f m-ini/$f
done
python3 - m-ini/manifest.json train.ini <<'EOF' || fail "the manifest's configuration differs from --print-config"
import json, re, sys
config = json.load(open(sys.argv[1]))["config"]
printed = open(sys.argv[2]).read()
assert re.sub(r"  # [^\n]*", "", config) == printed, config
EOF

# --print-config checks the options as the run would: no file it then refuses.
expect_fail 1 dmf train --data r.csv --out x --checkpoint-every 2 --print-config
contains "$WORK/stderr" "--checkpoint-every needs --checkpoint-dir DIR"
[[ ! -s "$WORK/stdout" ]] || fail "--print-config printed a refused configuration"
# ... but a missing required option gives a template to fill in.
expect_ok dmf train --print-config
contains "$WORK/stdout" "data = "

echo "cli: ok"
