# The control-plane client (libcurl + jansson).
libpraas_internal_la_SOURCES += src/client/http.h src/client/http.c
# The public client library (praas/client.h): processes, sessions,
# invocations through the control plane and straight to sessions.
libpraas_internal_la_SOURCES += src/client/client.c src/client/client_int.h \
	src/client/control.c src/client/library.c src/client/handlers.c
praasinclude_HEADERS += include/praas/client.h
