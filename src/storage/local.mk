# Storage for swapped sessions and persisted objects: one ops table, three
# backends (file, S3 over libcurl with our own AWS SigV4, Redis).
libpraas_internal_la_SOURCES += \
	src/storage/storage.h src/storage/storage.c \
	src/storage/file.c src/storage/redis.c \
	src/storage/sigv4.h src/storage/sigv4.c src/storage/s3.c
# libcrypto (SHA-256, HMAC for SigV4), found by configure.
libpraas_internal_la_CPPFLAGS += $(CRYPTO_CFLAGS)
libpraas_internal_la_LIBADD += $(CRYPTO_LIBS)
