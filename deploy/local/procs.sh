# Sourced by the local stack scripts (after deploy/local/anvil.sh): the processes a script starts
# and the throwaway directory they write to, stopped and removed on exit.
#   source deploy/local/anvil.sh; source deploy/local/procs.sh
#   anvil_start; trap cleanup EXIT
#   some-server … >"$work/server.log" 2>&1 & PIDS+=($!)
#   port=$(log_field "$work/server.log" "${PIDS[-1]}" serving port) || fail "no server"
PIDS=()
work=$(mktemp -d)
# Stops every process in PIDS (SIGTERM, newest first, each waited for), shows the tail of every
# log on failure, removes $work and stops anvil; exits with the script's status.
cleanup() {
  local rc=$?
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill -TERM "${PIDS[i]}" 2>/dev/null || true
    wait "${PIDS[i]}" 2>/dev/null || true
  done
  if [ "$rc" -ne 0 ]; then
    for f in "$work"/*.log; do [ -s "$f" ] && { echo "== $f" >&2; tail -40 "$f" >&2; }; done
  fi
  keep_logs "$work"/*.log
  rm -rf "$work"
  anvil_stop
  exit "$rc"
}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
# Waits (up to 60 s, while process $2 lives) for a JSON log line of $1 with message $3; prints
# its field $4.
log_field() {
  local log=$1 pid=$2 msg=$3 field=$4
  for _ in $(seq 1 600); do
    line=$(grep -m1 "\"msg\":\"$msg\"" "$log" || true)
    if [ -n "$line" ]; then
      jq -r ".$field" <<<"$line"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
