/*
 * Function libraries uploaded to the control plane (doc/control-api.md,
 * "Function libraries"): PUT, GET, DELETE /v1/libraries[/{name}].
 *
 * A library is a file of the daemon's library directory (praas-control
 * --library-dir): DIR/NAME.so, with its description {"name", "size",
 * "sha256", "uploaded"} beside it in DIR/NAME.json. The directory, not the
 * store, is the truth: the subprocesses of this machine dlopen the file, so
 * the description lives where the file does. An upload is written to hidden
 * temporary files (".NAME.*", a name no library can have) and renamed over
 * the old ones, so a failed upload changes nothing stored and a replaced
 * library is replaced at once for the subprocesses started afterwards
 * (running ones keep the code they loaded).
 */
#ifndef PRAAS_CONTROL_LIBRARIES_H
#define PRAAS_CONTROL_LIBRARIES_H

#include <jansson.h>
#include <stddef.h>

#include "control/server.h"

/* The largest upload by default (praas-control --max-library). */
#define CP_MAX_LIBRARY_DEFAULT (256u << 20)
/* A library name: 1 to 64 characters of [A-Za-z0-9_.-], not starting with
 * '.' (so neither "." nor ".." nor a hidden temporary file). */
#define CP_LIBRARY_NAME_MAX 64

/* Set ctl->max_library and ctl->library_dir from the options ($PRAAS_LIBRARY_DIR,
 * else $TMPDIR/praas-libraries, made absolute; created on the first
 * upload). Returns 0 or PRAAS_ERR_INVALID naming a bad option. */
int cp_lib_setup(struct praas_control *ctl, const praas_control_opts_t *opts);

/* The body limit of a request to url: max_library for /v1/libraries/...,
 * max_payload for a raw (invocation) route, max_body otherwise. */
size_t cp_route_body_limit(const struct praas_control *ctl, const char *url);

/* /v1/libraries and /v1/libraries/{name}. */
void cp_route_libraries(struct praas_control *ctl, const struct cp_request *req,
                        struct cp_reply *rep);

/* Non-zero if name is a valid library name (see above). */
int cp_lib_name_ok(const char *name, size_t len);

/* The absolute path of library name, if it has been uploaded, in path
 * (size bytes). Returns 0, or -1 after answering 400 (no such library). */
int cp_lib_resolve(struct praas_control *ctl, const char *name, char *path, size_t size,
                   struct cp_reply *rep);

#endif /* PRAAS_CONTROL_LIBRARIES_H */
