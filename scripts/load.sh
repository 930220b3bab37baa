#!/usr/bin/env bash
# Load test of the host examples against Postfix's smtp-sink/smtp-source, on
# 127.0.0.1 only. Prints three tables in one run:
#
#   1. server: `sink` (async driver, messages counted and dropped) vs
#      `smtp-sink`, 20 sessions, 4 KiB messages, lock-step (smtp-source -d)
#      and pipelined (`send --chunking never`: DATA, as smtp-sink offers no
#      CHUNKING, so that both servers get the same bytes): messages/s
#      (client wall time) and server CPU time per message (utime+stime
#      from /proc/PID/stat);
#   2. client: `send` vs `smtp-source` into the same `smtp-sink`;
#   3. memory: IDLE (10,000) concurrent idle sessions on `sink` (greeting
#      read, EHLO sent, then nothing): VmRSS growth per session, with the
#      default 2048-octet command line limit and with `--max-line 512`.
#
# Every figure is the median of RUNS (3) runs.
#
#   scripts/load.sh
#   N=50000 N_PIPE=100000 RUNS=3 IDLE=10000 scripts/load.sh   # the defaults
#
# Builds the examples in release mode (honours CARGO_TARGET_DIR, absolute
# path); installs postfix with apt-get only if smtp-sink is missing. Every
# process it starts is stopped on exit; every client run is bounded by
# `timeout`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET_DIR/release/examples"
SESSIONS=20
SIZE=4096
N="${N:-50000}"            # messages per lock-step run (all sessions)
N_PIPE="${N_PIPE:-100000}" # messages per pipelined run (all sessions)
RUNS="${RUNS:-3}"
IDLE="${IDLE:-10000}"
LIMIT=120                 # seconds, per client run
PYTHON=/usr/bin/python3
PATH="$PATH:/usr/sbin:/sbin"
FROM=load@example.org
TO=sink@example.net

# --- processes and cleanup -----------------------------------------------------
PIDS=()
WORK="$(mktemp -d)"
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Stops one process started here (and forgets it).
stop() {
    local pid=$1 keep=() p
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    for p in "${PIDS[@]}"; do
        [ "$p" = "$pid" ] || keep+=("$p")
    done
    PIDS=("${keep[@]+"${keep[@]}"}")
}

# --- tools and build -----------------------------------------------------------
if ! command -v smtp-sink >/dev/null || ! command -v smtp-source >/dev/null; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    # "No configuration": the package then starts no mail daemon (which
    # would listen on every interface); only smtp-sink/smtp-source are used.
    echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
    $SUDO apt-get install -y -qq postfix >/dev/null 2>&1 || {
        $SUDO apt-get update -qq
        $SUDO apt-get install -y -qq postfix >/dev/null
    }
fi
echo "building the examples (release) ..." >&2
(cd "$ROOT" && cargo build --release --examples --features rustls --quiet)

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE="$(ulimit -n)"
TICK="$(getconf CLK_TCK)"

# A 4096-octet body: headers, then 78-octet lines, CRLF-terminated.
BODY="$WORK/body.eml"
"$PYTHON" - "$BODY" "$SIZE" <<'EOF'
import sys
path, size = sys.argv[1], int(sys.argv[2])
b = b"From: load@example.org\r\nTo: sink@example.net\r\nSubject: load\r\n\r\n"
line = b"x" * 76 + b"\r\n"
while len(b) + len(line) <= size - 2:
    b += line
b += b"y" * (size - len(b) - 2) + b"\r\n"
assert len(b) == size
open(path, "wb").write(b)
EOF

