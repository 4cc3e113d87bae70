#!/usr/bin/env bash
# Builds the fastntp .deb from this repository and prints its path: the NativeAOT binary as /usr/bin/fastntp, the
# systemd unit, the default /etc/fastntp/fastntp.json (a conffile), a system user `fastntp` through sysusers.d,
# and the README with the unit's drop-ins as examples.
#   scripts/package-deb.sh [--binary FILE]   # FILE: an already published native fastntp (skips the publish)
set -euo pipefail
cd "$(dirname "$0")/.."

binary=
if [ "${1:-}" = --binary ]; then binary=$2; fi
if [ -z "$binary" ]; then
  dotnet publish src/FastNtp/FastNtp.csproj -c Release -r linux-x64 -nologo -clp:ErrorsOnly -o artifacts/publish/fastntp-aot >&2
  binary=artifacts/publish/fastntp-aot/fastntp
fi
[ -x "$binary" ] || { echo "package-deb: $binary is not an executable" >&2; exit 1; }

# The version the binary reports (1.2.3 or 1.2.3+commit; both are Debian versions).
version=$("$binary" --version | head -n 1)
arch=$(dpkg --print-architecture)
root=$(mktemp -d)
chmod 755 "$root"
trap 'rm -rf "$root"' EXIT

install -D -m 755 "$binary" "$root/usr/bin/fastntp"
install -D -m 644 deploy/systemd/fastntp.service "$root/lib/systemd/system/fastntp.service"
install -D -m 644 deploy/fastntp.json "$root/etc/fastntp/fastntp.json"
install -D -m 644 README.md "$root/usr/share/doc/fastntp/README.md"
install -D -m 644 deploy/README.md "$root/usr/share/doc/fastntp/deploy.md"
install -D -m 644 -t "$root/usr/share/doc/fastntp/examples" deploy/systemd/drop-ins/*.conf
install -d -m 755 "$root/DEBIAN" "$root/usr/lib/sysusers.d"
printf 'u fastntp - "FastNtp time server" /nonexistent\n' > "$root/usr/lib/sysusers.d/fastntp.conf"
echo /etc/fastntp/fastntp.json > "$root/DEBIAN/conffiles"

cat > "$root/DEBIAN/control" <<CONTROL
Package: fastntp
Version: $version
Architecture: $arch
Maintainer: FastNtp <fastntp@localhost>
Depends: libc6, libssl3
Recommends: libbpf1
Section: net
Priority: optional
Description: fast NTP/NTS server for public stratum servers and time fleets
 A single native binary serving NTP and NTS (with NTS-KE), with a hardened
 systemd unit, Prometheus metrics and an optional XDP fast path.
CONTROL

cat > "$root/DEBIAN/postinst" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
  if command -v systemd-sysusers >/dev/null 2>&1; then
    systemd-sysusers /usr/lib/sysusers.d/fastntp.conf
  elif ! getent passwd fastntp >/dev/null; then
    adduser --system --group --no-create-home --home /nonexistent fastntp
  fi
  if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
fi
SCRIPT

cat > "$root/DEBIAN/prerm" <<'SCRIPT'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then systemctl stop fastntp.service || true; fi
SCRIPT

cat > "$root/DEBIAN/postrm" <<'SCRIPT'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
SCRIPT
chmod 755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"

mkdir -p artifacts/deb
deb="artifacts/deb/fastntp_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$root" "$deb" >/dev/null
echo "$PWD/$deb"
