#!/usr/bin/env bash
# The whole test suite: set-up, type check, size budget, unit + integration (vitest, which
# also runs the bash harness test/shell/run.sh through a real mount). Ends with one
# "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
echo "tiersim test: type check"
npx tsc -p tsconfig.json --noEmit
echo "tiersim test: source size budget"
node scripts/check-sizes.js

report=$(mktemp -t tiersim-vitest.XXXXXX.json)
trap 'rm -f "$report"' EXIT
status=0
npx vitest run --reporter=default --reporter=json --outputFile="$report" "$@" || status=$?
if [ -s "$report" ]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  ' "$report"
fi
exit "$status"
