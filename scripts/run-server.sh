#!/usr/bin/env bash
# Builds FastNtp and serves the local clock at stratum 1 on 127.0.0.1:12300 and [::1]:12300, offline too.
# Extra arguments go to `fastntp serve` (for example --listen 0.0.0.0:123 --user nobody for a real deployment).
set -euo pipefail
# Started as root, a server refuses to keep serving as root unless told; --user NAME makes it drop instead.
[ "$(id -u)" -ne 0 ] || export FASTNTP__SERVER__ALLOWROOT="${FASTNTP__SERVER__ALLOWROOT:-true}"
cd "$(dirname "$0")/.."

dotnet build src/FastNtp -c Release -nologo -clp:ErrorsOnly
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(--listen 127.0.0.1:12300 --listen "[::1]:12300" --local-stratum 1)
exec dotnet artifacts/bin/FastNtp/release/fastntp.dll serve "${args[@]}"
