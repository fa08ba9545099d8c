#!/bin/bash
# Another local user against this user's service (run as root; a throwaway
# system user plays the other user, removed at the end):
#   - cannot read the control file (port), the control channel's secret
#     (config directory), the identity key, the trust list nor the service log;
#   - the control port turns it away (garbage, a guessed secret, and even
#     the real secret: the service checks the connecting socket's uid);
#   - the owner's own handshake with a wrong secret fails both ways (the
#     service's proof does not match; a PROOF made with it is refused);
#   - cannot take over an active TLS relay's loopback port;
#   - the service log names each rejection, and the service still serves
#     its own user afterwards.
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (to create a second user and run as it)"; exit 77; }
for tool in useradd userdel setpriv gnutls-serv certtool; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is missing"; exit 77; }
done
. "$(dirname "$0")/common.sh"
probe="$top_builddir/tests/integration/ctl_probe"
[ -x "$probe" ] || { echo "SKIP: $probe is not built"; exit 77; }

other="secsock-other-$$"
useradd --system --no-create-home --shell /usr/sbin/nologin "$other" || { echo "FAILED: useradd"; exit 1; }
ouid=$(id -u "$other"); ogid=$(id -g "$other")
trap 'userdel "$other" 2>/dev/null; cleanup' EXIT
# as_other CMD...: runs CMD as the other user (no root capabilities left).
as_other() { setpriv --reuid="$ouid" --regid="$ogid" --clear-groups --inh-caps=-all -- "$@"; }
# Only the service's own modes may protect its files: every directory above
# them lets the other user through.
chmod 711 "$work"

