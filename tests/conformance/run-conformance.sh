#!/bin/sh
# Runs the conformance programs under Wine, the way Wine's own `make test`
# does, in a throwaway prefix with secsock installed (secsockctl install)
# and a throwaway service (started on demand by the DLL).  passthrough runs
# a second time in a stock prefix without secsock: sockets nobody secures
# must behave the same.
#
# Every program runs twice: built for x86_64 (Wine's 64-bit loader,
# secsock's DLLs in system32) and built for i686 (Wine's 32-bit loader,
# WoW64, secsock's DLLs in syswow64), in the same prefixes and against the
# same services.  Fails on any failure, crash, timeout or missing summary
# line in either.  When Wine's 32-bit loader (wine32:i386) is missing, the
# x86_64 part still runs and decides a failure; if it passes, the whole
# test is reported as skipped (exit 77) with the reason, never as passed.
set -u
: "${top_builddir:?}" "${WINE64:?}" "${WINESERVER:?}"
secsockctl="$top_builddir/programs/secsockctl/secsockctl"
tests="secsock_set secsock_query secsock_target secsock_impersonate secsock_flows passthrough secsock_tls secsock_badinput secsock_peer secsock_wfp secsock_wfp_ends secsock_zeroconf"
# These need the TLS service below (a trust list naming its own identity).
tls_tests="secsock_tls secsock_peer secsock_wfp secsock_wfp_ends"
# Debian's wine32:i386 puts the 32-bit loader next to wine64.
WINE32=${WINE32:-$(dirname "$WINE64")/wine}
for f in "$secsockctl" "$top_builddir/server/secsockd" "$WINE64"; do
  [ -x "$f" ] || { echo "SKIP: $f is missing"; exit 77; }
done
for arch in x86_64 i686; do
  for t in $tests; do
    [ -f "$top_builddir/tests/conformance/$arch/$t.exe" ] || {
      echo "SKIP: $top_builddir/tests/conformance/$arch/$t.exe is not built"; exit 77; }
  done
done

# Why the i686 part cannot run, if it cannot: what tools/install-deps
# recorded when apt refused wine32:i386, else the missing loader.
i686_skip=""
if [ ! -x "$WINE32" ]; then
  reason_file="${top_srcdir:-$top_builddir}/.build-deps/wine32-i386.unavailable"
  if [ -f "$reason_file" ]; then i686_skip=$(tr '\n' ' ' <"$reason_file" | sed 's/ *$//')
  else i686_skip="Wine's 32-bit loader $WINE32 is missing (package wine32:i386; tools/install-deps installs it)"; fi
  arches="x86_64"
else
  arches="x86_64 i686"
fi

work=$(mktemp -d)
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" WINETEST_PLATFORM=wine WINETEST_DEBUG=0
export SECSOCK_RUNTIME_DIR="$work/run" SECSOCK_CONFIG_DIR="$work/config" SECSOCKD="$top_builddir/server/secsockd"
# Each service its own discovery port: runs at the same time must not answer
# each other.
export SECSOCK_DISCOVERY_PORT="$("$top_srcdir/tools/free-port")"
cleanup() {
  "$secsockctl" stop >/dev/null 2>&1 || true
  SECSOCK_RUNTIME_DIR="$work/run-tls" SECSOCK_CONFIG_DIR="$work/config-tls" "$secsockctl" stop >/dev/null 2>&1 || true
  WINEPREFIX="$work/secsock" "$WINESERVER" -k >/dev/null 2>&1 || true
  WINEPREFIX="$work/stock" "$WINESERVER" -k >/dev/null 2>&1 || true
  rm -rf "$work"
}
# A signal ends the run (a trap alone would resume it in a removed folder).
trap cleanup EXIT
trap 'exit 1' INT TERM
# Per arch: programs passed and failed, milliseconds spent running them.
for arch in x86_64 i686; do eval "passed_$arch=0 failed_$arch=0 ms_$arch=0"; done

now_ms() { date +%s%3N; }

