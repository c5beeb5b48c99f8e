#!/usr/bin/env bash
# Runs a command with a real, private and unlocked OS keyring: a fresh D-Bus session
# bus (dbus-run-session) with gnome-keyring's Secret Service on it, its keyring files in
# a temporary folder and unlocked with a random password. Used by `make test` so the
# keyring tests exercise the real backend on a headless machine without touching the
# user's own keyring. Everything is gone when the command ends.
#
#   scripts/with-keyring.sh COMMAND [ARGS...]
set -euo pipefail

if [ -z "${VETDESK_IN_KEYRING_SESSION:-}" ]; then
  export VETDESK_IN_KEYRING_SESSION=1
  exec dbus-run-session -- "$0" "$@"
fi

scratch=$(mktemp -d -t vetdesk-keyring.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
export XDG_DATA_HOME="$scratch/data"
mkdir -p "$XDG_DATA_HOME"
password=$(head -c 18 /dev/urandom | base64)
printf '%s' "$password" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
unset password
"$@"
