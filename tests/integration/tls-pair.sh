#!/bin/bash
# Two Wine programs that both secure their sockets (GUARANTEE_ENCRYPTION),
# a server and a client, talking TLS through secsockd, with an in-path
# recorder between them:
#   - both ends report SECURED and ENCRYPTED, the text arrives and returns,
#     the server sees the client's real address;
#   - the wire carries none of the application bytes in clear;
#   - a plain client reaches the secured server's port but never its program;
#   - a client whose CA the server does not trust never reaches it, and
#     gets in once that CA is trusted, without a restart.
. "$(dirname "$0")/common.sh"

# Kernel TLS asked for: used when the kernel offers it, reported either way.
SECSOCK_KTLS=1 "$secsockctl" start >/dev/null || { echo "FAILED: start"; exit 1; }
ktls=$("$secsockctl" status | grep "kernel TLS:"); echo "$ktls"
if grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null; then
  echo "$ktls" | grep -q "kernel TLS: on"; check "kernel TLS asked for and offered: on" $?
else
  echo "$ktls" | grep -q "asked for, but this kernel offers no TLS ULP"; check "kernel TLS asked for, not offered: said so, userspace TLS" $?
fi
# Both programs run as this user, with this service's identity: trusting
# it on loopback lets each end verify the other.
"$secsockctl" trust 127.0.0.1 '*' "$SECSOCK_CONFIG_DIR/identity.crt"
check "secsockctl trust (own identity)" $?

sport=$(( 20000 + $$ % 20000 ))
timeout 60 "$WINE64" "$secdemo" server "$sport" guarantee >"$work/server.out" 2>&1 &
srv=$!
sleep 3
start_recorder "$work/wire" 60 "$sport"
tport=$rec_port

out=$(timeout 60 "$WINE64" "$secdemo" client "$tport" guarantee "SECRET-between-two-programs" 2>&1); echo "$out"
wait "$srv"
cat "$work/server.out"
echo "$out" | grep -q "client: connection SECURED and ENCRYPTED"; check "the client's connection is SECURED and ENCRYPTED" $?
echo "$out" | grep -q 'echo "SECRET-between-two-programs"'; check "the text went to the server and came back intact" $?
grep -q "server: connection SECURED and ENCRYPTED" "$work/server.out"; check "the server's accepted connection is SECURED and ENCRYPTED" $?
grep -q 'server: received "SECRET-between-two-programs"' "$work/server.out"; check "the server program received the client's bytes" $?
size=$(wc -c < "$work/wire")
[ "$size" -gt 0 ]; check "the recorder saw the traffic ($size bytes)" $?
grep -q "SECRET" "$work/wire"; [ $? -ne 0 ]; check "no application byte crossed the wire in clear" $?

# A plain client gets to the port (only the TLS backend listens there) but
# never to the program.
timeout 60 "$WINE64" "$secdemo" server "$sport" guarantee >"$work/server2.out" 2>&1 &
srv=$!
sleep 3
( exec 3<>"/dev/tcp/127.0.0.1/$sport" && printf 'PLAIN-intruder' >&3 && sleep 1 ) 2>/dev/null
wait "$srv"
cat "$work/server2.out"
grep -q "no connection reached the program" "$work/server2.out"; check "a plain client never reaches the secured server program" $?

# A listening server takes a CA trusted later, without a restart: a
# client under a second service (its own CA) is kept out until the
# server's service trusts that CA, then gets in.  No pins from here on.
rm -f "$SECSOCK_CONFIG_DIR/peers"
c2="SECSOCK_RUNTIME_DIR=$work/run2 SECSOCK_CONFIG_DIR=$work/config2 SECSOCK_DISCOVERY_PORT=$("$top_srcdir/tools/free-port")"
env $c2 "$secsockctl" start >/dev/null || echo "FAILED: the second service did not start"
env $c2 "$secsockctl" ca trust "$SECSOCK_CONFIG_DIR/ca.crt" >/dev/null
check "the second service trusts the server's CA" $?
timeout 60 "$WINE64" "$secdemo" server "$sport" guarantee >"$work/server3.out" 2>&1 &
srv=$!
sleep 3
out=$(env $c2 timeout 60 "$WINE64" "$secdemo" client "$sport" guarantee "CA-not-yet-trusted" 2>&1); echo "$out"
wait "$srv"
cat "$work/server3.out"
grep -q "no connection reached the program" "$work/server3.out"
check "a client of a CA the server does not trust never reaches the program" $?
grep -q "rejected: unknown CA" "$SECSOCK_RUNTIME_DIR/secsockd.log"; check "... and the server's log says unknown CA" $?
timeout 60 "$WINE64" "$secdemo" server "$sport" guarantee >"$work/server4.out" 2>&1 &
srv=$!
sleep 3
"$secsockctl" ca trust "$work/config2/ca.crt" >/dev/null   # while the server listens
out=$(env $c2 timeout 60 "$WINE64" "$secdemo" client "$sport" guarantee "CA-trusted-later" 2>&1); echo "$out"
wait "$srv"
cat "$work/server4.out"
grep -q 'server: received "CA-trusted-later"' "$work/server4.out"
check "a listening server takes a client whose CA was trusted after it listened" $?
env $c2 "$secsockctl" stop >/dev/null 2>&1

finish tls-pair
