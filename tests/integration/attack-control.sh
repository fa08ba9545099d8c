#!/bin/bash
# Another local user impersonates secsockd (issue 9, cases 8 and 9); run
# as root, with a throwaway system user as the attacker:
#   (a) secsockd is killed; the attacker listens on its freed control port
#       with a fake service (tests/integration/fake_service.py: records
#       every byte, answers without the secret as best it can, says DIRECT
#       to anything after).  A running program (port cached) and a new one
#       (stale control file) make GUARANTEE_ENCRYPTION connects to a plain
#       peer;
#   (b) the runtime directory belongs to the attacker and holds a forged
#       control file naming the attacker's fake service;
# each time: the program gets WSAENETDOWN or WSAECONNREFUSED, the fake
# service never receives the secret (raw or hex) nor a PROOF, and the
# plain peer receives 0 bytes.  Then, with the fake gone and the real
# service back, secured connects are served again.
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (to create a second user and run as it)"; exit 77; }
for tool in useradd userdel setpriv python3; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is missing"; exit 77; }
done
. "$(dirname "$0")/common.sh"
client="$top_builddir/tests/integration/attack_client.exe"
# ATTACK_ARCH=i686: the programs are 32-bit, under Wine's 32-bit loader.
if [ "${ATTACK_ARCH:-x86_64}" = i686 ]; then
  client="$top_builddir/tests/integration/attack_client32.exe"
  secdemo="$top_builddir/programs/secdemo/secdemo32.exe"
  WINE64=${WINE32:-$(dirname "$WINE64")/wine}
  [ -x "$WINE64" ] || { echo "SKIP: Wine's 32-bit loader $WINE64 is missing (package wine32:i386; tools/install-deps installs it)"; exit 77; }
fi
fake="$top_srcdir/tests/integration/fake_service.py"
[ -e "$client" ] || { echo "SKIP: $client is not built"; exit 77; }

other="secsock-attacker-$$"
useradd --system --no-create-home --shell /usr/sbin/nologin "$other" || { echo "FAILED: useradd"; exit 1; }
ouid=$(id -u "$other"); ogid=$(id -g "$other")
# The fake services must be gone before userdel (it refuses a user with
# processes), so they are stopped first.
remove_user() {
  for p in $pids; do kill "$p" 2>/dev/null; done
  i=0; until userdel "$other" 2>/dev/null || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
}
trap 'remove_user; cleanup' EXIT
as_other() { setpriv --reuid="$ouid" --regid="$ogid" --clear-groups --inh-caps=-all -- "$@"; }
chmod 711 "$work"
evil="$work/evil"; mkdir "$evil"; chown "$ouid:$ogid" "$evil"

# start_fake PORT NAME [VERSION]: the fake service as the other user (in the
# background: a port in TIME_WAIT takes up to a minute); wait_fake NAME
# sets $fake_port once it listens.
# The protocol version of this build: the fake speaks it unless told otherwise.
ver=$(sed -n 's/^#define SECSOCK_PROTO_VERSION *\([0-9]*\).*/\1/p' "$top_srcdir/include/secsock/proto.h")
start_fake() {
  rm -f "$evil/$2.port"
  # setpriv directly, not through as_other: $! must be the fake itself
  # (setpriv execs it), not a subshell that a kill would leave it behind.
  setpriv --reuid="$ouid" --regid="$ogid" --clear-groups --inh-caps=-all -- \
    /usr/bin/python3 "$fake" "$1" "$evil/$2.rec" "$evil/$2.port" 120 "${3:-$ver}" &
  pids="$pids $!"; eval "fake_$2=$!"
}
wait_fake() {
  i=0; while [ ! -s "$evil/$1.port" ] && [ $i -lt 950 ]; do sleep 0.1; i=$((i + 1)); done
  fake_port=$(cat "$evil/$1.port" 2>/dev/null)
}
# leaked FILE: whether FILE holds the secret raw, or in hex, or a PROOF frame.
leaked() {
  python3 - "$1" "$secret" "$ver" <<'PY'
import os, sys, struct
data = open(sys.argv[1], 'rb').read() if os.path.exists(sys.argv[1]) else b''
hexs = sys.argv[2]
proof = struct.pack('<IHH', 0x4b435353, int(sys.argv[3]), 21)
hit = bytes.fromhex(hexs) in data or hexs.encode() in data or hexs.upper().encode() in data or proof in data
hellos = data.count(struct.pack('<IHH', 0x4b435353, int(sys.argv[3]), 1))
print("%d bytes, %d HELLO, %s" % (len(data), hellos, "LEAKED" if hit else "no secret, no PROOF"))
sys.exit(0 if hit else 1)
PY
}
hellos() { python3 -c "import sys,struct; print(open(sys.argv[1],'rb').read().count(struct.pack('<IHH',0x4b435353,int(sys.argv[2]),1)))" "$1" "$ver" 2>/dev/null || echo 0; }

