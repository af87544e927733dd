#!/usr/bin/env bash
# The README's "Five minutes with curl", as a script.
#
#   CRM_API_KEY=crm_sk_… BASE_URL=http://127.0.0.1:8080 examples/curl-walkthrough.sh
#
# CRM_API_KEY  an admin API key (the one the first start prints)   required
# BASE_URL     the server                                         default http://127.0.0.1:8080
#
# Needs curl; pretty-prints with jq when jq is installed. Every call must answer the status the
# walkthrough expects, otherwise the script stops with a non-zero exit. It can be run again on
# the same server: the user and the contacts it creates are then found, not duplicated.
set -euo pipefail

BASE_URL="${BASE_URL:-http://127.0.0.1:8080}"
BASE_URL="${BASE_URL%/}"
if [[ -z "${CRM_API_KEY:-}" ]]; then
  echo "Set CRM_API_KEY to an admin API key (crm_sk_…): the first start of the server prints one." >&2
  exit 2
fi
command -v curl >/dev/null || { echo "curl is required" >&2; exit 2; }
HAVE_JQ=false
command -v jq >/dev/null && HAVE_JQ=true

BODY="$(mktemp)"
trap 'rm -f "$BODY"' EXIT

# call "<expected statuses>" <curl arguments…>: runs curl, prints the answer, checks the status.
call() {
  local expected="$1"
  shift
  local status
  if ! status="$(curl -sS -o "$BODY" -w '%{http_code}' "$@")"; then
    echo "FAILED: curl could not reach $BASE_URL" >&2
    exit 1
  fi
  echo "HTTP $status"
  if $HAVE_JQ && jq -e . "$BODY" >/dev/null 2>&1; then jq . "$BODY"; else cat "$BODY"; echo; fi
  if [[ " $expected " != *" $status "* ]]; then
    echo "FAILED: expected HTTP $expected, got $status" >&2
    exit 1
  fi
  STATUS="$status"
}

# field NAME: a top-level string field of the last answer.
field() {
  if $HAVE_JQ; then
    jq -r --arg f "$1" '.[$f] // empty' "$BODY"
  else
    sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$BODY" | head -n 1
  fi
}

step() { printf '\n== %s\n' "$*"; }

KEY="$CRM_API_KEY"
CRM="$BASE_URL"
JSON=(-H 'Content-Type: application/json')

step "Who am I? The key's user, organization, role and scopes"
call 200 "$CRM/v1/me" -H "Authorization: Bearer $KEY"

step "Create a user with a password (201; a replay within 24 h, or 409 email_taken later)"
call "201 409" "$CRM/v1/users" -H "Authorization: Bearer $KEY" "${JSON[@]}" -H 'Idempotency-Key: first-user' \
  -d '{"email": "ada@example.com", "name": "Ada Lovelace", "role": "admin",
       "password": "correct horse battery staple"}'
if [[ "$STATUS" == 409 && "$(field code)" != email_taken ]]; then
  echo "FAILED: unexpected conflict" >&2
  exit 1
fi

step "Sign in as that user: an access token and a refresh token"
call 200 "$CRM/v1/auth/token" "${JSON[@]}" \
  -d '{"email": "ada@example.com", "password": "correct horse battery staple"}'
TOKEN="$(field access_token)"
if [[ -z "$TOKEN" ]]; then
  echo "FAILED: no access_token in the answer" >&2
  exit 1
fi

step "Create a contact (201; a replay within 24 h, or 409 duplicate_contact later)"
call "201 409" "$CRM/v1/contacts" -H "Authorization: Bearer $TOKEN" "${JSON[@]}" \
  -H 'Idempotency-Key: first-contact' \
  -d '{"first_name": "Grace", "last_name": "Hopper", "emails": [{"address": "Grace@Navy.example"}],
       "phones": [{"number": "(415) 555-2671", "type": "mobile"}], "tags": ["vip"]}'
if [[ "$STATUS" == 409 && "$(field code)" != duplicate_contact ]]; then
  echo "FAILED: unexpected conflict" >&2
  exit 1
fi

step "Create or update a contact by an integration's id (201 the first time, 200 after)"
call "200 201" -X PUT "$CRM/v1/external-ids/shop/1001/contact" -H "Authorization: Bearer $TOKEN" "${JSON[@]}" \
  -d '{"first_name": "Alan", "last_name": "Turing", "emails": [{"address": "alan@example.com"}],
       "lifecycle_stage": "customer", "tags": ["vip"]}'

step "Contacts tagged vip, by name"
call 200 "$CRM/v1/contacts?tag=vip&sort=name" -H "Authorization: Bearer $TOKEN"

step "Users, newest first, two per page"
call 200 "$CRM/v1/users?limit=2&sort=-created_at" -H "Authorization: Bearer $TOKEN"
CURSOR="$(field next_cursor)"
if [[ -n "$CURSOR" ]]; then
  step "The next page of users"
  call 200 "$CRM/v1/users?limit=2&sort=-created_at&cursor=$CURSOR" -H "Authorization: Bearer $TOKEN"
fi

step "The changes feed: user and contact events, in order"
call 200 "$CRM/v1/events?after=0&types=user.*,contact.*" -H "Authorization: Bearer $TOKEN"

step "The audit log of users, newest first"
call 200 "$CRM/v1/audit-log?resource_type=user" -H "Authorization: Bearer $TOKEN"

step "An error: application/problem+json with a pointer per invalid field (422 expected)"
call 422 "$CRM/v1/users" -H "Authorization: Bearer $KEY" "${JSON[@]}" \
  -d '{"email": "not-an-email", "name": "X", "role": "sales"}'

printf '\nThe walkthrough ran: every call answered as expected.\n'
