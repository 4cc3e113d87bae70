#!/usr/bin/env bash
# The whole test suite: installs the Debian packages the interop tests need, builds, runs every test project.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
dotnet build FastNtp.sln -c Release -nologo -clp:ErrorsOnly

# One test project at a time: the interop suites start real chronyd and fastntp processes, and two cores
# are too few to run them all at once without starving their timeouts.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test FastNtp.sln -c Release --no-build -nologo -m:1 --logger "console;verbosity=minimal" "$@" | tee "$log" || status=$?

# One closing line over all projects, in the plain "N passed, N failed" form.
awk '/^(Passed|Failed)! / { for (i = 1; i <= NF; i++) { if ($i == "Passed:") p += $(i + 1); if ($i == "Failed:") f += $(i + 1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' FS='[ ,]+' "$log"
exit "$status"