"$secsockctl" start >/dev/null || { echo "FAILED: start"; exit 1; }
secret=$(sed -n 2p "$SECSOCK_CONFIG_DIR/control-secret")
[ ${#secret} -eq 64 ]; check "the real service made its secret" $?
start_recorder "$work/peer.rec" 300
peer=$rec_port

# --- (a) the control port taken over after the service is killed ----------
"$WINE64" "$client" "$peer" 'Z:'"${work//\//\\}"'\go-a' "SECRET-PAYLOAD-a" >"$work/a.out" 2>&1 &
prog=$!
i=0; while ! grep -q "^connect 1" "$work/a.out" && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
tr -d '\r' <"$work/a.out"
grep -q "connect 1: failed WSAECONNREFUSED" "$work/a.out"; check "(a) first, with the real service: refused by policy (plain peer)" $?
old_pid=$(sed -n 's/^pid //p' "$SECSOCK_RUNTIME_DIR/control"); old_port=$(sed -n 's/^port //p' "$SECSOCK_RUNTIME_DIR/control")
kill -KILL "$old_pid"; sleep 0.5
start_fake "$old_port" a

# --- (b) the runtime directory belongs to the other user -----------------
# (while the fake of (a) waits for the dead service's port to be free)
start_fake 0 b
wait_fake b
evil_run="$evil/run"
as_other mkdir -m 755 "$evil_run"
as_other sh -c "printf 'secsock-control 2\nport %s\npid 1\n' '$fake_port' > '$evil_run/control' && chmod 644 '$evil_run/control'"
for mode in guarantee insecure; do
  out=$(WINEDEBUG=err+secsock SECSOCK_RUNTIME_DIR="$evil_run" "$WINE64" "$secdemo" client "$peer" "$mode" "SECRET-PAYLOAD-b-$mode" 2>&1 | tr -d '\r')
  echo "$out" | grep -v "^secsockd: refusing" | sort -u
  echo "$out" | grep -Eq "connect failed: (WSAENETDOWN|WSAECONNREFUSED)"; check "(b) $mode: the program fails closed" $?
done
echo "$out" | grep -q "err:secsock:.*belongs to another user: not using it"
check "(b) the DLL says the runtime directory belongs to another user (ERR)" $?
out=$(SECSOCK_RUNTIME_DIR="$evil_run" "$top_builddir/server/secsockd" --daemon 2>&1); echo "  secsockd there: $out"
echo "$out" | grep -q "belongs to uid $ouid"; check "(b) the real service refuses the other user's runtime directory" $?
n=$(hellos "$evil/b.rec")
[ "$n" -eq 0 ]; check "(b) the DLL did not even connect to the port in the other user's control file ($n HELLOs)" $?
# Even with the forged file where the DLL's owner checks pass (copied into
# a runtime directory of ours), the fake cannot prove the secret.
mkdir -p "$work/run2"; chmod 700 "$work/run2"; cp "$evil_run/control" "$work/run2/control"; chmod 600 "$work/run2/control"
out=$(WINEDEBUG=err+secsock SECSOCK_RUNTIME_DIR="$work/run2" SECSOCKD=/nonexistent/secsockd "$WINE64" "$secdemo" client "$peer" insecure "SECRET-PAYLOAD-b3" 2>&1 | tr -d '\r')
echo "$out" | sort -u
echo "$out" | grep -q "connect failed: WSAENETDOWN"; check "(b) the forged control file in a directory of ours: WSAENETDOWN" $?
echo "$out" | grep -q "err:secsock:.*did not prove it knows the secret"
check "(b) ... because the fake service did not prove the secret (the DLL's ERR)" $?
n=$(hellos "$evil/b.rec")
[ "$n" -ge 1 ]; check "(b) the fake service was reached through the copied control file ($n HELLOs)" $?
out=$(leaked "$evil/b.rec"); st=$?; echo "  fake service (b): $out"
[ $st -ne 0 ]; check "(b) the fake service received neither the secret nor a PROOF" $?
kill "$fake_b" 2>/dev/null; wait "$fake_b" 2>/dev/null

# --- (a), continued: the fake on the dead service's port ------------------
wait_fake a
[ "$fake_port" = "$old_port" ]; check "(a) the other user listens on the dead service's control port $old_port" $?
# The running program (it holds the port) connects again; the real
# service may be started again by the DLL (SECSOCKD is set).
touch "$work/go-a"; wait "$prog"
tr -d '\r' <"$work/a.out" | tail -1
grep -Eq "connect 2: failed (WSAENETDOWN|WSAECONNREFUSED)" "$work/a.out"; check "(a) the running program's connect fails closed" $?
# A new program with the stale control file, and nothing that could start the real service.
"$secsockctl" stop >/dev/null 2>&1
printf 'secsock-control 2\nport %s\npid %s\n' "$old_port" "$old_pid" >"$SECSOCK_RUNTIME_DIR/control"
out=$(SECSOCKD=/nonexistent/secsockd "$WINE64" "$secdemo" client "$peer" guarantee "SECRET-PAYLOAD-a2" 2>&1 | tr -d '\r'); echo "$out"
echo "$out" | grep -q "connect failed: WSAENETDOWN"; check "(a) a new program (stale control file, no service to start): WSAENETDOWN" $?
out=$(SECSOCKD=/nonexistent/secsockd "$WINE64" "$secdemo" client "$peer" insecure "SECRET-PAYLOAD-a3" 2>&1 | tr -d '\r'); echo "$out"
echo "$out" | grep -q "connect failed: WSAENETDOWN"; check "(a) ... even ALLOW_INSECURE does not follow the fake service's DIRECT" $?
n=$(hellos "$evil/a.rec")
[ "$n" -ge 3 ]; check "(a) the fake service was asked: it received $n HELLOs" $?
out=$(leaked "$evil/a.rec"); st=$?; echo "  fake service (a): $out"
[ $st -ne 0 ]; check "(a) the fake service received neither the secret nor a PROOF" $?
kill "$fake_a" 2>/dev/null; wait "$fake_a" 2>/dev/null

# --- a service of another protocol version is refused, not parsed --------
for v in $((ver - 1)) $((ver + 1)); do
  start_fake 0 "v$v" "$v"
  wait_fake "v$v"
  mkdir -p "$work/run-v$v"; chmod 700 "$work/run-v$v"
  printf 'secsock-control 2\nport %s\npid 1\n' "$fake_port" >"$work/run-v$v/control"
  chmod 600 "$work/run-v$v/control"  # 0644 would be refused before any connection
  out=$(WINEDEBUG=err+secsock SECSOCK_RUNTIME_DIR="$work/run-v$v" SECSOCKD=/nonexistent/secsockd "$WINE64" "$secdemo" client "$peer" insecure "SECRET-PAYLOAD-v$v" 2>&1 | tr -d '\r')
  echo "$out" | sort -u
  echo "$out" | grep -q "connect failed: WSAENETDOWN" &&
    echo "$out" | grep -q "err:secsock:.*secsockd speaks control protocol version $v, this DLL $ver: not using it"
  check "a version $v service: the DLL names both versions (ERR) and fails closed (WSAENETDOWN)" $?
  out=$(SECSOCK_RUNTIME_DIR="$work/run-v$v" "$secsockctl" status 2>&1); echo "  secsockctl: $out" | head -1
  echo "$out" | grep -q "the service speaks control protocol version $v; this client speaks $ver"
  check "a version $v service: secsockctl says which versions met" $?
  out=$(leaked "$evil/v$v.rec"); st=$?; echo "  fake service (v$v): $out"
  [ $st -ne 0 ]; check "a version $v service received neither the secret nor a PROOF" $?
  eval "kill \$fake_v$v; wait \$fake_v$v" 2>/dev/null
done

# --- a secret that others could read is not used -------------------------
rm -f "$SECSOCK_RUNTIME_DIR/control"
"$secsockctl" start >/dev/null || check "secsockctl start" 1
chmod 604 "$SECSOCK_CONFIG_DIR/control-secret"
out=$(WINEDEBUG=err+secsock SECSOCKD=/nonexistent/secsockd "$WINE64" "$secdemo" client "$peer" insecure "SECRET-PAYLOAD-c" 2>&1 | tr -d '\r')
echo "$out" | sort -u
echo "$out" | grep -q "connect failed: WSAENETDOWN" && echo "$out" | grep -q "err:secsock:.*control-secret.* is open to other users"
check "a world-readable secret is refused by the DLL even with the real service up: WSAENETDOWN" $?
chmod 600 "$SECSOCK_CONFIG_DIR/control-secret"
"$secsockctl" stop >/dev/null 2>&1

# --- the plain peer -------------------------------------------------------
# Only the real service ever reached it: its TLS attempts for GUARANTEE
# clients (ClientHellos), never an application byte.
bytes=$(wc -c < "$work/peer.rec" 2>/dev/null || echo 0)
other=$(python3 "$top_srcdir/tests/integration/not_tls.py" "$work/peer.rec" | wc -c)
[ "$other" -eq 0 ]; check "the plain peer received nothing but TLS handshake records from every attempt ($bytes bytes, $other others)" $?

# --- the fake gone, the real service back ---------------------------------
rm -f "$SECSOCK_RUNTIME_DIR/control"
out=$("$WINE64" "$secdemo" client "$peer" insecure "clear-after-recovery" 2>&1 | tr -d '\r'); echo "$out"
echo "$out" | grep -q 'echo "clear-after-recovery"'; check "afterwards the DLL starts the real service, which answers: ALLOW_INSECURE goes through, echo intact" $?
out=$("$WINE64" "$secdemo" client "$peer" guarantee "SECRET-PAYLOAD-after" 2>&1 | tr -d '\r'); echo "$out"
echo "$out" | grep -q "connect failed: WSAECONNREFUSED"; check "... and GUARANTEE_ENCRYPTION to the plain peer is refused by policy (WSAECONNREFUSED)" $?
grep -c "CONNECT tcp peer port $peer" "$SECSOCK_RUNTIME_DIR/secsockd.log" | { read -r c; [ "$c" -ge 2 ]; }
check "the real service decided both connects (its log)" $?
kill "$rec_pid" 2>/dev/null; wait "$rec_pid" 2>/dev/null
recorded=$(python3 "$top_srcdir/tests/integration/not_tls.py" "$work/peer.rec" | tr -d '\0')
[ "$recorded" = "clear-after-recovery" ]; check "the peer received exactly the ALLOW_INSECURE bytes (besides TLS ClientHellos), no SECRET-PAYLOAD" $?
finish "attack-control (${ATTACK_ARCH:-x86_64})"
