# bench: programs that measure and report, built by `make` and never run by
# `make check` (a benchmark reports speed, it does not assert it). Run them
# with bench/run-tp.sh; see bench/README.md.
noinst_PROGRAMS += bench/tp_bench bench/floor_bench

# The raw-transport benchmark reaches below the public API (core_tp() and
# the tp_* calls), so it links the convenience library, as white-box tests do.
bench_tp_bench_SOURCES = bench/tp_bench.c bench/bench.c bench/bench.h
bench_tp_bench_CPPFLAGS = $(libpraas_internal_la_CPPFLAGS)
bench_tp_bench_LDADD = libpraas_internal.la

# The floor (loopback TCP, memcpy) needs nothing of praas.
bench_floor_bench_SOURCES = bench/floor_bench.c bench/bench.c bench/bench.h

EXTRA_DIST += bench/run-tp.sh bench/plot-tp.gp bench/README.md

# Windows (RMA) through the public API; bench/mpi_rma_bench.c is the same
# benchmark in MPI-3, built by bench/run-rma.sh with each MPI's compiler
# wrapper. Its --raw pairs every put/get sample with one of the raw
# transport (tp_put/tp_get, as tp_bench) in the same process, which reaches
# below the public API, so it links the convenience library as tp_bench does.
noinst_PROGRAMS += bench/rma_bench
bench_rma_bench_SOURCES = bench/rma_bench.c bench/bench.c bench/bench.h
bench_rma_bench_CPPFLAGS = $(libpraas_internal_la_CPPFLAGS)
bench_rma_bench_LDADD = libpraas_internal.la
EXTRA_DIST += bench/mpi_rma_bench.c bench/run-rma.sh bench/plot-rma.gp bench/README-rma.md

# Allreduce through the public API (coll_bench), its MPI twin
# (bench/mpi_coll_bench.c, built by bench/run-coll.sh with each MPI's
# wrapper) and the Redis-based allreduce of today's serverless systems
# (redis_allreduce: hiredis only, no praas); bench/coll_driver.h is the
# measurement all three share. See bench/README-coll.md.
noinst_PROGRAMS += bench/coll_bench bench/redis_allreduce
bench_coll_bench_SOURCES = bench/coll_bench.c bench/coll_driver.h bench/bench.c bench/bench.h
bench_coll_bench_LDADD = libpraas.la
bench_redis_allreduce_SOURCES = bench/redis_allreduce.c bench/coll_driver.h bench/bench.c \
	bench/bench.h bench/redis_chan.c bench/redis_chan.h
bench_redis_allreduce_CPPFLAGS = $(AM_CPPFLAGS) $(HIREDIS_CFLAGS)
bench_redis_allreduce_LDADD = $(HIREDIS_LIBS)
EXTRA_DIST += bench/mpi_coll_bench.c bench/run-coll.sh bench/plot-coll.gp bench/README-coll.md

# The one-sided MPI benchmark built three ways (praas-mpicc, Open MPI,
# MPICH) by bench/run-mpi-rma.sh; bench/lib/mpi.sh is what the scripts that
# build and launch MPI programs share. See bench/README-mpi-rma.md.
EXTRA_DIST += bench/run-mpi-rma.sh bench/plot-mpi-rma.gp bench/README-mpi-rma.md bench/lib/mpi.sh
# What every bench/run-*.sh shares (build directory, servers, status words).
EXTRA_DIST += bench/lib/common.sh

# SGD time per epoch (bench/run-sgd.sh): examples/sgd/sgd in sync and async
# mode, and sgd_redis, the same training with the gradients summed through
# Redis (bench/redis_chan.c, as redis_allreduce), linking examples/sgd's
# data and model code. See bench/README-sgd.md.
noinst_PROGRAMS += bench/sgd_redis
bench_sgd_redis_SOURCES = bench/sgd_redis.c bench/redis_chan.c bench/redis_chan.h
bench_sgd_redis_CPPFLAGS = $(AM_CPPFLAGS) $(HIREDIS_CFLAGS)
bench_sgd_redis_LDADD = examples/sgd/libsgd.la $(HIREDIS_LIBS)
EXTRA_DIST += bench/run-sgd.sh bench/plot-sgd.gp bench/README-sgd.md

# Global memory objects beside Redis and S3, and persist/restore time per
# storage backend (bench/run-gmem.sh). It opens praas's S3 storage itself
# (src/storage), so it links the convenience library. See bench/README-gmem.md.
noinst_PROGRAMS += bench/gmem_bench
bench_gmem_bench_SOURCES = bench/gmem_bench.c bench/bench.c bench/bench.h
bench_gmem_bench_CPPFLAGS = $(libpraas_internal_la_CPPFLAGS)
bench_gmem_bench_LDADD = libpraas_internal.la
EXTRA_DIST += bench/run-gmem.sh bench/plot-gmem.gp bench/README-gmem.md

# Invocations (bench/run-invoke.sh): round trip of the echo function
# directly, through the control plane and over raw loopback TCP; chaining
# through session memory, Redis and S3; swapping per storage backend. It
# drives praas-process over the data plane (src/runtime) and opens praas's
# storage, so it links the convenience library; invoke_funcs is the function
# library it deploys. See bench/README-invoke.md.
noinst_PROGRAMS += bench/invoke_bench
bench_invoke_bench_SOURCES = bench/invoke_bench.c bench/bench.c bench/bench.h
bench_invoke_bench_CPPFLAGS = $(libpraas_internal_la_CPPFLAGS)
bench_invoke_bench_LDADD = libpraas_internal.la $(HIREDIS_LIBS)
noinst_LTLIBRARIES += bench/invoke_funcs.la
bench_invoke_funcs_la_SOURCES = bench/invoke_funcs.c
bench_invoke_funcs_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared -rpath $(abs_builddir)
EXTRA_DIST += bench/run-invoke.sh bench/plot-invoke.gp bench/README-invoke.md