free_port() {
    "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# utime+stime of a process, in clock ticks (all its threads).
cpu_ticks() {
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

# User+system seconds of the children waited for, from `times` (saved in
# $WORK/times by this shell: a pipeline would run it in a subshell).
children_cpu() {
    awk 'function secs(v,  m) { m = v; sub(/m.*/, "", m); sub(/^[0-9]+m/, "", v); sub(/s$/, "", v); return m * 60 + v }
         NR == 2 { printf "%.3f\n", secs($1) + secs($2) }' "$WORK/times"
}

rss_kib() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

median() {
    sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# Starts `sink`; sets SERVER_PID and SERVER_ADDR.
start_sink() {
    "$BIN/sink" --listen 127.0.0.1:0 "$@" >"$WORK/sink.out" 2>"$WORK/sink.err" &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    for _ in $(seq 100); do
        grep -q '^listening on ' "$WORK/sink.out" 2>/dev/null && break
        sleep 0.1
    done
    SERVER_ADDR="$(sed -n 's/^listening on //p' "$WORK/sink.out")"
    [ -n "$SERVER_ADDR" ] || { echo "sink did not start" >&2; exit 1; }
}

# Starts Postfix's `smtp-sink`; sets SERVER_PID and SERVER_ADDR.
start_smtp_sink() {
    local port user=()
    port="$(free_port)"
    [ "$(id -u)" -ne 0 ] || user=(-u nobody)
    smtp-sink "${user[@]}" -m 1024 "127.0.0.1:$port" 1024 >/dev/null 2>"$WORK/smtp-sink.err" &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    SERVER_ADDR="127.0.0.1:$port"
    for _ in $(seq 100); do
        "$PYTHON" -c "import socket; socket.create_connection(('127.0.0.1', $port), 1).close()" \
            2>/dev/null && return 0
        sleep 0.1
    done
    echo "smtp-sink did not start" >&2
    exit 1
}

# One client run against SERVER_ADDR; prints "msgs/s server-us/msg client-us/msg".
# $1: source (smtp-source, lock-step), pipe (send), lock (send --no-pipelining).
run_once() {
    local kind=$1 total cmd t0 t1 c0 c1
    case $kind in
        source)
            total=$N
            cmd=(smtp-source -d -s "$SESSIONS" -m "$total" -l "$SIZE" -f "$FROM" -t "$TO"
                -M localhost "$SERVER_ADDR")
            ;;
        pipe | lock)
            total=$(( (N_PIPE / SESSIONS) * SESSIONS ))
            [ "$kind" = pipe ] || total=$(( (N / SESSIONS) * SESSIONS ))
            cmd=("$BIN/send" --server "$SERVER_ADDR" --from "$FROM" --to "$TO"
                --body "$BODY" --count $((total / SESSIONS)) --sessions "$SESSIONS"
                --chunking never)
            [ "$kind" = pipe ] || cmd+=(--no-pipelining)
            ;;
    esac
    # In the background and waited for, so that a signal's trap runs at
    # once (and stops the client); `times` in this shell gives the CPU
    # time of the children waited for.
    local u0 u1 status=0
    times >"$WORK/times"
    u0="$(children_cpu)"
    c0="$(cpu_ticks "$SERVER_PID")"
    t0="$(date +%s%N)"
    timeout "$LIMIT" "${cmd[@]}" >"$WORK/client.out" 2>"$WORK/client.err" &
    PIDS+=("$!")
    wait "$!" || status=$?
    t1="$(date +%s%N)"
    c1="$(cpu_ticks "$SERVER_PID")"
    PIDS=("${PIDS[@]:0:${#PIDS[@]}-1}")
    times >"$WORK/times"
    u1="$(children_cpu)"
    if [ "$status" -ne 0 ]; then
        echo "client $kind failed (status $status) against $SERVER_ADDR:" >&2
        tail -5 "$WORK/client.err" >&2
        exit 1
    fi
    if [ "$kind" != source ]; then
        local got
        got="$(grep -c '^delivered: 250' "$WORK/client.out" || true)"
        [ "$got" -eq "$total" ] || { echo "send delivered $got of $total" >&2; exit 1; }
    fi
    awk -v n="$total" -v ns=$((t1 - t0)) -v c=$((c1 - c0)) -v t="$TICK" -v u0="$u0" -v u1="$u1" \
        'BEGIN { printf "%.0f %.1f %.1f\n", n / (ns / 1e9), c / t / n * 1e6, (u1 - u0) / n * 1e6 }'
}

# RUNS runs of one client against the running server: medians of each column.
measure() {
    local kind=$1 i
    : >"$WORK/runs"
    for i in $(seq "$RUNS"); do
        run_once "$kind" >>"$WORK/runs"
    done
    printf '%s %s %s\n' \
        "$(awk '{print $1}' "$WORK/runs" | median)" \
        "$(awk '{print $2}' "$WORK/runs" | median)" \
        "$(awk '{print $3}' "$WORK/runs" | median)"
}

# measure KIND VAR1 VAR2 VAR3: the medians into three variables (in this shell,
# so that a failed run stops the script).
measure_into() {
    measure "$1" >"$WORK/medians"
    read -r "$2" "$3" "$4" <"$WORK/medians"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

# --- 1 and 2: throughput -------------------------------------------------------
echo "measuring: $SESSIONS sessions, $SIZE-octet messages, $N (lock-step) / $N_PIPE (pipelined) per run, median of $RUNS ..." >&2
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

start_sink
measure_into source OURS_SRC_RATE OURS_SRC_CPU _unused
measure_into pipe OURS_PIPE_RATE OURS_PIPE_CPU _unused
sessions_logged="$(grep -c '^session ' "$WORK/sink.err" || true)"
stop "$SERVER_PID"

start_smtp_sink
measure_into source PF_SRC_RATE PF_SRC_CPU SRC_CLIENT_CPU
measure_into pipe PF_PIPE_RATE PF_PIPE_CPU PIPE_CLIENT_CPU
measure_into lock PF_LOCK_RATE _unused LOCK_CLIENT_CPU
stop "$SERVER_PID"

# --- 3: idle sessions ----------------------------------------------------------
want=$IDLE
[ "$NOFILE" -ge $((IDLE + 64)) ] || IDLE=$((NOFILE - 64))

# idle_rss ARGS...: starts `sink` with ARGS, opens IDLE idle sessions, prints
# "RSS_BEFORE RSS_AFTER" (KiB) and stops both.
idle_rss() {
    local rss0 rss1 host port
    echo "opening $IDLE idle sessions (sink $*) ..." >&2
    start_sink --max-sessions $((IDLE + 16)) "$@"
    sleep 0.5
    rss0="$(rss_kib "$SERVER_PID")"
    host="${SERVER_ADDR%:*}"
    port="${SERVER_ADDR##*:}"
    : >"$WORK/idle.out"
    "$PYTHON" - "$host" "$port" "$IDLE" >"$WORK/idle.out" 2>"$WORK/idle.err" <<'EOF' &
import socket, sys, time

host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def reply(s):
    """Reads one (possibly multiline) reply; returns its last line."""
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            raise SystemExit("connection closed")
        data += chunk
        if data.endswith(b"\r\n"):
            last = data[:-2].rsplit(b"\r\n", 1)[-1]
            if len(last) >= 4 and last[3:4] == b" ":
                return last

socks = []
for i in range(n):
    s = socket.create_connection((host, port), timeout=30)
    if not reply(s).startswith(b"220"):
        raise SystemExit("no greeting")
    s.sendall(b"EHLO idle.example\r\n")
    if not reply(s).startswith(b"250"):
        raise SystemExit("EHLO refused")
    socks.append(s)
print("ready", len(socks), flush=True)
time.sleep(120)  # idle; the script stops us once it has measured
EOF
    CLIENT_PID=$!
    PIDS+=("$CLIENT_PID")
    for _ in $(seq 1200); do
        grep -q '^ready' "$WORK/idle.out" && break
        kill -0 "$CLIENT_PID" 2>/dev/null || break
        sleep 0.1
    done
    grep -q '^ready' "$WORK/idle.out" || { echo "idle client failed:" >&2; cat "$WORK/idle.err" >&2; exit 1; }
    sleep 1
    rss1="$(rss_kib "$SERVER_PID")"
    stop "$CLIENT_PID"
    stop "$SERVER_PID"
    echo "$rss0 $rss1"
}
idle_rss >"$WORK/idle.default"
read -r RSS0 RSS1 <"$WORK/idle.default"
idle_rss --max-line 512 >"$WORK/idle.512"
read -r RSS0_512 RSS1_512 <"$WORK/idle.512"
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- report --------------------------------------------------------------------
CPU="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs ($CPU), load average $LOAD_BEFORE before / $LOAD_AFTER after"
echo "$SESSIONS sessions, $SIZE-octet messages, $N (lock-step) / $N_PIPE (pipelined) messages per run, median of $RUNS runs; sink logged $sessions_logged sessions"
echo
echo "1. Server: sink (async driver) vs Postfix smtp-sink"
echo
echo "| Client | sink msg/s | smtp-sink msg/s | ratio | sink CPU µs/msg | smtp-sink CPU µs/msg | ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|"
printf '| smtp-source -d (lock-step) | %s | %s | %s | %s | %s | %s |\n' \
    "$OURS_SRC_RATE" "$PF_SRC_RATE" "$(ratio "$OURS_SRC_RATE" "$PF_SRC_RATE")" \
    "$OURS_SRC_CPU" "$PF_SRC_CPU" "$(ratio "$OURS_SRC_CPU" "$PF_SRC_CPU")"
printf '| send (pipelined) | %s | %s | %s | %s | %s | %s |\n' \
    "$OURS_PIPE_RATE" "$PF_PIPE_RATE" "$(ratio "$OURS_PIPE_RATE" "$PF_PIPE_RATE")" \
    "$OURS_PIPE_CPU" "$PF_PIPE_CPU" "$(ratio "$OURS_PIPE_CPU" "$PF_PIPE_CPU")"
echo
echo "2. Client: send vs smtp-source, into smtp-sink"
echo
echo "| Client | msg/s | ratio to smtp-source | client CPU µs/msg |"
echo "|---|---:|---:|---:|"
printf '| smtp-source -d (lock-step) | %s | 1.00 | %s |\n' "$PF_SRC_RATE" "$SRC_CLIENT_CPU"
printf '| send --no-pipelining (lock-step) | %s | %s | %s |\n' \
    "$PF_LOCK_RATE" "$(ratio "$PF_LOCK_RATE" "$PF_SRC_RATE")" "$LOCK_CLIENT_CPU"
printf '| send (pipelined) | %s | %s | %s |\n' \
    "$PF_PIPE_RATE" "$(ratio "$PF_PIPE_RATE" "$PF_SRC_RATE")" "$PIPE_CLIENT_CPU"
echo
echo "3. Idle sessions on sink (greeting read, EHLO answered, then idle)"
echo
echo "| sink | Sessions | VmRSS before | VmRSS after | per session | target |"
echo "|---|---:|---:|---:|---:|---:|"
awk -v n="$IDLE" -v a="$RSS0" -v b="$RSS1" \
    'BEGIN { printf "| default (command lines up to 2048 octets) | %d | %d KiB | %d KiB | %.2f KiB | ≤ 4 KiB |\n", n, a, b, (b - a) / n }'
awk -v n="$IDLE" -v a="$RSS0_512" -v b="$RSS1_512" \
    'BEGIN { printf "| --max-line 512 (RFC 5321 §4.5.3.1.4) | %d | %d KiB | %d KiB | %.2f KiB | ≤ 4 KiB |\n", n, a, b, (b - a) / n }'
if [ "$IDLE" -lt "$want" ]; then
    echo
    echo "(open files limited to $NOFILE: $IDLE sessions instead of $want)"
fi
