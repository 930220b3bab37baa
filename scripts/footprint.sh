#!/usr/bin/env bash
# Flash and RAM footprint of the firmware examples, and the part of each
# that is the embedded-smtp code, and the engine's state, against the
# targets (issue 13): the minimal client (STARTTLS, AUTH PLAIN and LOGIN,
# PIPELINING, DATA) at most 12 KiB of code, the LAN server (PIPELINING,
# SIZE, 8BITMIME, CHUNKING, ENHANCEDSTATUSCODES, no AUTH) at most 16 KiB,
# engine state at most 512 bytes each; the other configurations are
# reported beside them. Each configuration is one build of the firmware
# crate with its own Cargo features (embedded-smtp is always built without
# default features; the firmware's `full` turns on all its extensions):
#
# * `nucleo`: the NUCLEO-F767ZI firmware (examples/firmware, thumbv7em):
#   - client-minimal: the client, no firmware feature: a plain-text alert,
#     no extension;
#   - client: the client as shipped (`compose`: the alert composed by the
#     message writer with a CSV attached), no extension;
#   - client-full: `full`: composed, and every extension of embedded-smtp
#     (CHUNKING, DSN, SMTPUTF8, LMTP, XOAUTH2, PROXY);
#   - server-lan: the `server` binary with `lan` (embedded-smtp's
#     `chunking`);
# * `esp32c3`: the ESP32-C3 firmware (examples/esp32c3, riscv32imc), the
#   client over Wi-Fi (`embedded-smtp-esp32c3`), whose SMTP side is the
#   NUCLEO client's `mail.rs`: client-minimal and client.
#
# Each at opt-level "z" (profile `release`) and "s" (profile `release-s`).
#
#   scripts/footprint.sh            # both boards, both profiles
#   BOARDS=esp32c3 scripts/footprint.sh
#   PROFILES=release scripts/footprint.sh
#   FEATURES=verify scripts/footprint.sh   # with certificate verification
#   BY_FILE=1 scripts/footprint.sh  # also the engine's code per source file
#
# Installs what it needs on a fresh Debian machine: the targets (rustup)
# and GNU binutils for ARM and RISC-V (apt-get: arm-none-eabi-size/-nm/
# -objdump, riscv64-unknown-elf-size/-nm/-objdump, which read 32-bit ELF
# too). Honours CARGO_TARGET_DIR (absolute path).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BOARDS="${BOARDS:-nucleo esp32c3}"
PROFILES="${PROFILES:-release release-s}"
FEATURES="${FEATURES:-}"
BY_FILE="${BY_FILE:-}"
STATE_TARGET=512

# Sets the board's variables: FW (the crate), TARGET, BINS ("label ELF-name
# engine-type code-target" lines; targets in bytes), TOOL (the binutils
# prefix) and TOOL_PKG (its Debian package), FLASH_SECTIONS, RAM_SECTIONS,
# and the words that describe them.
board() {
    case "$1" in
        nucleo)
            BOARD_NAME="NUCLEO-F767ZI (examples/firmware)"
            FW="$ROOT/examples/firmware"
            TARGET=thumbv7em-none-eabihf
            BINS="client-minimal|embedded-smtp-firmware|embedded_smtp::client::session::Client|12288|
client|embedded-smtp-firmware|embedded_smtp::client::session::Client|-|compose
client-full|embedded-smtp-firmware|embedded_smtp::client::session::Client|-|full
server-lan|server|embedded_smtp::server::session::Server|16384|lan"
            TOOL=arm-none-eabi-
            TOOL_PKG=binutils-arm-none-eabi
            FLASH_SECTIONS=".vector_table .text .rodata"
            FLASH_WORDS=".text+.rodata"
            RAM_SECTIONS=".data .bss .uninit"
            IRAM_SECTIONS=""
            ;;
        esp32c3)
            BOARD_NAME="ESP32-C3 (examples/esp32c3)"
            FW="$ROOT/examples/esp32c3"
            TARGET=riscv32imc-unknown-none-elf
            BINS="client-minimal|embedded-smtp-esp32c3|embedded_smtp::client::session::Client|12288|
