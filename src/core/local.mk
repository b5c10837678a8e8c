# Core: errors, logging, configuration, context, progress engine.
libpraas_internal_la_SOURCES += \
	src/core/common.h \
	src/core/error.h src/core/error.c \
	src/core/log.h src/core/log.c \
	src/core/config.h src/core/config.c \
	src/core/base64.h src/core/base64.c \
	src/core/redis_url.h src/core/redis_url.c \
	src/core/progress.h src/core/progress.c src/core/wait.h \
	src/core/context.h src/core/context.c src/core/context_priv.h src/core/exchange.c
praasinclude_HEADERS += include/praas/errors.h include/praas/init.h
