# Accounts and sessions through the gateway (api.md §2): register → login →
# profile → refresh (rotation) → users/audit → logout → profile 401.
# Only 3 requests of the `auth` rate-limit bucket (5 per 60 s per client IP by
# default, shared with the other case files): register, login, refresh. Replay,
# expiry and every refusal are covered by svc-auth's integration tests.
# shellcheck shell=bash

AUTH_USER=$(unique_name e2e-auth)
AUTH_EMAIL="$AUTH_USER@example.com"
AUTH_PASS='E2e-Strong-Pass-9!'
JSON=(-H 'Content-Type: application/json')

req POST /api/auth/register "${JSON[@]}" \
    --data "{\"username\":\"$AUTH_USER\",\"email\":\"$AUTH_EMAIL\",\"password\":\"$AUTH_PASS\"}"
expect_status "register is 201" 201
expect_body "register succeeds" '"success":true'
expect_body "register answers the user" "\"username\":\"$AUTH_USER\""
expect_body "register makes the user the tenant's admin" '"role":"admin"'
expect_body "register answers a Bearer pair" '"token_type":"Bearer"'
expect_body "register says the access token's lifetime" '"expires_in":900'
expect_header "register answers JSON" Content-Type 'application/json.*'
AUTH_TENANT=$(json_field tenant)
REG_REFRESH=$(json_field refresh_token)
if [ "$AUTH_TENANT" = "$AUTH_USER" ]; then ok "tenant slug derived from the username"; else
    fail "tenant slug derived from the username" "got '$AUTH_TENANT'"
fi

req POST /api/auth/login "${JSON[@]}" \
    --data "{\"username\":\"$AUTH_EMAIL\",\"password\":\"$AUTH_PASS\"}"
expect_status "login by email is 200" 200
expect_body "login stamps last_login" '"last_login":"'
ACCESS=$(json_field access_token)
JWT=(-H "Authorization: Bearer $ACCESS" -H "X-Tenant-ID: $AUTH_TENANT")

req GET /api/auth/profile "${JWT[@]}"
expect_status "profile is 200" 200
expect_body "profile is the caller" "\"email\":\"$AUTH_EMAIL\""

req GET /api/auth/profile
expect_status "profile without a token is 401" 401
expect_body "profile without a token says so" '"error":"Authorization header required"'

req POST /api/auth/refresh "${JSON[@]}" --data "{\"refresh_token\":\"$REG_REFRESH\"}"
expect_status "refresh is 200" 200
expect_body "refresh answers new tokens" '"refresh_token":"'
NEW_REFRESH=$(json_field refresh_token)
if [ -n "$NEW_REFRESH" ] && [ "$NEW_REFRESH" != "$REG_REFRESH" ]; then
    ok "refresh rotates the refresh token"
else
    fail "refresh rotates the refresh token" "old and new are the same"
fi

req GET /api/auth/users "${JWT[@]}"
expect_status "the admin lists the tenant's users" 200
expect_body "the list holds the admin" "\"username\":\"$AUTH_USER\""

# The audit trail is fed from NATS by a durable consumer: wait for the event.
auth_audit_has_registered() {
    req GET '/api/audit?limit=50' "${JWT[@]}"
    [ "$STATUS" = 200 ] && grep -qF '"type":"user.registered"' "$TMP/body"
}
if eventually 60 auth_audit_has_registered; then ok "the audit trail shows user.registered"; else
    fail "the audit trail shows user.registered" "status $STATUS body $(head -c 200 "$TMP/body")"
fi
expect_body "audit events belong to the tenant" "\"tenant\":\"$AUTH_TENANT\""

req POST /api/auth/logout "${JWT[@]}"
expect_status "logout is 200" 200
expect_body "logout succeeds" '"success":true'

req GET /api/auth/profile "${JWT[@]}"
expect_status "the logged-out access token is refused" 401
expect_body "the logged-out token is invalid" '"error":"Invalid token"'
