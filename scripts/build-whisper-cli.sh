#!/usr/bin/env bash
# Builds whisper.cpp's own command-line program, `whisper-cli`, against the very
# whisper.cpp library our scribe links (the static libraries whisper-rs-sys built in
# the release target directory), so `make bench` can time both on the same audio.
#
#   scripts/build-whisper-cli.sh   prints the path of the built binary
#
# whisper-rs-sys vendors whisper.cpp 1.8.3 without its `examples/` folder, and GitHub
# is not reachable here. The only published copy of `examples/cli` we can reach is in
# the npm package nodejs-whisper 0.3.1 (whisper.cpp 1.9.1), pinned by SHA-256 below.
# Its cli.cpp and helpers compile unchanged against the 1.8.3 headers; the decoding
# itself (`whisper_full`) is the 1.8.3 library's, the same objects our binary links.
# Idempotent: rebuilt only when the library or the sources change.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
out_dir=$target/whisper-cli
package_url=https://registry.npmjs.org/nodejs-whisper/-/nodejs-whisper-0.3.1.tgz
package_sha256=92041caf2b26c74b7f489fedf37bd093f216eebd61df512045ec2d19d0531d37

say() { printf '\033[1mwhisper-cli:\033[0m %s\n' "$*" >&2; }

# The library: the newest release build of whisper-rs-sys (`cargo bench` builds it).
lib=$(ls -td "$target"/release/build/whisper-rs-sys-*/out/lib 2>/dev/null | head -1 || true)
if [ -z "$lib" ] || [ ! -f "$lib/libwhisper.a" ]; then
  say "no release build of whisper-rs-sys in $target: run 'cargo bench -p vetdesk-scribe --no-run' first"
  exit 1
fi
# Its headers: the vendored sources of the whisper-rs-sys version in Cargo.lock.
sys_version=$(awk '/^name = "whisper-rs-sys"$/ { getline; gsub(/[^0-9.]/, ""); print }' "$root/Cargo.lock")
vendored=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/whisper-rs-sys-"$sys_version"/whisper.cpp 2>/dev/null | head -1 || true)
if [ -z "$vendored" ]; then
  say "whisper-rs-sys $sys_version sources not found in the cargo registry: run 'cargo fetch'"
  exit 1
fi

mkdir -p "$out_dir"
stamp="$lib/libwhisper.a $(stat -c %Y "$lib/libwhisper.a") $package_sha256 $sys_version"
if [ -x "$out_dir/whisper-cli" ] && [ "$(cat "$out_dir/stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "$out_dir/whisper-cli"
  exit 0
fi

tarball=$out_dir/$(basename "$package_url")
if [ ! -f "$tarball" ] || ! echo "$package_sha256  $tarball" | sha256sum --check --status; then
  say "fetching the whisper.cpp examples (npm: nodejs-whisper 0.3.1)"
  curl -fsSL --retry 3 -o "$tarball.partial" "$package_url"
  echo "$package_sha256  $tarball.partial" | sha256sum --check --status ||
    { say "SHA-256 mismatch for $package_url"; rm -f "$tarball.partial"; exit 1; }
  mv "$tarball.partial" "$tarball"
fi
src=$out_dir/src
rm -rf "$src" && mkdir -p "$src"
tar -xzf "$tarball" -C "$src" --strip-components=4 --wildcards \
  'package/cpp/whisper.cpp/examples/cli/*' 'package/cpp/whisper.cpp/examples/*.h' \
  'package/cpp/whisper.cpp/examples/*.hpp' 'package/cpp/whisper.cpp/examples/*.c' \
  'package/cpp/whisper.cpp/examples/common.cpp' 'package/cpp/whisper.cpp/examples/common-whisper.cpp' \
  'package/cpp/whisper.cpp/examples/grammar-parser.cpp'

cpp_version=$(grep -m1 -o 'project("whisper.cpp" VERSION [0-9.]*' "$vendored/CMakeLists.txt" | awk '{print $3}')
say "compiling whisper-cli against $lib (whisper.cpp $cpp_version from whisper-rs-sys $sys_version)"
g++ -O3 -std=c++17 -I"$vendored/include" -I"$vendored/ggml/include" -I"$src" \
  "$src/cli/cli.cpp" "$src/common.cpp" "$src/common-whisper.cpp" "$src/grammar-parser.cpp" \
  "$lib/libwhisper.a" "$lib/libggml.a" "$lib/libggml-cpu.a" "$lib/libggml-base.a" \
  -lpthread -ldl -o "$out_dir/whisper-cli.partial"
mv "$out_dir/whisper-cli.partial" "$out_dir/whisper-cli"
echo "$stamp" > "$out_dir/stamp"
echo "$out_dir/whisper-cli"
