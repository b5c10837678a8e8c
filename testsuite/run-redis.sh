#!/bin/sh
# The LOG_COMPILER of the .redis test extension: the harness passes NAME.redis
# (an empty stamp); run NAME with a private redis-server (with-redis.sh),
# NAME being a test program of the build tree or a NAME.sh script of the
# source tree. The test then checks the memory store and Redis alike.
set -u
t=${1%.redis}
if [ -f "$top_srcdir/$t.sh" ]; then
  exec sh "$top_srcdir/testsuite/with-redis.sh" sh "$top_srcdir/$t.sh"
fi
exec sh "$top_srcdir/testsuite/with-redis.sh" "$top_builddir/$t"
