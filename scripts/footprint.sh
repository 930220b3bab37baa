#!/usr/bin/env bash
# Flash and RAM footprint of the NUCLEO-F767ZI firmware (examples/firmware)
# at opt-level "z" (profile `release`) and "s" (profile `release-s`), and the
# part of it that is the embedded-smtp engine.
#
#   scripts/footprint.sh            # both profiles
#   PROFILES=release scripts/footprint.sh
#   FEATURES=verify scripts/footprint.sh   # with certificate verification
#
# Installs what it needs on a fresh Debian machine: the thumbv7em target
# (rustup) and GNU binutils for ARM (apt-get: arm-none-eabi-size/-nm).
# Honours CARGO_TARGET_DIR (absolute path).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FW="$ROOT/examples/firmware"
TARGET=thumbv7em-none-eabihf
BIN=embedded-smtp-firmware
PROFILES="${PROFILES:-release release-s}"
FEATURES="${FEATURES:-}"
TARGET_DIR="${CARGO_TARGET_DIR:-$FW/target}"

# --- tools -------------------------------------------------------------------
if ! rustup target list --installed 2>/dev/null | grep -qx "$TARGET"; then
    rustup target add "$TARGET"
fi
if ! command -v arm-none-eabi-size >/dev/null || ! command -v arm-none-eabi-nm >/dev/null; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get install -y -qq binutils-arm-none-eabi >/dev/null 2>&1 || {
        $SUDO apt-get update -qq
        $SUDO apt-get install -y -qq binutils-arm-none-eabi >/dev/null
    }
fi

# --- build -------------------------------------------------------------------
for profile in $PROFILES; do
    echo "building profile $profile ..." >&2
    start=$(date +%s)
    (cd "$FW" && cargo build --locked --profile "$profile" --features "$FEATURES" --quiet)
    echo "  $profile built in $(( $(date +%s) - start )) s" >&2
done

# --- measure -----------------------------------------------------------------
# Sum of the sizes of the sections named in $2 (space separated), from size -A.
section_sum() {
    arm-none-eabi-size -A "$1" | awk -v want=" $2 " '
        index(want, " " $1 " ") { s += $2 } END { print s + 0 }'
}

# Symbols defined by the engine: those whose path starts with the crate
# (`embedded_smtp::...`) or that implement a trait for one of its types
# (`<embedded_smtp::... as ...>`). `embedded_smtp_firmware` is not counted.
# With LTO much of the engine is inlined into the firmware's own functions
# (send_alert's state machine), so this is a lower bound.
smtp_flash() {
    arm-none-eabi-nm -S --size-sort --radix=d -C "$1" | awk '
        $3 ~ /^[tTrR]$/ {
            name = $4; for (i = 5; i <= NF; i++) name = name " " $i
            if (name ~ /^<?embedded_smtp::/) s += ($2 + 0)
        } END { print s + 0 }'
}

# Size of the one static symbol whose demangled name ends in $2.
static_size() {
    arm-none-eabi-nm -S --radix=d -C "$1" | awk -v want="$2" '
        $3 ~ /^[bBdD]$/ && $4 ~ ("::" want "$") { s += ($2 + 0) } END { print s + 0 }'
}

pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f %%", 100 * a / b; else print "-" }'; }
kib() { awk -v a="$1" 'BEGIN { printf "%.1f KiB", a / 1024 }'; }

echo
echo "features: ${FEATURES:-(default)}"
echo
echo "| profile | opt | .text | .rodata | flash (.text+.rodata) | .data+.bss+.uninit (RAM) | embedded_smtp flash | share | SMTP state RAM | TLS records RAM |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for profile in $PROFILES; do
    elf="$TARGET_DIR/$TARGET/$profile/$BIN"
    opt=$(awk -v p="[profile.$profile]" '
        $0 == p { in_p = 1; next } /^\[/ { in_p = 0 }
        in_p && /^opt-level/ { gsub(/[" ]/, "", $3); print $3 }' "$FW/Cargo.toml")
    [ -n "$opt" ] || opt=$(awk '/^\[profile.release\]/ { r = 1; next } /^\[/ { r = 0 }
        r && /^opt-level/ { gsub(/[" ]/, "", $3); print $3 }' "$FW/Cargo.toml")
    text=$(section_sum "$elf" ".vector_table .text")
    rodata=$(section_sum "$elf" ".rodata")
    flash=$((text + rodata))
    ram=$(section_sum "$elf" ".data .bss .uninit")
    smtp=$(smtp_flash "$elf")
    state=$(static_size "$elf" "SMTP_STATE")
    tls=$(static_size "$elf" "TLS_RECORDS")
    echo "| $profile | $opt | $text | $rodata | $flash ($(kib "$flash")) | $ram ($(kib "$ram")) | $smtp ($(kib "$smtp")) | $(pct "$smtp" "$flash") | $state | $tls |"
done
echo
echo "flash: .vector_table + .text + .rodata (.data's initialisers, a few bytes, come on top)."
echo "RAM: static RAM only; the stack takes the rest of the 512 KiB. The 'main' task's future"
echo "(the TCP buffers and send_alert's state, in __embassy_main::POOL) is part of .bss:"
for profile in $PROFILES; do
    elf="$TARGET_DIR/$TARGET/$profile/$BIN"
    echo "  $profile: main task $(static_size "$elf" "__embassy_main::POOL") B," \
        "Ethernet DMA rings $(static_size "$elf" "PACKETS") B," \
        "network stack sockets $(static_size "$elf" "RESOURCES") B"
done
