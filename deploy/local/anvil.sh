# Sourced helpers to run a throwaway anvil on a free loopback port.
#   source deploy/local/anvil.sh; anvil_start; ...; anvil_stop   (anvil_stop also runs on EXIT)
ANVIL_BIN=${ANVIL_BIN:-node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

anvil_start() {
  ANVIL_PORT=$(free_port)
  ANVIL_URL="http://127.0.0.1:${ANVIL_PORT}"
  ANVIL_LOG=$(mktemp)
  "$ANVIL_BIN" --host 127.0.0.1 --port "$ANVIL_PORT" --chain-id 31337 >"$ANVIL_LOG" 2>&1 &
  ANVIL_PID=$!
  trap anvil_stop EXIT
  for _ in $(seq 1 100); do
    if rpc eth_chainId '[]' >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "anvil did not start; its log:" >&2
  cat "$ANVIL_LOG" >&2
  return 1
}

anvil_stop() {
  if [ -n "${ANVIL_PID:-}" ]; then
    kill "$ANVIL_PID" 2>/dev/null || true
    wait "$ANVIL_PID" 2>/dev/null || true
    ANVIL_PID=
  fi
  if [ -n "${ANVIL_LOG:-}" ]; then rm -f "$ANVIL_LOG"; fi
}

# rpc METHOD PARAMS_JSON → prints the JSON "result" (fails on a JSON-RPC error).
rpc() {
  local reply
  reply=$(curl -sS --max-time 10 -H 'content-type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "$ANVIL_URL") || return 1
  if echo "$reply" | jq -e '.error' >/dev/null; then
    echo "$reply" >&2
    return 1
  fi
  echo "$reply" | jq -r '.result'
}

# keep_logs FILE… → copies the service logs into $CHAINKMS_TEST_LOG_DIR/<script>-<pid>/ when that
# is set (scripts/test sets it, then scripts/scan-logs checks them for secrets); else nothing.
keep_logs() {
  [ -n "${CHAINKMS_TEST_LOG_DIR:-}" ] || return 0
  local dir
  dir="$CHAINKMS_TEST_LOG_DIR/$(basename "$0" .sh)-$$"
  mkdir -p "$dir"
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$dir/"; done
  return 0
}
