#!/usr/bin/env bash
# Tests of scripts/k8s-check.sh: the committed k8s/ passes; a copy broken in one way at a time
# (a wrong field type, a missing probe, a missing HPA, a "latest" image, WORKER_THREADS that do
# not fit the CPU limit or are missing, memory requests/limits that do not match the measured
# RSS, a component without a measurement) fails for that reason; and where kubectl exists,
# deploy/k8s-check/render.mjs renders the same objects.
# Prints one line per case and "N passed, N failed".
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CHECK="$ROOT/scripts/k8s-check.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
PASSED=0
FAILED=0
ok() { PASSED=$((PASSED + 1)); echo "ok   - $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $1: $2"; }

fresh() { rm -rf "$TMP/k8s" && cp -a "$ROOT/k8s" "$TMP/k8s"; }

# expect_failure NAME EXPECTED-OUTPUT-SUBSTRING: k8s-check on $TMP/k8s must fail with it.
expect_failure() {
    if K8S_MEASURED=${K8S_MEASURED:-} "$CHECK" "$TMP/k8s" >"$TMP/out" 2>&1; then
        fail "$1" "k8s-check passed"
    elif grep -qF -- "$2" "$TMP/out"; then
        ok "$1"
    else
        fail "$1" "failed without '$2': $(grep FAIL "$TMP/out" | head -3)"
    fi
}

# 1. the committed manifests pass
fresh
if "$CHECK" "$TMP/k8s" >"$TMP/out" 2>&1; then ok "committed k8s/ passes"; else
    fail "committed k8s/ passes" "$(grep FAIL "$TMP/out" | head -5)"
fi

# 2. a wrong field type (containerPort as a string) fails schema validation
fresh
sed -i 's/containerPort: 5102/containerPort: "five-one-oh-two"/' "$TMP/k8s/base/svc-runs.yaml"
grep -q 'five-one-oh-two' "$TMP/k8s/base/svc-runs.yaml" || fail "setup: wrong type" "sed did nothing"
expect_failure "wrong field type is refused" "containerPort must be integer"

# 3. a container without a readiness probe fails the policy
fresh
awk '/^          readinessProbe:/ {skip = 1; next}
     skip && /^          [a-zA-Z]/ {skip = 0}
     !skip' "$ROOT/k8s/base/svc-deals.yaml" >"$TMP/k8s/base/svc-deals.yaml"
grep -q readinessProbe "$TMP/k8s/base/svc-deals.yaml" && fail "setup: probe" "awk did nothing"
expect_failure "missing readiness probe is refused" "Deployment/svc-deals: container svc-deals has no readinessProbe"

# 4. a Deployment without an HPA fails the policy
fresh
awk 'BEGIN {RS = "---\n"; ORS = "---\n"} !/kind: HorizontalPodAutoscaler/' \
    "$ROOT/k8s/base/svc-auth.yaml" >"$TMP/k8s/base/svc-auth.yaml"
grep -q "kind: HorizontalPodAutoscaler" "$TMP/k8s/base/svc-auth.yaml" && fail "setup: hpa" "awk did nothing"
expect_failure "missing HPA is refused" "Deployment/svc-auth: has no HorizontalPodAutoscaler"

# 5. an image on the latest tag fails the policy
fresh
sed -i 's#newTag: 0.1.0#newTag: latest#' "$TMP/k8s/base/kustomization.yaml"
expect_failure "latest image tag is refused" "uses the latest tag"

# 6. more workers than the CPU limit fits (services: 2 per CPU, at least 4)
fresh
sed -i '/name: WORKER_THREADS/{n;s/value: "4"/value: "64"/}' "$TMP/k8s/base/svc-runs.yaml"
grep -q 'value: "64"' "$TMP/k8s/base/svc-runs.yaml" || fail "setup: workers" "sed did nothing"
expect_failure "WORKER_THREADS over the CPU limit is refused" \
    "Deployment/svc-runs: container svc-runs: WORKER_THREADS 64 does not fit cpu 1 (1 to 4)"

