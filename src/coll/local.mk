# Collectives on windows: channels (team.c), algorithms, ops, non-blocking.
libpraas_internal_la_SOURCES += src/coll/coll.h src/coll/team.c src/coll/algos.c \
	src/coll/op.c src/coll/nb.c src/coll/shm_wait.h src/coll/shm_wait.c
praasinclude_HEADERS += include/praas/coll.h
