# Sourced by the benchmark scripts (throughput.sh, xdp-netns.sh): what every run shares. The caller sets ROOT, ART,
# OUT, PRIO and ONLY before sourcing, then WORK, and calls bench_build once.

case "$PRIO" in
  nice) PRIO_CMD=(nice -n -20) ;;          # CFS weight far above anything else running on the machine
  # SCHED_FIFO; the kernel's RT throttling still leaves 5% to others. Tiered compilation off: a saturated SCHED_FIFO
  # thread pinned to one core starves the JIT's tier-1 thread on that core, so a .NET server would run tier-0 code
  # (several times slower) for as long as the load lasts; the deployed native binary has no JIT at all.
  rt) PRIO_CMD=(chrt -f 50 env DOTNET_TieredCompilation=0) ;;
  none) PRIO_CMD=() ;;
  *) echo "PRIO must be nice, rt or none" >&2; exit 2 ;;
esac

want() { [[ " $ONLY " == *" $1 "* ]]; }

MACHINE="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) vCPU, $(uname -r)"

# The server under test: started by the caller's start_server (which sets SERVER_PID), stopped here.
SERVER_PID=""
stop_server() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  SERVER_PID=""
}

# Builds fastntp, fastntp-load and the C reflector into $ART; a fastntp that does not build skips its runs
# (FASTNTP_OK=0) and leaves the baselines to run.
bench_build() {
  echo "== build (Release) into $ART"
  FASTNTP_OK=1
  if ! dotnet build "$ROOT/src/FastNtp" -c Release --artifacts-path "$ART" -nologo -v q; then
    echo "!! src/FastNtp did not build: the FastNtp runs are skipped" >&2
    FASTNTP_OK=0
  fi
  dotnet build "$ROOT/loadtest/FastNtp.LoadTest" -c Release --artifacts-path "$ART" -nologo -v q
  make -s -C "$ROOT/bench/reflector"
  LOAD="$ART/bin/FastNtp.LoadTest/release/fastntp-load.dll"
  FASTNTP="$ART/bin/FastNtp/release/fastntp.dll"
}

# True when the probe run fastntp-load wrote to JSON file $1 sent something and every request got a valid reply.
probe_clean() { # json
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["steps"][0]; sys.exit(0 if s["sent"]>0 and s["replies"]==s["sent"] and s["invalid"]==0 else 1)' "$1"
}

# A run whose server never became ready: say so, show the server's log, and drop the run's partial results.
not_measured() { # name, what happened
  echo "!! $2; not measured. Its log:" >&2
  tail -n 20 "$WORK/$1.log" >&2 || true
  rm -f "$OUT/$1.csv" "$OUT/$1.json"
}
