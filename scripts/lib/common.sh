# Shared set-up steps of scripts/quickstart and scripts/test (sourced, not run).
# Each step checks before it acts, so running it again on a ready machine costs seconds.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${PAAS_VENV:-$ROOT/.venv}"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root for: $* (run as root or install sudo)"; fi
}

apt_install() {
  # Install the Debian packages that are missing; apt-get update only when needed.
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get to install them"
  say "Installing ${missing[*]}"
  as_root apt-get update -q >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
}

ensure_python() {
  if [ ! -x "$VENV/bin/python" ]; then
    say "Creating $VENV"
    python3 -m venv "$VENV" || { apt_install python3-venv; python3 -m venv "$VENV"; }
  fi
  local extras="$1" stamp="$VENV/.paas-installed$1"
  if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
    say "Installing paas$extras into $VENV"
    "$VENV/bin/pip" install -q --upgrade pip >/dev/null
    "$VENV/bin/pip" install -q -e "$ROOT$extras"
    touch "$stamp"
  fi
  export PATH="$VENV/bin:$PATH"
}

ensure_docker() {
  # A Docker engine that answers; on a fresh Debian machine install docker.io and start
  # dockerd in the background (no systemd on these machines).
  if docker info >/dev/null 2>&1; then return 0; fi
  command -v git >/dev/null || apt_install git
  if ! command -v dockerd >/dev/null; then apt_install docker.io; fi
  if ! docker info >/dev/null 2>&1; then
    command -v docker >/dev/null || apt_install docker.io
    say "Starting dockerd (log: /var/log/paas-dockerd.log)"
    if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
      as_root systemctl start docker
    else
      as_root sh -c 'nohup dockerd >/var/log/paas-dockerd.log 2>&1 &'
    fi
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
    docker info >/dev/null 2>&1 || die "dockerd did not start; see /var/log/paas-dockerd.log"
  fi
}

ensure_host_tools() {
  # git serves pushes (git http-backend); debootstrap builds stack images offline;
  # docker-registry is the real registry the e2e suite pushes to; wrk loads the benches;
  # the unit tests check rendered nginx configs with a real nginx and the queue probe
  # against a real redis-server.
  local need=()
  command -v git >/dev/null || need+=(git)
  command -v debootstrap >/dev/null || need+=(debootstrap)
  command -v docker-registry >/dev/null || need+=(docker-registry)
  command -v wrk >/dev/null || need+=(wrk)
  command -v redis-server >/dev/null || need+=(redis-server)
  [ -x /usr/sbin/nginx ] || need+=(nginx)
  [ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"
}

ensure_service_user() {
  # The system user the platform server runs as: no login shell, its own home, and the
  # docker group (the engine's socket is group-owned by docker).
  local user="$1" home="$2"
  getent group docker >/dev/null || as_root groupadd --system docker
  if ! id "$user" >/dev/null 2>&1; then
    say "Creating system user $user (home $home, group docker)"
    as_root useradd --system --user-group --home-dir "$home" --shell /usr/sbin/nologin "$user"
  fi
  id -nG "$user" | tr ' ' '\n' | grep -qx docker || as_root usermod -aG docker "$user"
  as_root install -d -o "$user" -g "$user" -m 0700 "$home"
  local sock=/var/run/docker.sock
  if [ -S "$sock" ] && [ "$(stat -c %G "$sock")" != docker ]; then
    # An engine started before the docker group existed: hand the socket to the group.
    as_root chgrp docker "$sock" && as_root chmod 0660 "$sock"
  fi
}

ensure_service_venv() {
  # The server's own installation, readable by the service user wherever this checkout
  # lives (a clone under /root is not), on Debian's own Python: an interpreter under a
  # user's home (pyenv) is as unreadable. Reinstalled when the checkout is newer.
  local venv="$1" stamp="$1/.paas-installed" python=/usr/bin/python3
  [ -x "$python" ] || apt_install python3
  "$python" -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
  if [ ! -x "$venv/bin/paas" ] || [ -n "$(find "$ROOT/paas" "$ROOT/buildpacks" "$ROOT/pyproject.toml" -newer "$stamp" -print -quit 2>/dev/null)" ]; then
    say "Installing the paas server into $venv"
    as_root mkdir -p "$(dirname "$venv")"
    [ -x "$venv/bin/python" ] || as_root "$python" -m venv "$venv"
    as_root "$venv/bin/pip" install -q --upgrade pip >/dev/null
    as_root "$venv/bin/pip" install -q "$ROOT"
    as_root touch "$stamp"
  fi
}
