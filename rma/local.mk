# rma/: one-sided windows (MPI-3 RMA semantics).
# Reduction operations on predefined types (plain and atomic), and the
# public type and operation names.
libpraas_internal_la_SOURCES += rma/op.h rma/op_combine.h rma/op.c rma/op_atomic.c
praasinclude_HEADERS += include/praas/types.h
# Windows: creation, communication, synchronization, target-side messages.
libpraas_internal_la_SOURCES += rma/rma.h rma/win.c rma/comm.c rma/sync.c rma/am.c
praasinclude_HEADERS += include/praas/rma.h
