# src/control
# The control plane: HTTP/JSON API (libmicrohttpd, jansson) over a store
# ops table (memory, Redis). The embedding API is praas/control.h.
libpraas_internal_la_SOURCES += \
	src/control/store.h src/control/store.c \
	src/control/store_mem.c src/control/store_redis.c \
	src/control/reply.h src/control/reply.c \
	src/control/server.h src/control/server.c \
	src/control/routes.h src/control/routes.c \
	src/control/fence.c \
	src/control/objects.c \
	src/control/serverless.h src/control/serverless.c \
	src/control/libraries.h src/control/libraries.c \
	src/control/sessions.h src/control/sessions.c src/control/sweeper.c \
	src/control/executor.h src/control/executor.c src/control/placement.c \
	src/control/views.c src/control/members.c
praasinclude_HEADERS += include/praas/control.h
