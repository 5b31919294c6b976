#!/usr/bin/env bash
# Measures gzip time per answer and compression ratio for zlib levels 1–9 on Daftra-shaped
# JSON (a ~1.4 KB client and a ~30 KB client list), to choose the default --gzip-level.
#
# Usage (from anywhere in a clone): bash Benchmarks/gzip-levels.sh
# Needs swiftc (PATH, or $SWIFTC, or /opt/swift/usr/bin/swiftc) and zlib's headers.
# Compiles Sources/Compression together with Benchmarks/GzipLevels/main.swift, optimised,
# into a temporary directory, so it measures the product code and leaves nothing behind.
# Timings are wall-clock medians: run it on an otherwise idle machine.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
swiftc="${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$swiftc" -O -wmo -swift-version 6 -enable-upcoming-feature ExistentialAny \
    -module-name GzipLevels -module-cache-path "$work/module-cache" \
    -I "$root/Sources/CZlib" \
    "$root"/Sources/Compression/*.swift "$root/Benchmarks/GzipLevels/main.swift" \
    -o "$work/gzip-levels"

"$work/gzip-levels"
