#!/bin/bash
# Fail-closed proof with an in-path byte recorder: secured Wine programs
# (programs/secdemo) against a plain Linux TCP server that records every
# byte it receives, and a plain client against a secured Wine server.
#   - GUARANTEE_ENCRYPTION / no flag: the recorder receives none of the
#     program's bytes (secsockd tries TLS with every peer when clear text
#     is not allowed, so it may see a TLS ClientHello, nothing else);
#   - ALLOW_INSECURE: a recorder of its own receives exactly the program's
#     bytes;
#   - a plain client reaches a secured server's port (secsockd listens
#     there for TLS clients) but never its program;
#   - with the service gone and not startable, even ALLOW_INSECURE fails
#     (WSAENETDOWN) and nothing is sent.
. "$(dirname "$0")/common.sh"

# 1. Secured clients against the recorder (an echo server: a ClientHello
#    comes back as garbage, never a TLS server's answer).
start_recorder "$work/recorded" 40
rec=$rec_pid
port=$rec_port
out=$("$WINE64" "$secdemo" client "$port" guarantee "SECRET-guarantee-1234" 2>&1); echo "$out"
echo "$out" | grep -q "connect failed: WSAECONNREFUSED"; check "GUARANTEE_ENCRYPTION client is refused" $?
out=$("$WINE64" "$secdemo" client "$port" default "SECRET-default-5678" 2>&1); echo "$out"
echo "$out" | grep -q "connect failed: WSAECONNREFUSED"; check "no-flag client is refused" $?
start_recorder "$work/recorded-insecure" 40
rec_insecure=$rec_pid
out=$("$WINE64" "$secdemo" client "$rec_port" insecure "clear-text-allowed" 2>&1); echo "$out"
echo "$out" | grep -q 'echo "clear-text-allowed"'; check "ALLOW_INSECURE client talks in clear, echo intact" $?
echo "$out" | grep -q "NOT protected"; check "ALLOW_INSECURE connection is reported as not secured" $?

# 2. The service is gone and cannot start again: fail closed, even for ALLOW_INSECURE.
"$secsockctl" stop >/dev/null 2>&1
out=$(SECSOCKD=/nonexistent/secsockd "$WINE64" "$secdemo" client "$port" insecure "SECRET-dead-service" 2>&1); echo "$out"
echo "$out" | grep -q "connect failed: WSAENETDOWN"; check "dead service: secured connect fails with WSAENETDOWN" $?
kill "$rec" "$rec_insecure" 2>/dev/null; wait "$rec" "$rec_insecure" 2>/dev/null
# SIGTERM ends the recorder before its report; count from the file instead.
recorded=$(cat "$work/recorded-insecure")
echo "ALLOW_INSECURE's recorder: $(wc -c < "$work/recorded-insecure") bytes: \"$recorded\""
[ "$recorded" = "clear-text-allowed" ]; check "the peer received exactly the ALLOW_INSECURE bytes and nothing else" $?
echo "the refused clients' recorder: $(wc -c < "$work/recorded") bytes, first byte $(first_byte "$work/recorded")"
grep -q SECRET "$work/recorded"; [ $? -ne 0 ]; check "no byte of a refused connection reached the peer" $?
[ ! -s "$work/recorded" ] || [ "$(first_byte "$work/recorded")" = 16 ]
check "what the refused clients' peer got, if anything, began as a TLS handshake record" $?

# 3. A plain client against a secured server: its bytes go to secsockd's
#    TLS listener, which takes only TLS clients with a trusted certificate.
sport=$(( 20000 + $$ % 20000 ))
"$WINE64" "$secdemo" server "$sport" guarantee >"$work/server.out" 2>&1 &
srv=$!
sleep 3
( exec 3<>"/dev/tcp/127.0.0.1/$sport" && printf 'PLAIN-intruder\n' >&3 && sleep 1 ) 2>/dev/null
wait "$srv"
cat "$work/server.out"
grep -q "PLAIN-intruder" "$work/server.out"; [ $? -ne 0 ]; check "a plain client's bytes never reach the secured server program" $?
grep -q "listening on 127.0.0.1:$sport" "$work/server.out"; check "the secured server listens on its public port" $?
grep -q "no connection reached the program" "$work/server.out"; check "no connection reached the secured server program" $?

finish fail-closed
