#!/bin/bash
# Identity and trust between two hosts (issue 11): network namespaces A
# (10.78.0.1, host name host-a.secsock.test) and B (10.78.0.2,
# host-b.secsock.test) joined by a veth pair, a secsockd each with its own
# config and runtime directory and Wine prefix (netns.sh), secured Wine
# programs (secdemo, GUARANTEE_ENCRYPTION unless said) on both sides, and a
# wire counter on B's interface (wirecount) for every connection.  Each
# secsockd makes its own CA and an identity naming its host name,
# localhost and its addresses on first start, and trusts its own CA only.
#
# Sections: 1 not joined, 2 joined (ca trust), 3 target names, 4 enroll,
# 5 refusals (an untrusted CA, revoked, expired), 6 renewal without a
# restart, 7 ALLOW_INSECURE between the hosts and to a plain program.
#
#   1. Not joined: A's client to B's server fails closed (WSAECONNREFUSED,
#      nothing reaches B's program, no text on the wire); A's log says
#      "unknown CA" with the hint (secsockctl ca trust).  Half joined (A
#      trusts B's CA, B not A's): B's service refuses A's client
#      certificate, its log says "unknown CA" with the hint, and nothing
#      reaches B's program.
#   2. Joined with `secsockctl ca trust` (each trusts the other's
#      `ca export`): a secured pair works both ways (A client to B server,
#      B client to A server), also with no flag: both ends SECURED and
#      ENCRYPTED, the text arrives and comes back, the wire carried TLS
#      records and never the text.
#   3. Target names: B's host name, B's address and host/<B's name> work;
#      A's name is refused ("name mismatch" in A's log).  A server that
#      names its clients (target name on the listening socket) takes A when
#      A's certificate carries the name, and nobody otherwise ("name
#      mismatch" in B's log).
#   4. Joined with `enroll` instead (the CA trust of 2. removed, and
#      checked to be gone): B makes `enroll request`, A signs it with
#      `ca sign`, B installs it with `enroll install host.crt a-ca.crt`.
#      What each side must trust:
#        - A verifies B's identity: it is now issued by A's own CA, which A
#          trusts already; A needs nothing more.
#        - B verifies A's identity: issued by A's CA, which `enroll install`
#          made B trust (its CA argument).
#      So A trusts only its own CA, B its own and A's, and both directions
#      work.  B's running service must serve the enrolled identity.
#   5. Refusals with the reason logged by the verifying side (A):
#        - an untrusted CA: a third CA made with certtool, B's identity
#          imported from it (`identity import`): "unknown CA"; once A trusts
#          that CA (`ca trust`), the same pair works;
#        - revoked: that CA's CRL naming B's certificate in A's
#          <config>/crls/: "revoked";
#        - expired: a plain TLS server in B (gnutls-serv) with a certificate
#          of that CA that ran out (`identity import` takes no such
#          certificate): "expired".
#      And by a secured server's service (B, once it trusts that CA) of a
#      plain TLS client in A (gnutls-cli): that CA's valid certificate
#      reaches B's program; an expired one and a revoked one (the CRL in
#      B's crls/) do not, and B's log says why.
# Skips (77) with the reason when namespaces cannot be made (netns.sh) or
# the GnuTLS tools are missing.
for tool in certtool gnutls-serv; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is missing (package gnutls-bin)"; exit 77; }
done
NETNS_NET=10.78.0
HOST_NAME_A=host-a.secsock.test HOST_NAME_B=host-b.secsock.test
# The services check their identity's names every 2 s (not hourly), so a
# renewal without a restart shows within the test.
host_env() { echo "SECSOCK_IDENTITY_CHECK_SECONDS=2"; }
. "$(dirname "$0")/netns.sh"

install_hosts
for ns in A B; do
  on $ns "$secsockctl" start >/dev/null || { echo "FAILED: secsockd in $ns"; exit 1; }
done
ident=$(on B "$secsockctl" identity show 2>&1); echo "$ident"
echo "$ident" | grep -q "DNS $HOST_NAME_B" && echo "$ident" | grep -q "IP  $B_IP" &&
  echo "$ident" | grep -q "issuer:  CN=secsock CA"
check "B made its own CA and an identity naming its host name and address" $?

