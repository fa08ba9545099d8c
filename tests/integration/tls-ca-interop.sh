#!/bin/bash
# Trust by CA and name against a plain Linux TLS server (issue 11):
# gnutls-serv --echo with a certificate of a CA made by certtool (SANs:
# 127.0.0.1 and interop.secsock.test), an in-path recorder between
# secsockd and it, and no pin anywhere:
#   - before that CA is trusted, a GUARANTEE_ENCRYPTION client is refused
#     ("unknown CA" in the log);
#   - once it is (`secsockctl ca trust`), a client with the target name
#     host/interop.secsock.test (an SPN), host/interop.secsock.test:443/web
#     (an SPN with port and service name) or interop.secsock.test works
#     (SECURED and ENCRYPTED, echo intact), and gnutls-serv received the
#     host part, and only it, as the server name (SNI);
#   - a target name given as an IP address (127.0.0.1), and no target name
#     at all (the address reached must be in the certificate), work and send
#     no SNI;
#   - a wrong name (host/wrong.secsock.test) is refused: WSAECONNREFUSED,
#     "name mismatch" in the log, and the text reaches neither the wire nor
#     gnutls-serv.
for tool in gnutls-serv certtool stdbuf; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is missing (packages gnutls-bin, coreutils)"; exit 77; }
done
. "$(dirname "$0")/common.sh"
name=interop.secsock.test

# The CA and the server's certificate.
printf 'cn = "secsock interop CA"\nca\ncert_signing_key\ncrl_signing_key\nexpiration_days = 30\n' >"$work/ca.tmpl"
certtool --generate-privkey --key-type ecdsa --outfile "$work/ca.key" >/dev/null 2>&1
certtool --generate-self-signed --load-privkey "$work/ca.key" --template "$work/ca.tmpl" --outfile "$work/ca.crt" >/dev/null 2>&1
printf 'cn = %s\ndns_name = %s\nip_address = 127.0.0.1\ntls_www_server\nsigning_key\nexpiration_days = 30\n' \
  "$name" "$name" >"$work/srv.tmpl"
certtool --generate-privkey --key-type ecdsa --outfile "$work/srv.key" >/dev/null 2>&1
certtool --generate-certificate --load-privkey "$work/srv.key" --load-ca-certificate "$work/ca.crt" \
  --load-ca-privkey "$work/ca.key" --template "$work/srv.tmpl" --outfile "$work/srv.crt" >/dev/null 2>&1
check "certtool made a CA and a server certificate for 127.0.0.1 and $name" $?

sport=$(( 30000 + $$ % 20000 ))
# gnutls-serv prints each session it completes ("- Description: ...")
# with the server name it was given ("- Given server name[1]: ...").  (Not
# --sni-hostname: a name it does not know would then get an
# unrecognized_name alert, which TLS 1.3 makes fatal, before the name
# check this test is about.)
stdbuf -oL -eL gnutls-serv --echo --x509keyfile "$work/srv.key" --x509certfile "$work/srv.crt" -p "$sport" \
  >"$work/serv.log" 2>&1 &
pids="$pids $!"
i=0; while ! (exec 3<>"/dev/tcp/127.0.0.1/$sport") 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 50 ] || { echo "FAILED: gnutls-serv did not start"; cat "$work/serv.log"; exit 1; }; sleep 0.1
done
start_recorder "$work/wire" 120 "$sport"
tport=$rec_port
"$secsockctl" start >/dev/null || { echo "FAILED: start"; exit 1; }
log="$SECSOCK_RUNTIME_DIR/secsockd.log"

# client TEXT [TARGET]: a GUARANTEE_ENCRYPTION client through the recorder;
# sets $out, and $served and $logged: what gnutls-serv and the service
# printed meanwhile.
client() {
  local serv_mark log_mark
  serv_mark=$(wc -l <"$work/serv.log") log_mark=$(wc -l <"$log")
  out=$("$WINE64" "$secdemo" client "$tport" guarantee "$1"$'\n' ${2:-} 2>&1)
  sleep 0.5   # gnutls-serv's last lines
  served=$(tail -n +$((serv_mark + 1)) "$work/serv.log")
  logged=$(tail -n +$((log_mark + 1)) "$log")
  echo "--- target ${2:-none}"; echo "$out"; echo "$served" | grep "server name\|Description\|Accepted"
}
# works WHAT TEXT: the client's checks of a connection that must work.
works() {
  echo "$out" | grep -q "client: connection SECURED and ENCRYPTED" && echo "$out" | grep -q "echo \"$2"
  check "$1: SECURED and ENCRYPTED, the echo intact" $?
}
# sni WHAT NAME: gnutls-serv got exactly NAME as the server name.
sni() {
  [ "$(echo "$served" | sed -n 's/^- Given server name\[[0-9]*\]: //p')" = "$2" ]
  check "$1: gnutls-serv received the server name \"$2\"" $?
}
# no_sni WHAT: gnutls-serv completed a session and got no server name.
no_sni() {
  echo "$served" | grep -q "^- Description: (TLS1.3" && ! echo "$served" | grep -q "Given server name"
  check "$1: no server name sent" $?
}

client SECRET-unknown-ca "host/$name"
echo "$out" | grep -q "connect failed: WSAECONNREFUSED"; check "the CA not yet trusted: refused" $?
echo "$logged" | grep -q "unknown CA"; check "the CA not yet trusted: the log says \"unknown CA\"" $?

"$secsockctl" ca trust "$work/ca.crt"; check "secsockctl ca trust (the interop CA)" $?
[ ! -s "$SECSOCK_CONFIG_DIR/peers" ]; check "no pin anywhere (no peers file)" $?
client SECRET-spn "host/$name"
works "target host/$name" SECRET-spn
sni "target host/$name" "$name"
client SECRET-spn-port "host/$name:443/web"
works "target host/$name:443/web" SECRET-spn-port
sni "target host/$name:443/web" "$name"
client SECRET-plain-name "$name"
works "target $name" SECRET-plain-name
sni "target $name" "$name"
client SECRET-ip 127.0.0.1
works "target 127.0.0.1" SECRET-ip
no_sni "target 127.0.0.1"
client SECRET-no-target
works "no target name (the address reached)" SECRET-no-target
no_sni "no target name"
client SECRET-wrong-name host/wrong.secsock.test
echo "$out" | grep -q "connect failed: WSAECONNREFUSED"; check "target host/wrong.secsock.test: refused" $?
echo "$logged" | grep -q "name mismatch"; check "target host/wrong.secsock.test: the log says \"name mismatch\"" $?

sleep 0.5
size=$(wc -c <"$work/wire")
[ "$size" -gt 0 ]; check "the recorder saw the TLS traffic ($size bytes)" $?
grep -q SECRET "$work/wire"; [ $? -ne 0 ]; check "no application byte crossed the wire in clear" $?
grep -q "SECRET-wrong-name\|SECRET-unknown-ca" "$work/serv.log"; [ $? -ne 0 ]
check "gnutls-serv never received the text of a refused client" $?

finish tls-ca-interop