# run ARCH PREFIX TEST: one program; its summary line must say 0 failures.
run() {
  arch=$1 prefix=$2 t=$3
  case $arch in x86_64) loader=$WINE64 ;; i686) loader=$WINE32 ;; esac
  out="$work/$t.$arch.$(basename "$prefix").out"
  debug=0; [ "$t" = secsock_badinput ] && debug=1   # its trace line counts the bad inputs
  start=$(now_ms)
  WINETEST_DEBUG=$debug WINEPREFIX="$prefix" timeout 120 "$loader" "$top_builddir/tests/conformance/$arch/$t.exe" >"$out.raw" 2>&1
  status=$?
  # Wine itself failed to start the program (its connection to wineserver
  # broke before the program's first line, seen now and then under load):
  # not a result of the test, which is run once more, and the log says so.
  if [ "$status" -ne 0 ] && [ "$(grep -c . "$out.raw")" -le 2 ] && grep -q "^wine client error" "$out.raw"; then
    echo "note: Wine did not start $t $arch ($(head -1 "$out.raw" | tr -d '\r')): run again"
    WINETEST_DEBUG=$debug WINEPREFIX="$prefix" timeout 120 "$loader" "$top_builddir/tests/conformance/$arch/$t.exe" >"$out.raw" 2>&1
    status=$?
  fi
  ms=$(($(now_ms) - start))
  eval "ms_$arch=\$((ms_$arch + ms))"
  tr -d '\r' <"$out.raw" >"$out"   # the Windows C runtime ends lines with CR LF
  cat "$out"
  summary=$(grep -E "^[0-9a-f]{4}:$t: [0-9]+ tests executed \([0-9]+ marked as todo, [0-9]+ as flaky, [0-9]+ failures?\), [0-9]+ skipped\.\$" "$out")
  if [ "$status" -eq 0 ] && [ -n "$summary" ] && echo "$summary" | grep -q ' 0 failures)'; then
    echo "ok: $t $arch in $(basename "$prefix"): ${summary#*: } ($((ms / 1000)).$((ms % 1000 / 100)) s)"
    eval "passed_$arch=\$((passed_$arch + 1))"
  else
    echo "FAILED: $t $arch in $(basename "$prefix") (exit status $status${summary:+, }${summary:-, no summary line})"
    eval "failed_$arch=\$((failed_$arch + 1))"
  fi
}
counts() {
  for arch in x86_64 i686; do eval "echo passed_$arch=\$passed_$arch failed_$arch=\$failed_$arch ms_$arch=\$ms_$arch"; done
}

WINEPREFIX="$work/secsock" "$secsockctl" install >"$work/install.log" 2>&1 || {
  cat "$work/install.log"; echo "FAILED: secsockctl install"; exit 1; }
cat "$work/install.log"
# One wineserver for the whole run.  Wine starts it with -p0, to exit
# the moment its last program does: the next program, started that same
# moment, then meets a server on its way out ("wine client error: recvmsg:
# Connection reset by peer").  So the install's server is let go (-w), and
# a persistent one (-p) serves every program.
WINEPREFIX="$work/secsock" "$WINESERVER" -w
WINEPREFIX="$work/secsock" "$WINESERVER" -p
# Wine's own processes (services, winedevice) start with the first program
# and, the server being persistent, stay: let them hold /dev/null, not a
# program's output.
WINEPREFIX="$work/secsock" "$WINE64" cmd /c exit >/dev/null 2>&1
# The prefix's DLLs must be the ones just built, for each arch that runs.
for arch in $arches; do
  case $arch in x86_64) pe=x86_64-windows sysdir=system32 ;; i686) pe=i386-windows sysdir=syswow64 ;; esac
  for d in ws2_32 fwpuclnt; do
    cmp -s "$top_builddir/dlls/$d/$pe/$d.dll" "$work/secsock/drive_c/windows/$sysdir/$d.dll" || {
      echo "FAILED: secsockctl install left no $pe $d.dll in the prefix's $sysdir"; exit 1; }
  done
done
for arch in $arches; do
  for t in $tests; do case " $tls_tests " in *" $t "*) ;; *) run "$arch" "$work/secsock" "$t" ;; esac; done
done

# The TLS tests need peers that can be secured: a service of its own whose
# trust list names its own identity on both loopback addresses.
(
  export SECSOCK_RUNTIME_DIR="$work/run-tls" SECSOCK_CONFIG_DIR="$work/config-tls" SECSOCK_TLS_TRUSTED=1
  export SECSOCK_DISCOVERY_PORT="$("$top_srcdir/tools/free-port")"
  if "$secsockctl" start >/dev/null &&
    "$secsockctl" trust 127.0.0.1 '*' "$SECSOCK_CONFIG_DIR/identity.crt" &&
    "$secsockctl" trust ::1 '*' "$SECSOCK_CONFIG_DIR/identity.crt"; then :
  else
    echo "FAILED: setting up the TLS service"
    failed_x86_64=$((failed_x86_64 + 1))
  fi
  for arch in $arches; do for t in $tls_tests; do run "$arch" "$work/secsock" "$t"; done; done
  counts >"$work/tls.counts"
)
. "$work/tls.counts"

WINEPREFIX="$work/stock" "$WINE64" wineboot -i >/dev/null 2>&1
WINEPREFIX="$work/stock" "$WINESERVER" -w
WINEPREFIX="$work/stock" "$WINESERVER" -p
WINEPREFIX="$work/stock" "$WINE64" cmd /c exit >/dev/null 2>&1
for arch in $arches; do run "$arch" "$work/stock" passthrough; done

status=0
for arch in x86_64 i686; do
  if [ "$arch" = i686 ] && [ -n "$i686_skip" ]; then
    echo "conformance i686: SKIPPED: $i686_skip"
    continue
  fi
  eval "p=\$passed_$arch f=\$failed_$arch ms=\$ms_$arch"
  printf 'conformance %s: %d passed, %d failed (%d.%d s in the programs)\n' "$arch" "$p" "$f" \
    $((ms / 1000)) $((ms % 1000 / 100))
  [ "$f" -eq 0 ] || status=1
done
if [ "$status" -eq 0 ] && [ -n "$i686_skip" ]; then
  echo "SKIP: the i686 half did not run: $i686_skip"
  exit 77
fi
exit $status