# The log lines a host's service wrote since the last mark_logs.
mark_logs() {
  for ns in A B; do eval "mark_$ns=\$(wc -l <\"$work/$ns/run/secsockd.log\")"; done
}
new_log() {
  local mark; mark=$(eval echo "\$mark_$1")
  tail -n +$((mark + 1)) "$work/$1/run/secsockd.log"
}

# pair FROM TO PORT MODE TEXT [CLIENT_TARGET [SERVER_TARGET]]: TO's secured
# program serves one connection on PORT (with SERVER_TARGET on its
# listening socket), FROM's connects to it (CLIENT_TARGET as its peer target
# name) and sends TEXT; the counter on B's interface looks for TEXT.
# Sets $out (the client's output), $srv (the server's) and $wire.
pair() {
  local from=$1 to=$2 port=$3 mode=$4 ctarget=${6:-} starget=${7:-} ip i=0
  text=$5 ip=$(eval echo "\$${to}_IP")
  mark_logs
  on "$to" "$WINE64" "$secdemo" server "$ip:$port" "${SERVER_MODE:-$mode}" $starget >"$work/server.$port" 2>&1 &
  local server_pid=$!
  while ! grep -q "listening on\|failed" "$work/server.$port" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  count "$port" "$text"
  out=$(on "$from" "$WINE64" "$secdemo" client "$ip:$port" "$mode" "$text" $ctarget 2>&1)
  wait "$server_pid"
  wire=$(counted "$port")
  srv=$(cat "$work/server.$port")
  echo "--- $from -> $to port $port ($mode${ctarget:+, client target $ctarget}${starget:+, server target $starget})"
  echo "$out"; echo "$srv"; echo "wire: $wire"
}
# works WHAT: the checks of a pair that must work.
works() {
  echo "$out" | grep -q "client: connection SECURED and ENCRYPTED" &&
    echo "$srv" | grep -q "server: connection SECURED and ENCRYPTED"
  check "$1: both ends SECURED and ENCRYPTED" $?
  echo "$out" | grep -q "echo \"$text\"" && echo "$srv" | grep -q "server: received \"$text\""
  check "$1: the text reached the server and came back" $?
  echo "$wire" | grep -Eq "tcp_payload=[1-9][0-9]* .*marker=0"
  check "$1: TLS records crossed the wire, the text never in clear" $?
}
# refused WHAT: a pair the client's service must refuse.
refused() {
  echo "$out" | grep -q "connect failed: WSAECONNREFUSED"; check "$1: the connect fails with WSAECONNREFUSED" $?
  nothing_through "$1"
}
# nothing_through WHAT: no program and no wire saw the text, and the
# client got no echo (a refusal by the server's service).
nothing_through() {
  echo "$srv" | grep -q "no connection reached the program" && ! echo "$out" | grep -q "echo \"$text\""
  check "$1: nothing reached the server program, no echo" $?
  echo "$wire" | grep -q "marker=0"; check "$1: the text never crossed the wire in clear" $?
}
# logged NS WHAT PATTERN: the host's service logged PATTERN since the pair began.
logged() {
  new_log "$1" | grep -q -- "$3"; check "$2: $1's log says \"$3\"" $?
}
# host_pin NS: the pin of the host's current identity.
host_pin() { on "$1" "$secsockctl" identity show | sed -n 's/^pin: //p'; }
# restart NS: a new service for the host (it loads the identity files).
restart() {
  on "$1" "$secsockctl" stop >/dev/null 2>&1
  on "$1" "$secsockctl" start >/dev/null || echo "FAILED: secsockd in $1 did not start again"
}

# 1. Not joined.
pair A B 6001 guarantee MARKER-UNJOINED
refused "not joined"
logged A "not joined" "unknown CA"
logged A "not joined" "secsockctl ca trust"
on B "$secsockctl" ca export >"$work/b-ca.crt"
on A "$secsockctl" ca trust "$work/b-ca.crt"; check "A trusts B's CA (ca trust)" $?
pair A B 6002 guarantee MARKER-HALF-JOINED
nothing_through "half joined (B does not trust A's CA)"
logged B "half joined" "rejected: unknown CA"
logged B "half joined" "secsockctl ca trust"

