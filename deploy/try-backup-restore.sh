#!/usr/bin/env bash
# Tries both backups of docs/operations.md on a scratch cluster, end to end:
#   1. pg_dump of a live site, restored with pg_restore into a new database;
#   2. pg_basebackup + WAL archiving, restored to the last archived change (a post written
#      after the base backup must come back).
# After each restore a `commonplace serve` must answer /readyz and show the same counts.
# Usage: deploy/try-backup-restore.sh [path/to/commonplace]   (default target/release/commonplace)
set -euo pipefail

BIN=$(realpath "${1:-target/release/commonplace}")
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
WORK=$(mktemp -d /tmp/commonplace-restore-XXXX)
chmod 755 "$WORK"
SOCK="$WORK"
PORT=55432
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" -eq 0 ]; then chown postgres "$WORK"; fi
psql_at() { as_pg "$PGBIN/psql" -X -q -At -h "$SOCK" -p "$1" -d "$2" -c "$3"; }
url() { echo "postgres:///$2?host=$SOCK&port=$1&user=$(as_pg whoami)"; }
counts="SELECT (SELECT count(*) FROM users) || ' users, ' || (SELECT count(*) FROM threads)
        || ' threads, ' || (SELECT count(*) FROM posts) || ' posts'"

serve_and_check() { # port database http-port
  COMMONPLACE_BIND=127.0.0.1:$3 DATABASE_URL=$(url "$1" "$2") RUST_LOG=warn \
    COMMONPLACE_DEMO_PASSWORD=restore-trial-1 "$BIN" serve >"$WORK/serve-$3.log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$3/readyz" >/dev/null && break; sleep 0.1; done
  echo "  /readyz: $(curl -s "http://127.0.0.1:$3/readyz")"
  kill -TERM "$pid"; wait "$pid" || true
}

cleanup() {
  for d in primary restored; do
    [ -f "$WORK/$d/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$WORK/$d" -m fast stop >/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== a primary with WAL archiving"
as_pg mkdir -p "$WORK/archive"
as_pg "$PGBIN/initdb" -D "$WORK/primary" -A trust >/dev/null
cat >>"$WORK/primary/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$SOCK'
port = $PORT
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $WORK/archive/%f && cp %p $WORK/archive/%f'
CONF
as_pg "$PGBIN/pg_ctl" -D "$WORK/primary" -l "$WORK/primary.log" -w start >/dev/null
psql_at $PORT postgres "CREATE DATABASE commonplace"
echo "  seeding the demo through commonplace serve"
serve_and_check $PORT commonplace 3811
echo "  primary: $(psql_at $PORT commonplace "$counts")"

echo "== 1. pg_dump, then pg_restore into a new database"
as_pg "$PGBIN/pg_dump" -h "$SOCK" -p $PORT -Fc -f "$WORK/commonplace.dump" commonplace
psql_at $PORT postgres "CREATE DATABASE commonplace_restored"
as_pg "$PGBIN/pg_restore" -h "$SOCK" -p $PORT -d commonplace_restored --no-owner "$WORK/commonplace.dump"
echo "  restored: $(psql_at $PORT commonplace_restored "$counts")"
serve_and_check $PORT commonplace_restored 3812

echo "== 2. pg_basebackup, a post after it, then the primary is lost"
as_pg "$PGBIN/pg_basebackup" -h "$SOCK" -p $PORT -D "$WORK/base" -X stream -c fast
psql_at $PORT commonplace "INSERT INTO posts (thread_id, author_id, body_md, body_html)
  SELECT id, author_id, 'Written after the base backup', '<p>Written after the base backup</p>'
    FROM threads ORDER BY id LIMIT 1"
psql_at $PORT commonplace "SELECT pg_switch_wal()" >/dev/null
sleep 2 # the archiver copies the finished segment
echo "  primary before the loss: $(psql_at $PORT commonplace "$counts")"
as_pg "$PGBIN/pg_ctl" -D "$WORK/primary" -m immediate stop >/dev/null

echo "== restore: the base backup, replaying the archived WAL"
as_pg cp -a "$WORK/base" "$WORK/restored"
cat >>"$WORK/restored/postgresql.conf" <<CONF
port = $((PORT + 1))
archive_mode = off
restore_command = 'cp $WORK/archive/%f %p'
CONF
as_pg touch "$WORK/restored/recovery.signal"
as_pg "$PGBIN/pg_ctl" -D "$WORK/restored" -l "$WORK/restored.log" -w start >/dev/null
for _ in $(seq 100); do
  [ "$(psql_at $((PORT + 1)) postgres "SELECT pg_is_in_recovery()")" = f ] && break; sleep 0.1
done
echo "  restored: $(psql_at $((PORT + 1)) commonplace "$counts")"
echo "  the post written after the base backup: $(psql_at $((PORT + 1)) commonplace \
  "SELECT count(*) FROM posts WHERE body_md = 'Written after the base backup'") found"
serve_and_check $((PORT + 1)) commonplace 3813
echo "== both restores tried"
