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
# start_provisioning_and_gateway PROV_ARGS_VAR GW_ARGS_VAR: starts chainkms-provisioning (SQLite in
# $work, the registry on $registry_port, the kms on $kms_port) and chainkms-gateway in front of
# them, with the extra arguments in the arrays named PROV_ARGS_VAR and GW_ARGS_VAR. Provisioning
# builds commit URLs on the gateway's public URL, so both ports are chosen first (and chosen again
# in the rare case another process took one meanwhile). Sets prov_port, prov_pid, http_port,
# gw_pid (both added to PIDS) once the gateway sees its backends serving.
start_provisioning_and_gateway() {
  local -n prov_extra=$1 gw_extra=$2
  local attempt
  for attempt in 1 2 3 4 5; do
    prov_port=$(free_port)
    http_port=$(free_port)
    "$provisioning_bin" --listen "127.0.0.1:$prov_port" --metrics-listen 127.0.0.1:0 \
      --database-url "sqlite:$work/provisioning.db" --registry "127.0.0.1:$registry_port" \
      --kms "anvil=31337;url=http://127.0.0.1:$kms_port" --public-url "http://127.0.0.1:$http_port" \
      --webhook-allow-private "${prov_extra[@]}" >"$work/provisioning.log" 2>&1 &
    prov_pid=$!
    if ! log_field "$work/provisioning.log" "$prov_pid" serving port >/dev/null; then
      wait "$prov_pid" 2>/dev/null || true
      continue
    fi
    "$gateway_bin" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 \
      --http-listen "127.0.0.1:$http_port" --provisioning "127.0.0.1:$prov_port" \
      --registry "127.0.0.1:$registry_port" --kms "127.0.0.1:$kms_port" \
      --health-interval 200ms "${gw_extra[@]}" >"$work/gateway.log" 2>&1 &
    gw_pid=$!
    if log_field "$work/gateway.log" "$gw_pid" "http listening" http_port >/dev/null; then
      PIDS+=("$prov_pid" "$gw_pid")
      log_field "$work/gateway.log" "$gw_pid" "backends serving; gateway SERVING" msg >/dev/null \
        || fail "the gateway never saw its backends serving"
      return 0
    fi
    kill -TERM "$prov_pid" "$gw_pid" 2>/dev/null || true
    wait "$prov_pid" "$gw_pid" 2>/dev/null || true
  done
  fail "could not start provisioning and the gateway"
}