# 2. Joined with ca trust.
on A "$secsockctl" ca export >"$work/a-ca.crt"
on B "$secsockctl" ca trust "$work/a-ca.crt"; check "B trusts A's CA (ca trust)" $?
on B "$secsockctl" ca list | grep -q "secsock CA root@$HOST_NAME_A"; check "B's ca list names A's CA" $?
pair A B 6003 guarantee MARKER-A-TO-B
works "joined, A to B"
logged A "joined, A to B" "peer verified (TLS 1.3, certificate of a trusted CA)"
logged B "joined, A to B" "client verified (TLS 1.3, certificate of a trusted CA)"
pair B A 6004 guarantee MARKER-B-TO-A
works "joined, B to A"
pair A B 6005 default MARKER-NO-FLAG
works "joined, no flag, A to B"

# 3. Target names.
pair A B 6010 guarantee MARKER-NAME "$HOST_NAME_B"
works "target name $HOST_NAME_B"
pair A B 6011 guarantee MARKER-ADDRESS "$B_IP"
works "target name $B_IP"
pair A B 6012 guarantee MARKER-SPN "host/$HOST_NAME_B"
works "target name host/$HOST_NAME_B"
pair A B 6013 guarantee MARKER-WRONG-NAME "host/$HOST_NAME_A"
refused "target name host/$HOST_NAME_A (A's own name)"
logged A "target name host/$HOST_NAME_A" "name mismatch"
pair A B 6014 guarantee MARKER-CLIENT-NAMED "" "$HOST_NAME_A"
works "B's server requires $HOST_NAME_A of its clients"
pair A B 6015 guarantee MARKER-CLIENT-MISNAMED "" "host/nobody.secsock.test"
nothing_through "B's server requires host/nobody.secsock.test of its clients"
logged B "B's server requires host/nobody.secsock.test" "name mismatch"

# 4. Joined with enroll instead.
rm -f "$work/A/config/trusted-cas/"* "$work/B/config/trusted-cas/"*
pair A B 6020 guarantee MARKER-UNJOINED-AGAIN
refused "the CA trust removed again"
logged A "the CA trust removed again" "unknown CA"
pin_before=$(host_pin B)
on B "$secsockctl" enroll request >"$work/b.csr" 2>"$work/b.csr.err"; check "B: enroll request" $?
on A "$secsockctl" ca sign "$work/b.csr" >"$work/b.crt" 2>"$work/b.crt.err"; check "A: ca sign B's request" $?
on A "$secsockctl" ca export >"$work/a-ca.crt"
on B "$secsockctl" enroll install "$work/b.crt" "$work/a-ca.crt"; check "B: enroll install (B's identity, A's CA)" $?
ident=$(on B "$secsockctl" identity show 2>&1); echo "$ident"
echo "$ident" | grep -q "issuer:  CN=secsock CA root@$HOST_NAME_A" && echo "$ident" | grep -q "IP  $B_IP" &&
  echo "$ident" | grep -q "DNS $HOST_NAME_B"
check "B's identity is issued by A's CA and names B" $?
[ -z "$(ls -A "$work/A/config/trusted-cas" 2>/dev/null)" ]; check "A trusts no other CA than its own" $?
# B's running service, without a restart.
pair A B 6021 guarantee MARKER-ENROLLED-RUNNING
works "enrolled, B's running service (not restarted: it takes the installed identity within a second), A to B"
grep -q "TLS identity replaced" "$work/B/run/secsockd.log"; check "enrolled: B's log says its identity was replaced" $?
pair A B 6022 guarantee MARKER-ENROLLED-A-TO-B
works "enrolled, A to B"
pair B A 6023 guarantee MARKER-ENROLLED-B-TO-A
works "enrolled, B to A"

# 5. Refusals: an untrusted CA, revoked, expired.
printf 'cn = "secsock test third CA"\nca\ncert_signing_key\ncrl_signing_key\nexpiration_days = 30\n' >"$work/ca3.tmpl"
certtool --generate-privkey --key-type ecdsa --outfile "$work/ca3.key" >/dev/null 2>&1
certtool --generate-self-signed --load-privkey "$work/ca3.key" --template "$work/ca3.tmpl" \
  --outfile "$work/ca3.crt" >/dev/null 2>&1
