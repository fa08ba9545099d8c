#!/bin/sh
# secsockctl install refuses DLLs built against a Wine whose exports differ
# from the prefix's Wine, says which and what to do, and leaves the prefix
# untouched; the same DLLs as built install.  The "other Wine" is made by
# changing one name in the export list the build recorded in the DLL
# (section .wexport) of a copy.
set -u
: "${top_builddir:?}" "${WINE64:?}" "${WINESERVER:?}"
secsockctl="$top_builddir/programs/secsockctl/secsockctl"
for f in "$secsockctl" "$top_builddir/dlls/installed/x86_64-windows/ws2_32.dll"; do
  [ -e "$f" ] || { echo "SKIP: $f is not built"; exit 77; }
done
work=$(mktemp -d)
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
trap 'WINEPREFIX="$work/prefix" "$WINESERVER" -k >/dev/null 2>&1; rm -rf "$work"' EXIT
passed=0; failed=0
check() { if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "ok: $1"; else failed=$((failed + 1)); echo "FAILED: $1"; fi; }

cp -r "$top_builddir/dlls/installed" "$work/other"
dll="$work/other/x86_64-windows/ws2_32.dll"
# "1 accept" -> "1 acceXt": the same length, so only the recorded list changes.
LC_ALL=C sed -i 's/1 accept$/1 acceXt/' "$dll"
LC_ALL=C grep -aq '1 acceXt' "$dll"; check "the copy's recorded export list was changed" $?

out=$(WINEPREFIX="$work/prefix" SECSOCK_DLLDIR="$work/other" "$secsockctl" install 2>&1); status=$?
echo "$out"
[ $status -ne 0 ]; check "install refuses DLLs built for another Wine" $?
echo "$out" | grep -q "accept (ordinal 1) only in this Wine" &&
  echo "$out" | grep -q "acceXt (ordinal 1) only in the build"; check "it names the exports that differ" $?
echo "$out" | grep -q "Rebuild secsock against this Wine"; check "it says what to do" $?
[ ! -e "$work/prefix/secsock-backup" ] && ! grep -q '"ws2_32"="native' "$work/prefix/user.reg" 2>/dev/null
check "the prefix is left untouched" $?

out=$(WINEPREFIX="$work/prefix" "$secsockctl" install 2>&1); status=$?
echo "$out"
[ $status -eq 0 ]; check "the DLLs as built install into this Wine's prefix" $?

echo "install-mismatch: $passed passed, $failed failed"
[ $failed -eq 0 ]
