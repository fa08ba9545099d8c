#!/bin/bash
# Load: several client programs, each holding many concurrent secured
# (TLS, GUARANTEE_ENCRYPTION) connections to one secured echo server
# (sockstress), every byte checked in both directions; secsockd's
# descriptors counted before and after; then a smaller run with secsockd
# under valgrind (memcheck, leak check).
# Scale with LOAD_CLIENTS (4), LOAD_CONNS per client (100), LOAD_BYTES per
# connection and direction (65536); LOAD_VG_CONNS (10) for the valgrind run,
# LOAD_VALGRIND=0 to skip it.
. "$(dirname "$0")/common.sh"
stress="$top_builddir/tests/integration/sockstress.exe"
[ -e "$stress" ] || { echo "SKIP: $stress is not built"; exit 77; }
clients=${LOAD_CLIENTS:-4} conns=${LOAD_CONNS:-100} bytes=${LOAD_BYTES:-65536}
total=$((clients * conns))
base=$(( 20000 + $$ % 20000 ))

# run_load PORT CLIENTS CONNS BYTES TAG: a server and CLIENTS clients; checks their summaries.
run_load() {
  local port=$1 nc=$2 n=$3 b=$4 tag=$5 t=$(($2 * $3)) i cpids=""
  env ${server_env:-} "$WINE64" "$stress" server "$port" 600 "$t" >"$work/$tag.server" 2>&1 &
  local srv=$!
  sleep 3
  for i in $(seq 1 "$nc"); do
    "$WINE64" "$stress" client "$port" "$n" "$b" >"$work/$tag.client$i" 2>&1 &
    cpids="$cpids $!"
  done
  local good=0 held=0 checked=0
  for p in $cpids; do wait "$p"; done
  wait "$srv"
  for i in $(seq 1 "$nc"); do
    tr -d '\r' <"$work/$tag.client$i" | sed "s/^/  [$tag client $i] /"
    h=$(tr -d '\r' <"$work/$tag.client$i" | sed -n 's/.*held at once=\([0-9]*\).*/\1/p')
    c=$(tr -d '\r' <"$work/$tag.client$i" | sed -n 's/.*bytes_sent_and_checked=\([0-9]*\) bad_bytes=0.*/\1/p')
    tr -d '\r' <"$work/$tag.client$i" | grep -q "completed=$n errors=0" && good=$((good + 1))
    held=$((held + ${h:-0})); checked=$((checked + ${c:-0}))
  done
  tr -d '\r' <"$work/$tag.server" | sed "s/^/  [$tag server] /"
  [ "$good" -eq "$nc" ]; check "$tag: $nc clients x $n connections all completed without error ($good clean)" $?
  [ "$held" -eq "$t" ]; check "$tag: $held of $t connections held open at once by the clients" $?
  [ "$checked" -eq $((t * b)) ]; check "$tag: $checked bytes sent and checked back by the clients, none wrong" $?
  tr -d '\r' <"$work/$tag.server" | grep -q "completed=$t errors=0 bytes_checked=$((t * b)) bad_bytes=0"
  check "$tag: the server checked $((t * b)) bytes from the clients, none wrong" $?
}

"$secsockctl" start >/dev/null || { echo "FAILED: start"; exit 1; }
"$secsockctl" trust 127.0.0.1 '*' "$SECSOCK_CONFIG_DIR/identity.crt" >/dev/null
check "secsockctl trust (own identity)" $?
pid=$(sed -n 's/^pid //p' "$SECSOCK_RUNTIME_DIR/control")
fds_before=$(ls /proc/"$pid"/fd | wc -l)
echo "secsockd $pid: $fds_before descriptors before; limit $(awk '/open files/ {print $4}' /proc/"$pid"/limits)"
start=$(date +%s)
run_load "$base" "$clients" "$conns" "$bytes" load
echo "load: $total connections, $((total * bytes * 2)) bytes checked in both directions in $(( $(date +%s) - start )) s"
sleep 2
kill -0 "$pid"; check "secsockd ($pid) survived the load" $?
fds_after=$(ls /proc/"$pid"/fd 2>/dev/null | wc -l)
[ "$fds_after" -le "$fds_before" ]; check "secsockd's descriptors: $fds_before before, $fds_after after" $?
"$secsockctl" stop >/dev/null

# The same, smaller, with secsockd under valgrind (it forks with --daemon:
# memcheck follows the fork; each process writes its own log).
if [ "${LOAD_VALGRIND:-1}" != 0 ] && command -v valgrind >/dev/null; then
  cat >"$work/vg-secsockd" <<EOF
#!/bin/sh
exec valgrind --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
  --log-file="$work/vg.%p.log" "$top_builddir/server/secsockd" "\$@"
EOF
  chmod +x "$work/vg-secsockd"
  # A secured server's service guards its hidden listener with a copy taken
  # by pidfd_getfd, which valgrind 3.19 does not know (ENOSYS): the server
  # program uses a plain secsockd of the same identity, and valgrind
  # watches the client side's service.
  server_env="SECSOCK_RUNTIME_DIR=$work/run-vg-server SECSOCKD=$top_builddir/server/secsockd"
  export SECSOCKD="$work/vg-secsockd" SECSOCK_RUNTIME_DIR="$work/run-vg"
  "$secsockctl" start >/dev/null; check "secsockd started under valgrind" $?
  run_load $((base + 1)) 2 "${LOAD_VG_CONNS:-10}" 65536 valgrind
  "$secsockctl" stop >/dev/null
  env $server_env "$secsockctl" stop >/dev/null 2>&1
  sleep 3
  for f in "$work"/vg.*.log; do
    grep -q "ERROR SUMMARY" "$f" || continue
    echo "  $(basename "$f"): $(grep -E "ERROR SUMMARY|definitely lost|indirectly lost|in use at exit" "$f" | sed 's/==[0-9]*== *//' | tr '\n' ';')"
  done
  # The daemon's log: the one with the most lines.
  vg=$(ls -S "$work"/vg.*.log | head -1)
  grep -q "ERROR SUMMARY: 0 errors" "$vg"; check "valgrind: no memory error in secsockd" $?
  grep -Eq "definitely lost: 0 bytes|no leaks are possible" "$vg" && ! grep -Eq "indirectly lost: [1-9]" "$vg"
  check "valgrind: no leak in secsockd" $?
else
  echo "skip: valgrind run (LOAD_VALGRIND=0 or no valgrind)"
fi
finish load
