#!/bin/bash
# The IPsec backend between two hosts: network namespaces A (10.77.0.1) and
# B (10.77.0.2) joined by a veth pair, a charon (Debian's strongswan-charon)
# and a secsockd in A, Wine programs on both sides, and a wire counter on
# B's interface (tests/integration/wirecount):
#   1. B has no IPsec: a GUARANTEE_ENCRYPTION client in A fails to connect,
#      not one TCP segment (not even a SYN) reaches B, charon tried IKE,
#      and the required policies existed while it tried;
#      The DEFAULT protocol to a peer with a pre-shared key goes the same way;
#   2. the same with ALLOW_INSECURE: clear text, and B's program gets
#      exactly the bytes;
#   3. B runs charon as a responder with the same key: IKE completes; the
#      kernel then needs ESP for the SA.  A kernel with ESP carries the
#      connection as ESP only (checked on the wire); a kernel without ESP
#      (this machine's) refuses the SA, the connect fails closed, and the
#      ESP data path is skipped with the reason;
#   4. afterwards A has none of secsockd's policies and charon none of its
#      connections.
# Skips (77) with the reason when it cannot run (not root, no charon, no
# namespaces): see netns.sh.
charon=/usr/lib/ipsec/charon
[ -x "$charon" ] || { echo "SKIP: no $charon (Debian package strongswan-charon)"; exit 77; }
command -v swanctl >/dev/null || { echo "SKIP: no swanctl (Debian package strongswan-swanctl)"; exit 77; }
NETNS_NET=10.77.0
# Each host's service talks to that host's charon.
host_env() { echo "SECSOCK_VICI_SOCKET=$work/charon-$1/charon.vici"; }
. "$(dirname "$0")/netns.sh"

. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/charon-plugins.sh"
plugins=$(charon_plugins "$charon")
echo "charon plugins: $plugins"

