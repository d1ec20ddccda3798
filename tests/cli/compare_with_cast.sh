#!/usr/bin/env bash
# Runs every case in cases.txt through chainkms-eth and through Foundry's cast (npm), and
# compares stdout byte for byte and success/failure. A case is one line of shell words after the
# program name (stdin may be given with <<<). Lines starting with # and blank lines are ignored.
#   compare_with_cast.sh <chainkms-eth> <cast> <cases.txt>
set -uo pipefail
ours=$1 cast=$2 cases=$3
[ -x "$ours" ] || { echo "not executable: $ours"; exit 2; }
[ -x "$cast" ] || { echo "cast not found at $cast (run scripts/setup)"; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in ''|'#'*) continue ;; esac
  eval "\"\$ours\" $line" >"$tmp/ours.out" 2>"$tmp/ours.err" </dev/null; ours_rc=$?
  eval "\"\$cast\" $line" >"$tmp/cast.out" 2>"$tmp/cast.err" </dev/null; cast_rc=$?
  ok=1
  if [ "$cast_rc" -eq 0 ]; then
    [ "$ours_rc" -eq 0 ] && cmp -s "$tmp/ours.out" "$tmp/cast.out" || ok=0
  else
    # Failures: both must fail, print nothing on stdout, and ours says why in one line.
    [ "$ours_rc" -ne 0 ] && [ ! -s "$tmp/ours.out" ] && [ "$(wc -l <"$tmp/ours.err")" -eq 1 ] || ok=0
  fi
  if [ $ok -eq 1 ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "MISMATCH: $line"
    echo "  cast (rc=$cast_rc): $(head -c 600 "$tmp/cast.out"; head -c 300 "$tmp/cast.err")"
    echo "  ours (rc=$ours_rc): $(head -c 600 "$tmp/ours.out"; head -c 300 "$tmp/ours.err")"
  fi
done <"$cases"
echo "cast comparison: $passed passed, $failed failed"
[ "$passed" -gt 0 ] && [ "$failed" -eq 0 ]
