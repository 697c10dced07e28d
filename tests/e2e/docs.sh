#!/usr/bin/env bash
# docs/options.md, the reference of every option, is generated from the
# option declarations (dmf --options-markdown); this fails when they drift
# apart, and when the README stops linking to it.
source "$DMF_E2E_LIB"

page="$DMF_SOURCE_DIR/docs/options.md"
[[ -s "$page" ]] || fail "docs/options.md is missing"
expect_ok dmf --options-markdown
if ! diff -u "$page" "$WORK/stdout" > drift.diff; then
  cat drift.diff >&2
  fail "docs/options.md differs from 'dmf --options-markdown'; regenerate it: build/src/dmf --options-markdown > docs/options.md"
fi

# Every command in 'dmf --help' has its section, with a table per --help
# section of that command.
expect_ok dmf --help
for command in $(sed -n '/^Commands:/,/^$/p' "$WORK/stdout" | awk 'NF>1 {print $1}'); do
  grep -qxF "## dmf $command" "$page" || fail "docs/options.md has no section for $command"
  expect_ok dmf "$command" --help
  sed -n "/^## dmf $command\$/,/^## dmf /p" "$page" > "section.$command"
  while read -r title; do
    grep -qxF "### ${title%:}" "section.$command" ||
      fail "docs/options.md has no '${title%:}' table for $command"
  done < <(grep -E '^[A-Z][^:]*:$' "$WORK/stdout" | grep -vx 'Examples:')
done

grep -qF '(docs/options.md)' "$DMF_SOURCE_DIR/README.md" || fail "README.md does not link to docs/options.md"

echo "docs: ok"
