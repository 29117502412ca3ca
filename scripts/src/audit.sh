#!/usr/bin/env bash
# `make audit`: fails on any high or critical advisory in the production dependencies
# (what ships in the Lambda bundle). Exit 2, distinctly, when the advisory service cannot be reached.
set -uo pipefail
out=$(npm audit --omit=dev --audit-level=high 2>&1)
rc=$?
if grep -qE "audit endpoint returned an error|ENOTFOUND|ETIMEDOUT|EAI_AGAIN" <<<"$out"; then
  echo "audit: the registry's advisory service could not be reached, so nothing was checked:" >&2
  grep -E "npm (warn|error) audit" <<<"$out" >&2
  exit 2
fi
echo "$out"
exit $rc
