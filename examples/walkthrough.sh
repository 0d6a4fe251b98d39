#!/usr/bin/env bash
# A walkthrough of the iam-server REST API with curl and jq.
#
# It starts its own server on a fresh SQLite store in a temporary directory (on
# 127.0.0.1, port 18080 unless IAM_WALKTHROUGH_PORT is set), runs the journeys below and
# stops the server. Run it from the repository root:
#
#     examples/walkthrough.sh
#
# Journeys: a service client gets a secret and a token, is denied, is granted a policy
# and is then allowed at once; a team group's policy reaches a new member and leaves with
# them; a secret is rotated; another tenant's ids answer 404; 23 clients are paged.
set -euo pipefail

port="${IAM_WALKTHROUGH_PORT:-18080}"
base="http://127.0.0.1:${port}"
data_dir="$(mktemp -d)"
server_log="${data_dir}/server.log"
server_pid=""
trap 'if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; fi; rm -rf "$data_dir"' EXIT

cargo build --quiet --bin iam-server
server="${CARGO_TARGET_DIR:-$(pwd)/target}/debug/iam-server"

step() { printf '\n== %s\n' "$*"; }

# Runs curl and prints the status line and the JSON body; the body is kept in $body and
# the status in $status. Usage: call METHOD PATH [JSON] (uses $token when set).
call() {
  local method="$1" path="$2" data="${3:-}"
  local args=(--silent --show-error --request "$method" --output "${data_dir}/body" --write-out '%{http_code}')
  if [[ -n "${token:-}" ]]; then args+=(--header "Authorization: Bearer ${token}"); fi
  if [[ -n "$data" ]]; then args+=(--header 'Content-Type: application/json' --data "$data"); fi
  status="$(curl "${args[@]}" "${base}${path}")"
  body="$(cat "${data_dir}/body")"
  printf '%s %s -> %s\n' "$method" "$path" "$status"
  if [[ -n "$body" ]]; then jq . <<<"$body" 2>/dev/null || printf '%s\n' "$body"; fi
}

expect() {
  if [[ "$status" != "$1" ]]; then
    printf 'expected HTTP %s, got %s\n' "$1" "$status" >&2
    exit 1
  fi
}

# Obtains an access token with the client_credentials grant (client_secret_basic).
get_token() {
  curl --silent --show-error --fail --user "$1:$2" \
    --data grant_type=client_credentials "${base}/$3/connect/token" | jq -r .access_token
}

step "Create two tenants, each with an admin client (iam-server init)"
acme="$("$server" init --data-dir "$data_dir" --tenant acme)"
other="$("$server" init --data-dir "$data_dir" --tenant other)"
admin_id="$(jq -r .clientId <<<"$acme")"
admin_secret="$(jq -r .clientSecret <<<"$acme")"
other_id="$(jq -r .clientId <<<"$other")"
other_secret="$(jq -r .clientSecret <<<"$other")"
echo "acme admin client: ${admin_id}"

step "Start the server on ${base}"
"$server" serve --data-dir "$data_dir" --listen "127.0.0.1:${port}" 2>"$server_log" &
server_pid=$!
for _ in $(seq 1 100); do
  if curl --silent --fail "${base}/readyz" >/dev/null; then break; fi
  sleep 0.1
done

step "Get an admin token"
admin_token="$(get_token "$admin_id" "$admin_secret" acme)"
token="$admin_token"
echo "token: ${admin_token:0:16}..."

step "Journey 1: a service client is denied, granted a policy, then allowed"
call POST /v1/clients '{"name":"Billing service","description":"Reads clients","allowedGrantTypes":["client_credentials"],"redirectUris":[],"allowedScopes":["services.iam"]}'
expect 201
call GET '/v1/clients?searchText=Billing'
billing_id="$(jq -r '.items[0].clientId' <<<"$body")"
call POST "/v1/clients/${billing_id}/secrets" '{"value":"s3cr3tV@lue!","description":"Production API access"}'
expect 201
token="$(get_token "$billing_id" 's3cr3tV@lue!' acme)"
call GET /v1/clients
expect 403
token="$admin_token"
call POST /v1/policies "{\"subject\":\"client-${billing_id}\",\"scope\":\"/\",\"action\":\"iam.client.read\"}"
expect 200
token="$(get_token "$billing_id" 's3cr3tV@lue!' acme)"
call GET /v1/clients
expect 200

step "Journey 2: a team group's policy reaches a new member and leaves with them"
token="$admin_token"
call POST /v1/subjects/groups '{"displayName":"Finance Team","description":"string"}'
expect 201
group="$(jq -r .subjectId <<<"$body")"
call POST /v1/policies "{\"subject\":\"${group}\",\"scope\":\"/subscriptions/123\",\"action\":\"iam.policy.read\"}"
call POST /v1/subjects/groups/"${group}"/members "{\"subjectIds\":[\"client-${billing_id}\"]}"
expect 204
call POST /v1/policies/check "{\"subject\":\"client-${billing_id}\",\"action\":\"iam.policy.read\",\"scope\":\"/subscriptions/123/invoices\"}"
[[ "$(jq -r .allowed <<<"$body")" == true ]] || { echo "expected allowed" >&2; exit 1; }
call DELETE /v1/subjects/groups/"${group}"/members "{\"subjectIds\":[\"client-${billing_id}\"]}"
call POST /v1/policies/check "{\"subject\":\"client-${billing_id}\",\"action\":\"iam.policy.read\",\"scope\":\"/subscriptions/123/invoices\"}"
[[ "$(jq -r .allowed <<<"$body")" == false ]] || { echo "expected denied" >&2; exit 1; }

step "Journey 3: rotate a secret; both work until the old one is deleted"
call POST "/v1/clients/${billing_id}/secrets" '{"value":"n3wS3cret-2026","description":"Rotation"}'
call GET "/v1/clients/${billing_id}/secrets"
old_secret_id="$(jq -r '.items[0].id' <<<"$body")"
get_token "$billing_id" 's3cr3tV@lue!' acme >/dev/null && echo "old secret works"
get_token "$billing_id" 'n3wS3cret-2026' acme >/dev/null && echo "new secret works"
call DELETE "/v1/clients/${billing_id}/secrets/${old_secret_id}"
expect 204
if get_token "$billing_id" 's3cr3tV@lue!' acme >/dev/null 2>&1; then echo "old secret still works" >&2; exit 1; fi
echo "old secret rejected"

step "Journey 4: another tenant's ids answer 404"
token="$(get_token "$other_id" "$other_secret" other)"
call GET "/v1/clients/${billing_id}"
expect 404

step "Journey 5: page through 23 clients, 10 at a time"
token="$admin_token"
for i in $(seq 1 21); do
  curl --silent --output /dev/null --header "Authorization: Bearer ${token}" --header 'Content-Type: application/json' \
    --data "{\"name\":\"client $i\",\"description\":\"\",\"allowedGrantTypes\":[\"client_credentials\"],\"redirectUris\":[],\"allowedScopes\":[]}" \
    "${base}/v1/clients"
done
for page in 1 2 3; do
  count="$(curl --silent --header "Authorization: Bearer ${token}" "${base}/v1/clients?page=${page}&pageSize=10" | jq '.items | length')"
  echo "page ${page}: ${count} clients"
done

step "Done; the server log has $(wc -l <"$server_log") lines and no secret"
if grep -q -e "$admin_secret" -e 's3cr3tV@lue!' -e "$admin_token" "$server_log"; then
  echo "a secret reached the log" >&2
  exit 1
fi
