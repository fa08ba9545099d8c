#!/bin/bash
# The benchmark (`make bench`; not part of `make check`).  In one run, on
# loopback, three configurations of the same Windows program
# (tests/bench/bench.exe) under Wine:
#   clear    plain Wine sockets;
#   secured  both ends secured (GUARANTEE_ENCRYPTION) through secsockd's TLS
#            backend: a client-side and a server-side service, each with its
#            own identity and trusting the other's, as two hosts would be
#            (BENCH_SERVICES=1: one service holds both ends);
#   stunnel  the clear programs wrapped by a stunnel client and a stunnel
#            server (native Linux processes, TLS 1.3, mutual certificates).
# It measures bulk throughput (64 KiB writes), connect-to-first-byte latency,
# connections per second, the service's memory per idle connection and
# BENCH_HOLD concurrent secured connections, then prints a markdown table
# (also written to $BENCH_RESULTS) with the targets.
#
# Sizes: BENCH_MIB (256) per transfer, BENCH_REPS (3; the median counts),
# BENCH_LATENCY_COUNT (500), BENCH_CONNRATE_SECONDS (5),
# BENCH_CONNRATE_THREADS (4), BENCH_HOLD (5000), BENCH_HOLD_PROCS (1: client
# processes sharing the held connections), BENCH_HOLD_THREADS (8 connecting
# threads in each), BENCH_HOLD_SETUP_SECONDS (300: opening stops then),
# BENCH_HOLD_SECONDS (15 idle).  BENCH_SECSOCKD: another secsockd to measure
# (default: this tree's).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_builddir=${top_builddir:-$(cd "$here/../.." && pwd)}
WINE64=${WINE64:-/usr/lib/wine/wine64}
WINESERVER=${WINESERVER:-/usr/lib/wine/wineserver}
mib=${BENCH_MIB:-256}
reps=${BENCH_REPS:-3}
lat_count=${BENCH_LATENCY_COUNT:-500}
rate_seconds=${BENCH_CONNRATE_SECONDS:-5}
rate_threads=${BENCH_CONNRATE_THREADS:-4}
hold=${BENCH_HOLD:-5000}
hold_procs=${BENCH_HOLD_PROCS:-1}
hold_seconds=${BENCH_HOLD_SECONDS:-15}
hold_threads=${BENCH_HOLD_THREADS:-8}
hold_setup=${BENCH_HOLD_SETUP_SECONDS:-300}
services=${BENCH_SERVICES:-2}
results=${BENCH_RESULTS:-$top_builddir/tests/bench/results.md}

secsockctl="$top_builddir/programs/secsockctl/secsockctl"
bench="$top_builddir/tests/bench/bench.exe"
for f in "$secsockctl" "${BENCH_SECSOCKD:-$top_builddir/server/secsockd}" "$bench" "$WINE64"; do
  [ -e "$f" ] || { echo "run-bench: $f is not built (run make)" >&2; exit 1; }
done
stunnel=$(command -v stunnel4 || command -v stunnel || true)
[ -n "$stunnel" ] || echo "run-bench: stunnel is not installed (tools/install-deps): no stunnel figures" >&2

# Each held secured connection costs descriptors in the services, in
# wineserver and in both programs: take all the hard limit allows.
ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d)
export WINEPREFIX="$work/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
export SECSOCKD="${BENCH_SECSOCKD:-$top_builddir/server/secsockd}"
pids=""
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null; done
  for side in c s; do side "$side" "$secsockctl" stop >/dev/null 2>&1; done
  "$WINESERVER" -k >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

# Runs a command as one side: c (clients) or s (servers), each with its own
# secsockd and identity.
side() {
  local name=$1; shift
  [ "$services" = 1 ] && name=c
  SECSOCK_RUNTIME_DIR="$work/run-$name" SECSOCK_CONFIG_DIR="$work/config-$name" "$@"
}
service_pid() { side "$1" "$secsockctl" status 2>/dev/null | sed -n 's/.*running, pid \([0-9]*\).*/\1/p'; }
value() { tr -d '\r' <"$2" | grep -o "$1=[^ ]*" | tail -1 | cut -d= -f2; }   # key, file (Wine writes CRLF)
wait_listening() {   # port: up to 30 s
  local i=0
  while ! ss -Hltn "sport = :$1" | grep -q . && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
}
free_port() {   # a port nothing listens on, from a base unique to this run
  local p=$1
  while ss -Htan "sport = :$p" | grep -q .; do p=$((p + 1)); done
  echo "$p"
}

