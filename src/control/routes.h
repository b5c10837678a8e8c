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
 *   praas:session:<sid>               {"process", "rank"}
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

/* A process record as loaded from the store. */
struct cp_proc {
    json_t *rec; /* owned: {"id", "name", "size"} */
    json_int_t size;
};

/* Load process id. Returns 0, or -1 after answering 404 (unknown id) or
 * 503 (store failure). Release with json_decref(p->rec). */
int cp_proc_load(struct praas_control *ctl, const char *id, struct cp_reply *rep,
                 struct cp_proc *p);

/* The sessions of process id sorted by rank, as a JSON array (new
 * reference) of {"id"?, "rank", "address", "metadata"}, "id" included when
 * with_ids. Returns 0, or -1 after answering 503. */
int cp_sessions_table(struct praas_control *ctl, const char *id, int with_ids,
                      struct cp_reply *rep, json_t **table_p);

#endif /* PRAAS_CONTROL_ROUTES_H */
