#!/usr/bin/env bash
# Build llama.cpp's `llama-server` from the C++ sources that ship inside the
# llama-cpp-python sdist (fetched from the Python package index with pip, so
# no other network access is needed), and install it into the interop cache.
#
# Usage:  scripts/build_llama_server.sh
#
# Environment:
#   TRENDSUM_INTEROP_CACHE   cache folder (default: $HOME/.cache/trendsum-interop)
#   LLAMA_CPP_PYTHON_VERSION sdist version to build from (default: 0.3.36)
#   BUILD_JOBS               parallel compile jobs (default: nproc)
#   KEEP_BUILD_DIR=1         keep the temporary source/build folder
#
# Result: $TRENDSUM_INTEROP_CACHE/bin/llama-server (static, no shared libs).
# Idempotent: if that binary already exists and runs, exits 0 immediately.
#
# Prerequisites: python3 + pip, cmake (>= 3.14), a C/C++ compiler (g++),
# make or ninja.  On Debian:  apt-get install -y cmake g++ make
# Takes about 5-6 minutes on 2 cores.
set -euo pipefail

CACHE="${TRENDSUM_INTEROP_CACHE:-$HOME/.cache/trendsum-interop}"
VERSION="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
BIN="$CACHE/bin/llama-server"
JOBS="${BUILD_JOBS:-$(nproc 2>/dev/null || echo 2)}"

log() { printf '[build_llama_server] %s\n' "$*" >&2; }
die() { printf '[build_llama_server] ERROR: %s\n' "$*" >&2; exit 1; }

if [[ -x "$BIN" ]] && "$BIN" --version >/dev/null 2>&1; then
    log "already built: $BIN"
    echo "$BIN"
    exit 0
fi

# --- prerequisites ---------------------------------------------------------
command -v cmake >/dev/null 2>&1 || die "cmake not found (Debian: apt-get install -y cmake)"
CXX_BIN="${CXX:-}"
if [[ -z "$CXX_BIN" ]]; then
    for c in c++ g++ clang++; do
        if command -v "$c" >/dev/null 2>&1; then CXX_BIN="$c"; break; fi
    done
fi
[[ -n "$CXX_BIN" ]] && command -v "$CXX_BIN" >/dev/null 2>&1 \
    || die "no C++ compiler found (Debian: apt-get install -y g++)"
CC_BIN="${CC:-}"
if [[ -z "$CC_BIN" ]]; then
    for c in cc gcc clang; do
        if command -v "$c" >/dev/null 2>&1; then CC_BIN="$c"; break; fi
    done
fi
[[ -n "$CC_BIN" ]] || die "no C compiler found (Debian: apt-get install -y gcc)"
PY="${PYTHON:-python3}"
command -v "$PY" >/dev/null 2>&1 || die "python3 not found"
"$PY" -m pip --version >/dev/null 2>&1 || die "pip not available for $PY"

GENERATOR=()
if command -v ninja >/dev/null 2>&1; then
    GENERATOR=(-G Ninja)
elif ! command -v make >/dev/null 2>&1; then
    die "neither ninja nor make found (Debian: apt-get install -y make)"
fi

# --- fetch sources -----------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/trendsum-llama-build.XXXXXX")"
cleanup() {
    if [[ "${KEEP_BUILD_DIR:-0}" != 1 ]]; then rm -rf "$WORK"; else log "kept $WORK"; fi
}
trap cleanup EXIT

start=$(date +%s)
log "downloading llama-cpp-python==$VERSION sdist into $WORK"
"$PY" -m pip download --quiet --no-deps --no-binary=:all: \
    "llama-cpp-python==$VERSION" -d "$WORK/dl" \
    || die "pip download of llama-cpp-python==$VERSION failed"
SDIST="$(ls "$WORK"/dl/llama_cpp_python-*.tar.gz "$WORK"/dl/llama-cpp-python-*.tar.gz 2>/dev/null | head -n1 || true)"
[[ -n "$SDIST" ]] || die "sdist not found in $WORK/dl"
log "unpacking $(basename "$SDIST")"
tar -xzf "$SDIST" -C "$WORK"
SRC="$(find "$WORK" -mindepth 3 -maxdepth 3 -type d -path '*/vendor/llama.cpp' | head -n1)"
[[ -n "$SRC" && -f "$SRC/CMakeLists.txt" ]] || die "vendor/llama.cpp not found in sdist"
log "llama.cpp source: $SRC"

# --- configure + build -------------------------------------------------------
log "configuring (cmake ${GENERATOR[*]:-Unix Makefiles}, Release, CC=$CC_BIN CXX=$CXX_BIN)"
CC="$CC_BIN" CXX="$CXX_BIN" cmake -S "$SRC" -B "$WORK/build" "${GENERATOR[@]}" \
    -DCMAKE_BUILD_TYPE=Release \
    -DLLAMA_BUILD_SERVER=ON \
    -DLLAMA_BUILD_TOOLS=ON \
    -DLLAMA_USE_PREBUILT_UI=OFF \
    -DLLAMA_BUILD_UI=OFF \
    -DLLAMA_OPENSSL=OFF \
    -DLLAMA_CURL=OFF \
    -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_BUILD_EXAMPLES=OFF \
    -DBUILD_SHARED_LIBS=OFF \
    -DGGML_NATIVE=OFF \
    >"$WORK/cmake-configure.log" 2>&1 \
    || { tail -n 40 "$WORK/cmake-configure.log" >&2; die "cmake configure failed"; }

log "building llama-server with $JOBS jobs (about 5 minutes on 2 cores)"
cmake --build "$WORK/build" --config Release --target llama-server -j "$JOBS" \
    >"$WORK/cmake-build.log" 2>&1 &
bpid=$!
while kill -0 "$bpid" 2>/dev/null; do
    sleep 30
    if kill -0 "$bpid" 2>/dev/null; then
        last="$(grep -Eo '^\[ *[0-9]+(%|/[0-9]+)\]' "$WORK/cmake-build.log" | tail -n1 || true)"
        log "  ... still building ${last:-} ($(( $(date +%s) - start ))s)"
    fi
done
if ! wait "$bpid"; then
    tail -n 40 "$WORK/cmake-build.log" >&2
    die "build failed"
fi

BUILT="$(find "$WORK/build" -type f -name llama-server -perm -u+x | head -n1)"
[[ -n "$BUILT" ]] || die "build finished but llama-server binary not found"

mkdir -p "$CACHE/bin"
install -m 0755 "$BUILT" "$BIN.tmp.$$"
mv -f "$BIN.tmp.$$" "$BIN"
"$BIN" --version >/dev/null 2>&1 || die "installed $BIN does not run"
log "installed $BIN in $(( $(date +%s) - start ))s"
echo "$BIN"