load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "run-bench: work directory $work; open files limit $(ulimit -n); load average $load0"
"$secsockctl" install >"$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }
side c "$secsockctl" start >/dev/null && side s "$secsockctl" start >/dev/null || { echo "run-bench: secsockd does not start"; exit 1; }
# Each side trusts the other's identity on loopback (the same one with one service).
side c "$secsockctl" trust 127.0.0.1 '*' "$work/config-$([ "$services" = 1 ] && echo c || echo s)/identity.crt" &&
  side s "$secsockctl" trust 127.0.0.1 '*' "$work/config-c/identity.crt" || { echo "run-bench: trust failed"; exit 1; }
cpid=$(service_pid c); spid=$(service_pid s)

base=$(( 20000 + ($$ % 1000) * 20 ))
port_clear=$(free_port "$base")
port_secure=$(free_port $((port_clear + 1)))
side s "$WINE64" "$bench" server "$port_clear" clear >"$work/server-clear.out" 2>&1 & pids="$pids $!"
side s "$WINE64" "$bench" server "$port_secure" secure >"$work/server-secure.out" 2>&1 & pids="$pids $!"
wait_listening "$port_clear"; wait_listening "$port_secure"

configs="clear secure"
if [ -n "$stunnel" ]; then
  port_sts=$(free_port $((port_secure + 1)))
  port_stc=$(free_port $((port_sts + 1)))
  for who in server client; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=bench-$who" \
      -keyout "$work/$who.key" -out "$work/$who.crt" >/dev/null 2>&1
  done
  # Mutual authentication, each side accepting exactly the other's
  # certificate, as secsock's pins do.
  cat >"$work/stunnel-server.conf" <<EOF
foreground = yes
pid =
[bench]
accept = 127.0.0.1:$port_sts
connect = 127.0.0.1:$port_clear
cert = $work/server.crt
key = $work/server.key
CAfile = $work/client.crt
verifyPeer = yes
sslVersionMin = TLSv1.3
sslVersionMax = TLSv1.3
EOF
  cat >"$work/stunnel-client.conf" <<EOF
foreground = yes
pid =
[bench]
client = yes
accept = 127.0.0.1:$port_stc
connect = 127.0.0.1:$port_sts
cert = $work/client.crt
key = $work/client.key
CAfile = $work/server.crt
verifyPeer = yes
sslVersionMin = TLSv1.3
sslVersionMax = TLSv1.3
EOF
  "$stunnel" "$work/stunnel-server.conf" >"$work/stunnel-server.log" 2>&1 & pids="$pids $!"
  "$stunnel" "$work/stunnel-client.conf" >"$work/stunnel-client.log" 2>&1 & pids="$pids $!"
  wait_listening "$port_sts"; wait_listening "$port_stc"
  configs="$configs stunnel"
fi

# Runs bench.exe's client mode for a configuration: config, mode, args.
client() {
  local config=$1 mode=$2; shift 2
  case $config in
  clear) side c "$WINE64" "$bench" "$mode" "$port_clear" clear "$@" ;;
  secure) side c "$WINE64" "$bench" "$mode" "$port_secure" secure "$@" ;;
  stunnel) side c "$WINE64" "$bench" "$mode" "$port_stc" clear "$@" ;;
  esac
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "" }'; }

# Throughput: the configurations take turns, so that whatever else the
# machine does falls on all of them alike.
for rep in $(seq 1 "$reps"); do
  for config in $configs; do
    client "$config" throughput "$mib" >"$work/tp-$config-$rep.out" 2>&1
    echo "throughput $config #$rep: $(grep '^result' "$work/tp-$config-$rep.out")"
  done
done
for config in $configs; do
  for rep in $(seq 1 "$reps"); do value throughput_mibps "$work/tp-$config-$rep.out"; done | median >"$work/tp-$config"
done
for config in $configs; do
  client "$config" latency "$lat_count" >"$work/lat-$config.out" 2>&1
  echo "latency $config: $(grep '^result' "$work/lat-$config.out")"
done
for config in $configs; do
  client "$config" connrate "$rate_seconds" "$rate_threads" >"$work/rate-$config.out" 2>&1
  echo "connrate $config: $(grep '^result' "$work/rate-$config.out")"
done

