#!/bin/bash
# The VICI client against a real charon (Debian's strongswan-charon), run
# in a private network namespace and mount namespace with a private
# strongswan.conf, so the machine's own IPsec state, pid file and vici
# socket stay untouched.  tests/integration/vici_probe makes each call;
# swanctl and `ip xfrm` check independently what charon made of it.
# Skips (77) with the reason when charon cannot run here.
set -u
: "${top_builddir:?}"
probe="$top_builddir/tests/integration/vici_probe"
charon=/usr/lib/ipsec/charon
skip() { echo "SKIP: $*"; exit 77; }

[ -x "$probe" ] || skip "$probe is not built"
[ -x "$charon" ] || skip "no $charon (Debian package strongswan-charon)"
[ "$(id -u)" = 0 ] || skip "needs root for a network namespace"
command -v ip >/dev/null || skip "no ip (iproute2)"

work=$(mktemp -d)
ns="secsock-vici-$$"
charon_pid=""
cleanup() {
  [ -n "$charon_pid" ] && kill "$charon_pid" 2>/dev/null && wait "$charon_pid" 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns" 2>"$work/netns.err" || skip "cannot add a network namespace: $(cat "$work/netns.err")"
ip -n "$ns" link set lo up

sock="$work/charon.vici"
# Only plugins of the packages install-deps brings (charon-plugins.sh).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/charon-plugins.sh"
plugins=$(charon_plugins "$charon")
echo "charon plugins: $plugins"
cat >"$work/strongswan.conf" <<EOF
charon {
  load = $plugins
  install_routes = no
  filelog {
    log { path = $work/charon.log
          default = 1 }
  }
  plugins { vici { socket = unix://$sock } }
}
EOF
# A tmpfs on /run inside the namespace: charon's pid file path is built
# in, and must not meet another charon's.
ip netns exec "$ns" unshare -m sh -c \
  "mount -t tmpfs tmpfs /run && STRONGSWAN_CONF='$work/strongswan.conf' exec $charon" >"$work/charon.out" 2>&1 &
charon_pid=$!
i=0; while [ ! -S "$sock" ] && [ $i -lt 100 ] && kill -0 "$charon_pid" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
if [ ! -S "$sock" ]; then
  cat "$work/charon.out" "$work/charon.log" 2>/dev/null | tail -20
  skip "charon did not start here (see above)"
fi

passed=0; failed=0
check() {  # $1 description, $2 condition result (0 = true)
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "ok: $1"
  else failed=$((failed + 1)); echo "FAILED: $1"; fi
}
vici() { "$probe" "$sock" "$@"; }
swanctl_q() { command -v swanctl >/dev/null && swanctl "$@" --uri "unix://$sock" 2>/dev/null; }
has_policy() { ip -n "$ns" xfrm policy | grep -q "src 10.9.0.1/32 dst 10.9.0.2/32 proto tcp dport 443"; }

# version
out=$(vici version); echo "$out"
echo "$out" | grep -Eq '^charon [0-9]+\.[0-9]+'; check "version: charon answers with its daemon name and version" $?
want=$(dpkg-query -W -f='${Version}' strongswan-charon 2>/dev/null | sed 's/-[^-]*$//; s/^[0-9]*://')
if [ -n "$want" ]; then
  echo "$out" | grep -q "^charon $want "; check "version: the version of the installed strongswan-charon ($want)" $?
fi

# load-conn, seen by get-conns and by swanctl
out=$(vici load-conn probe-t 10.9.0.1 10.9.0.2 transport); echo "$out"
[ "$out" = "loaded: probe-t" ]; check "load-conn of a transport-mode connection succeeds" $?
vici load-conn probe-u 10.9.0.1 10.9.0.3 tunnel >/dev/null; check "load-conn of a tunnel-mode connection succeeds" $?
out=$(vici get-conns); echo "$out"
echo "$out" | grep -qx "conn: probe-t"; check "get-conns lists the transport connection" $?
echo "$out" | grep -qx "conn: probe-u"; check "get-conns lists the tunnel connection" $?
if command -v swanctl >/dev/null; then
  conns=$(swanctl_q --list-conns); echo "$conns" | sed -n '/^probe-t:/,/remote:.*https/p'
  echo "$conns" | grep -q "probe-t: TRANSPORT"; check "swanctl sees probe-t's child in TRANSPORT mode" $?
  echo "$conns" | grep -q "probe-u: TUNNEL"; check "swanctl sees probe-u's child in TUNNEL mode" $?
  echo "$conns" | grep -q "remote: 10.9.0.2/32\[tcp/https\]"; check "swanctl sees the 5-tuple's remote selector (tcp/443)" $?
  echo "$conns" | grep -q "id: 10.9.0.2"; check "swanctl sees PSK authentication with the peer's address as id" $?
fi

# a bad request and an unknown command
out=$(vici bad-conn probe-bad); rc=$?; echo "$out"
[ $rc -eq 1 ] && echo "$out" | grep -q "error: the command failed: unknown option"
check "a load-conn with an unknown option fails with charon's errmsg" $?
vici get-conns | grep -q "probe-bad"; [ $? -ne 0 ]; check "the refused connection is not loaded" $?
out=$(vici unknown-command); echo "$out"
echo "$out" | grep -q "charon does not know the command"; check "an unknown command gets CMD_UNKNOWN" $?

# credentials
vici load-shared psk-t 'not-a-real-secret' 10.9.0.1 10.9.0.2; check "load-shared of a PSK for both addresses succeeds" $?
vici unload-shared psk-t; check "unload-shared succeeds" $?

# trap policies, checked in the namespace's XFRM policy table
has_policy; [ $? -ne 0 ]; check "no XFRM policy for the flow before install" $?
vici install probe-t; check "install of the trap policy succeeds" $?
ip -n "$ns" xfrm policy | grep -A3 "dport 443" | head -4
has_policy; check "install put the flow's XFRM policy in the kernel" $?
vici uninstall probe-t; check "uninstall succeeds" $?
has_policy; [ $? -ne 0 ]; check "uninstall removed the XFRM policy" $?

# initiate towards a peer that is not there: charon's own timeout
start=$(date +%s%N)
out=$(vici initiate probe-t 1000); rc=$?; echo "$out"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $rc -eq 1 ] && echo "$out" | grep -q "not established after 1000ms"
check "initiate without a peer fails with charon's timeout errmsg" $?
[ $ms -ge 900 ] && [ $ms -lt 5000 ]; check "initiate returned after charon's timeout ($ms ms)" $?
out=$(vici list-sas); echo "$out"
echo "$out" | grep -q "^sa: probe-t CONNECTING"; check "list-sas streams the half-open IKE_SA" $?
vici terminate probe-t; check "terminate of the IKE_SA succeeds" $?
out=$(vici list-sas)
echo "$out" | grep -q "probe-t"; [ $? -ne 0 ]; check "list-sas no longer shows it" $?

# events
out=$(vici events probe-t); rc=$?; echo "$out"
[ $rc -eq 0 ]; check "events: ike/child updown and rekey register, an unknown one is refused, list-conn streams, unregister stops them" $?

# unload-conn
vici unload-conn probe-t; check "unload-conn succeeds" $?
out=$(vici get-conns)
echo "$out" | grep -qx "conn: probe-t"; [ $? -ne 0 ]; check "get-conns no longer lists it" $?
echo "$out" | grep -qx "conn: probe-u"; check "the other connection is still loaded" $?
out=$(vici unload-conn probe-t); echo "$out"
echo "$out" | grep -q "not found"; check "unloading it again fails with charon's errmsg" $?

kill -0 "$charon_pid" 2>/dev/null; check "charon is still running" $?
echo "vici-charon: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
