#!/bin/sh
# Runs the conformance programs under Wine, the way Wine's own `make test`
# does, in a throwaway prefix with secsock installed (secsockctl install)
# and a throwaway service (started on demand by the DLL).  passthrough runs
# a second time in a stock prefix without secsock: sockets nobody secures
# must behave the same.  Fails on any failure, crash, timeout or missing
# summary line.
set -u
: "${top_builddir:?}" "${WINE64:?}" "${WINESERVER:?}"
secsockctl="$top_builddir/programs/secsockctl/secsockctl"
exes="$top_builddir/tests/conformance/x86_64"
tests="secsock_set secsock_query secsock_target secsock_impersonate secsock_flows passthrough secsock_tls secsock_badinput"
for f in "$secsockctl" "$top_builddir/server/secsockd" "$WINE64"; do
  [ -x "$f" ] || { echo "SKIP: $f is missing"; exit 77; }
done
for t in $tests; do [ -f "$exes/$t.exe" ] || { echo "SKIP: $exes/$t.exe is not built"; exit 77; }; done

work=$(mktemp -d)
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" WINETEST_PLATFORM=wine WINETEST_DEBUG=0
export SECSOCK_RUNTIME_DIR="$work/run" SECSOCK_CONFIG_DIR="$work/config" SECSOCKD="$top_builddir/server/secsockd"
cleanup() {
  "$secsockctl" stop >/dev/null 2>&1 || true
  SECSOCK_RUNTIME_DIR="$work/run-tls" "$secsockctl" stop >/dev/null 2>&1 || true
  WINEPREFIX="$work/secsock" "$WINESERVER" -k >/dev/null 2>&1 || true
  WINEPREFIX="$work/stock" "$WINESERVER" -k >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
passed=0; failed=0

# run PREFIX TEST: one program; its summary line must say 0 failures.
run() {
  prefix=$1 t=$2
  out="$work/$t.$(basename "$prefix").out"
  debug=0; [ "$t" = secsock_badinput ] && debug=1   # its trace line counts the bad inputs
  WINETEST_DEBUG=$debug WINEPREFIX="$prefix" timeout 120 "$WINE64" "$exes/$t.exe" >"$out.raw" 2>&1
  status=$?
  tr -d '\r' <"$out.raw" >"$out"   # the Windows C runtime ends lines with CR LF
  cat "$out"
  summary=$(grep -E "^[0-9a-f]{4}:$t: [0-9]+ tests executed \([0-9]+ marked as todo, [0-9]+ as flaky, [0-9]+ failures?\), [0-9]+ skipped\.\$" "$out")
  if [ "$status" -eq 0 ] && [ -n "$summary" ] && echo "$summary" | grep -q ' 0 failures)'; then
    passed=$((passed + 1))
  else
    echo "FAILED: $t in $(basename "$prefix") (exit status $status${summary:+, }${summary:-, no summary line})"
    failed=$((failed + 1))
  fi
}

WINEPREFIX="$work/secsock" "$secsockctl" install >"$work/install.log" 2>&1 || {
  cat "$work/install.log"; echo "FAILED: secsockctl install"; exit 1; }
cat "$work/install.log"
for t in $tests; do [ "$t" = secsock_tls ] || run "$work/secsock" "$t"; done

# secsock_tls needs peers that can be secured: a service of its own whose
# trust list names its own identity on both loopback addresses.
(
  export SECSOCK_RUNTIME_DIR="$work/run-tls" SECSOCK_CONFIG_DIR="$work/config-tls" SECSOCK_TLS_TRUSTED=1
  "$secsockctl" start >/dev/null &&
    "$secsockctl" trust 127.0.0.1 '*' "$SECSOCK_CONFIG_DIR/identity.crt" &&
    "$secsockctl" trust ::1 '*' "$SECSOCK_CONFIG_DIR/identity.crt" || echo "FAILED: setting up the TLS service"
  run "$work/secsock" secsock_tls
  echo "passed=$passed failed=$failed" >"$work/tls.counts"
)
. "$work/tls.counts"

WINEPREFIX="$work/stock" "$WINE64" wineboot -i >/dev/null 2>&1
run "$work/stock" passthrough

echo "conformance: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