client|embedded-smtp-esp32c3|embedded_smtp::client::session::Client|-|compose"
            TOOL=riscv64-unknown-elf-
            TOOL_PKG=binutils-riscv64-unknown-elf
            # Code and constants, wherever they run: from flash through the
            # cache (.text, .rodata*), or copied to RAM at boot (.trap,
            # .rwtext*: interrupt entry and the Wi-Fi driver's hot paths).
            FLASH_SECTIONS=".flash.appdesc .text .rodata .rodata.wifi .trap .rwtext .rwtext.wifi"
            FLASH_WORDS="code+rodata"
            # .dram2_uninit is the RAM the bootloader used, reclaimed for the
            # Wi-Fi driver's heap: counted apart, like the code in RAM.
            RAM_SECTIONS=".data .data.wifi .bss .noinit"
            IRAM_SECTIONS=".trap .rwtext .rwtext.wifi"
            ;;
        *)
            echo "unknown board $1 (nucleo, esp32c3)" >&2
            exit 2
            ;;
    esac
}

# --- tools -------------------------------------------------------------------
for b in $BOARDS; do
    board "$b"
    if ! rustup target list --installed 2>/dev/null | grep -qx "$TARGET"; then
        rustup target add "$TARGET"
    fi
    if ! command -v "${TOOL}size" >/dev/null || ! command -v "${TOOL}nm" >/dev/null ||
        ! command -v "${TOOL}objdump" >/dev/null; then
        SUDO=""
        [ "$(id -u)" -eq 0 ] || SUDO="sudo"
        export DEBIAN_FRONTEND=noninteractive
        $SUDO apt-get install -y -qq "$TOOL_PKG" >/dev/null 2>&1 || {
            $SUDO apt-get update -qq
            $SUDO apt-get install -y -qq "$TOOL_PKG" >/dev/null
        }
    fi
done

# --- build -------------------------------------------------------------------
# One build per configuration and profile; each ELF is copied to
# <target>/<triple>/footprint/<label>-<profile>.elf before the next build
# of the same binary overwrites it.
for b in $BOARDS; do
    board "$b"
    TARGET_DIR="${CARGO_TARGET_DIR:-$FW/target}"
    mkdir -p "$TARGET_DIR/$TARGET/footprint"
    for bin in $BINS; do
        IFS='|' read -r label elf_name _ _ fw_features <<< "$bin"
        features=$(echo "$fw_features $FEATURES" | tr ' ' ',' | sed 's/^,*//; s/,*$//')
        for profile in $PROFILES; do
            echo "building $b $label (features: ${features:-none}), profile $profile ..." >&2
            start=$(date +%s)
            (cd "$FW" && cargo build --locked --profile "$profile" --no-default-features \
                --features "$features" --bin "$elf_name" --quiet)
            cp "$TARGET_DIR/$TARGET/$profile/$elf_name" "$TARGET_DIR/$TARGET/footprint/$label-$profile.elf"
            echo "  built in $(( $(date +%s) - start )) s" >&2
        done
    done
done

# --- measure -----------------------------------------------------------------
# Sum of the sizes of the sections named in $2 (space separated), from size -A.
section_sum() {
    ${TOOL}size -A "$1" | awk -v want=" $2 " '
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
    ${TOOL}nm -S --size-sort --radix=d -C "$1" | awk '
        $3 ~ /^[tTrR]$/ {
            name = $4; for (i = 5; i <= NF; i++) name = name " " $i
            if (name ~ /^<?embedded_smtp::/ && name !~ /^embedded_smtp::io::asynch::SmtpClient<T,M>::/) s += ($2 + 0)
        } END { print s + 0 }'
}
smtp_generic() {
    ${TOOL}nm -S --size-sort --radix=d -C "$1" | awk '
        $3 ~ /^[tTrR]$/ {
            name = $4; for (i = 5; i <= NF; i++) name = name " " $i
            if (name ~ /^embedded_smtp::io::asynch::SmtpClient<T,M>::/) s += ($2 + 0)
        } END { print s + 0 }'
}