# Idle connections: the services' memory before and while BENCH_HOLD
# secured connections sit idle.  Both services are warm by now.
mem() {   # pid -> "rss pss private" in KiB
  awk '/^Rss:/ { r = $2 } /^Pss:/ { p = $2 } /^Private_(Clean|Dirty):/ { v += $2 } END { print r + 0, p + 0, v + 0 }' \
    "/proc/$1/smaps_rollup"
}
fds() { ls "/proc/$1/fd" | wc -l; }
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$1/stat"; }
sleep 2
read -r c_rss0 c_pss0 c_priv0 <<<"$(mem "$cpid")"
read -r s_rss0 s_pss0 s_priv0 <<<"$(mem "$spid")"
c_fd0=$(fds "$cpid"); s_fd0=$(fds "$spid")
c_cpu0=$(cpu_seconds "$cpid"); s_cpu0=$(cpu_seconds "$spid")
per_proc=$(( (hold + hold_procs - 1) / hold_procs ))
hold_pids=""
for i in $(seq 1 "$hold_procs"); do
  n=$per_proc; [ $((per_proc * i)) -gt "$hold" ] && n=$((hold - per_proc * (i - 1)))
  client secure hold "$n" "$hold_seconds" "$hold_threads" "$hold_setup" >"$work/hold-$i.out" 2>&1 &
  hold_pids="$hold_pids $!"
done
i=0
while [ "$(cat "$work"/hold-*.out 2>/dev/null | grep -c '^ready')" -lt "$hold_procs" ] && [ $i -lt 6000 ]; do
  sleep 0.1; i=$((i + 1))
done
sleep 2
read -r c_rss1 c_pss1 c_priv1 <<<"$(mem "$cpid")"
read -r s_rss1 s_pss1 s_priv1 <<<"$(mem "$spid")"
c_fd1=$(fds "$cpid"); s_fd1=$(fds "$spid")
c_cpu1=$(cpu_seconds "$cpid"); s_cpu1=$(cpu_seconds "$spid")
# secsockd checks each control and relay connection's owner in
# /proc/net/tcp: how long one read of it takes with this many sockets.
proc_tcp_lines=$(wc -l </proc/net/tcp)
proc_tcp_ms=$(( $(date +%s%N) / 1000000 )); cat /proc/net/tcp >/dev/null; proc_tcp_ms=$(( $(date +%s%N) / 1000000 - proc_tcp_ms ))
wait $hold_pids
cat "$work"/hold-*.out
held=0; alive=0
for f in "$work"/hold-*.out; do
  held=$((held + $(value hold_ok "$f"))); alive=$((alive + $(value hold_alive "$f")))
done
hold_errors=$(cat "$work"/hold-*.out | tr -d '\r' | grep -o 'hold_first_error=[^ ]*' | sort -u | tr '\n' ' ')
hold_setup_taken=$(cat "$work"/hold-*.out | tr -d '\r' | grep -o 'hold_setup_seconds=[^ ]*' | cut -d= -f2 | sort -n | tail -1)
hold_capped=$(cat "$work"/hold-*.out | tr -d '\r' | grep -c 'hold_setup_capped=1')

for config in $configs; do client "$config" quit >/dev/null 2>&1; done
sleep 1
secure_server_errors=$(grep -c 'failed' "$work/server-secure.out")

# ---- the table ----------------------------------------------------------------
calc() { awk "BEGIN { $1 }"; }   # an awk expression that prints
verdict() { calc "print ($1) ? \"PASS\" : \"MISS\""; }
tp_clear=$(cat "$work/tp-clear"); tp_secure=$(cat "$work/tp-secure"); tp_st=$(cat "$work/tp-stunnel" 2>/dev/null)
p50_clear=$(value latency_p50_us "$work/lat-clear.out"); p50_secure=$(value latency_p50_us "$work/lat-secure.out")
p99_clear=$(value latency_p99_us "$work/lat-clear.out"); p99_secure=$(value latency_p99_us "$work/lat-secure.out")
cps_clear=$(value connrate_cps "$work/rate-clear.out"); cps_secure=$(value connrate_cps "$work/rate-secure.out")
if [ -n "$stunnel" ]; then
  p50_st=$(value latency_p50_us "$work/lat-stunnel.out"); p99_st=$(value latency_p99_us "$work/lat-stunnel.out")
  cps_st=$(value connrate_cps "$work/rate-stunnel.out")
else
  tp_st=""; p50_st=""; p99_st=""; cps_st=""
fi
added=$(calc "print $p50_secure - $p50_clear")
n=${held:-0}; [ "$n" -gt 0 ] || n=1
if [ "$services" = 1 ]; then
  # One service holds both ends of each connection.
  mem_c=$(calc "printf \"%.1f\", ($c_pss1 - $c_pss0) / $n / 2"); mem_s=$mem_c
  rss_c=$(calc "printf \"%.1f\", ($c_rss1 - $c_rss0) / $n / 2"); rss_s=$rss_c
