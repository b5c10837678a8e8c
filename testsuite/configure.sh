#!/bin/sh
# configure names the Debian package of a missing dependency, and refuses
# to build without any transport. Runs configure in a scratch directory
# with a pkg-config that pretends one module is missing. TAP.
. "${top_srcdir:-$(dirname "$0")/..}/testsuite/lib/tap.sh"
tap_tmpdir configure

# A pkg-config that hides the modules named in $HIDE and defers to the real
# one for everything else.
real=$(command -v pkg-config)
cat >"$TMP/pkg-config" <<EOS
#!/bin/sh
for a in "\$@"; do
  for h in \$HIDE; do
    case "\$a" in "\$h"|"\$h "*) exit 1 ;; esac
  done
done
exec "$real" "\$@"
EOS
chmod +x "$TMP/pkg-config"

# try HIDE EXPECTED DESCRIPTION: configure must fail and print EXPECTED.
try() {
  mkdir -p "$TMP/b"
  (cd "$TMP/b" && HIDE=$1 PKG_CONFIG="$TMP/pkg-config" "$top_srcdir/configure" -q \
     >"$TMP/out" 2>&1)
  status=$?
  if [ $status -ne 0 ] && grep -q "$2" "$TMP/out"; then ok 0 "$3"; else ok 1 "$3"; show "$TMP/out"; fi
  rm -rf "$TMP/b"
}

try jansson "apt-get install libjansson-dev" "missing jansson: configure fails naming libjansson-dev"
try hiredis "apt-get install libhiredis-dev" "missing hiredis: configure fails naming libhiredis-dev"
try "ucx libfabric" "neither UCX nor libfabric found" \
  "no transport at all: configure fails naming both packages"
echo "1..$n"
