#!/usr/bin/env bash
# Builds daftra-gateway in release mode and runs the abuse scenarios of abuse.py
# against it: slowloris, --max-connections, a misbehaving upstream (see abuse.py's
# header for what each checks). Everything stays on 127.0.0.1; about 1.5 minutes.
#
#   scripts/abuse.sh [scenario...] [abuse.py options]     e.g. scripts/abuse.sh maxconn
#
# Needs python3 (3.9+, standard library only) and Linux (/proc). Prints one
# PASS/FAIL line per scenario and `N passed, M failed` last.
# Exits 0 when every scenario passed, 1 when one failed, 2 on a build or usage error.
#
# Environment: ABUSE_BUILD_DIR (default .build), ABUSE_SKIP_BUILD=1 (use the
# binary already built there), PYTHON (default python3).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${ABUSE_BUILD_DIR:-$root/.build}"
python="${PYTHON:-python3}"

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 9))' 2>/dev/null; then
    echo "abuse.sh: needs $python 3.9 or later" >&2
    exit 2
fi
if [[ "${ABUSE_SKIP_BUILD:-0}" != 1 ]]; then
    if ! (cd "$root" && swift build -c release --product daftra-gateway --scratch-path "$build") >&2; then
        echo "abuse.sh: the release build failed" >&2
        exit 2
    fi
fi
bin="$(cd "$root" && swift build -c release --scratch-path "$build" --show-bin-path)/daftra-gateway"
exec "$python" "$root/scripts/abuse.py" --gateway "$bin" "$@"
