#!/usr/bin/env bash
# Fuzzes the running API with schemathesis: starts iam-server on a fresh store in a
# temporary directory, obtains an admin token, and runs schemathesis against
# /openapi.json with the checks `not_a_server_error` (no 5xx) and
# `response_schema_conformance` (every response matches the document).
#
# Usage: scripts/api-fuzz.sh [sqlite|sled]
# Environment: IAM_PYTHON (a Python with tests/requirements.txt installed; default
# target/python-tools/bin/python), IAM_FUZZ_EXAMPLES (test cases per operation, default
# 5), IAM_FUZZ_PORT (default 18090). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

store="${1:-sqlite}"
python="${IAM_PYTHON:-target/python-tools/bin/python}"
examples="${IAM_FUZZ_EXAMPLES:-5}"
port="${IAM_FUZZ_PORT:-18090}"
base="http://127.0.0.1:${port}"
work="$(mktemp -d)"

cargo build --quiet --bin iam-server
server="${CARGO_TARGET_DIR:-target}/debug/iam-server"

admin="$("$server" init --data-dir "${work}/data" --store "$store" --tenant fuzz)"
"$server" serve --data-dir "${work}/data" --store "$store" --listen "127.0.0.1:${port}" 2>"${work}/server.log" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  if curl --silent --fail "${base}/readyz" >/dev/null; then break; fi
  sleep 0.1
done

client_id="$(jq -r .clientId <<<"$admin")"
client_secret="$(jq -r .clientSecret <<<"$admin")"
token="$(curl --silent --fail --user "${client_id}:${client_secret}" --data grant_type=client_credentials \
  "${base}/fuzz/connect/token" | jq -r .access_token)"

status=0
"$python" -m schemathesis.cli run "${base}/openapi.json" \
  --header "Authorization: Bearer ${token}" \
  --checks not_a_server_error,response_schema_conformance \
  --max-examples "$examples" \
  --workers 1 \
  --generation-with-security-parameters false \
  --seed 1 \
  --no-color || status=$?

if grep -q -e "$client_secret" -e "$token" "${work}/server.log"; then
  echo "a secret or token reached the server log" >&2
  status=1
fi
if grep -q "panicked" "${work}/server.log"; then
  echo "the server panicked; see its log:" >&2
  cat "${work}/server.log" >&2
  status=1
fi
exit "$status"