# issue NAME TEMPLATE-LINES: a key and a certificate of the third CA for B.
issue() {
  printf 'cn = %s\ndns_name = %s\nip_address = %s\ntls_www_server\ntls_www_client\nsigning_key\n%b' \
    "$HOST_NAME_B" "$HOST_NAME_B" "$B_IP" "$2" >"$work/$1.tmpl"
  certtool --generate-privkey --key-type ecdsa --outfile "$work/$1.key" >/dev/null 2>&1
  certtool --generate-certificate --load-privkey "$work/$1.key" --load-ca-certificate "$work/ca3.crt" \
    --load-ca-privkey "$work/ca3.key" --template "$work/$1.tmpl" --outfile "$work/$1.crt" >/dev/null 2>&1
}
issue b3 'expiration_days = 30\n'
on B "$secsockctl" identity import "$work/b3.crt" "$work/b3.key"; check "B: identity import (the third CA's certificate)" $?
sleep 2   # the running service takes it within a second
pair A B 6030 guarantee MARKER-THIRD-CA
refused "B's identity from a CA A does not trust"
logged A "B's identity from a CA A does not trust" "unknown CA"
logged A "B's identity from a CA A does not trust" "secsockctl ca trust"
on A "$secsockctl" ca trust "$work/ca3.crt" >/dev/null; check "A trusts the third CA (ca trust)" $?
pair A B 6031 guarantee MARKER-THIRD-CA-TRUSTED
works "B's identity from the third CA, trusted by A"
printf 'crl_next_update = 30\ncrl_number = 1\n' >"$work/crl.tmpl"
mkdir -p -m 700 "$work/A/config/crls"
certtool --generate-crl --load-ca-privkey "$work/ca3.key" --load-ca-certificate "$work/ca3.crt" \
  --load-certificate "$work/b3.crt" --template "$work/crl.tmpl" --outfile "$work/A/config/crls/ca3.crl" >/dev/null 2>&1
check "the third CA's CRL naming B's certificate, in A's crls/" $?
pair A B 6032 guarantee MARKER-REVOKED
refused "B's certificate revoked"
logged A "B's certificate revoked" "revoked"
rm -f "$work/A/config/crls/ca3.crl"
issue expired 'activation_date = "2020-01-01 00:00:00"\nexpiration_date = "2020-02-01 00:00:00"\n'
ip netns exec "$B" gnutls-serv --echo --x509keyfile "$work/expired.key" --x509certfile "$work/expired.crt" \
  -p 6033 >"$work/gnutls-serv.log" 2>&1 &
pids="$pids $!"
sleep 1
mark_logs
count 6033 MARKER-EXPIRED
out=$(on A "$WINE64" "$secdemo" client "$B_IP:6033" guarantee MARKER-EXPIRED 2>&1); echo "$out"
wire=$(counted 6033); echo "wire: $wire"
echo "$out" | grep -q "connect failed: WSAECONNREFUSED"; check "expired certificate: the connect fails with WSAECONNREFUSED" $?
echo "$wire" | grep -q "marker=0"; check "expired certificate: the text never crossed the wire in clear" $?
logged A "expired certificate" "expired"

# The same refusals by a secured server's service (B verifies clients):
# gnutls-cli in A with the third CA's certificates, that CA trusted by B.
on B "$secsockctl" ca trust "$work/ca3.crt" >/dev/null; check "B trusts the third CA (ca trust)" $?
# plain_client PORT CERT TEXT: B's secured program serves PORT; gnutls-cli
# in A sends TEXT with CERT's certificate and key.  Sets $srv.
plain_client() {
  local i=0
  mark_logs
  on B "$WINE64" "$secdemo" server "$B_IP:$1" guarantee >"$work/server.$1" 2>&1 &
  local server_pid=$!
  while ! grep -q "listening on\|failed" "$work/server.$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  printf '%s' "$3" | ip netns exec "$A" timeout 10 gnutls-cli --insecure --x509certfile "$work/$2.crt" \
    --x509keyfile "$work/$2.key" -p "$1" "$B_IP" >"$work/cli.$1" 2>&1
  wait "$server_pid"
  srv=$(cat "$work/server.$1"); echo "--- gnutls-cli in A ($2) -> B port $1"; echo "$srv"
}
plain_client 6034 b3 MARKER-PLAIN-CLIENT
echo "$srv" | grep -q 'server: received "MARKER-PLAIN-CLIENT"'
check "gnutls-cli with the third CA's certificate reaches B's secured program" $?
plain_client 6035 expired MARKER-EXPIRED-CLIENT
echo "$srv" | grep -q "no connection reached the program"; check "an expired client certificate: nothing reached B's program" $?
logged B "an expired client certificate" "rejected: expired"
mkdir -p -m 700 "$work/B/config/crls"
certtool --generate-crl --load-ca-privkey "$work/ca3.key" --load-ca-certificate "$work/ca3.crt" \
  --load-certificate "$work/b3.crt" --template "$work/crl.tmpl" --outfile "$work/B/config/crls/ca3.crl" >/dev/null 2>&1
