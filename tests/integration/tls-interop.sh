#!/bin/bash
# TLS backend against a plain Linux TLS server (gnutls-serv --echo), with an
# in-path recorder between secsockd and the server:
#   - a trusted peer (`secsockctl trust`): the Wine program's connection is
#     SECURED and ENCRYPTED, its bytes arrive and come back, and the wire
#     carries none of them in clear;
#   - ALLOW_INSECURE to a trusted peer is protected too;
#   - a peer whose key does not match the pin: connect fails
#     (WSAECONNREFUSED), no application byte crosses;
#   - a plain Linux TLS client (gnutls-cli) with a pinned client key reaches
#     a secured Wine server, whose accepted connection is SECURED and
#     ENCRYPTED; the same client with an unknown key never reaches it.
for tool in gnutls-serv gnutls-cli certtool; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is missing (package gnutls-bin)"; exit 77; }
done
. "$(dirname "$0")/common.sh"

wait_port() {
  i=0
  while ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 50 ] || return 1; sleep 0.1
  done
}

# A plain Linux TLS echo server with its own self-signed certificate.
printf 'cn = localhost\nexpiration_days = 30\ntls_www_server\nsigning_key\n' > "$work/tmpl"
certtool --generate-privkey --key-type ecdsa --outfile "$work/srv.key" >/dev/null 2>&1
certtool --generate-self-signed --load-privkey "$work/srv.key" --template "$work/tmpl" \
  --outfile "$work/srv.crt" >/dev/null 2>&1
sport=$(( 30000 + $$ % 20000 ))
gnutls-serv --echo --x509keyfile "$work/srv.key" --x509certfile "$work/srv.crt" -p "$sport" >"$work/serv.log" 2>&1 &
pids="$pids $!"
wait_port "$sport" || { echo "FAILED: gnutls-serv did not start"; cat "$work/serv.log"; exit 1; }
# The recorder sits between secsockd and gnutls-serv and keeps every byte.
start_recorder "$work/wire" 60 "$sport"
tport=$rec_port

"$secsockctl" trust 127.0.0.1 "$tport" "$work/srv.crt"
check "secsockctl trust" $?
# gnutls-serv --echo answers line by line.
out=$("$WINE64" "$secdemo" client "$tport" guarantee $'SECRET-over-tls-4711\n' 2>&1); echo "$out"
echo "$out" | grep -q "SECURED and ENCRYPTED"; check "GUARANTEE_ENCRYPTION to a trusted peer: secured and encrypted" $?
echo "$out" | grep -q 'echo "SECRET-over-tls-4711'; check "the bytes went to the TLS server and came back intact" $?
out=$("$WINE64" "$secdemo" client "$tport" insecure "SECRET-insecure-but-protected" 2>&1); echo "$out"
echo "$out" | grep -q "SECURED and ENCRYPTED"; check "ALLOW_INSECURE to a trusted peer is protected too" $?
grep -q "Accepted connection" "$work/serv.log"; check "gnutls-serv accepted the connections" $?

# The pinned key is not the server's: refused before any application byte.
printf 'peer 127.0.0.1 %s %064d\n' "$tport" 0 > "$SECSOCK_CONFIG_DIR/peers"
out=$("$WINE64" "$secdemo" client "$tport" insecure "SECRET-untrusted-0815" 2>&1); echo "$out"
echo "$out" | grep -q "connect failed: WSAECONNREFUSED"; check "a peer with another key is refused, even with ALLOW_INSECURE" $?

sleep 1
size=$(wc -c < "$work/wire")
[ "$size" -gt 0 ]; check "the recorder saw the TLS traffic ($size bytes)" $?
grep -q "SECRET" "$work/wire"; [ $? -ne 0 ]; check "no application byte crossed the wire in clear" $?

# gnutls-cli as the client of a secured Wine server.
printf 'cn = client\nexpiration_days = 30\ntls_www_client\nsigning_key\n' > "$work/ctmpl"
for who in cli other; do
  certtool --generate-privkey --key-type ecdsa --outfile "$work/$who.key" >/dev/null 2>&1
  certtool --generate-self-signed --load-privkey "$work/$who.key" --template "$work/ctmpl" \
    --outfile "$work/$who.crt" >/dev/null 2>&1
done
"$secsockctl" trust 127.0.0.1 '*' "$work/cli.crt" >/dev/null
wport=$(( sport + 1 ))
# serve KEY TEXT: a secured Wine server; gnutls-cli sends TEXT with KEY's certificate.
serve() {
  "$WINE64" "$secdemo" server "$wport" guarantee >"$work/wserver.out" 2>&1 &
  wsrv=$!
  sleep 3
  printf '%s' "$2" | timeout 10 gnutls-cli --insecure --x509certfile "$work/$1.crt" --x509keyfile "$work/$1.key" \
    -p "$wport" 127.0.0.1 >"$work/cli.out" 2>&1
  wait "$wsrv"
  cat "$work/wserver.out"
}
serve cli "PLAIN-LINUX-CLIENT"
grep -q "server: connection SECURED and ENCRYPTED" "$work/wserver.out"
check "gnutls-cli with a pinned key: the server's accepted connection is SECURED and ENCRYPTED" $?
grep -q 'server: received "PLAIN-LINUX-CLIENT"' "$work/wserver.out"
check "gnutls-cli's bytes reached the secured Wine server" $?
serve other "UNKNOWN-CLIENT"
grep -q "no connection reached the program" "$work/wserver.out"
check "gnutls-cli with an unknown key never reaches the server program" $?

finish tls-interop
