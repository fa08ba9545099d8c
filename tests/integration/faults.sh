#!/bin/bash
# Faults around secured TLS connections between Wine programs (sockstress):
#   - secsockd killed (SIGKILL) mid-transfer: the transfer fails with an
#     error, no byte is wrong, no clear text on the wire, and the next
#     secured connect starts a new service and works;
#   - a trusted peer that accepts and stalls the handshake: connect fails
#     (WSAETIMEDOUT or WSAECONNREFUSED) within the set-up timeout;
#   - a peer connection reset mid-stream: a clean error, no wrong byte;
#   - half-close: shutdown(SD_SEND), and the whole answer still arrives;
#   - disk full while the service writes its identity (root: a tiny
#     tmpfs): the service says why, leaves no half-written key, and starts
#     once there is room;
#   - clock skew: a peer certificate valid only from the future (reported).
for tool in gnutls-serv certtool; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is missing (package gnutls-bin)"; exit 77; }
done
. "$(dirname "$0")/common.sh"
stress="$top_builddir/tests/integration/sockstress.exe"
fault_peer="$top_builddir/tests/integration/fault_peer"
for f in "$stress" "$fault_peer"; do [ -e "$f" ] || { echo "SKIP: $f is not built"; exit 77; }; done
mounted=""
trap '[ -n "$mounted" ] && umount "$mounted"; cleanup' EXIT

