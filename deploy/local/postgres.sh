# Sourced helpers (after anvil.sh and procs.sh) for a throwaway PostgreSQL cluster on a free
# loopback port, as root or not (the server refuses root: it then runs as the postgres user).
#   source deploy/local/postgres.sh
#   pg_init             initdb in a new temp dir (pg_dir; apart from $work, which the postgres
#                       user cannot reach), trust auth on 127.0.0.1, user chainkms; sets pg_port
#                       and pg_url (postgres://chainkms@127.0.0.1:<port>/postgres)
#   pg_start / pg_stop  starts the server (pg_pid; waits until it accepts connections) / a fast
#                       shutdown by PID (sessions are cut, as when the database goes away)
#   pg_remove           stops it when running and removes pg_dir (call it from the EXIT trap)
# The server's log is $work/postgres.log.
pg_bin=${CHAINKMS_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
pg_pid=
pg_dir=
# The prefix that runs a command as the postgres user when we are root (a plain array, not a
# function: `"${as_pg[@]}" postgres … &` then gives postgres's own PID in $!).
as_pg=()
if [ "$(id -u)" = 0 ]; then as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups --); fi
pg_init() {
  [ -x "$pg_bin/initdb" ] || fail "PostgreSQL is not installed (scripts/setup installs it)"
  pg_dir=$(mktemp -d)
  mkdir -p "$pg_dir/data"
  chmod 700 "$pg_dir/data"
  if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$pg_dir"; fi
  "${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U chainkms --auth=trust --no-sync -E UTF8 \
    --locale=C >"$work/initdb.log" 2>&1 || fail "initdb: $(tail -5 "$work/initdb.log")"
  pg_port=$(free_port)
  pg_url="postgres://chainkms@127.0.0.1:$pg_port/postgres"
}
pg_start() {
  "${as_pg[@]}" "$pg_bin/postgres" -D "$pg_dir/data" -p "$pg_port" -k "$pg_dir" \
    -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
    -c full_page_writes=off >>"$work/postgres.log" 2>&1 &
  pg_pid=$!
  local _
  for _ in $(seq 1 300); do
    "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" && return 0
    kill -0 "$pg_pid" 2>/dev/null || break
    sleep 0.1
  done
  fail "PostgreSQL did not start: $(tail -5 "$work/postgres.log")"
}
pg_stop() {
  [ -n "$pg_pid" ] || return 0
  kill -INT "$pg_pid" 2>/dev/null || true
  wait "$pg_pid" 2>/dev/null || true
  pg_pid=
}
pg_remove() {
  pg_stop
  if [ -n "$pg_dir" ]; then rm -rf "$pg_dir"; fi
  pg_dir=
}
# psql against the cluster: pg_sql 'SELECT …' prints the rows unaligned, no headers.
pg_sql() { "$pg_bin/psql" -XAtq -h 127.0.0.1 -p "$pg_port" -U chainkms -d postgres -c "$1"; }
