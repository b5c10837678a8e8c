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

# Windows (RMA) through the public API only, so it links the library as an
# application would; bench/mpi_rma_bench.c is the same benchmark in MPI-3,
# built by bench/run-rma.sh with each MPI's compiler wrapper.
noinst_PROGRAMS += bench/rma_bench
bench_rma_bench_SOURCES = bench/rma_bench.c bench/bench.c bench/bench.h
bench_rma_bench_LDADD = libpraas.la
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
	bench/bench.h
bench_redis_allreduce_CPPFLAGS = $(AM_CPPFLAGS) $(HIREDIS_CFLAGS)
bench_redis_allreduce_LDADD = $(HIREDIS_LIBS)
EXTRA_DIST += bench/mpi_coll_bench.c bench/run-coll.sh bench/plot-coll.gp bench/README-coll.md
