#!/bin/sh
# Every export of Wine's builtin ws2_32 and fwpuclnt must be exported by
# our layering DLLs too, under the same name and ordinal, for every
# architecture built (a program importing by ordinal must reach the same
# function).  The tables are read with objdump, independently of
# tools/pe-exports, which made ours.
#
#   check-exports.sh                      the suite's check
#   check-exports.sh --list DLL           DLL's exports, "ordinal name"
#   check-exports.sh --parse FILE         the same from saved `objdump -p` text
#   check-exports.sh --compare OURS WINE  one DLL against Wine's
#
# objdump's export listing changed between binutils 2.40 (Debian 12:
# "[   0] alpha", an index from the ordinal base) and 2.44 (Debian 13:
# "[   0] +base[   2]  0000 alpha" under an "Ordinal Hint Name" header).
# Both are read, and the number of names read must equal the count objdump
# states, so a format this parser does not know fails instead of passing.
set -u
objdump=${OBJDUMP:-x86_64-w64-mingw32-objdump}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# objdump -p text on stdin -> "ordinal name" lines, sorted; exit 1 when
# the names read are not the names objdump says the table has.
parse() {
  awk '
    /^Ordinal Base[ \t]/ { base = $NF }
    /\[Name Pointer\/Ordinal\] Table[ \t]+[0-9a-fA-F]+$/ { want = $NF; have_count = 1 }
    /^\[Ordinal\/Name Pointer\] Table/ { in_names = 1; next }
    in_names && /^[ \t]*$/ { in_names = 0 }
    in_names && /^[ \t]*\[ *[0-9]+\]/ {
      line = $0
      if (match(line, /\+base\[ *[0-9]+\]/)) {            # 2.44: the ordinal itself
        ord = substr(line, RSTART, RLENGTH); gsub(/[^0-9]/, "", ord); ord += 0
      } else {                                           # 2.40: index from the base
        match(line, /\[ *[0-9]+\]/); ord = substr(line, RSTART, RLENGTH); gsub(/[^0-9]/, "", ord)
        ord += base
      }
      print ord, $NF; n++
    }
    END {
      if (!have_count || base == "") { print "check-exports: no export table header in objdump output" > "/dev/stderr"; exit 1 }
      # the stated count is hexadecimal
      want_n = 0
      for (i = 1; i <= length(want); i++) want_n = want_n * 16 + index("0123456789abcdef", tolower(substr(want, i, 1))) - 1
      if (n != want_n) { printf "check-exports: read %d names, objdump states %d\n", n, want_n > "/dev/stderr"; exit 1 }
    }' >"$tmp/parsed" || return 1
  sort -n "$tmp/parsed"
}

list() {
  "$objdump" -p "$1" >"$tmp/objdump" || { echo "check-exports: $objdump cannot read $1" >&2; return 1; }
  parse <"$tmp/objdump"
}

# compare OURS WINE: 0 when OURS has every (ordinal, name) of WINE.
compare() {
  ours=$(list "$1") || return 2
  wine=$(list "$2") || return 2
  [ -n "$wine" ] || { echo "check-exports: $2 exports nothing" >&2; return 2; }
  printf '%s\n' "$ours" | sort >"$tmp/ours"
  missing=$(printf '%s\n' "$wine" | sort | comm -23 - "$tmp/ours")
  if [ -n "$missing" ]; then
    echo "$missing" | while read -r ord name; do
      at=$(printf '%s\n' "$ours" | awk -v n="$name" '$2 == n { print $1 }')
      if [ -n "$at" ]; then echo "  $name: ordinal $ord in Wine's, $at in ours (moved)"
      else echo "  $name: ordinal $ord in Wine's, missing from ours"; fi
    done
    return 1
  fi
  echo "  all $(printf '%s\n' "$wine" | wc -l) exports of Wine's DLL, same names and ordinals"
}

case "${1:-}" in
  --list) list "$2"; exit $? ;;
  --parse) parse <"$2"; exit $? ;;
  --compare) compare "$2" "$3"; exit $? ;;
esac

: "${top_builddir:?}" "${WINE_DLLDIR:?}"
fail=0; checked=0
for arch in x86_64-windows i386-windows; do
  for dll in ws2_32 fwpuclnt; do
    ours="$top_builddir/dlls/$dll/$arch/$dll.dll"
    if [ ! -f "$ours" ]; then
      echo "SKIP: $arch/$dll: not built (configure found no Wine import libraries for $arch)"; continue
    fi
    system="$WINE_DLLDIR/$arch/$dll.dll"
    # Debian keeps the i386 DLLs apart from the x86_64 ones.
    [ -f "$system" ] || system="/usr/lib/i386-linux-gnu/wine/$arch/$dll.dll"
    # Without wine32 the x86_64 DLL stands for the list (Wine's .spec is shared).
    [ -f "$system" ] || system="$WINE_DLLDIR/x86_64-windows/$dll.dll"
    [ -f "$system" ] || { echo "FAIL: $arch/$dll: no Wine DLL at $system"; fail=$((fail + 1)); continue; }
    checked=$((checked + 1))
    out=$(compare "$ours" "$system"); status=$?
    if [ $status -eq 0 ]; then echo "PASS: $arch/$dll against $system:"; echo "$out"
    else echo "FAIL: $arch/$dll against $system:"; echo "$out"; fail=$((fail + 1)); fi
  done
done
[ "$checked" -gt 0 ] || { echo "FAIL: no DLL checked"; exit 1; }
exit $fail
