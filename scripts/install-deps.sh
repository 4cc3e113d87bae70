#!/usr/bin/env bash
# Installs the Debian packages the test suite talks to: chrony and NTPsec's ntpdig as real NTP peers,
# OpenSSL's command line for throwaway test certificates, Debian's python3-cryptography as the independent
# AES-SIV implementation, iproute2 for network namespaces, gcc for the C reflector baseline; clang (BPF
# target), ethtool and xdp-tools for the raw-frame benchmark through a veth pair; bpftool for the XDP tests;
# afl++ drives the coverage-guided fuzzers (scripts/fuzz.sh); tzdata for its leap-seconds.list.
set -euo pipefail

packages=(chrony ntpsec-ntpdig openssl python3 python3-cryptography iproute2 gcc)
packages+=(clang llvm libbpf-dev ethtool xdp-tools bpftool)
packages+=(afl++ tzdata)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi

# Packages must not start chronyd as a system service: it would discipline this machine's clock.
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  created_policy=1
fi
trap 'if [ $created_policy -eq 1 ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT

apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# chrony's package may still have enabled its unit; keep it off so nothing but the tests runs chronyd.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now chrony.service >/dev/null 2>&1 || true
fi
echo "install-deps: installed ${missing[*]}"
