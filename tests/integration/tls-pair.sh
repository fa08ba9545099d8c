#!/bin/bash
# Two Wine programs that both secure their sockets (GUARANTEE_ENCRYPTION),
# a server and a client, talking TLS through secsockd, with an in-path
# recorder between them:
#   - both ends report SECURED and ENCRYPTED, the text arrives and returns,
#     the server sees the client's real address;
#   - the wire carries none of the application bytes in clear;
#   - a plain client reaches the secured server's port but never its program.
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

# A server that started listening before the trust list named anyone
# opens its public address once the list changes, without a restart.
mv "$SECSOCK_CONFIG_DIR/peers" "$work/peers.saved"
timeout 60 "$WINE64" "$secdemo" server "$sport" guarantee >"$work/server3.out" 2>&1 &
srv=$!
sleep 3
mv "$work/peers.saved" "$SECSOCK_CONFIG_DIR/peers"
touch "$SECSOCK_CONFIG_DIR/peers"
opened=$(grep -c "public address open" "$SECSOCK_RUNTIME_DIR/secsockd.log")
i=0; while [ "$(grep -c "public address open" "$SECSOCK_RUNTIME_DIR/secsockd.log")" = "$opened" ] && [ $i -lt 50 ]; do
  sleep 0.1; i=$((i + 1)); done
out=$(timeout 60 "$WINE64" "$secdemo" client "$sport" guarantee "trusted-later" 2>&1); echo "$out"
wait "$srv"
cat "$work/server3.out"
grep -q 'server: received "trusted-later"' "$work/server3.out"
check "a listening server takes peers added to the trust list later" $?

finish tls-pair
