#!/usr/bin/env bash
# CI's deploy check (as root): builds the .deb (the one NativeAOT publish of the run), installs it with dpkg -i,
# runs the installed fastntp, holds the systemd unit to `systemd-analyze verify` and to an exposure of at most 2.0
# in `systemd-analyze security --offline=true`, validates the Kubernetes manifests, and removes the package.
#   scripts/check-deploy.sh [--binary FILE]   # FILE: an already published native fastntp (see package-deb.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

deb=$(scripts/package-deb.sh "$@")
echo "deploy: built $deb"
dropins=/etc/systemd/system/fastntp.service.d
cleanup() { rm -rf "$dropins"; dpkg --purge fastntp >/dev/null 2>&1 || true; }
trap cleanup EXIT
dpkg -i "$deb" >/dev/null
getent passwd fastntp >/dev/null || { echo "deploy: the package made no fastntp user" >&2; exit 1; }
echo "deploy: installed fastntp $(/usr/bin/fastntp --version)"
/usr/bin/fastntp check-config /etc/fastntp/fastntp.json
/usr/bin/fastntp check-config deploy/kubernetes/fastntp.json
echo "deploy: the packaged /etc/fastntp/fastntp.json and the Kubernetes ConfigMap's configuration pass check-config"

# The unit as packaged, then with each drop-in the docs describe.
exposure() { systemd-analyze security --offline=true "$1" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'; }
systemd-analyze verify /lib/systemd/system/fastntp.service
base=$(exposure /lib/systemd/system/fastntp.service)
echo "deploy: fastntp.service verifies; exposure $base"
awk -v e="$base" 'BEGIN { exit !(e != "" && e <= 2.0) }' || { echo "deploy: exposure $base is over 2.0" >&2; exit 1; }
install -D -m 644 -t "$dropins" /usr/share/doc/fastntp/examples/*.conf
systemd-analyze verify fastntp.service
echo "deploy: fastntp.service with the nts and kernel-clock drop-ins verifies; exposure $(exposure fastntp.service)"

python3 deploy/kubernetes/validate.py
dpkg --purge fastntp >/dev/null
[ ! -e /usr/bin/fastntp ] || { echo "deploy: /usr/bin/fastntp is still there after removal" >&2; exit 1; }
echo "deploy: removed"
