#!/bin/sh
# make install into a staging directory, then build a program against the
# installed library with pkg-config alone and run it under the installed
# praas-run. TAP.
set -u
TMP=$(mktemp -d "${TMPDIR:-/tmp}/praas-install.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }

make -s -C "$top_builddir" install DESTDIR="$TMP/root" >"$TMP/install.log" 2>&1
ok $? "make install DESTDIR=..." || sed 's/^/# /' "$TMP/install.log"
prefix=$(sed -n 's/^prefix=//p' "$top_builddir/praas.pc")
pc=$(find "$TMP/root" -name praas.pc | head -n 1)
bin=$TMP/root$prefix/bin
lib=$(dirname "$(dirname "$pc")")
ok $([ -n "$pc" ] && [ -x "$bin/praas-run" ] && [ -x "$bin/praas-control" ] &&
     [ -f "$TMP/root$prefix/include/praas.h" ] && [ -f "$TMP/root$prefix/include/praas/rma.h" ] &&
     ls "$lib"/libpraas.so* >/dev/null 2>&1 && [ -f "$lib/libpraas.a" ]; echo $?) \
   "library (shared and static), headers, praas.pc and commands are installed"
ok $([ -f "$TMP/root$prefix/share/man/man3/praas_init.3" ] &&
     [ -f "$TMP/root$prefix/share/man/man1/praas-run.1" ]; echo $?) "man pages are installed"

export PKG_CONFIG_PATH="$(dirname "$pc")" PKG_CONFIG_SYSROOT_DIR="$TMP/root"
# A sanitizer build's library needs the program built the same way.
${CC:-cc} ${PRAAS_SAN_FLAGS:-} "$top_srcdir/examples/ring.c" $(pkg-config --cflags --libs praas) -o "$TMP/ring" \
  2>"$TMP/cc.log"
ok $? "cc ring.c \$(pkg-config --cflags --libs praas)" || sed 's/^/# /' "$TMP/cc.log"

LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$bin/praas-run" -n 2 --timeout 60 \
  "$TMP/ring" >"$TMP/ring.out" 2>&1
status=$?
ok $([ $status -eq 0 ] && [ "$(grep -c ': ok$' "$TMP/ring.out")" -eq 2 ]; echo $?) \
  "the program runs on 2 workers under the installed praas-run" || sed 's/^/# /' "$TMP/ring.out"
undefined=$(nm -D --defined-only "$lib"/libpraas.so.* 2>/dev/null | awk '{print $3}' |
            grep -v '^praas_' | grep -v '^P\{0,1\}MPI_' | grep -v '^_' | head -n 5)
ok $([ -z "$undefined" ]; echo $?) \
  "libpraas exports only praas_*, MPI_* and their PMPI_* twins ${undefined:+(also: $undefined)}"
ok $([ -f "$TMP/root$prefix/include/praas/mpi/mpi.h" ] && [ -x "$bin/praas-mpicc" ] &&
     "$bin/praas-mpicc" -show x.c | grep -q -- "-I$prefix/include/praas/mpi"; echo $?) \
  "mpi.h and praas-mpicc are installed, praas-mpicc names the installed headers"
echo "1..$n"