# start_charon NAME NS: a charon of its own in the namespace, with a
# private strongswan.conf, vici socket and /run.
start_charon() {
  local dir="$work/$1"
  mkdir -p "$dir"
  cat >"$dir/strongswan.conf" <<EOF
charon {
  load = $plugins
  install_routes = no
  filelog { log { path = $dir/charon.log
                  flush_line = yes
                  default = 1
                  ike = 2 } }
  plugins { vici { socket = unix://$dir/charon.vici } }
}
EOF
  ip netns exec "$2" unshare -m sh -c \
    "mount -t tmpfs tmpfs /run && STRONGSWAN_CONF='$dir/strongswan.conf' exec $charon" >"$dir/charon.out" 2>&1 &
  pids="$pids $!"
  local i=0
  while [ ! -S "$dir/charon.vici" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  [ -S "$dir/charon.vici" ]
}

# ike_completed CONN: IKE with pre-shared keys completed between A and B's
# responder connection CONN (a grep pattern): B authenticated A with the
# key and established the IKE_SA for CONN, and A had B's answer.  Where the
# kernel refuses the CHILD_SA (no ESP here), strongSwan 5.9's responder
# still sends its identity and AUTH with NO_PROP, so A logs B's
# authentication; strongSwan 6.0 answers with NO_PROP alone (A: "IDr
# payload missing").  Both select the same ESP proposal, AES_GCM_16_128,
# charon's default: secsock loads none of its own, and none needs to
# change for strongSwan 6.
ike_completed() {
  grep -q "IKE_SA $1\[[0-9]*\] established between 10.77.0.2\[10.77.0.2\]...10.77.0.1\[10.77.0.1\]" \
    "$work/charon-B/charon.log" &&
    grep -q "authentication of '10.77.0.2' with pre-shared key successful\|IDr payload missing" "$work/charon-A/charon.log"
}

start_charon charon-A "$A" || skip "charon did not start: $(tail -3 "$work/charon-A/charon.out" "$work/charon-A/charon.log" 2>/dev/null)"
echo "psk 10.77.0.2 secsock-ipsec-test-key" >"$work/A/config/ipsec-psk"
chmod 600 "$work/A/config/ipsec-psk"
install_hosts
on A "$secsockctl" start >/dev/null || { echo "FAILED: secsockd in A"; exit 1; }
status=$(on A "$secsockctl" status 2>&1); echo "$status"
echo "$status" | grep -q "ipsec: available"; check "secsockd in A has the IPsec backend (CAP_NET_ADMIN, charon over VICI)" $?
esp_missing=$(echo "$status" | grep -o "kernel refuses ESP SAs[^;]*" | head -1)

# serve PORT: B's plain Wine program echoes one connection.
serve() {
  on B "$WINE64" "$secdemo" server "10.77.0.2:$1" plain >"$work/server.$1" 2>&1 &
  server_pid=$!
  # Until it says it listens: a fixed 3 s was too short for Wine 10's
  # first program in a new prefix (a connect reached B before the listen).
  local i=0
  while ! grep -q "listening on" "$work/server.$1" 2>/dev/null && [ $i -lt 600 ] && kill -0 "$server_pid" 2>/dev/null; do
    sleep 0.1; i=$((i + 1)); done
}
# 1. GUARANTEE against a peer without IPsec.
serve 5001; count 5001 MARKER-GUARANTEE
( for i in $(seq 1 60); do ip -n "$A" xfrm policy | grep -c "priority 1516"; sleep 0.1; done ) >"$work/policies.seen" &
watcher=$!
out=$(on A "$WINE64" "$secdemo" client 10.77.0.2:5001 ipsec-guarantee MARKER-GUARANTEE 2>&1); echo "$out"
wire=$(counted 5001); echo "wire: $wire"
wait "$watcher"; wait "$server_pid"; cat "$work/server.5001"
echo "$out" | grep -q "connect failed: WSAECONNREFUSED"; check "GUARANTEE, peer without IPsec: the connect fails" $?
echo "$wire" | grep -q "tcp_syn=0 tcp_payload=0 "; check "not one TCP segment reached B (not even a SYN)" $?
echo "$wire" | grep -q "marker=0"; check "the program's text never crossed the wire" $?
echo "$wire" | grep -Eq "ike=[1-9]"; check "charon tried IKE with the peer" $?
grep -q "no connection reached the program" "$work/server.5001"; check "B's program saw no connection" $?
sort -n "$work/policies.seen" | tail -1 | grep -qx 2; check "the two required policies (out, in) existed while the SA was negotiated" $?
grep -q "no IPsec SA with the peer" "$work/A/run/secsockd.log"; check "the service log says why" $?

# 1b. The DEFAULT protocol to a peer configured for IPsec (ipsec-psk) is
#     served by IPsec as well: same fail-closed result.
serve 5004; count 5004 MARKER-DEFAULT
out=$(on A "$WINE64" "$secdemo" client 10.77.0.2:5004 guarantee MARKER-DEFAULT 2>&1); echo "$out"
wire=$(counted 5004); echo "wire: $wire"
wait "$server_pid"
echo "$out" | grep -q "connect failed: WSAECONNREFUSED" && echo "$wire" | grep -q "tcp_syn=0 tcp_payload=0 "
check "DEFAULT protocol, peer configured for IPsec: served by IPsec, fails closed, no TCP segment" $?
grep -q -- "-> 10.77.0.2 port 5004: setting up" "$work/A/run/secsockd.log"
check "DEFAULT protocol: the service set the connection up with IPsec" $?

# 2. ALLOW_INSECURE against the same peer: clear, byte for byte.
serve 5002; count 5002 MARKER-INSECURE
out=$(on A "$WINE64" "$secdemo" client 10.77.0.2:5002 ipsec-insecure MARKER-INSECURE 2>&1); echo "$out"
wire=$(counted 5002); echo "wire: $wire"
wait "$server_pid"; cat "$work/server.5002"
echo "$out" | grep -q 'echo "MARKER-INSECURE"'; check "ALLOW_INSECURE: the connection goes on in clear, echo intact" $?
echo "$out" | grep -q "connection NOT protected"; check "ALLOW_INSECURE: WSAQuerySocketSecurity says not protected" $?
grep -q 'received "MARKER-INSECURE"' "$work/server.5002"; check "B's program received exactly the bytes" $?

# 3. B answers IKE with the same key.
start_charon charon-B "$B" || skip "charon did not start in B"
mkdir -p "$work/charon-B/swanctl"
cat >"$work/charon-B/swanctl/swanctl.conf" <<EOF
connections {
  secsock-peer {
    version = 2
    local_addrs = 10.77.0.2
    remote_addrs = 10.77.0.1
    local { auth = psk
            id = 10.77.0.2 }
    remote { auth = psk
             id = 10.77.0.1 }
    children { secsock-peer { mode = transport
                              local_ts = 10.77.0.2/32[tcp]
                              remote_ts = 10.77.0.1/32[tcp] } }
  }
}
secrets { ike-a { id-1 = 10.77.0.1
                  id-2 = 10.77.0.2
                  secret = secsock-ipsec-test-key } }
EOF
swanctl --load-all --file "$work/charon-B/swanctl/swanctl.conf" --uri "unix://$work/charon-B/charon.vici" >"$work/swanctl.out" 2>&1
check "B's charon loaded the responder connection" $?
serve 5003; count 5003 MARKER-ESP
out=$(on A "$WINE64" "$secdemo" client 10.77.0.2:5003 ipsec-guarantee MARKER-ESP 2>&1); echo "$out"
wire=$(counted 5003); echo "wire: $wire"
wait "$server_pid"; cat "$work/server.5003"
ike_completed 'secsock-peer'
check "IKE between the two charons completed (pre-shared key)" $?
echo "$wire" | grep -q "marker=0"; check "the program's text never crossed the wire in clear" $?
if [ -n "$esp_missing" ]; then
  echo "$out" | grep -q "connect failed: WSAECONNREFUSED"; check "no ESP for the SA: the connect fails closed" $?
  echo "$wire" | grep -q "tcp_syn=0 tcp_payload=0 "; check "no ESP for the SA: not one TCP segment reached B" $?
  echo "SKIP: the ESP data path (a secured echo carried as ESP only): $esp_missing"
else
  echo "$out" | grep -q "client: connection SECURED and ENCRYPTED"; check "with ESP: the connection is SECURED and ENCRYPTED" $?
  echo "$out" | grep -q 'echo "MARKER-ESP"'; check "with ESP: the echo is intact" $?
  echo "$wire" | grep -Eq "esp=[1-9]" && echo "$wire" | grep -q "tcp_syn=0 tcp_payload=0 "
  check "with ESP: the wire carried ESP only, no TCP in clear" $?
fi

# 5. A secured IPsec *server* in B (its own secsockd, with B's charon):
#    its port takes only ESP.  A plain client's SYN never gets an answer and
#    never reaches the program; an IPsec client from A negotiates with the
#    responder B's service loaded (and, without ESP here, fails closed).
echo "psk 10.77.0.1 secsock-ipsec-test-key" >"$work/B/config/ipsec-psk"
chmod 600 "$work/B/config/ipsec-psk"
# Only the service's responder may answer now: loading an empty set of
# connections unloads step 3's secsock-peer, which matches A just as well.
printf 'connections { }\n' >"$work/charon-B/swanctl/none.conf"
swanctl --load-conns --file "$work/charon-B/swanctl/none.conf" --uri "unix://$work/charon-B/charon.vici" >"$work/swanctl.out" 2>&1
! swanctl --list-conns --uri "unix://$work/charon-B/charon.vici" 2>/dev/null | grep -q "^secsock-peer"
check "step 3's responder is unloaded from B's charon" $?
on B "$secsockctl" start >/dev/null || { echo "FAILED: secsockd in B"; exit 1; }
on B "$secsockctl" status | grep -q "ipsec: available"; check "secsockd in B has the IPsec backend" $?
on B "$WINE64" "$secdemo" server 10.77.0.2:5006 ipsec-guarantee >"$work/server.5006" 2>&1 &
server_pid=$!
i=0; while ! grep -q "ESP required for every TCP connection" "$work/B/run/secsockd.log" 2>/dev/null && [ $i -lt 80 ]; do
  sleep 0.1; i=$((i + 1)); done
ip -n "$B" xfrm policy | grep -q "priority 1516"; check "B's listening port has its required policies" $?
count 5006 PLAIN-INTRUDER
ip netns exec "$A" timeout 4 bash -c 'exec 3<>/dev/tcp/10.77.0.2/5006 && printf PLAIN-INTRUDER >&3' 2>/dev/null
[ $? -ne 0 ]; check "a plain client cannot connect to the IPsec server" $?
out=$(on A "$WINE64" "$secdemo" client 10.77.0.2:5006 ipsec-guarantee MARKER-TO-SERVER 2>&1); echo "$out"
wire=$(counted 5006); echo "wire: $wire"
wait "$server_pid"; cat "$work/server.5006"
echo "$wire" | grep -q "tcp_from=0 "; check "B never answered a clear SYN on the protected port" $?
echo "$wire" | grep -q "marker=0"; check "no clear byte on the wire" $?
ike_completed 'secsock-[0-9a-f-]*'
check "A's IPsec client and B's responder (loaded by B's service) authenticated each other" $?
if [ -n "$esp_missing" ]; then
  grep -q "no connection reached the program" "$work/server.5006"; check "no ESP: nothing reached the IPsec server program" $?
else
  grep -q "server: connection SECURED and ENCRYPTED" "$work/server.5006"; check "with ESP: the server's connection is SECURED" $?
  grep -q 'server: received "MARKER-TO-SERVER"' "$work/server.5006"; check "with ESP: the server received the text" $?
fi
sleep 2
left=$(ip -n "$B" xfrm policy | grep -c "priority 1516")
[ "$left" = 0 ]; check "the server's policies are gone once it closed ($left left)" $?

# 4. Nothing left behind once the programs are gone.
sleep 1
left=$(ip -n "$A" xfrm policy | grep -c "priority 1516")
[ "$left" = 0 ]; check "no secsockd policy left in A ($left)" $?
swanctl --list-conns --uri "unix://$work/charon-A/charon.vici" 2>/dev/null | grep -q "^secsock-"
[ $? -ne 0 ]; check "no secsockd connection left in A's charon" $?

finish ipsec-netns
