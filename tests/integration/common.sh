# What the integration scripts share: sourced by each.  It checks that the
# pieces are built (else the script is a skip), makes a throwaway Wine
# prefix, runtime and config directory, installs secsock there, and gives
# check() and a final summary line.
set -u
: "${top_builddir:?}" "${WINE64:?}" "${WINESERVER:?}"
secsockctl="$top_builddir/programs/secsockctl/secsockctl"
secdemo="$top_builddir/programs/secdemo/secdemo.exe"
recorder="$top_builddir/tests/integration/recorder"
for f in "$secsockctl" "$top_builddir/server/secsockd" "$secdemo" "$recorder" "$WINE64"; do
  [ -e "$f" ] || { echo "SKIP: $f is not built"; exit 77; }
done

work=$(mktemp -d)
export WINEPREFIX="$work/prefix" SECSOCK_RUNTIME_DIR="$work/run" SECSOCK_CONFIG_DIR="$work/config" WINEDEBUG=-all
# Its own discovery port: scripts that run at the same time must not answer
# each other's probes.
export SECSOCK_DISCOVERY_PORT="$("$top_srcdir/tools/free-port")"
export WINEDLLOVERRIDES="mscoree,mshtml=" SECSOCKD="$top_builddir/server/secsockd"
pids=""   # background helpers to stop at the end
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null; done
  "$secsockctl" stop >/dev/null 2>&1 || true
  "$WINESERVER" -k >/dev/null 2>&1 || true
  [ -n "${KEEP_WORK:-}" ] && { echo "kept $work"; return; }
  rm -rf "$work"
}
trap cleanup EXIT
. "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
# first_byte FILE: its first byte in hex ("16" for a TLS handshake record).
first_byte() {
  od -An -tx1 -N1 "$1" | tr -d ' \n'
}
# Starts the recorder (args after the port file and output); sets $rec_port.
start_recorder() {
  "$recorder" "$work/rec.port" "$@" >/dev/null &
  pids="$pids $!"
  rec_pid=$!
  i=0; while [ ! -s "$work/rec.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  rec_port=$(cat "$work/rec.port")
  rm -f "$work/rec.port"
}

"$secsockctl" install >"$work/install.log" 2>&1 || { cat "$work/install.log"; echo "FAILED: install"; exit 1; }
