# The control-plane client (libcurl + jansson).
libpraas_internal_la_SOURCES += src/client/http.h src/client/http.c
