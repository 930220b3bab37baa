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

# Code of the engine, two ways; neither is exact under LTO.
#
# 1. By symbol: functions whose path starts with the crate
#    (`embedded_smtp::...`) or that implement a trait for one of its types
#    (`<embedded_smtp::... as ...>`), with what LLVM inlined into them (core,
#    nom, memchr, base64 helpers). Left out: the driver's async state machines
#    that are generic over the caller's transport (`SmtpClient<T,M>::...`),
#    because the transport and the TLS handshake the caller passes to
#    `start_tls` are inlined into them; `smtp_generic` counts those apart.
#    Engine code inlined into the firmware's own functions is not counted.
smtp_flash() {
    arm-none-eabi-nm -S --size-sort --radix=d -C "$1" | awk '
        $3 ~ /^[tTrR]$/ {
            name = $4; for (i = 5; i <= NF; i++) name = name " " $i
            if (name ~ /^<?embedded_smtp::/ && name !~ /^embedded_smtp::io::asynch::SmtpClient<T,M>::/) s += ($2 + 0)
        } END { print s + 0 }'
}
smtp_generic() {
    arm-none-eabi-nm -S --size-sort --radix=d -C "$1" | awk '
        $3 ~ /^[tTrR]$/ {
            name = $4; for (i = 5; i <= NF; i++) name = name " " $i
            if (name ~ /^embedded_smtp::io::asynch::SmtpClient<T,M>::/) s += ($2 + 0)
        } END { print s + 0 }'
}

# 2. By source line (DWARF line table, `debug = true`): the bytes of .text
#    whose innermost source location, inlining followed, is a file under
#    the crate's `src/` — wherever LLVM put them, the firmware's functions
#    included. Helpers from core, nom, memchr and base64 inlined into the
#    engine count for their own files, not for the engine.
smtp_lines() {
    arm-none-eabi-objdump --dwarf=decodedline "$1" | awk '
        function hex(s,   i, v) {
            v = 0; s = tolower(substr(s, 3))
            for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
            return v
        }
        /^\/.*:$/ { file = substr($0, 1, length($0) - 1); next }
        NF >= 3 && $3 ~ /^0x[0-9a-fA-F]+$/ { print hex($3), ($2 == "-" ? "-" : file) }' |
        sort -n -s -k1,1 | awk -v src="$ROOT/src/" '
        NR > 1 && pf != "-" && index(pf, src) == 1 { s += $1 - pa }
        { pa = $1; pf = $2 } END { print s + 0 }'
}

# Sizes of structures from the DWARF info, as "path size" lines
# (`embedded_smtp::client::Client 336`): the first definition of each.
struct_sizes() {
    arm-none-eabi-objdump --dwarf=info "$1" | awk '
        /^ *<[0-9]+><[0-9a-f]+>: Abbrev Number/ {
            d = substr($1, 2) + 0; tag = $NF; gsub(/[()]/, "", tag); name = ""; next
        }
        /DW_AT_name/ {
            name = $0; sub(/^[^:]*: /, "", name); sub(/^\(indirect string, offset: 0x[0-9a-f]+\): /, "", name)
            if (tag == "DW_TAG_namespace") ns[d] = name
            next
        }
        /DW_AT_byte_size/ && tag == "DW_TAG_structure_type" && name != "" {
            path = ""; for (i = 1; i < d; i++) path = path ns[i] "::"
            if (!((path name) in seen)) { seen[path name] = 1; print path name "\t" $NF }
        }'
}
struct_size() { awk -F '\t' -v want="$2" '$1 == want { print $2; exit }' "$1"; }

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
echo "| profile | opt | .text | .rodata | flash (.text+.rodata) | .data+.bss+.uninit (RAM) | embedded_smtp by symbol | share | embedded_smtp by source line | share | SMTP state RAM | TLS records RAM |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
notes=""
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
    generic=$(smtp_generic "$elf")
    lines=$(smtp_lines "$elf")
    buffers=$(static_size "$elf" "SMTP_STATE")
    tls=$(static_size "$elf" "TLS_RECORDS")
    sizes=$(mktemp)
    struct_sizes "$elf" > "$sizes"
    engine=$(struct_size "$sizes" "embedded_smtp::client::Client")
    pump=$(struct_size "$sizes" "embedded_smtp::io::client::ClientPump")
    over_tcp=$(struct_size "$sizes" "embedded_smtp::io::asynch::SmtpClient<embassy_net::tcp::TcpSocket, embedded_smtp::io::embassy::EmbassyTimer>")
    over_tls=$(struct_size "$sizes" "embedded_smtp::io::asynch::SmtpClient<embedded_tls::asynch::TlsConnection<embassy_net::tcp::TcpSocket, embedded_tls::config::Aes128GcmSha256>, embedded_smtp::io::embassy::EmbassyTimer>")
    tls_conn=$(struct_size "$sizes" "embedded_tls::asynch::TlsConnection<embassy_net::tcp::TcpSocket, embedded_tls::config::Aes128GcmSha256>")
    rm -f "$sizes"
    state=$((buffers + ${pump:-0}))
    echo "| $profile | $opt | $text | $rodata | $flash ($(kib "$flash")) | $ram ($(kib "$ram")) | $smtp ($(kib "$smtp")) | $(pct "$smtp" "$flash") | $lines ($(kib "$lines")) | $(pct "$lines" "$flash") | $state | $tls |"
    notes="$notes
  $profile: driver buffers (SMTP_STATE) $buffers B + engine and driver (ClientPump) ${pump:-?} B = $state B;
    of which the engine (Client) ${engine:-?} B. SmtpClient over the TcpSocket ${over_tcp:-?} B,
    over the TlsConnection ${over_tls:-?} B (the TlsConnection itself ${tls_conn:-?} B).
    Driver futures generic over the transport (TLS handshake inlined): $generic B of .text."
done
echo
echo "SMTP state RAM: the driver's receive and transmit buffers (a static) plus the driver's"
echo "state with the client engine inside (in send_alert's future), sizes from the DWARF info:$notes"
echo
echo "flash: .vector_table + .text + .rodata (.data's initialisers, a few bytes, come on top)."
echo "RAM: static RAM only; the stack takes the rest of the 512 KiB. The 'main' task's future"
echo "(send_alert's state: the SmtpClient, the TLS connection, the message, in __embassy_main::POOL)"
echo "is part of .bss:"
for profile in $PROFILES; do
    elf="$TARGET_DIR/$TARGET/$profile/$BIN"
    echo "  $profile: main task $(static_size "$elf" "__embassy_main::POOL") B," \
        "Ethernet DMA rings $(static_size "$elf" "PACKETS") B," \
        "network stack sockets $(static_size "$elf" "RESOURCES") B," \
        "TCP socket buffers $(static_size "$elf" "TCP_BUFFERS") B"
done
