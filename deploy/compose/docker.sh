# Sourced by scripts/container and deploy/compose/stack.sh: Debian's Docker without a registry.
#   source deploy/compose/docker.sh
#   docker_packages docker.io debootstrap   installs what is missing (apt-get, noninteractive)
#   docker_daemon_up                        reuses a daemon that answers, or starts dockerd (log
#                                           and pid file in $STATE) and sets DOCKERD_PID
#   docker_daemon_down                      stops the daemon docker_daemon_up started, by PID
# Needs STATE (a directory for the daemon's log) and log(); sets DOCKER (Debian's client: the one
# first on PATH may lack buildx) and SUDO.
DOCKER=/usr/bin/docker
DOCKERD_TIMEOUT=${DOCKERD_TIMEOUT:-60}
DOCKERD_PID=""
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

docker_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  log "installing ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

docker_daemon_up() {
  mkdir -p "$STATE"
  if $DOCKER info >/dev/null 2>&1; then
    log "using the running Docker daemon"
    return 0
  fi
  log "starting dockerd (log $STATE/dockerd.log)"
  $SUDO dockerd --pidfile "$STATE/dockerd.pid" >"$STATE/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  local deadline=$((SECONDS + DOCKERD_TIMEOUT))
  until $DOCKER info >/dev/null 2>&1; do
    if ! $SUDO kill -0 "$DOCKERD_PID" 2>/dev/null; then
      log "dockerd exited; last log lines:"; tail -n 20 "$STATE/dockerd.log" >&2; DOCKERD_PID=""
      return 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      log "dockerd did not answer within ${DOCKERD_TIMEOUT}s; last log lines:"
      tail -n 20 "$STATE/dockerd.log" >&2
      return 1
    fi
    sleep 0.2
  done
  log "dockerd answers (pid $DOCKERD_PID)"
}

docker_daemon_down() {
  [ -n "$DOCKERD_PID" ] && $SUDO kill -0 "$DOCKERD_PID" 2>/dev/null || return 0
  log "stopping dockerd (pid $DOCKERD_PID)"
  $SUDO kill -TERM "$DOCKERD_PID" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while $SUDO kill -0 "$DOCKERD_PID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  if $SUDO kill -0 "$DOCKERD_PID" 2>/dev/null; then $SUDO kill -KILL "$DOCKERD_PID" 2>/dev/null || true; fi
  DOCKERD_PID=""
}