service_pid() { sed -n 's/^pid //p' "$SECSOCK_RUNTIME_DIR/control" 2>/dev/null; }
# start_fault_peer ARGS...: sets $fp_port.
start_fault_peer() {
  rm -f "$work/fp.port"
  "$fault_peer" "$work/fp.port" "$@" >"$work/fp.out" &
  pids="$pids $!"
  i=0; while [ ! -s "$work/fp.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  fp_port=$(cat "$work/fp.port")
}
base=$(( 20000 + $$ % 20000 ))

"$secsockctl" start >/dev/null || { echo "FAILED: start"; exit 1; }
"$secsockctl" trust 127.0.0.1 '*' "$SECSOCK_CONFIG_DIR/identity.crt" >/dev/null
check "secsockctl trust (own identity)" $?

# --- secsockd killed mid-transfer ---------------------------------------
sport=$base
"$WINE64" "$stress" server "$sport" 60 4 >"$work/kill.server" 2>&1 &
srv=$!
sleep 3
start_recorder "$work/wire" 60 "$sport"
"$WINE64" "$stress" client "$rec_port" 4 50000000 >"$work/kill.client" 2>&1 &
cli=$!
i=0; while [ "$(wc -c < "$work/wire")" -lt 2000000 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
old=$(service_pid)
kill -9 "$old"; check "secsockd ($old) killed with SIGKILL after $(wc -c < "$work/wire") bytes on the wire" $?
timeout 60 tail --pid="$cli" -f /dev/null; kill "$cli" 2>/dev/null
kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null
cat "$work/kill.client"
grep -q "client: completed=[0-3] errors=[1-4]" "$work/kill.client"; check "the transfer failed with an error" $?
grep -q "bad_bytes=0" "$work/kill.client"; check "no wrong byte reached the client" $?
n=$(grep -c "SECSOCK-PLAINTXT" "$work/wire"); [ "$n" -eq 0 ]; check "no clear text on the wire ($(wc -c < "$work/wire") bytes recorded, $n markers)" $?
kill "$rec_pid" 2>/dev/null
# The next secured connect starts the service again.
sport=$((base + 1))
"$WINE64" "$stress" server "$sport" 60 2 >"$work/after.server" 2>&1 &
srv=$!
sleep 3
out=$(timeout 60 "$WINE64" "$stress" client "$sport" 2 1000000 2>&1); echo "$out"
wait "$srv"; cat "$work/after.server"
echo "$out" | grep -q "completed=2 errors=0 .* bad_bytes=0"; check "the next secured connections work" $?
grep -E "refused|rejected" "$SECSOCK_RUNTIME_DIR/secsockd.log" | tail -3 | sed 's/^/  log: /'
new=$(service_pid)
[ -n "$new" ] && [ "$new" != "$old" ] && kill -0 "$new"; check "a new service runs (pid ${new:-none}, was $old)" $?

# --- a trusted peer that stalls the handshake ----------------------------
start_fault_peer stall 60
"$secsockctl" trust 127.0.0.1 "$fp_port" "$SECSOCK_CONFIG_DIR/identity.crt" >/dev/null
out=$(timeout 90 "$WINE64" "$stress" connect "$fp_port" 2>&1 | tr -d '\r'); echo "$out"
echo "$out" | grep -Eq "connect: error [0-9]+ (WSAETIMEDOUT|WSAECONNREFUSED) after"; check "a stalled handshake fails with WSAETIMEDOUT or WSAECONNREFUSED" $?
ms=$(echo "$out" | sed -n 's/.* after \([0-9]*\) ms/\1/p')
[ -n "$ms" ] && [ "$ms" -le 15000 ]; check "... within the set-up timeout (${ms:-?} ms, limit 10 s + 5 s)" $?

# --- a peer connection reset mid-stream ----------------------------------
sport=$((base + 2))
"$WINE64" "$stress" server "$sport" 60 1 >"$work/reset.server" 2>&1 &
srv=$!
sleep 3
start_fault_peer reset 60 "$sport" 300000
out=$(timeout 60 "$WINE64" "$stress" client "$fp_port" 1 20000000 2>&1); echo "$out"
kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null
echo "$out" | grep -q "client: completed=0 errors=1"; check "a reset mid-stream ends the transfer with an error" $?
echo "$out" | grep -q "bad_bytes=0"; check "... and no wrong byte" $?
grep -q "resets=1" "$work/fp.out" || sleep 1

# --- half-close ---------------------------------------------------------
sport=$((base + 3))
"$WINE64" "$stress" server "$sport" 60 4 >"$work/half.server" 2>&1 &
srv=$!
sleep 3
out=$(timeout 60 "$WINE64" "$stress" client "$sport" 4 200000 halfclose 2>&1); echo "$out"
wait "$srv"; cat "$work/half.server"
echo "$out" | grep -q "completed=4 errors=0 .* bad_bytes=0"; check "after shutdown(SD_SEND) the whole answer arrives (4 x 200000 bytes)" $?
grep -q "completed=4 errors=0 bytes_checked=800000 bad_bytes=0" "$work/half.server"; check "the server got every byte before the half-close" $?

# --- the service recovered from all that --------------------------------
sport=$((base + 4))
"$WINE64" "$stress" server "$sport" 60 1 >/dev/null 2>&1 &
srv=$!
sleep 3
out=$(timeout 60 "$WINE64" "$stress" client "$sport" 1 100000 2>&1); echo "$out"
wait "$srv"
echo "$out" | grep -q "completed=1 errors=0"; check "the service still secures a new connection" $?

# --- disk full while writing the identity --------------------------------
if [ "$(id -u)" -eq 0 ] && mkdir -p "$work/full" && mount -t tmpfs -o size=64k tmpfs "$work/full" 2>/dev/null; then
  mounted="$work/full"
  mkdir -p "$work/full/config"; chmod 700 "$work/full/config"
  # The control channel's secret is there already (without it the service
  # refuses to run at all); the disk fills before the identity is written.
  (umask 077; printf 'secsock-secret 1\n%s\n' "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
    >"$work/full/config/control-secret")
  dd if=/dev/zero of="$work/full/fill" bs=1k count=200 2>/dev/null  # fills the 64 KiB
  (export SECSOCK_CONFIG_DIR="$work/full/config" SECSOCK_RUNTIME_DIR="$work/run-full"
   "$secsockctl" start >"$work/full.start" 2>&1; echo "exit $?" >>"$work/full.start"
   "$secsockctl" status >"$work/full.status" 2>&1
   "$secsockctl" stop >/dev/null 2>&1)
  cat "$work/full.start"; cat "$work/run-full/secsockd.log" 2>/dev/null | tail -3
  # The service runs on without its TLS backend, and says why.
  grep -q "TLS backend not available: .*No space left on device" "$work/run-full/secsockd.log" 2>/dev/null
  check "with the disk full the log says the TLS backend is not available: No space left on device" $?
  grep -q "tls: not available" "$work/full.status"
  check "... and secsockctl status says tls is not available" $?
  left=$(ls -A "$work/full/config" | tr '\n' ' ')
  ok=0
  for f in "$work/full/config"/* "$work/full/config"/.*; do
    case "$(basename "$f")" in .|..) continue ;; esac
    [ -e "$f" ] || continue
    case "$f" in *.key) certtool --key-info --infile "$f" >/dev/null 2>&1 || ok=1 ;;
                 *.crt) certtool --certificate-info --infile "$f" >/dev/null 2>&1 || ok=1 ;;
                 */control-secret) ;;
                 # the identity's lock (flock), empty: no data to be half-written
                 */.lock) [ ! -s "$f" ] || ok=1 ;;
                 # where trusted CAs and CRLs go: empty directories
                 */trusted-cas|*/crls) [ -d "$f" ] && [ -z "$(ls -A "$f")" ] || ok=1 ;;
                 *) ok=1 ;; esac
  done
  check "no half-written key or temporary file is left behind (left: ${left:-nothing})" $ok
  rm -f "$work/full/fill"
  (export SECSOCK_CONFIG_DIR="$work/full/config" SECSOCK_RUNTIME_DIR="$work/run-full"
   "$secsockctl" start >/dev/null 2>&1; echo "exit $?" >"$work/full.start2"
   "$secsockctl" status >"$work/full.status2" 2>&1
   "$secsockctl" stop >/dev/null 2>&1)
  grep -q "exit 0" "$work/full.start2" && grep -q "tls: available" "$work/full.status2" && certtool --key-info --infile "$work/full/config/identity.key" >/dev/null 2>&1
  check "once there is room the service starts with TLS and writes a valid identity" $?
