#!/bin/sh
# The LOG_COMPILER of the .mpi test extension: the harness passes
# testsuite/mpi/PROGRAM-nN-CONFIG.mpi (an empty stamp); run
# testsuite/mpi/run.sh PROGRAM N CONFIG.
set -u
base=$(basename "${1%.mpi}")
config=${base##*-}
rest=${base%-*}
np=${rest##*-n}
prog=${rest%-n*}
exec sh "$top_srcdir/testsuite/mpi/run.sh" "$prog" "$np" "$config"
