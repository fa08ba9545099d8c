#!/bin/bash
# Fail-closed proof with an in-path byte recorder: secured Wine programs
# (programs/secdemo) against a plain Linux TCP server that records every
# byte it receives, and a plain client against a secured Wine server.
#   - GUARANTEE_ENCRYPTION / no flag: the recorder sees no connection and
#     none of the program's bytes;
#   - ALLOW_INSECURE: the recorder receives exactly the program's bytes;
#   - a plain client cannot reach a secured server's program;
#   - with the service gone and not startable, even ALLOW_INSECURE fails
#     (WSAENETDOWN) and nothing is sent.
. "$(dirname "$0")/common.sh"

# 1. Secured clients against the recorder.
start_recorder "$work/recorded" 40
rec=$rec_pid
port=$rec_port
out=$("$WINE64" "$secdemo" client "$port" guarantee "SECRET-guarantee-1234" 2>&1); echo "$out"
echo "$out" | grep -q "connect failed: WSAECONNREFUSED"; check "GUARANTEE_ENCRYPTION client is refused" $?
out=$("$WINE64" "$secdemo" client "$port" default "SECRET-default-5678" 2>&1); echo "$out"
echo "$out" | grep -q "connect failed: WSAECONNREFUSED"; check "no-flag client is refused" $?
out=$("$WINE64" "$secdemo" client "$port" insecure "clear-text-allowed" 2>&1); echo "$out"
echo "$out" | grep -q 'echo "clear-text-allowed"'; check "ALLOW_INSECURE client talks in clear, echo intact" $?
echo "$out" | grep -q "NOT protected"; check "ALLOW_INSECURE connection is reported as not secured" $?

# 2. The service is gone and cannot start again: fail closed, even for ALLOW_INSECURE.
"$secsockctl" stop >/dev/null 2>&1
out=$(SECSOCKD=/nonexistent/secsockd "$WINE64" "$secdemo" client "$port" insecure "SECRET-dead-service" 2>&1); echo "$out"
echo "$out" | grep -q "connect failed: WSAENETDOWN"; check "dead service: secured connect fails with WSAENETDOWN" $?
kill "$rec" 2>/dev/null; wait "$rec" 2>/dev/null
# SIGTERM ends the recorder before its report; count from the file instead.
bytes=$(wc -c < "$work/recorded")
recorded=$(cat "$work/recorded")
echo "recorder: $bytes bytes: \"$recorded\""
[ "$recorded" = "clear-text-allowed" ]; check "the peer received exactly the ALLOW_INSECURE bytes and nothing else" $?
grep -q SECRET "$work/recorded"; [ $? -ne 0 ]; check "no byte of a refused connection reached the peer" $?

# 3. A plain client against a secured server.
sport=$(( 20000 + $$ % 20000 ))
"$WINE64" "$secdemo" server "$sport" guarantee >"$work/server.out" 2>&1 &
srv=$!
sleep 3
if (exec 3<>"/dev/tcp/127.0.0.1/$sport") 2>/dev/null; then refused=1; else refused=0; fi
check "a plain client's connect to the secured server's port is refused" $refused
wait "$srv"
cat "$work/server.out"
grep -q "listening on 127.0.0.1:$sport" "$work/server.out"; check "the secured server listens on its public port" $?
grep -q "no connection reached the program" "$work/server.out"; check "no connection reached the secured server program" $?

finish fail-closed
