#!/usr/bin/env bash
# Opens the built desktop app on the demo clinic in $DEMO_DIR, creating the clinic
# first if there is none. Called by `make run` after the build.
#
# With no display (no DISPLAY / WAYLAND_DISPLAY) it says so, runs the app under a
# private Xvfb anyway, saves a screenshot of the running window and prints its path.
# The app runs until it is closed or Ctrl-C (or for VETDESK_RUN_SECONDS, if set).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
app="$target/debug/vetdesk-app"
cli="$target/debug/vetdesk"
demo=${DEMO_DIR:-$root/.vetdesk-demo}

say() { printf '\033[1mrun:\033[0m %s\n' "$*"; }

headless=0
[ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && headless=1

# The demo clinic's key goes into the OS keyring where one works; otherwise (a headless
# machine) it is wrapped under a passphrase, which for the demo defaults to a known one.
if [ -z "${VETDESK_PASSPHRASE:-}" ]; then
  export VETDESK_PASSPHRASE=vetdesk-demo
  demo_passphrase_note="(if the keyring is unavailable, the demo store's passphrase is 'vetdesk-demo'; set VETDESK_PASSPHRASE to choose another)"
fi

if [ ! -f "$demo/vetdesk.db" ]; then
  say "creating the demo clinic in $demo ${demo_passphrase_note:-}"
  "$cli" --data-dir "$demo" demo --clients "${DEMO_CLIENTS:-300}" --seed 1 --key-store auto
else
  say "opening the demo clinic in $demo"
fi
export VETDESK_DATA_DIR="$demo"

if [ "$headless" -eq 0 ]; then
  exec "$app"
fi

say "no display found (DISPLAY and WAYLAND_DISPLAY are unset): running the app under Xvfb"
display_number=99
while [ -e "/tmp/.X11-unix/X$display_number" ] || [ -e "/tmp/.X$display_number-lock" ]; do
  display_number=$((display_number + 1))
done
export DISPLAY=":$display_number"
Xvfb "$DISPLAY" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
app_pid=
cleanup() {
  # The app runs in its own session: end it with everything it started (its D-Bus
  # daemon and the accessibility bus that WebKitGTK activates on it).
  if [ -n "$app_pid" ]; then kill -TERM -- "-$app_pid" 2>/dev/null || true; fi
  kill "$xvfb_pid" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

NO_AT_BRIDGE=1 setsid dbus-run-session -- "$app" &
app_pid=$!

# Wait for the window, then for the UI to paint.
for _ in $(seq 1 150); do
  if xwininfo -root -tree 2>/dev/null | grep -q '"Vetdesk"'; then break; fi
  if ! kill -0 "$app_pid" 2>/dev/null; then say "the app exited early"; exit 1; fi
  sleep 0.2
done
sleep 3
shot="$demo/screenshot-$(date +%Y%m%d-%H%M%S).png"
import -display "$DISPLAY" -window root "$shot"
say "the app is running on the headless display $DISPLAY; screenshot: $shot"

if [ -n "${VETDESK_RUN_SECONDS:-}" ]; then
  sleep "$VETDESK_RUN_SECONDS"
  say "stopping after $VETDESK_RUN_SECONDS s"
else
  say "press Ctrl-C to stop it"
  wait "$app_pid"
fi
