#!/usr/bin/env bash
# Regenerate checkov-v1.sarif … checkov-v4.sarif from the module versions v1/ … v4/ beside this
# script, by really running checkov on each (offline). Checkov lists results in no fixed order: a
# rerun gives the same results in another order (identity must not depend on it anyway).
# Checkov lives in its own venv, not in the project's:
#     python3 -m venv /tmp/checkov-venv && /tmp/checkov-venv/bin/pip install checkov
# Usage: tests/data/iac/make_checkov_fixtures.sh [CHECKOV]   (default /tmp/checkov-venv/bin/checkov)
set -euo pipefail
checkov=${1:-/tmp/checkov-venv/bin/checkov}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
"$checkov" --version
for v in v1 v2 v3 v4; do
    # run inside the version's folder so that URIs are relative to the module (main.tf)
    (cd "$here/$v" && "$checkov" -d . --skip-download --quiet -o sarif --output-file-path "$out/$v" >/dev/null) || true
    cp "$out/$v/results_sarif.sarif" "$here/checkov-$v.sarif"   # checkov's bytes, unchanged
    echo "$v: $(grep -o '"ruleId"' "$here/checkov-$v.sarif" | wc -l) results"
done
