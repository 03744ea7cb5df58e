#!/usr/bin/env bash
# make k8s-check: render the kustomize base and every overlay offline, validate every object
# against the Kubernetes schemas and the deployment policies (deploy/k8s-check/check.mjs), and
# check the Prometheus alert rules.
#
#   scripts/k8s-check.sh [K8S_DIR]        (default: k8s/ of this repository)
#
# Rendering: `kubectl kustomize` when a kubectl with kustomize >= v4 is installed, otherwise
# deploy/k8s-check/render.mjs (the subset of kustomize that k8s/ uses; tests/k8s/run.sh shows
# both render the same objects). K8S_RENDERER=kubectl|node forces one.
# Node packages come from deploy/k8s-check/package-lock.json (npm ci, into its node_modules).
# Resource sizing is checked against the RSS figures of bench/results.md (K8S_MEASURED=FILE
# for another results file).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

K8S_DIR=$(cd "${1:-$ROOT/k8s}" && pwd)
CHECK_DIR="$ROOT/deploy/k8s-check"

command -v node >/dev/null && command -v npm >/dev/null || {
    [ "$(id -u)" -eq 0 ] || die "node and npm are needed (apt-get install nodejs npm)"
    say "installing nodejs npm"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
}
stamp="$CHECK_DIR/node_modules/.valor-lock"
if ! cmp -s "$CHECK_DIR/package-lock.json" "$stamp" 2>/dev/null; then
    say "npm ci in deploy/k8s-check"
    (cd "$CHECK_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    cp "$CHECK_DIR/package-lock.json" "$stamp"
fi

renderer=${K8S_RENDERER:-}
if [ -z "$renderer" ]; then
    renderer=node
    if command -v kubectl >/dev/null; then
        kv=$(kubectl version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9]*\).*/\1/p')
        [ -n "$kv" ] && [ "$kv" -ge 4 ] && renderer=kubectl
    fi
fi

render() { # DIR
    if [ "$renderer" = kubectl ]; then
        kubectl kustomize "$1"
    else
        node "$CHECK_DIR/render.mjs" "$1"
    fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rc=0
targets=("$K8S_DIR")
for o in "$K8S_DIR"/overlays/*/; do [ -f "$o/kustomization.yaml" ] && targets+=("${o%/}"); done
for t in "${targets[@]}"; do
    name=${t#"$K8S_DIR"}
    name=k8s${name:-/}
    if ! render "$t" >"$tmp/out.yaml" 2>"$tmp/err"; then
        echo "FAIL $name: rendering failed ($renderer):"
        sed 's/^/    /' "$tmp/err"
        rc=1
        continue
    fi
    echo "== $name (rendered by $renderer)"
    node "$CHECK_DIR/check.mjs" --measured "${K8S_MEASURED:-$ROOT/bench/results.md}" "$tmp/out.yaml" || rc=1
done
if [ -f "$K8S_DIR/base/secret.template.yaml" ]; then
    echo "== k8s/base/secret.template.yaml (schema only)"
    node "$CHECK_DIR/check.mjs" --allow-secrets "$K8S_DIR/base/secret.template.yaml" || rc=1
fi
echo "== deploy/prometheus/alerts.yml"
node "$CHECK_DIR/rules.mjs" "$ROOT/deploy/prometheus/alerts.yml" || rc=1

if [ $rc -eq 0 ]; then echo "k8s-check: all clean"; else echo "k8s-check: problems found"; fi
exit $rc
