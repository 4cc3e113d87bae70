#!/usr/bin/env bash
# The whole test suite: installs the Debian packages the interop tests need, builds, runs every test project.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
dotnet build FastNtp.sln -c Release -nologo -clp:ErrorsOnly
dotnet test FastNtp.sln -c Release --no-build -nologo --logger "console;verbosity=minimal" "$@"
