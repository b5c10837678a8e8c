/*
 * What the routes share: the store's key layout and the reading of a
 * process and of its table of sessions.
 *
 * Keys (every id and fence name is [A-Za-z0-9_.-], so ':' separates):
 *   praas:procs                       set of process ids (the listing index)
 *   praas:proc:<id>                   {"id", "name", "size", "run"}
 *   praas:proc:<id>:ranks             set of registered ranks (the count)
 *   praas:proc:<id>:rank:<r>          {"id", "rank", "address", "metadata"}
 *   praas:proc:<id>:fence:<name>      set of ranks that arrived
 *   praas:proc:<id>:obj:<name>        an object's directory entry (objects.c)
 *   praas:proc:<id>:objclaim:<name>   the rank restoring it in this run
 *   praas:proc:<id>:view              the current view and a change (views.c)
 *   praas:session:<sid>               {"process", "rank"}, or a serverless
 *                                     session's record (serverless.h, which
 *                                     lists the keys of serverless sessions)
 * Everything of a process but the index entry and its sessions' records
 * sits under "praas:proc:<id>:", so deleting a process is one scan.
 */
#ifndef PRAAS_CONTROL_ROUTES_H
#define PRAAS_CONTROL_ROUTES_H

#include <jansson.h>

#include "control/server.h"

#define CP_KEY_MAX 192
#define CP_KEY_PROCS "praas:procs"

/* Build a key into buf (CP_KEY_MAX bytes); ids are at most 64 characters,
 * so every key fits. */
void cp_key_proc(char *buf, const char *id);
void cp_key_ranks(char *buf, const char *id);
void cp_key_rank(char *buf, const char *id, long long rank);
void cp_key_rank_prefix(char *buf, const char *id);
void cp_key_fence(char *buf, const char *id, const char *name);
void cp_key_session(char *buf, const char *sid);

/* A fresh id: prefix ("p-", "s-") and 16 hex digits; buf holds at least
 * 20 bytes. Returns 0 or PRAAS_ERR_IO. */
int cp_new_id(char *buf, const char *prefix);

/* Store obj as compact JSON under key. Returns the store's code. */
int cp_put_json(struct cp_store *st, const char *key, json_t *obj, unsigned flags);

/* Parse a stored record (new reference), or NULL after answering 503. */
json_t *cp_parse_record(const char *key, const char *text, size_t len, struct cp_reply *rep);

/* Answer 405 naming the method, the path and the allowed methods (allow, a
 * constant string, also goes into the Allow header). Returns -1. */
int cp_not_allowed(const struct cp_request *req, struct cp_reply *rep, const char *allow);

/* A process record as loaded from the store. */
struct cp_proc {
    json_t *rec; /* owned: {"id", "name", "size"} */
    json_int_t size;
};

/* Load process id. Returns 0, or -1 after answering 404 (unknown id) or
 * 503 (store failure). Release with json_decref(p->rec). */
int cp_proc_load(struct praas_control *ctl, const char *id, struct cp_reply *rep,
                 struct cp_proc *p);

/* cp_proc_load, with p->size raised past every rank that is a member of
 * the process's view or of the change being installed (a rank that joined
 * or is joining, views.c): the bound on the ranks the process may name.
 * Returns 0, or -1 after answering 404 or 503. */
int cp_proc_load_ranks(struct praas_control *ctl, const char *id, struct cp_reply *rep,
                       struct cp_proc *p);

/* The sessions of process id sorted by rank, as a JSON array (new
 * reference) of {"id"?, "rank", "address", "metadata"}, "id" included when
 * with_ids. Returns 0, or -1 after answering 503. */
int cp_sessions_table(struct praas_control *ctl, const char *id, int with_ids,
                      struct cp_reply *rep, json_t **table_p);

/* /v1/processes/{id}/view, /views, /views/ack (views.c); rest is the path
 * from "/view" on. */
int cp_route_views(struct praas_control *ctl, const struct cp_request *req, const char *id,
                   const char *rest, struct cp_reply *rep);

/* The number of members of the current view of process id into *n_p: def
 * (the process's size) while the view never changed. Returns 0 or a store
 * error. The fence waits for that many ranks. */
int cp_view_size(struct praas_control *ctl, const char *id, json_int_t def, json_int_t *n_p);

#endif /* PRAAS_CONTROL_ROUTES_H */
