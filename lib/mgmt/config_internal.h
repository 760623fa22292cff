/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the loader's files: config_json.c (paths, errors, typed
 * access), config.c (top level), config_net.c and config_peers.c (the
 * sections). Not for other modules.
 */
#ifndef WS_CONFIG_INTERNAL_H
#define WS_CONFIG_INTERNAL_H

#include <jansson.h>

#include "config.h"

/*
 * Where the loader is in the document, as a JSON path ("peers[3].endpoint"),
 * and where the first error goes. Only the first error is kept: later ones
 * are consequences.
 */
struct ws_cfg_ctx {
	const char *source;     /* file name prefixed to messages, or NULL */
	char *err;
	size_t errlen;
	char path[256];
	size_t plen;
};

size_t ws_cfg_push_key(struct ws_cfg_ctx *c, const char *key);
size_t ws_cfg_push_index(struct ws_cfg_ctx *c, size_t i);
void ws_cfg_pop(struct ws_cfg_ctx *c, size_t mark);

/* "<path>: <message>"; returns -EINVAL. */
int ws_cfg_fail(struct ws_cfg_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Same, with key appended to the path for this one message. */
int ws_cfg_fail_at(struct ws_cfg_ctx *c, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "<path>: "<shown value>": <reason>"; the value is shortened and escaped. */
int ws_cfg_fail_value(struct ws_cfg_ctx *c, const char *value, const char *reason);
int ws_cfg_fail_nomem(struct ws_cfg_ctx *c);
/* Hides base64 runs long enough to be key material, in place. */
void ws_cfg_redact(char *s);
/* Wipes every string in the tree: key material may sit anywhere in it. */
void ws_cfg_wipe_strings(json_t *v);

/* Rejects keys of obj not in the NULL-terminated allowed list. */
int ws_cfg_check_keys(struct ws_cfg_ctx *c, const json_t *obj, const char *const *allowed);
int ws_cfg_want_object(struct ws_cfg_ctx *c, const json_t *v);
/* An array of min..max entries; *n gets its size. */
int ws_cfg_want_array(struct ws_cfg_ctx *c, const json_t *v, size_t min, size_t max, size_t *n);
int ws_cfg_want_string(struct ws_cfg_ctx *c, const json_t *v, const char **out);
int ws_cfg_want_int(struct ws_cfg_ctx *c, const json_t *v, long long min, long long max,
		    long long *out);

/*
 * Optional members: 0 and *out untouched when absent; the path names the
 * member in any error. The req_ forms fail with "required" when absent.
 */
int ws_cfg_opt_string(struct ws_cfg_ctx *c, const json_t *obj, const char *key, const char **out);
int ws_cfg_req_string(struct ws_cfg_ctx *c, const json_t *obj, const char *key, const char **out);
int ws_cfg_opt_int(struct ws_cfg_ctx *c, const json_t *obj, const char *key,
		long long min, long long max, long long *out);
int ws_cfg_opt_bool(struct ws_cfg_ctx *c, const json_t *obj, const char *key, bool *out);


/*
 * Lowest j such that element j equals an earlier element *first (by cmp).
 * Returns 1 and sets *first and *dup, 0 when all differ, -ENOMEM.
 */
int ws_cfg_find_duplicate(const void *base, size_t n, size_t size,
			  int (*cmp)(const void *, const void *), size_t *first, size_t *dup);

/* The sections, in config_net.c and config_peers.c, called in this order. */
int ws_cfg_parse_ports(struct ws_cfg_ctx *c, const json_t *root, struct ws_config *cfg);
int ws_cfg_parse_routes(struct ws_cfg_ctx *c, const json_t *root, struct ws_config *cfg);
int ws_cfg_parse_neighbors(struct ws_cfg_ctx *c, const json_t *root, struct ws_config *cfg);
int ws_cfg_parse_lcores(struct ws_cfg_ctx *c, const json_t *root, struct ws_config *cfg);
int ws_cfg_parse_interface(struct ws_cfg_ctx *c, const json_t *root, struct ws_config *cfg);
int ws_cfg_parse_peers(struct ws_cfg_ctx *c, const json_t *root, struct ws_config *cfg);

#endif /* WS_CONFIG_INTERNAL_H */
