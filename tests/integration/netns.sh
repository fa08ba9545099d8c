# Two hosts for the integration scripts that need them, sourced by each:
# network namespaces A and B joined by a veth pair (A's vA is $A_IP, B's vB
# $B_IP), each host with a Wine prefix, runtime and config directory of its
# own ($work/A, $work/B), and on() to run a command as that host.
#
# Set before sourcing: NETNS_NET, the /24 of the pair ("10.77.0": A is .1,
# B is .2); optionally HOST_NAME_A and HOST_NAME_B: that host's commands
# then run in a UTS namespace of their own with that host name (the name a
# secsockd started there puts in its identity); optionally a function
# host_env NS that prints more VAR=value words for that host's commands.
# Skips (77) with the reason when the pieces are not built, or namespaces
# cannot be made (not root, no ip, no veth).
set -u
: "${top_builddir:?}" "${WINE64:?}" "${WINESERVER:?}" "${NETNS_NET:?}"
. "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
skip() { echo "SKIP: $*"; exit 77; }
secsockctl="$top_builddir/programs/secsockctl/secsockctl"
secdemo="$top_builddir/programs/secdemo/secdemo.exe"
wirecount="$top_builddir/tests/integration/wirecount"
for f in "$secsockctl" "$secdemo" "$wirecount" "$top_builddir/server/secsockd"; do
  [ -e "$f" ] || skip "$f is not built"
done
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
command -v ip >/dev/null || skip "no ip (iproute2)"
if [ -n "${HOST_NAME_A:-}${HOST_NAME_B:-}" ]; then
  command -v unshare >/dev/null && command -v hostname >/dev/null || skip "no unshare or hostname (util-linux, hostname)"
fi

A_IP=$NETNS_NET.1 B_IP=$NETNS_NET.2
work=$(mktemp -d)
A="secsock-a-$$" B="secsock-b-$$"
pids=""   # background helpers to stop at the end

# on A|B command...: runs in that host's namespace (and UTS namespace, with
# its host name) with its Wine prefix, service and configuration.
on() {
  local ns=$1 name; shift
  local extra=()
  declare -F host_env >/dev/null && read -r -a extra <<<"$(host_env "$ns")"
  name=$(eval echo "\${HOST_NAME_$ns:-}")
  set -- env WINEPREFIX="$work/$ns/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" \
    SECSOCK_RUNTIME_DIR="$work/$ns/run" SECSOCK_CONFIG_DIR="$work/$ns/config" \
    SECSOCKD="$top_builddir/server/secsockd" "${extra[@]}" "$@"
  if [ -n "$name" ]; then
    ip netns exec "$(eval echo \$$ns)" unshare --uts sh -c 'hostname "$1" && shift && exec "$@"' uts "$name" "$@"
  else
    ip netns exec "$(eval echo \$$ns)" "$@"
  fi
}

cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null; done
  for ns in A B; do
    on $ns "$secsockctl" stop >/dev/null 2>&1
    on $ns "$WINESERVER" -k >/dev/null 2>&1
  done
  sleep 0.5
  ip netns del "$A" 2>/dev/null
  ip netns del "$B" 2>/dev/null
  [ -n "${KEEP_WORK:-}" ] && { echo "kept $work"; return; }
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$A" 2>"$work/err" || skip "cannot add a network namespace: $(cat "$work/err")"
ip netns add "$B"
ip link add vA netns "$A" type veth peer name vB netns "$B" || skip "cannot make a veth pair"
ip -n "$A" addr add "$A_IP/24" dev vA
ip -n "$B" addr add "$B_IP/24" dev vB
for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
ip -n "$A" link set vA up
ip -n "$B" link set vB up
mkdir -p -m 700 "$work/A/config" "$work/B/config"

# install_hosts: secsock into both hosts' prefixes (exits on failure).
install_hosts() {
  for ns in A B; do
    on $ns "$secsockctl" install >"$work/$ns.install" 2>&1 || {
      cat "$work/$ns.install"; echo "FAILED: install in $ns"; exit 1; }
  done
}

# count PORT MARKER: the wire counter on B's interface, in the background.
count() {
  ip netns exec "$B" "$wirecount" vB 60 "$1" "$2" >"$work/wire.$1" 2>&1 &
  count_pid=$!
  local i=0; while ! grep -q listening "$work/wire.$1" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}
# counted PORT: stops the counter and prints its last line.  (Called in
# $(...): not the counter's parent, so it waits for that line.)
counted() {
  kill -TERM "$count_pid"
  local i=0; while ! grep -q "^tcp_syn=" "$work/wire.$1" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  tail -1 "$work/wire.$1"
}
