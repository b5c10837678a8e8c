#!/bin/sh
# Set praas up on Debian 12 (as root, or with sudo): install the Debian
# packages it needs (only the missing ones, so running it again is cheap),
# generate the build system, configure and build.
#
#   scripts/setup.sh                 build in ./build
#   scripts/setup.sh --sanitizers    build with ASan + UBSan in ./build-asan
#   scripts/setup.sh --bench         also install MPICH for bench/ (Open MPI is
#                                    always installed: the MPI tests compare with it)
#
# Extra arguments after -- go to configure.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

builddir=build
confargs=""
bench=no
while [ $# -gt 0 ]; do
  case $1 in
    --sanitizers) builddir=build-asan; confargs="$confargs --enable-sanitizers" ;;
    --bench) bench=yes ;;
    --) shift; confargs="$confargs $*"; break ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

packages="gcc make autoconf automake libtool pkg-config curl
  libfabric-dev libfabric-bin libucx-dev ucx-utils libhwloc-dev hwloc libhiredis-dev
  libcurl4-openssl-dev libmicrohttpd-dev libjansson-dev redis-server gnuplot-nox
  zlib1g-dev dataset-fashion-mnist libssl-dev python3-botocore openmpi-bin libopenmpi-dev"
# Node.js and npm for s3rver (testsuite/with-s3.sh), unless some npm is there.
command -v npm >/dev/null 2>&1 || packages="$packages nodejs npm"
[ $bench = yes ] && packages="$packages mpich libmpich-dev"

missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "setup.sh: installing$missing"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# s3rver, the local S3-compatible server of testsuite/with-s3.sh, from the
# npm registry into the build directory, once.
s3dir="$top/$builddir/node_modules-s3rver"
if [ ! -x "$s3dir/node_modules/.bin/s3rver" ]; then
  echo "setup.sh: installing s3rver (npm) in $s3dir"
  mkdir -p "$s3dir"
  npm install --prefix "$s3dir" --no-audit --no-fund --loglevel=error s3rver@3.7.1 >/dev/null ||
    { echo "setup.sh: npm install s3rver failed" >&2; exit 1; }
fi

[ -x configure ] && [ configure -nt configure.ac ] || autoreconf -fi >/dev/null 2>&1 ||
  { autoreconf -fi; exit 1; }
mkdir -p "$builddir"
cd "$builddir"
if [ ! -f Makefile ] || [ "$(cat .confargs 2>/dev/null)" != "$confargs" ]; then
  # shellcheck disable=SC2086
  "$top/configure" -q $confargs
  echo "$confargs" > .confargs
fi
make -s -j"$(nproc)" all
make -s -j"$(nproc)" check TESTS= >/dev/null
echo "setup.sh: built in $top/$builddir"
