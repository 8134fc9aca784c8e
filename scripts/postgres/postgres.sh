#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL server (Debian's packages) for the
# integration suite: data under build/postgres, listening on 127.0.0.1 only,
# trust authentication for its superuser (loopback tests, no secrets).
#   postgres.sh start   initialise if needed, start, wait until it answers
#   postgres.sh stop    stop it
#   postgres.sh dsn     print the connection string
# PostgreSQL refuses to run as root: as root, the server runs as the postgres
# user the Debian package creates.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root="$PWD/build/postgres"
data="$root/data"
port="${ACTIVA_POSTGRES_PORT:-25432}"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -n "$bin" ]] || {
	echo "postgres.sh: no PostgreSQL under /usr/lib/postgresql (Debian package postgresql)" >&2
	exit 1
}

as_owner() {
	if ((EUID == 0)); then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

case "${1:-}" in
start)
	mkdir -p "$root"
	if ((EUID == 0)); then chown postgres "$root"; fi
	if [[ ! -f "$data/PG_VERSION" ]]; then
		as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$root/initdb.log"
	fi
	as_owner "$bin/pg_ctl" -D "$data" -l "$root/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$root' -c fsync=off" start >/dev/null
	echo "postgres.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
	;;
stop)
	if [[ -f "$data/postmaster.pid" ]]; then
		as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
		echo "postgres.sh: stopped"
	fi
	;;
dsn)
	echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
	;;
*)
	echo "usage: postgres.sh start|stop|dsn" >&2
	exit 2
	;;
esac