# 7. the gateway: at most 8 per CPU (at least 16: what FORWARD_LOOPS=0 would
# take); 32 workers on 2 CPUs do not fit
fresh
sed -i '/name: WORKER_THREADS/{n;s/value: "4"/value: "32"/}' "$TMP/k8s/base/gateway.yaml"
grep -q 'value: "32"' "$TMP/k8s/base/gateway.yaml" || fail "setup: gateway workers" "sed did nothing"
expect_failure "gateway WORKER_THREADS over the CPU limit is refused" \
    "Deployment/gateway: container gateway: WORKER_THREADS 32 does not fit cpu 2 (1 to 16)"

# 8. no WORKER_THREADS at all (neither in env nor in the ConfigMap)
fresh
sed -i '/name: WORKER_THREADS/,+1d' "$TMP/k8s/base/svc-deals.yaml"
grep -q "name: WORKER_THREADS" "$TMP/k8s/base/svc-deals.yaml" && fail "setup: no workers" "sed did nothing"
expect_failure "missing WORKER_THREADS is refused" \
    "Deployment/svc-deals: container svc-deals: WORKER_THREADS is not set"

# 9. WORKER_THREADS from the ConfigMap counts too
fresh
sed -i '/name: WORKER_THREADS/,+1d' "$TMP/k8s/base/svc-deals.yaml"
printf '  WORKER_THREADS: "64"\n' >>"$TMP/k8s/base/configmap.yaml"
expect_failure "WORKER_THREADS from the ConfigMap is checked" \
    "Deployment/svc-deals: container svc-deals: WORKER_THREADS 64 does not fit cpu 1"

# 10. a memory request below the measured RSS (with headroom)
fresh
awk '/^            requests:/ {r = 1} r && /memory: 64Mi/ {sub(/64Mi/, "16Mi"); r = 0} {print}' \
    "$ROOT/k8s/base/gateway.yaml" >"$TMP/k8s/base/gateway.yaml"
grep -q 'memory: 16Mi' "$TMP/k8s/base/gateway.yaml" || fail "setup: request" "awk did nothing"
expect_failure "memory request below the measured RSS is refused" \
    "Deployment/gateway: container gateway: requests.memory 16Mi is not 1.5–4 ×"

# 11. a memory limit that has nothing to do with the measurement
fresh
sed -i 's/memory: 128Mi/memory: 2Gi/' "$TMP/k8s/base/svc-auth.yaml"
expect_failure "memory limit far above the measured RSS is refused" \
    "Deployment/svc-auth: container svc-auth: limits.memory 2Gi is not 3–12 ×"

# 12. a component the benchmark never measured
fresh
grep -v '^| RSS svc-financial' "$ROOT/bench/results.md" >"$TMP/results.md"
K8S_MEASURED="$TMP/results.md" expect_failure "a component without a measured RSS is refused" \
    "Deployment/svc-financial: container svc-financial: no RSS measured for it"

# 13. the Node renderer and kubectl render the same objects (only where kubectl exists)
if command -v kubectl >/dev/null && kubectl version --client 2>/dev/null | grep -q 'Kustomize Version: v[4-9]'; then
    fresh
    for d in k8s k8s/overlays/managed; do
        kubectl kustomize "$ROOT/$d" >"$TMP/a.yaml" 2>/dev/null &&
            node "$ROOT/deploy/k8s-check/render.mjs" "$ROOT/$d" >"$TMP/b.yaml" &&
            node "$ROOT/deploy/k8s-check/canon.mjs" "$TMP/a.yaml" >"$TMP/a.txt" &&
            node "$ROOT/deploy/k8s-check/canon.mjs" "$TMP/b.yaml" >"$TMP/b.txt"
        if [ -s "$TMP/a.txt" ] && cmp -s "$TMP/a.txt" "$TMP/b.txt"; then
            ok "render.mjs renders $d like kubectl kustomize"
        else
            fail "render.mjs renders $d like kubectl kustomize" "outputs differ"
        fi
    done
else
    echo "skip - kubectl with kustomize >= v4 not installed: renderer comparison skipped"
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