plain_client 6036 b3 MARKER-REVOKED-CLIENT
echo "$srv" | grep -q "no connection reached the program"; check "a revoked client certificate: nothing reached B's program" $?
logged B "a revoked client certificate" "rejected: revoked"

# 6. Renewal without a restart: B gets an address its identity does not
# name; its service re-issues the identity (same key) and names it.
on B "$secsockctl" identity import "$work/b3.crt" "$work/b3.key" >/dev/null 2>&1   # leave the imported one...
rm -f "$work/B/config/identity.origin" "$work/B/config/identity-chain.pem"        # ...managed here again
restart B   # it re-issues the identity from its own CA at start
on B "$secsockctl" ca export >"$work/b-ca2.crt"
on A "$secsockctl" ca trust "$work/b-ca2.crt" >/dev/null
ip -n "$B" addr add "$NETNS_NET.12/24" dev vB
sleep 3   # the next check sees the new address
on B "$secsockctl" identity show | grep -q "IP  $NETNS_NET.12"
check "B's running service re-issued its identity for its new address $NETNS_NET.12" $?
grep -q "TLS identity does not name every current name and address of this host" "$work/B/run/secsockd.log"; check "B's log says why it renewed its identity" $?
saved_ip=$B_IP B_IP=$NETNS_NET.12
pair A B 6040 guarantee MARKER-RENEWED
B_IP=$saved_ip
works "A to B's new address, with the renewed identity (no restart)"

# 7. ALLOW_INSECURE between the two secsock hosts: A's service asks B's
# (discovery) and goes over TLS to the side port B's service opened for
# the program; to a plain program in B it stays clear, byte for byte.
pair A B 6050 insecure MARKER-OPPORTUNISTIC
echo "$out" | grep -q "client: connection SECURED and ENCRYPTED" &&
  echo "$srv" | grep -q "server: connection SECURED and ENCRYPTED" && echo "$out" | grep -q "echo \"$text\""
check "ALLOW_INSECURE on both hosts: upgraded, both ends SECURED and ENCRYPTED, the text there and back" $?
# Not a segment to the program's own port: all of it went to the side port.
echo "$wire" | grep -q "tcp_syn=0 tcp_payload=0 .*marker=0"
check "ALLOW_INSECURE on both hosts: nothing to the program's own port, the text never in clear on the wire" $?
logged B "ALLOW_INSECURE on both hosts" "secsock TLS for it on side port"
SERVER_MODE=plain pair A B 6051 insecure MARKER-PLAIN-PEER
echo "$out" | grep -q "client: connection NOT protected" && echo "$srv" | grep -q "server: received \"$text\"" &&
  echo "$out" | grep -q "echo \"$text\""
check "ALLOW_INSECURE to a plain program in B: clear, the text there and back" $?
echo "$wire" | grep -Eq "marker=[1-9]"; check "ALLOW_INSECURE to a plain program in B: the text crossed the wire as it was" $?
SERVER_MODE=plain pair A B 6052 guarantee MARKER-PLAIN-GUARANTEE
echo "$out" | grep -q "connect failed: WSAECONNREFUSED"
check "GUARANTEE_ENCRYPTION to a plain program in B: WSAECONNREFUSED" $?
! echo "$srv" | grep -q "$text" && echo "$wire" | grep -q "marker=0"
check "GUARANTEE_ENCRYPTION to a plain program in B: the text reached neither it nor the wire (a TLS ClientHello at most)" $?

finish identity-netns
