# Sourced by soak.sh and ntske-flood.sh: what both need around the server they load.
#   start_server WORK LOG PORT KEPORT METRICS COMMAND...   a throwaway CA (WORK/ca.pem) and certificate for 127.0.0.1,
#     then `COMMAND serve` on 127.0.0.1 with NTS-KE and metrics, one worker, stratum 1 (sets SERVER_PID)
#   sampler_start PID METRICS_ADDR CSV INTERVAL_S PHASE_FILE   (sets SAMPLER_PID; sampler_stop ends it)
# Every INTERVAL_S seconds one CSV row: seconds since the start, the phase (the first line of PHASE_FILE, written by
# the caller), RSS, anonymous and private memory (/proc/PID/smaps_rollup), threads, open descriptors, and from the
# server's /metrics (the runtime's System.Runtime meter): GC heap size and committed memory after the last
# collection, collections per generation, total GC pause time, thread-pool threads.

start_server() { # work log port keport metrics command...
  local work=$1 log=$2 port=$3 keport=$4 metrics=$5
  shift 5
  make_certificate "$work"
  "$@" serve --listen "127.0.0.1:$port" --workers 1 --local-stratum 1 --nts-ke-listen "127.0.0.1:$keport" \
    --cert "$work/server.pem" --key "$work/server.key" --metrics-listen "$metrics" >"$log" 2>&1 &
  SERVER_PID=$!
}

make_certificate() { # dir
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench-ca -keyout "$1/ca.key" -out "$1/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost -keyout "$1/server.key" -out "$1/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$1/ext.cnf"
  openssl x509 -req -in "$1/server.csr" -CA "$1/ca.pem" -CAkey "$1/ca.key" -CAcreateserial -days 2 \
    -extfile "$1/ext.cnf" -out "$1/server.pem" 2>/dev/null
}

SAMPLER_PID=""
SAMPLE_COLUMNS="time_s,phase,rss_kb,anon_kb,private_kb,threads,fds,gc_heap_kb,gc_committed_kb,gc0,gc1,gc2,gc_pause_s,pool_threads"

sample_once() { # pid metrics_addr start phase
  local pid=$1 rollup status metrics
  rollup=$(cat "/proc/$pid/smaps_rollup" 2>/dev/null) || return 1
  status=$(cat "/proc/$pid/status" 2>/dev/null) || return 1
  metrics=$(curl -s --max-time 2 "http://$2/metrics" || true)
  printf '%s,%s,%s,%s,%s,%s,%s,%s\n' "$(( $(date +%s) - $3 ))" "$4" \
    "$(awk '/^VmRSS/ { print $2 }' <<<"$status")" \
    "$(awk '/^Anonymous/ { print $2 }' <<<"$rollup")" \
    "$(awk '/^Private_(Clean|Dirty)/ { s += $2 } END { print s }' <<<"$rollup")" \
    "$(awk '/^Threads/ { print $2 }' <<<"$status")" \
    "$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)" \
    "$(awk '
      /^system_runtime_dotnet_gc_last_collection_heap_size\{/ { heap += $2 }
      /^system_runtime_dotnet_gc_last_collection_memory_committed_size / { committed = $2 }
      /^system_runtime_dotnet_gc_collections\{gc_heap_generation="gen0"\}/ { g0 = $2 }
      /^system_runtime_dotnet_gc_collections\{gc_heap_generation="gen1"\}/ { g1 = $2 }
      /^system_runtime_dotnet_gc_collections\{gc_heap_generation="gen2"\}/ { g2 = $2 }
      /^system_runtime_dotnet_gc_pause_time / { pause = $2 }
      /^system_runtime_dotnet_thread_pool_thread_count / { pool = $2 }
      END { printf "%d,%d,%d,%d,%d,%.3f,%d", heap / 1024, committed / 1024, g0, g1, g2, pause, pool }' <<<"$metrics")"
}

sampler_start() { # pid metrics_addr csv interval phase_file
  local pid=$1 addr=$2 csv=$3 interval=$4 phase_file=$5 start
  start=$(date +%s)
  echo "$SAMPLE_COLUMNS" >"$csv"
  (
    while kill -0 "$pid" 2>/dev/null; do
      sample_once "$pid" "$addr" "$start" "$(head -n 1 "$phase_file" 2>/dev/null || echo run)" >>"$csv" || true
      sleep "$interval"
    done
  ) &
  SAMPLER_PID=$!
}

sampler_stop() {
  if [[ -n "$SAMPLER_PID" ]]; then kill "$SAMPLER_PID" 2>/dev/null || true; wait "$SAMPLER_PID" 2>/dev/null || true; fi
  SAMPLER_PID=""
}
