# src/mpi/: the MPI compatibility layer, MPI_* mapped onto praas_* (built
# into libpraas; programs use it through include/praas/mpi/mpi.h and
# praas-mpicc).
libpraas_internal_la_SOURCES += src/mpi/pm.h src/mpi/handle.c src/mpi/env.c src/mpi/errh.c \
	src/mpi/comm.c src/mpi/group.c src/mpi/info.c src/mpi/datatype.c src/mpi/win.c \
	src/mpi/rma.c src/mpi/request.c src/mpi/coll.c src/mpi/unsupported.c \
	src/mpi/typemap.c src/mpi/p2p.c src/mpi/pt2pt.c src/mpi/vcoll.c src/mpi/attr.c \
	src/mpi/sched.c src/mpi/nbcoll.c src/mpi/darray.c
praasmpiincludedir = $(includedir)/praas/mpi
praasmpiinclude_HEADERS = include/praas/mpi/mpi.h
EXTRA_DIST += testsuite/mpi
