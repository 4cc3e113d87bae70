#!/usr/bin/env bash
# Coverage-guided fuzzing of FastNtp's parsers: SharpFuzz instruments the FastNtp assemblies, AFL++ drives them.
#   scripts/fuzz.sh --list                       the targets, one a line
#   scripts/fuzz.sh TARGET [--seconds N]         fuzz one target for N seconds (default 60)
#   scripts/fuzz.sh --all [--seconds N]          every target in turn, N seconds each
# Options: --out DIR (default fuzz/out), --no-build (reuse the builds already made: several runs in parallel).
# Starts from the committed seeds in fuzz/corpus/TARGET and resumes from DIR/TARGET when it exists. AFL++ keeps
# new corpus entries in DIR/TARGET/default/queue, crashing inputs in DIR/TARGET/default/crashes and hangs in
# .../hangs; each crash is replayed in-process afterwards to print its exception. Exit 0 when no target crashed,
# 1 when one did, 2 for bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60 out=fuzz/out build=1 targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --list) targets=(--list) ;;
    --all) targets=(--all) ;;
    --seconds) seconds="$2"; shift ;;
    --out) out="$2"; shift ;;
    --no-build) build=0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
[ ${#targets[@]} -gt 0 ] || { echo "usage: scripts/fuzz.sh --list | --all | TARGET... [--seconds N] [--out DIR] [--no-build]" >&2; exit 2; }
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: --seconds needs a positive whole number" >&2; exit 2; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
bin="$out/bin"
# The plain build lists targets and replays crashes; instrumented code runs only under afl-fuzz (it writes to
# AFL++'s coverage map, which exists only there).
plain=artifacts/bin/FastNtp.Fuzz/release/fastntp-fuzz.dll
if [ $build -eq 1 ] || [ ! -f "$plain" ]; then dotnet build fuzz/FastNtp.Fuzz -c Release -nologo -clp:ErrorsOnly >/dev/null; fi
fuzz() { dotnet "$plain" "$@"; }

if [ "${targets[0]}" != --list ] && { [ $build -eq 1 ] || [ ! -f "$bin/fastntp-fuzz.dll" ]; }; then
  # Instrumenting rewrites the assemblies in place, so each build starts from a fresh publish.
  rm -rf "$bin"
  dotnet publish fuzz/FastNtp.Fuzz -c Release -nologo -clp:ErrorsOnly -o "$bin" >/dev/null
  dotnet tool restore >/dev/null
  for assembly in FastNtp.Protocol FastNtp.Crypto FastNtp.Server; do
    dotnet tool run sharpfuzz "$bin/$assembly.dll" >/dev/null
  done
fi

if [ "${targets[0]}" = --list ]; then fuzz --list; exit 0; fi
if [ "${targets[0]}" = --all ]; then mapfile -t targets < <(fuzz --list); fi
known=$(fuzz --list)
for target in "${targets[@]}"; do
  grep -qx "$target" <<<"$known" || { echo "fuzz.sh: unknown target $target (scripts/fuzz.sh --list)" >&2; exit 2; }
done
command -v afl-fuzz >/dev/null || scripts/install-deps.sh

# dotnet is not an AFL-compiled binary (SharpFuzz speaks the fork-server protocol from inside it); crashes are
# exceptions, not core dumps; two shared cores leave no CPU to pin.
export AFL_SKIP_BIN_CHECK=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1
export AFL_NO_UI=1 AFL_AUTORESUME=1 AFL_QUIET=1 DOTNET_TieredPGO=0

crashed=()
for target in "${targets[@]}"; do
  dir="$out/$target"
  mkdir -p "$dir"
  status=0
  afl-fuzz -i "fuzz/corpus/$target" -o "$dir" -t 5000 -m none -V "$seconds" -- dotnet "$bin/fastntp-fuzz.dll" "$target" \
    >"$dir/afl.log" 2>&1 || status=$?
  stats="$dir/default/fuzzer_stats"
  if [ $status -ne 0 ] || [ ! -f "$stats" ]; then
    echo "fuzz.sh: afl-fuzz failed for $target (exit $status); last lines of $dir/afl.log:" >&2
    tail -n 20 "$dir/afl.log" >&2
    exit 1
  fi
  field() { awk -v k="$1" '$1 == k { print $3 }' "$stats"; }
  mapfile -t crashes < <(find "$dir/default/crashes" -type f ! -name 'README*' | sort)
  printf '%-18s %6ss  execs %-9s corpus %-5s edges %s/%s  crashes %s  hangs %s\n' "$target" "$seconds" \
    "$(field execs_done)" "$(field corpus_count)" "$(field edges_found)" "$(field total_edges)" "${#crashes[@]}" "$(field saved_hangs)"
  if [ ${#crashes[@]} -gt 0 ]; then
    crashed+=("$target")
    fuzz "$target" --replay "${crashes[@]}" >&2 || true
  fi
done

if [ ${#crashed[@]} -gt 0 ]; then
  echo "fuzz.sh: crashes in ${crashed[*]}: inputs under $out/TARGET/default/crashes" >&2
  exit 1
fi
