#!/usr/bin/env bash
# Start a real OpenAI-compatible peer (llama.cpp's llama-server serving the
# tiny random-weight model) on 127.0.0.1 for interop tests, wait until it is
# ready, and print its base URL (e.g. http://127.0.0.1:41234/v1) on stdout.
# The server keeps running in the background; stop it with --stop.
#
# Usage:
#   scripts/interop_peer.sh [options]            start, print base URL
#   scripts/interop_peer.sh --stop [--pidfile F] stop a server started earlier
#
# Options:
#   --port N        TCP port (default: a free port picked at random)
#   --ctx N         total context size, -c (default: 24576); with --parallel P
#                   each request slot gets N/P tokens
#   --parallel P    number of slots / concurrent requests (default: 2)
#   --threads T     llama-server --threads (default: 2); use 1 when other work shares
#                   the cores: llama.cpp's threads spin at each barrier (scripts/README.md)
#   --model PATH    GGUF file (default: $CACHE/tiny-llama.gguf, made by
#                   scripts/make_tiny_gguf.py if missing)
#   --alias NAME    model id reported by /v1/models (default: tiny-llama)
#   --bin PATH      llama-server binary (default: $CACHE/bin/llama-server,
#                   built by scripts/build_llama_server.sh if missing)
#   --no-build      fail instead of building the binary when it is missing
#   --pidfile F     where to write the server PID (default: $CACHE/llama-server.pid)
#   --log F         server log file (default: $CACHE/llama-server.<port>.log)
#   --timeout S     seconds to wait for /health (default: 60)
#   --env           print shell assignments instead of the bare URL:
#                   TRENDSUM_PEER_BASE_URL=... TRENDSUM_PEER_PID=... TRENDSUM_PEER_MODEL=...
#   --stop          kill the server whose PID is in --pidfile, then exit
#   -- ARGS...      extra arguments passed to llama-server unchanged
#
# Environment: TRENDSUM_INTEROP_CACHE (default: $HOME/.cache/trendsum-interop),
#              PYTHON (interpreter with gguf+numpy for make_tiny_gguf.py; default python3)
#
# Example:
#   url=$(scripts/interop_peer.sh --port 0)
#   OPENAI_BASE_URL=$url OPENAI_API_KEY=none python -m trendsum ...
#   scripts/interop_peer.sh --stop
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${TRENDSUM_INTEROP_CACHE:-$HOME/.cache/trendsum-interop}"
PY="${PYTHON:-python3}"

PORT=0
CTX=24576  # 12,288 per slot: trendsum's instructions and schema alone take ~3,800 of this model's tokens
PARALLEL=2
THREADS=2
MODEL=""
ALIAS="tiny-llama"
BIN="$CACHE/bin/llama-server"
BUILD=1
PIDFILE="$CACHE/llama-server.pid"
LOG=""
TIMEOUT=60
STOP=0
ENVOUT=0
EXTRA=()

log() { printf '[interop_peer] %s\n' "$*" >&2; }
die() { printf '[interop_peer] ERROR: %s\n' "$*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --port) PORT="$2"; shift 2 ;;
        --ctx) CTX="$2"; shift 2 ;;
        --parallel) PARALLEL="$2"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        --model) MODEL="$2"; shift 2 ;;
        --alias) ALIAS="$2"; shift 2 ;;
        --bin) BIN="$2"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --pidfile) PIDFILE="$2"; shift 2 ;;
        --log) LOG="$2"; shift 2 ;;
        --timeout) TIMEOUT="$2"; shift 2 ;;
        --env) ENVOUT=1; shift ;;
        --stop) STOP=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        --) shift; EXTRA=("$@"); break ;;
        *) die "unknown option: $1 (see --help)" ;;
    esac
done

if [[ "$STOP" == 1 ]]; then
    [[ -f "$PIDFILE" ]] || die "no pidfile $PIDFILE"
    pid="$(cat "$PIDFILE")"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
        log "stopped pid $pid"
    else
        log "pid ${pid:-?} not running"
    fi
    rm -f "$PIDFILE"
    exit 0
fi

# --- binary and model ----------------------------------------------------------
if [[ ! -x "$BIN" ]]; then
    [[ "$BUILD" == 1 ]] || die "$BIN missing; run scripts/build_llama_server.sh"
    log "$BIN missing; building it (about 5 minutes)"
    TRENDSUM_INTEROP_CACHE="$CACHE" bash "$HERE/build_llama_server.sh" >/dev/null
    [[ -x "$BIN" ]] || die "build did not produce $BIN"
fi
if [[ -z "$MODEL" ]]; then
    MODEL="$CACHE/tiny-llama.gguf"
    if [[ ! -s "$MODEL" ]]; then
        TRENDSUM_INTEROP_CACHE="$CACHE" "$PY" "$HERE/make_tiny_gguf.py" --out "$MODEL" >/dev/null \
            || die "could not make $MODEL (needs: pip install gguf numpy)"
    fi
fi
[[ -s "$MODEL" ]] || die "model $MODEL not found"

# --- port ---------------------------------------------------------------------------
if [[ "$PORT" == 0 ]]; then
    PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')" \
        || die "could not pick a free port"
fi
mkdir -p "$CACHE" "$(dirname "$PIDFILE")"
LOG="${LOG:-$CACHE/llama-server.$PORT.log}"

# --- start --------------------------------------------------------------------
log "starting $BIN on 127.0.0.1:$PORT (ctx $CTX, parallel $PARALLEL, model $MODEL), log: $LOG"
setsid "$BIN" \
    --model "$MODEL" \
    --alias "$ALIAS" \
    --host 127.0.0.1 --port "$PORT" \
    --ctx-size "$CTX" --parallel "$PARALLEL" \
    --threads "$THREADS" \
    --jinja \
    --no-webui \
    "${EXTRA[@]}" \
    >"$LOG" 2>&1 </dev/null &
PID=$!
echo "$PID" >"$PIDFILE"

URL="http://127.0.0.1:$PORT"
deadline=$(( $(date +%s) + TIMEOUT ))
until curl -fsS -o /dev/null --max-time 2 "$URL/health" 2>/dev/null; do
    if ! kill -0 "$PID" 2>/dev/null; then
        tail -n 30 "$LOG" >&2 || true
        rm -f "$PIDFILE"
        die "llama-server exited during startup (log: $LOG)"
    fi
    if (( $(date +%s) >= deadline )); then
        tail -n 30 "$LOG" >&2 || true
        kill "$PID" 2>/dev/null || true
        rm -f "$PIDFILE"
        die "llama-server not ready after ${TIMEOUT}s (log: $LOG)"
    fi
    sleep 0.2
done
log "ready: $URL/v1 (pid $PID, model id '$ALIAS'); stop with: $0 --stop --pidfile $PIDFILE"
if [[ "$ENVOUT" == 1 ]]; then
    printf 'TRENDSUM_PEER_BASE_URL=%s/v1\nTRENDSUM_PEER_PID=%s\nTRENDSUM_PEER_MODEL=%s\n' "$URL" "$PID" "$ALIAS"
else
    echo "$URL/v1"
fi
