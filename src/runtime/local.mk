# src/runtime
# The session runtime of praas-process: the data plane's wire and client
# (dp.h), the server, sessions, swapping and the function API
# (praas/session.h). doc/invoke.md describes it.
libpraas_internal_la_SOURCES += \
	src/runtime/dp.h src/runtime/wire.h src/runtime/wire.c \
	src/runtime/dp_client.c \
	src/runtime/rt.h src/runtime/server.c src/runtime/requests.c src/runtime/session.c \
	src/runtime/tables.c \
	src/runtime/swap.c src/runtime/prefetch.c src/runtime/function.c src/runtime/process_main.c
praasinclude_HEADERS += include/praas/session.h
EXTRA_DIST += doc/invoke.md