"$secsockctl" start >/dev/null || { echo "FAILED: start"; exit 1; }
log="$SECSOCK_RUNTIME_DIR/secsockd.log"
port=$(sed -n 's/^port //p' "$SECSOCK_RUNTIME_DIR/control")
secret=$(sed -n 2p "$SECSOCK_CONFIG_DIR/control-secret")
[ -n "$port" ] && [ ${#secret} -eq 64 ]; check "the control file names a port ($port), the config directory holds a 32-byte secret" $?
grep -q "$secret" "$SECSOCK_RUNTIME_DIR/control"; [ $? -ne 0 ]; check "the control file does not hold the secret" $?
"$probe" "$port" hello "$secret" >/dev/null; check "the service proves the secret to its own user and admits it" $?
guess=$(printf '%064d' 0)
out=$("$probe" "$port" hello "$guess"); st=$?; echo "  owner, guessed secret: $out"
[ $st -eq 1 ] && echo "$out" | grep -q "did not prove"; check "a client with a wrong secret stops: the service's proof does not match it" $?
out=$("$probe" "$port" proof "$guess"); st=$?; echo "  owner, PROOF with a guessed secret: $out"
[ $st -eq 1 ]; check "a PROOF made with a wrong secret is rejected" $?
sleep 0.3
grep -q "rejected: wrong proof of the secret" "$log"; check "the service log says \"wrong proof of the secret\"" $?

# Files.
for f in "$SECSOCK_RUNTIME_DIR/control" "$SECSOCK_CONFIG_DIR/control-secret" "$SECSOCK_CONFIG_DIR/identity.key" "$log"; do
  [ -e "$f" ] || { check "$f exists" 1; continue; }
  err=$(as_other cat "$f" 2>&1 >/dev/null); st=$?
  [ $st -ne 0 ] && echo "$err" | grep -q "Permission denied"
  check "the other user cannot read $(basename "$f") ($err)" $?
done
as_other ls "$SECSOCK_RUNTIME_DIR" >/dev/null 2>&1; [ $? -ne 0 ]; check "the other user cannot list the runtime directory" $?
as_other ls "$SECSOCK_CONFIG_DIR" >/dev/null 2>&1; [ $? -ne 0 ]; check "the other user cannot list the config directory" $?
as_other touch "$SECSOCK_CONFIG_DIR/peers" 2>/dev/null; [ $? -ne 0 ]; check "the other user cannot write the trust list" $?
key_mode=$(stat -c %a "$SECSOCK_CONFIG_DIR/identity.key"); ctl_mode=$(stat -c %a "$SECSOCK_RUNTIME_DIR/control")
sec_mode=$(stat -c %a "$SECSOCK_CONFIG_DIR/control-secret")
[ "$key_mode" = 600 ] && [ "$ctl_mode" = 600 ] && [ "$sec_mode" = 600 ]
check "identity.key, control and control-secret are 0600 (they are $key_mode, $ctl_mode, $sec_mode)" $?

# The control port.
before=$(grep -c "rejected: connection from uid $ouid" "$log")
out=$(as_other "$probe" "$port" garbage); echo "  other user, garbage: $out"
out=$(as_other "$probe" "$port" proof "$guess"); st=$?; echo "  other user, guessed secret: $out"
[ $st -eq 1 ]; check "a handshake with a guessed secret from the other user is rejected" $?
out=$(as_other "$probe" "$port" proof "$secret"); st=$?; echo "  other user, the real secret: $out"
[ $st -eq 1 ]; check "a handshake with the real secret from the other user is rejected" $?
sleep 0.5
after=$(grep -c "rejected: connection from uid $ouid" "$log")
[ $((after - before)) -ge 3 ]; check "the service log names the three rejections by uid $ouid ($((after - before)) lines)" $?

# An active TLS relay: a relay port the service opened for its own user,
# which the other user tries to connect to before the owner does.
printf 'cn = localhost\nexpiration_days = 30\ntls_www_server\nsigning_key\n' > "$work/tmpl"
certtool --generate-privkey --key-type ecdsa --outfile "$work/srv.key" >/dev/null 2>&1
certtool --generate-self-signed --load-privkey "$work/srv.key" --template "$work/tmpl" \
  --outfile "$work/srv.crt" >/dev/null 2>&1
sport=$(( 30000 + $$ % 20000 ))
gnutls-serv --echo --x509keyfile "$work/srv.key" --x509certfile "$work/srv.crt" -p "$sport" >"$work/serv.log" 2>&1 &
pids="$pids $!"
i=0; while ! (exec 3<>"/dev/tcp/127.0.0.1/$sport") 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
"$secsockctl" trust 127.0.0.1 "$sport" "$work/srv.crt" >/dev/null; check "secsockctl trust (a gnutls-serv peer)" $?
"$probe" "$port" connect "$secret" "$sport" 8 >"$work/relay.out" 2>&1 &
pids="$pids $!"
i=0; while ! grep -q "^relay " "$work/relay.out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
cat "$work/relay.out"
rport=$(sed -n 's/^relay //p' "$work/relay.out")
[ -n "$rport" ]; check "the service set up a TLS relay for its own user (loopback port ${rport:-none})" $?
if [ -n "$rport" ]; then
  rbefore=$(grep -c "relay port: rejected" "$log")
  got=$(as_other bash -c "exec 3<>/dev/tcp/127.0.0.1/$rport && printf 'HIJACK' >&3 && timeout 2 cat <&3" 2>/dev/null | wc -c)
  sleep 0.5
  rafter=$(grep -c "relay port: rejected" "$log")
  [ $((rafter - rbefore)) -ge 1 ]; check "the service log says \"relay port: rejected\" for the other user" $?
  [ "$got" -eq 0 ]; check "the other user got nothing from the relay ($got bytes)" $?
  grep -q "HIJACK" "$work/serv.log"; [ $? -ne 0 ]; check "the other user's bytes never reached the peer" $?
  # The owner can still take its relay: connect, echo through TLS.
  echoed=$(bash -c "exec 3<>/dev/tcp/127.0.0.1/$rport && printf 'owner-line\n' >&3 && timeout 3 head -c 11 <&3" 2>/dev/null)
  [ "$echoed" = "owner-line" ]; check "the owner still gets its relay afterwards (echo: ${echoed:-nothing})" $?
fi
grep "rejected" "$log" | sed 's/^/  log: /'

# The service lives on for its own user.
"$probe" "$port" hello "$secret" >/dev/null; check "the service still admits its own user" $?
# A config directory or secret another user could read: the service refuses to run.
"$secsockctl" stop >/dev/null 2>&1
chmod 644 "$SECSOCK_CONFIG_DIR/control-secret"
out=$("$top_builddir/server/secsockd" --daemon 2>&1); st=$?; echo "  secret file 0644: $out"
[ $st -ne 0 ] && echo "$out" | grep -q "control-secret is open to other users"
check "secsockd refuses a secret file open to others" $?
chmod 600 "$SECSOCK_CONFIG_DIR/control-secret"; chown "$ouid" "$SECSOCK_CONFIG_DIR/control-secret"
out=$("$top_builddir/server/secsockd" --daemon 2>&1); st=$?; echo "  secret file of uid $ouid: $out"
[ $st -ne 0 ] && echo "$out" | grep -q "control-secret belongs to uid $ouid"
check "secsockd refuses a secret file of another user" $?
chown "$(id -u)" "$SECSOCK_CONFIG_DIR/control-secret"; chmod 755 "$SECSOCK_CONFIG_DIR"
out=$("$top_builddir/server/secsockd" --daemon 2>&1); st=$?; echo "  config directory 0755: $out"
[ $st -ne 0 ] && echo "$out" | grep -q "is open to other users"
check "secsockd refuses a config directory open to others" $?
chmod 700 "$SECSOCK_CONFIG_DIR"
finish other-user
