#!/bin/sh
# Every export of Wine's builtin ws2_32 and fwpuclnt must be exported by
# our layering DLLs too, under the same ordinal, for both architectures
# (a program importing by ordinal must reach the same function).
set -u
objdump=${OBJDUMP:-x86_64-w64-mingw32-objdump}
fail=0; checked=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
exports() {
  # "ordinal name" lines of a PE's export table
  "$objdump" -p "$1" | awk '
    /Export Address Table -- Ordinal Base/ { base = $NF }
    /Ordinal\/Name Pointer/ { f = 1; next }
    f && /^$/ { f = 0 }
    f { gsub(/[][]/, ""); print $1 + base, $2 }' | sort
}
for arch in x86_64-windows i386-windows; do
  for dll in ws2_32 fwpuclnt; do
    ours="dlls/$dll/$arch/$dll.dll"
    system="$WINE_DLLDIR/$arch/$dll.dll"
    # Without wine32 the x86_64 DLL stands for the list (Wine's .spec is shared).
    [ -f "$system" ] || system="$WINE_DLLDIR/x86_64-windows/$dll.dll"
    if [ ! -f "$system" ]; then
      echo "SKIP: $arch/$dll: no system DLL at $system"; continue
    fi
    exports "$ours" > "$tmp/ours"
    missing=$(exports "$system" | comm -23 - "$tmp/ours")
    checked=$((checked + 1))
    if [ -n "$missing" ]; then
      echo "FAIL: $arch/$dll lacks (ordinal name):"; echo "$missing"; fail=$((fail + 1))
    else
      echo "PASS: $arch/$dll: all $(exports "$system" | wc -l) exports of Wine's DLL, same ordinals"
    fi
  done
done
[ "$checked" -gt 0 ] || { echo "no system DLL found under $WINE_DLLDIR"; exit 77; }
exit $fail
