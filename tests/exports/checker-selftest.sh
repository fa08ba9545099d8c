#!/bin/sh
# The exports check, checked: it must read both binutils formats, refuse a
# listing whose name count does not add up, and fail on a deliberately
# broken table (a name missing, a name moved) while passing a right one.
set -u
here=$(cd "$(dirname "$0")" && pwd)
check="$here/check-exports.sh"
cc=${MINGW64_CC:-x86_64-w64-mingw32-gcc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0; failed=0
ok() { if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "ok: $1"; else failed=$((failed + 1)); echo "FAILED: $1"; fi; }

# 1. Saved `objdump -p` listings of one small DLL (ordinal base 2, exports
# alpha@2 beta@3 gamma@7 delta@10) from binutils 2.40 and 2.44.
want=$(printf '2 alpha\n3 beta\n7 gamma\n10 delta')
for v in 2.40 2.44; do
  out=$("$check" --parse "$here/objdump-$v.txt"); status=$?
  echo "$out"
  [ $status -eq 0 ] && [ "$out" = "$want" ]; ok "binutils $v listing read as ordinals and names" $?
  # A name lost from the listing (a line the parser would not understand).
  grep -v 'gamma$' "$here/objdump-$v.txt" >"$tmp/short.txt"
  "$check" --parse "$tmp/short.txt" >/dev/null 2>"$tmp/err"; status=$?
  cat "$tmp/err"
  [ $status -ne 0 ] && grep -q "read 3 names, objdump states 4" "$tmp/err"; ok "binutils $v listing missing a name is refused" $?
done
"$check" --parse /dev/null >/dev/null 2>&1; [ $? -ne 0 ]; ok "no export table at all is refused" $?

# 2. Real DLLs through the installed objdump: Wine's stand-in, a right copy
# (one extra export, as WSAConnectByList is ours) and a broken one.
command -v "$cc" >/dev/null || { echo "SKIP: no $cc to build the test DLLs"; exit 77; }
echo 'int f(void) { return 1; } int g(void) { return 2; }' >"$tmp/t.c"
dll() {  # name, then "export@ordinal" ...
  name=$1; shift
  { echo "LIBRARY $name.dll"; echo EXPORTS
    for e in "$@"; do echo "${e%@*} = f @${e#*@}"; done; } >"$tmp/$name.def"
  "$cc" -shared -o "$tmp/$name.dll" "$tmp/t.c" "$tmp/$name.def"
}
dll wine alpha@2 beta@3 gamma@7 delta@10 &&
dll right alpha@2 beta@3 gamma@7 delta@10 extra@11 &&
dll broken alpha@2 gamma@8 delta@10 || { echo "FAILED: building the test DLLs"; exit 1; }
out=$("$check" --compare "$tmp/right.dll" "$tmp/wine.dll"); status=$?; echo "$out"
[ $status -eq 0 ]; ok "a table with every name at its ordinal (and one more) passes" $?
out=$("$check" --compare "$tmp/broken.dll" "$tmp/wine.dll"); status=$?; echo "$out"
[ $status -eq 1 ]; ok "the broken table fails" $?
echo "$out" | grep -q "beta: ordinal 3 in Wine's, missing from ours"; ok "the missing name is named" $?
echo "$out" | grep -q "gamma: ordinal 7 in Wine's, 8 in ours (moved)"; ok "the moved name is named" $?
[ "$(echo "$out" | wc -l)" -eq 2 ]; ok "nothing else is reported" $?

echo "checker self-test: $passed passed, $failed failed"
[ $failed -eq 0 ]