else
  echo "skip: disk full (needs root to mount a tmpfs)"
fi

# --- a port-specific trust entry after a '*' entry for the same address -
# PRODUCT BUG (server/trust.c, trust_lookup): the first matching entry wins,
# so `secsockctl trust 127.0.0.1 PORT cert` after `trust 127.0.0.1 '*' ...`
# has no effect and the peer is refused as "the peer's key is not trusted".
printf 'cn = localhost\nexpiration_days = 30\ntls_www_server\nsigning_key\n' > "$work/now.tmpl"
certtool --generate-privkey --key-type ecdsa --outfile "$work/now.key" >/dev/null 2>&1
certtool --generate-self-signed --load-privkey "$work/now.key" --template "$work/now.tmpl" \
  --outfile "$work/now.crt" >/dev/null 2>&1
nport=$((base + 6))
gnutls-serv --echo --x509keyfile "$work/now.key" --x509certfile "$work/now.crt" -p "$nport" >"$work/now.log" 2>&1 &
pids="$pids $!"
i=0; while ! (exec 3<>"/dev/tcp/127.0.0.1/$nport") 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
"$secsockctl" trust 127.0.0.1 "$nport" "$work/now.crt" >/dev/null
out=$(timeout 60 "$WINE64" "$stress" connect "$nport" 2>&1 | tr -d '\r'); echo "$out"
echo "$out" | grep -q "connect: ok"
check "BUG trust_lookup: a peer trusted for its port is reached although a '*' entry for its address comes first" $?
# The rest runs without the '*' entry.
sed -i '/^peer 127\.0\.0\.1 \* /d' "$SECSOCK_CONFIG_DIR/peers"
out=$(timeout 60 "$WINE64" "$stress" connect "$nport" 2>&1 | tr -d '\r'); echo "$out"
echo "$out" | grep -q "connect: ok"; check "without the '*' entry the same peer is reached" $?

# --- clock skew: a peer certificate valid only from the future -----------
printf 'cn = localhost\nexpiration_days = 3650\nactivation_date = "2036-01-01 00:00:00"\ntls_www_server\nsigning_key\n' > "$work/future.tmpl"
certtool --generate-privkey --key-type ecdsa --outfile "$work/future.key" >/dev/null 2>&1
certtool --generate-self-signed --load-privkey "$work/future.key" --template "$work/future.tmpl" \
  --outfile "$work/future.crt" >/dev/null 2>&1
certtool --certificate-info --infile "$work/future.crt" 2>/dev/null | grep -q "Not Before: .*2036"
check "a certificate valid from 2036 on (certtool activation_date)" $?
fport=$((base + 5))
gnutls-serv --echo --x509keyfile "$work/future.key" --x509certfile "$work/future.crt" -p "$fport" >"$work/future.log" 2>&1 &
pids="$pids $!"
i=0; while ! (exec 3<>"/dev/tcp/127.0.0.1/$fport") 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
"$secsockctl" trust 127.0.0.1 "$fport" "$work/future.crt" >/dev/null
out=$(timeout 60 "$WINE64" "$stress" connect "$fport" 2>&1 | tr -d '\r'); echo "$out"
echo "$out" | grep -Eq "connect: (ok|error [0-9]+ WSAECONNREFUSED) after"; check "a not-yet-valid peer certificate gives a clean result" $?
case "$out" in
  *"connect: ok"*) echo "info: clock skew: the pinned key is accepted although the certificate is not valid before 2036 (pin-only verification)" ;;
  *) echo "info: clock skew: the connection is refused:"; grep "port $fport" "$SECSOCK_RUNTIME_DIR/secsockd.log" | tail -2 ;;
esac

finish faults
