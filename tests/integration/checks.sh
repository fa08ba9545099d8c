# check() and the summary line every integration script prints: sourced by
# common.sh and netns.sh.
passed=0; failed=0
check() {  # $1 description, $2 condition result (0 = true)
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "ok: $1"
  else failed=$((failed + 1)); echo "FAILED: $1"; fi
}
finish() {  # $1 the script's name
  echo "$1: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
