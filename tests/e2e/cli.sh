#!/usr/bin/env bash
# The dmf command itself: help, version, unknown commands and options,
# config files, and that errors are printed once with a non-zero exit.
source "$DMF_E2E_LIB"

expect_ok dmf --version
contains "$WORK/stdout" "dmf "

expect_ok dmf --help
for command in generate split info; do contains "$WORK/stdout" "  $command"; done

# No command: usage and exit 1.
expect_fail 1 dmf
contains "$WORK/stdout" "Usage: dmf <command>"

expect_fail 1 dmf frobnicate
contains "$WORK/stderr" "dmf: error: unknown command 'frobnicate'"

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

# The effective configuration is echoed (stderr) and is itself a valid config.
expect_ok dmf info --data r.csv --duplicates last
grep -v '^#' "$WORK/stderr" | sed 's/  #.*$//' > echo.ini
contains echo.ini "duplicates = last"
expect_ok dmf info --config echo.ini --quiet
[[ ! -s "$WORK/stderr" ]] || fail "--quiet still printed to stderr"

echo "cli: ok"