# 2. By source line (DWARF line table, `debug = true`): the bytes of .text
#    whose innermost source location, inlining followed, is a file under
#    the crate's `src/` -- wherever LLVM put them, the firmware's functions
#    included. Helpers from core, nom, memchr and base64 inlined into the
#    engine count for their own files, not for the engine.
#
#    Read from the raw line programs (`--dwarf=rawline`), one per crate's
#    compile unit even under LTO: a file name there is absolute or relative
#    to its unit's directory (DW_AT_comp_dir), and `src/lib.rs` names a file
#    of embedded-smtp only in the unit built in $ROOT. (objdump's decoded
#    view drops that context: relative names of different crates look
#    alike there, which made an earlier version of this script count only
#    about half of the engine's bytes.) Sequences at address 0 are
#    functions the linker dropped.
# rows "address label": label is the path under src/ of the engine's source file, or "-"
smtp_line_rows() {
    local ours
    ours=$(${TOOL}objdump --dwarf=info --dwarf-depth=1 "$1" | awk -v root="$ROOT" '
        /DW_TAG_compile_unit/ { stmt = ""; next }
        /DW_AT_stmt_list/ { stmt = $NF; next }
        /DW_AT_comp_dir/ { dir = $0; sub(/^.*: /, "", dir); if (dir == root && stmt != "") print stmt }')
    ${TOOL}objdump --dwarf=rawline "$1" | awk -v root="$ROOT" -v ours=" $ours " '
        function hex(s,   i, v) {
            v = 0; s = tolower(substr(s, 3))
            for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
            return v
        }
        function to_addr(   i) {
            for (i = NF; i > 1; i--) if ($(i - 1) == "to" && $i ~ /^0x[0-9a-f]+$/) return hex($i)
            return -1
        }
        /^  Offset:/ { cu_root = index(ours, " " $2 " ") > 0; split("", dirs); split("", label); mode = ""; next }
        /The Directory Table/ { mode = "dir"; next }
        /The File Name Table/ { mode = "file"; next }
        /Line Number Statements/ { mode = "stmt"; file = 1; valid = 0; next }
        mode == "dir" && /^  [0-9]+\t/ { split($0, f, "\t"); dirs[f[1] + 0] = f[2]; next }
        mode == "file" && /^  [0-9]+\t/ {
            n = split($0, f, "\t"); name = f[n]; d = f[2] + 0
            if (substr(name, 1, 1) != "/" && d > 0) name = dirs[d] "/" name
            lab = "-"
            if (substr(name, 1, 1) == "/") { if (index(name, root "/src/") == 1) lab = substr(name, length(root) + 6) }
            else if (cu_root && index(name, "src/") == 1) lab = substr(name, 5)
            label[f[1] + 0] = lab; next
        }
        mode != "stmt" { next }
        /Set File Name to entry/ { file = $7 + 0; next }
        /set Address to/ { a = to_addr(); addr = a; valid = (a > 0); next }
        /End of Sequence/ { if (valid) print addr, "-"; valid = 0; next }
        /Special opcode|Advance PC|advance Address/ { a = to_addr(); if (a >= 0) addr = a }
        /Special opcode|Copy/ { if (valid) print addr, (file in label ? label[file] : "-") }'
}
# The engine's bytes of .text per source file, largest first ("bytes path",
# path under src/).
smtp_lines_by_file() {
    smtp_line_rows "$1" | sort -n -s -k1,1 | awk '
        NR > 1 && pl != "-" { s[pl] += $1 - pa }
        { pa = $1; pl = $2 } END { for (f in s) print s[f], f }' | sort -rn
}
smtp_lines() { smtp_lines_by_file "$1" | awk '{ s += $1 } END { print s + 0 }'; }
# The part of that in the drivers (src/io/) rather than the sans-IO engine.
smtp_lines_io() { smtp_lines_by_file "$1" | awk '$2 ~ /^io\// { s += $1 } END { print s + 0 }'; }

# Sizes of structures from the DWARF info, as "path size" lines
# (`embedded_smtp::client::Client 336`): the first definition of each.
struct_sizes() {
    ${TOOL}objdump --dwarf=info "$1" | awk '
        /^ *<[0-9]+><[0-9a-f]+>: Abbrev Number/ {
            d = substr($1, 2) + 0; tag = $NF; gsub(/[()]/, "", tag); name = ""; next
        }
        /DW_AT_name/ {
            name = $0; sub(/^[^:]*: /, "", name); sub(/^\(indirect string, offset: (0x[0-9a-f]+|0)\): /, "", name)
            if (tag == "DW_TAG_namespace") ns[d] = name
            next
        }
        /DW_AT_byte_size/ && tag == "DW_TAG_structure_type" && name != "" {
            path = ""; for (i = 1; i < d; i++) path = path ns[i] "::"
            if (!((path name) in seen)) { seen[path name] = 1; print path name "\t" $NF }
        }'
}
# Size of the firmware's own heap statics (esp-alloc regions: `HEAP` in the
# crate named $2), not esp-alloc's allocator itself.
heap_size() {
    ${TOOL}nm -S --radix=d -C "$1" | awk -v crate="$2::" '
        $3 ~ /^[bBdD]$/ && index($4, crate) == 1 && $4 ~ /::HEAP$/ { s += ($2 + 0) } END { print s + 0 }'
}
struct_size() { awk -F '\t' -v want="$2" '$1 == want { print $2; exit }' "$1"; }

# Size of the one static symbol whose demangled name ends in $2.
static_size() {
    ${TOOL}nm -S --radix=d -C "$1" | awk -v want="$2" '
        $3 ~ /^[bBdD]$/ && $4 ~ ("::" want "$") { s += ($2 + 0) } END { print s + 0 }'
}

pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f %%", 100 * a / b; else print "-" }'; }
kib() { awk -v a="$1" 'BEGIN { printf "%.1f KiB", a / 1024 }'; }
# "met (x spare)" or "missed by x" for a value against a target, in KiB or bytes ($3 = kib|b).
verdict() {
    awk -v v="$1" -v t="$2" -v u="$3" 'BEGIN {
        if (v == "" || v == "?") { print "?"; exit }
        d = t - v; if (d < 0) d = -d
        amount = (u == "kib") ? sprintf("%.1f KiB", d / 1024) : sprintf("%d B", d)
        if (v <= t) printf "met (%s spare)", amount; else printf "**missed by %s**", amount
    }'
}
opt_level() {
    local opt
    opt=$(awk -v p="[profile.$1]" '
        $0 == p { in_p = 1; next } /^\[/ { in_p = 0 }
        in_p && /^opt-level/ { gsub(/[" ]/, "", $3); print $3 }' "$FW/Cargo.toml")
    [ -n "$opt" ] || opt=$(awk '/^\[profile.release\]/ { r = 1; next } /^\[/ { r = 0 }
        r && /^opt-level/ { gsub(/[" ]/, "", $3); print $3 }' "$FW/Cargo.toml")
    echo "$opt"
}

echo
echo "extra firmware features (FEATURES): ${FEATURES:-none}"
for b in $BOARDS; do
    board "$b"
    TARGET_DIR="${CARGO_TARGET_DIR:-$FW/target}"
    echo
    echo "## $BOARD_NAME, $TARGET"
    echo
    echo "| configuration | firmware features | profile (opt-level) | flash ($FLASH_WORDS) | static RAM | embedded_smtp code (by source line) | share | code target | code | engine state | state target | state |"
    echo "|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|---|"
    notes=""
    by_file=""
    for bin in $BINS; do
        IFS='|' read -r label elf_name engine_type code_target fw_features <<< "$bin"
        for profile in $PROFILES; do
            elf="$TARGET_DIR/$TARGET/footprint/$label-$profile.elf"
            opt=$(opt_level "$profile")
            flash=$(section_sum "$elf" "$FLASH_SECTIONS")
            ram=$(section_sum "$elf" "$RAM_SECTIONS")
            lines=$(smtp_lines "$elf")
            lines_io=$(smtp_lines_io "$elf")
            split="code by source line $lines B: the sans-IO engine $((lines - lines_io)) B, the drivers (src/io/) $lines_io B."
            smtp=$(smtp_flash "$elf")
            sizes=$(mktemp)
            struct_sizes "$elf" > "$sizes"
            engine=$(struct_size "$sizes" "$engine_type")
            if [ "$code_target" = "-" ]; then
                target_cell="-"; code_verdict="reported"
            else
                target_cell=$(kib "$code_target"); code_verdict=$(verdict "$lines" "$code_target" kib)
            fi
            echo "| $label | ${fw_features:-none} | $profile ($opt) | $flash ($(kib "$flash")) | $ram ($(kib "$ram")) | $lines ($(kib "$lines")) | $(pct "$lines" "$flash") | $target_cell | $code_verdict | ${engine:-?} B | $STATE_TARGET B | $(verdict "${engine:-?}" "$STATE_TARGET" b) |"
            main_task=$(static_size "$elf" "__embassy_main::POOL")
            if [ "${label#client}" != "$label" ]; then
                generic=$(smtp_generic "$elf")
                buffers=$(static_size "$elf" "SMTP_STATE")
                tls=$(static_size "$elf" "TLS_RECORDS")
                pump=$(struct_size "$sizes" "embedded_smtp::io::client::ClientPump")
                over_tls=$(struct_size "$sizes" "embedded_smtp::io::asynch::SmtpClient<embedded_tls::asynch::TlsConnection<embassy_net::tcp::TcpSocket, embedded_tls::config::Aes128GcmSha256>, embedded_smtp::io::embassy::EmbassyTimer>")
                tls_conn=$(struct_size "$sizes" "embedded_tls::asynch::TlsConnection<embassy_net::tcp::TcpSocket, embedded_tls::config::Aes128GcmSha256>")
                notes="$notes
  $label, $profile: $split
    Engine (Client) ${engine:-?} B inside the driver's state (ClientPump) ${pump:-?} B;
    driver buffers (SMTP_STATE) $buffers B; SmtpClient over the TlsConnection ${over_tls:-?} B
    (the TlsConnection ${tls_conn:-?} B); TLS record buffers (TLS_RECORDS) $tls B; main task $main_task B.
    By symbol: embedded_smtp functions $smtp B ($(kib "$smtp")), plus $generic B of driver
    futures generic over the transport (SmtpClient<T,M>::..., the TLS handshake inlined)."
            else
                pump=$(struct_size "$sizes" "embedded_smtp::io::server::ServerPump")
                buffers=$(static_size "$elf" "SESSION_BUFFERS")
                notes="$notes
  $label, $profile: $split
    Engine (Server) ${engine:-?} B inside the driver's state (ServerPump) ${pump:-?} B;
    socket and driver buffers (SESSION_BUFFERS, 4 x 2 KiB) $buffers B; main task $main_task B.
    By symbol: embedded_smtp functions $smtp B ($(kib "$smtp")), the accept loop and serve
    futures (generic over the socket) included."
            fi
            if [ -n "$IRAM_SECTIONS" ]; then
                iram=$(section_sum "$elf" "$IRAM_SECTIONS")
                heap=$(heap_size "$elf" "$(echo "$elf_name" | tr - _)")
                reclaimed=$(section_sum "$elf" ".dram2_uninit")
                wifi=$(section_sum "$elf" ".rodata.wifi .rwtext.wifi")
                notes="$notes
    Wi-Fi driver's heap (esp-alloc, HEAP) $heap B: $((heap - reclaimed)) B in .bss (counted in
    static RAM), $reclaimed B in the RAM the bootloader used (.dram2_uninit, not counted).
    Code in RAM (.trap .rwtext .rwtext.wifi, in flash too) $iram B; the Wi-Fi blobs'
    own sections (.rodata.wifi .rwtext.wifi) $wifi B."
            fi
            rm -f "$sizes"
            if [ -n "$BY_FILE" ]; then
                by_file="$by_file
$label, $profile: embedded_smtp code by source file (bytes)
$(smtp_lines_by_file "$elf" | sed 's/^/  /')"
            fi
        done
    done
    echo
    case "$b" in
        nucleo)
            echo "flash: .vector_table + .text + .rodata (.data's initialisers, a few bytes, come on top)."
            echo "static RAM: .data + .bss + .uninit; the stack takes the rest of the 512 KiB. Task futures"
            echo "(the main task's holds the engine and its driver) are statics of the executor, in .bss."
            ;;
        esp32c3)
            echo "flash: every section of code and read-only data in the image: .flash.appdesc, .text,"
            echo ".rodata, .rodata.wifi, and the code copied to RAM at boot (.trap, .rwtext, .rwtext.wifi);"
            echo ".data's initialisers come on top. Most of it is the Wi-Fi driver (esp-radio, its blobs)."
            echo "static RAM: .data + .data.wifi + .bss + .noinit; the stack takes the rest of the 400 KiB"
            echo "less the code in RAM. Task futures are statics of the executor, in .bss."
            ;;
    esac
    echo "embedded_smtp code by source line: the bytes of code whose innermost source location"
    echo "(DWARF line table, inlining followed) is a file of the crate's src/, wherever LLVM put"
    echo "them; core, nom, memchr, base64 code inlined into the engine counts for its own crate."
    echo "The engine's constants in .rodata (reply texts, tables) are not in that count."
    echo "engine state: size of the engine type from the DWARF info ($TARGET, 32-bit)."
    echo "$notes"
    if [ -n "$BY_FILE" ]; then
        echo "$by_file"
    fi
done
