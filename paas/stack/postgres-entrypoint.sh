#!/bin/sh
# Entrypoint of paas's PostgreSQL stack image, with the official postgres image's
# contract, so the add-on record fits both: PGDATA (default /var/lib/postgresql/data)
# is initialised when empty, with the superuser POSTGRES_USER (default postgres), the
# database POSTGRES_DB (default: the user's name) and the password from
# POSTGRES_PASSWORD_FILE or POSTGRES_PASSWORD; local socket connections are trusted,
# TCP ones need the password (scram-sha-256); the server listens on 5432 on every
# address of the container. The password is never put on a command line.
set -eu

if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
    set -- postgres "$@"
fi
if [ "$1" != postgres ]; then
    exec "$@"
fi
PGDATA="${PGDATA:-/var/lib/postgresql/data}"
export PGDATA
if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
    POSTGRES_PASSWORD="$(cat "$POSTGRES_PASSWORD_FILE")"
    export POSTGRES_PASSWORD
    unset POSTGRES_PASSWORD_FILE
fi

if [ "$(id -u)" = 0 ]; then
    # A new volume is owned by root: give it to postgres, then drop root for good.
    # (Started as the postgres user, as a Kubernetes pod is, this is skipped.)
    mkdir -p "$PGDATA" /var/run/postgresql
    chown postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
mkdir -p "$PGDATA"
chmod 700 "$PGDATA"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ]; then
        echo "error: the database is uninitialized and no password is set:" \
             "set POSTGRES_PASSWORD_FILE or POSTGRES_PASSWORD" >&2
        exit 1
    fi
    user="${POSTGRES_USER:-postgres}"
    db="${POSTGRES_DB:-$user}"
    pwfile="$(mktemp)"  # mode 0600, owned by postgres
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
    initdb --username="$user" --pwfile="$pwfile" --auth-local=trust \
        --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
    if command -v openssl >/dev/null; then
        # TLS for clients that require it (Heroku-targeted settings ask for
        # sslmode=require): a self-signed certificate made for this database alone.
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=postgres" \
            -keyout "$PGDATA/server.key" -out "$PGDATA/server.crt" 2>/dev/null
        chmod 600 "$PGDATA/server.key"
        echo "ssl = on" >> "$PGDATA/postgresql.conf"
    fi
    if [ "$db" != postgres ]; then
        # socket only, so nobody connects before the database exists
        pg_ctl --wait --silent -o "-c listen_addresses=''" start
        createdb --username="$user" --maintenance-db=postgres -- "$db"
        pg_ctl --wait --silent --mode=fast stop
    fi
    echo "PostgreSQL initialised in $PGDATA (database $db, user $user)"
fi
unset POSTGRES_PASSWORD
exec "$@"