else
  mem_c=$(calc "printf \"%.1f\", ($c_pss1 - $c_pss0) / $n"); mem_s=$(calc "printf \"%.1f\", ($s_pss1 - $s_pss0) / $n")
  rss_c=$(calc "printf \"%.1f\", ($c_rss1 - $c_rss0) / $n"); rss_s=$(calc "printf \"%.1f\", ($s_rss1 - $s_rss0) / $n")
fi
mem_max=$(calc "print ($mem_c > $mem_s) ? $mem_c : $mem_s")
ratio() { [ -n "$2" ] && [ -n "$1" ] && calc "printf \"%.2f×\", $1 / $2" || echo "n/a"; }
na() { [ -n "$1" ] && echo "$1" || echo "n/a"; }

row() { printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$@"; }   # the table's seven columns
lat_conn() { [ -e "$work/lat-$1.out" ] && value connect_p50_us "$work/lat-$1.out" || echo n/a; }
hold_how="opened in ${hold_setup_taken:-?} s"
[ "${hold_capped:-0}" -gt 0 ] && hold_how="$hold_how, stopped at the ${hold_setup} s cap"
two_sides="client side and server side, as on two hosts"
[ "$services" = 1 ] && two_sides="both ends in one; figures per end"

{
  row figure "clear Wine" secured stunnel "secured vs baseline" target result
  row "---" "---" "---" "---" "---" "---" "---"
  row "bulk throughput, 64 KiB writes (MiB/s, median of $reps × $mib MiB)" "$tp_clear" "$tp_secure" "$(na "$tp_st")" \
    "$(ratio "$tp_secure" "$tp_clear") clear" "≥ 0.75× clear" "$(verdict "$tp_secure >= 0.75 * $tp_clear")"
  [ -n "$tp_st" ] && row "bulk throughput vs stunnel" "" "" "" "$(ratio "$tp_secure" "$tp_st") stunnel" "≥ 1× stunnel" \
    "$(verdict "$tp_secure >= $tp_st")"
  row "connect-to-first-byte latency p50 (µs, $lat_count connects)" "$p50_clear" "$p50_secure" "$(na "$p50_st")" \
    "+$added µs" "added ≤ 1500 µs" "$(verdict "$added <= 1500")"
  row "of which connect() returned, p50 (µs)" "$(lat_conn clear)" "$(lat_conn secure)" "$(lat_conn stunnel)" "" "—" "—"
  row "connect-to-first-byte latency p99 (µs)" "$p99_clear" "$p99_secure" "$(na "$p99_st")" \
    "+$(calc "print $p99_secure - $p99_clear") µs" "—" "—"
  row "connections per second ($rate_threads threads, $rate_seconds s)" "$cps_clear" "$cps_secure" "$(na "$cps_st")" \
    "$(ratio "$cps_secure" "$cps_clear") clear" "—" "—"
  row "service memory per idle connection (KiB PSS; client side / server side)" "—" "$mem_c / $mem_s" "—" \
    "RSS: $rss_c / $rss_s" "≤ 64 KiB" "$(verdict "$mem_max <= 64")"
  row "concurrent secured connections held ($hold_how, idle ${hold_seconds} s, then one more byte each way)" "—" \
    "$held held, $alive alive" "—" "of $hold" "5,000" "$(verdict "$held >= 5000 && $alive >= 5000")"
  echo
  echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores, load average before the run: $load0."
  echo "Service: $SECSOCKD.  Secured: $services secsockd process(es) ($two_sides);"
  echo "clear and stunnel programs run in the same secsock-installed prefix (unsecured sockets pass through)."
  echo "Idle connections: secsockd client side PSS $c_pss0 → $c_pss1 KiB, RSS $c_rss0 → $c_rss1,"
  echo "private $c_priv0 → $c_priv1, descriptors $c_fd0 → $c_fd1; server side PSS $s_pss0 → $s_pss1 KiB,"
  echo "RSS $s_rss0 → $s_rss1, private $s_priv0 → $s_priv1, descriptors $s_fd0 → $s_fd1."
  echo "First hold errors: ${hold_errors:-none}.  Open files limit $(ulimit -n)."
  echo "While opening them, secsockd used $(calc "print $c_cpu1 - $c_cpu0") s of CPU on the client side and"
  echo "$(calc "print $s_cpu1 - $s_cpu0") s on the server side; /proc/net/tcp then had $proc_tcp_lines lines,"
  echo "and one read of it took $proc_tcp_ms ms."
} >"$work/table.md"
cat "$work/table.md"
cp "$work/table.md" "$results"
echo "run-bench: table written to $results"
[ "$secure_server_errors" -eq 0 ] || { echo "run-bench: the secured server reported errors:"; grep failed "$work/server-secure.out" | sort | uniq -c | head; }
