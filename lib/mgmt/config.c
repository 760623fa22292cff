/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Loading and freeing the config, and its top-level members; ports,
 * routes and neighbors are in config_net.c, the WireGuard side in
 * config_peers.c, the plumbing in config_json.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_internal.h"
#include "secmem.h"

#define DIM(a) (sizeof(a) / sizeof((a)[0]))

enum { FILE_SIZE_MAX = 64 << 20 };

static const char *const crypto_names[] = {
	[WS_CRYPTO_IPSEC_MB] = "ipsec_mb",
	[WS_CRYPTO_SODIUM] = "sodium",
	[WS_CRYPTO_CRYPTODEV] = "cryptodev",
};

static const char *const role_names[] = {
	[WS_PORT_TUNNEL] = "tunnel",
	[WS_PORT_CLEAR] = "clear",
};

const char *ws_crypto_backend_name(enum ws_crypto_backend b)
{
	return (unsigned)b < DIM(crypto_names) ? crypto_names[b] : NULL;
}

const char *ws_port_role_name(enum ws_port_role r)
{
	return (unsigned)r < DIM(role_names) ? role_names[r] : NULL;
}

/* ---- the top level ---- */

static bool ifname_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '_' || ch == '=' || ch == '+' ||
	       ch == '.' || ch == '-';
}

/* The name becomes a socket file name, hence no "." or "..". */
static int parse_name(struct ws_cfg_ctx *c, const json_t *root, struct ws_config *cfg)
{
	const char *name = NULL;
	size_t len;
	int ret = ws_cfg_opt_string(c, root, "name", &name);

	if (ret < 0 || name == NULL)
		return ret;
	len = strlen(name);
	if (len == 0 || len >= WS_CONFIG_NAME_MAX)
		return ws_cfg_fail_at(c, "name", "must be 1..%d characters", WS_CONFIG_NAME_MAX - 1);
	for (size_t i = 0; i < len; i++)
		if (!ifname_char(name[i]))
			return ws_cfg_fail_at(c, "name", "only letters, digits and _=+.- are allowed");
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return ws_cfg_fail_at(c, "name", "must not be \".\" or \"..\"");
	memcpy(cfg->name, name, len + 1);
	return 0;
}

static int parse_eal(struct ws_cfg_ctx *c, const json_t *root, struct ws_config *cfg)
{
	const json_t *arr = json_object_get(root, "eal");
	size_t n, mark;
	int ret;

	if (arr == NULL)
		return 0;
	mark = ws_cfg_push_key(c, "eal");
	ret = ws_cfg_want_array(c, arr, 0, WS_CONFIG_EAL_ARGS_MAX, &n);
	if (ret == 0) {
		cfg->eal = calloc(n + 1, sizeof(*cfg->eal));
		if (cfg->eal == NULL)
			ret = ws_cfg_fail_nomem(c);
	}
	for (size_t i = 0; ret == 0 && i < n; i++) {
		const char *s;
		size_t m = ws_cfg_push_index(c, i);
		ret = ws_cfg_want_string(c, json_array_get(arr, i), &s);
		if (ret == 0) {
			cfg->eal[i] = strdup(s);
			if (cfg->eal[i] == NULL)
				ret = ws_cfg_fail_nomem(c);
			else
				cfg->n_eal++;
		}
		ws_cfg_pop(c, m);
	}
	ws_cfg_pop(c, mark);
	return ret;
}

static int parse_crypto(struct ws_cfg_ctx *c, const json_t *root, struct ws_config *cfg)
{
	const char *s = NULL;
	int ret = ws_cfg_opt_string(c, root, "crypto", &s);

	if (ret < 0 || s == NULL)
		return ret;
	for (unsigned i = 0; i < DIM(crypto_names); i++) {
		if (strcmp(s, crypto_names[i]) == 0) {
			cfg->crypto = (enum ws_crypto_backend)i;
			return 0;
		}
	}
	return ws_cfg_fail_at(c, "crypto", "must be \"ipsec_mb\", \"sodium\" or \"cryptodev\"");
}

static int parse_management(struct ws_cfg_ctx *c, const json_t *root, struct ws_config *cfg)
{
	static const char *const keys[] = { "jsonrpc", "uapi", "telemetry", NULL };
	struct ws_config_management *m = &cfg->management;
	const json_t *obj = json_object_get(root, "management");
	const char *sock = NULL;
	size_t mark;
	int ret;

	m->uapi = true;
	m->telemetry = true;
	snprintf(m->jsonrpc, sizeof(m->jsonrpc), "/run/wirespeed/%s.sock", cfg->name);
	if (obj == NULL)
		return 0;
	mark = ws_cfg_push_key(c, "management");
	ret = ws_cfg_want_object(c, obj);
	if (ret == 0)
		ret = ws_cfg_check_keys(c, obj, keys);
	if (ret == 0)
		ret = ws_cfg_opt_string(c, obj, "jsonrpc", &sock);
	if (ret == 0 && sock != NULL) {
		if (sock[0] == '\0' || strlen(sock) >= sizeof(m->jsonrpc))
			ret = ws_cfg_fail_at(c, "jsonrpc", "a socket path of 1..%zu characters",
					     sizeof(m->jsonrpc) - 1);
		else
			snprintf(m->jsonrpc, sizeof(m->jsonrpc), "%s", sock);
	}
	if (ret == 0)
		ret = ws_cfg_opt_bool(c, obj, "uapi", &m->uapi);
	if (ret == 0)
		ret = ws_cfg_opt_bool(c, obj, "telemetry", &m->telemetry);
	ws_cfg_pop(c, mark);
	return ret;
}

static int parse_security(struct ws_cfg_ctx *c, const json_t *root, struct ws_config *cfg)
{
	static const char *const keys[] = { "lock_memory", "core_dumps", NULL };
	struct ws_config_security *sec = &cfg->security;
	const json_t *obj = json_object_get(root, "security");
	size_t mark;
	int ret;

	sec->lock_memory = false;
	sec->core_dumps = false;
	if (obj == NULL)
		return 0;
	mark = ws_cfg_push_key(c, "security");
	ret = ws_cfg_want_object(c, obj);
	if (ret == 0)
		ret = ws_cfg_check_keys(c, obj, keys);
	if (ret == 0)
		ret = ws_cfg_opt_bool(c, obj, "lock_memory", &sec->lock_memory);
	if (ret == 0)
		ret = ws_cfg_opt_bool(c, obj, "core_dumps", &sec->core_dumps);
	ws_cfg_pop(c, mark);
	return ret;
}

static int parse_root(struct ws_cfg_ctx *c, const json_t *root, struct ws_config *cfg)
{
	static const char *const keys[] = {
		"name", "eal", "crypto", "ports", "routes", "neighbors", "lcores",
		"interface", "peers", "management", "security", NULL
	};
	int ret;

	if (!json_is_object(root))
		return ws_cfg_fail(c, "the config must be a JSON object");
	strcpy(cfg->name, "wg0");
	cfg->crypto = WS_CRYPTO_IPSEC_MB;
	ret = ws_cfg_check_keys(c, root, keys);
	if (ret == 0)
		ret = parse_name(c, root, cfg);
	if (ret == 0)
		ret = parse_eal(c, root, cfg);
	if (ret == 0)
		ret = parse_crypto(c, root, cfg);
	if (ret == 0)
		ret = ws_cfg_parse_ports(c, root, cfg);
	if (ret == 0)
		ret = ws_cfg_parse_routes(c, root, cfg);
	if (ret == 0)
		ret = ws_cfg_parse_neighbors(c, root, cfg);
	if (ret == 0)
		ret = ws_cfg_parse_lcores(c, root, cfg);
	if (ret == 0)
		ret = ws_cfg_parse_interface(c, root, cfg);
	if (ret == 0)
		ret = ws_cfg_parse_peers(c, root, cfg);
	if (ret == 0)
		ret = parse_management(c, root, cfg);
	if (ret == 0)
		ret = parse_security(c, root, cfg);
	return ret;
}

/*
 * jansson's message may end in " near '<token>'", and the token may be a
 * piece of a key: keep only the text before it, and say where.
 */
static int out_of_memory(struct ws_cfg_ctx *c)
{
	if (c->err != NULL && c->errlen > 0)
		snprintf(c->err, c->errlen, "%s: out of memory",
			 c->source != NULL ? c->source : "JSON");
	return -ENOMEM;
}

static int syntax_error(struct ws_cfg_ctx *c, const json_error_t *je)
{
	char text[sizeof(je->text)];
	char *near;
	const char *prefix = c->source != NULL ? c->source : "JSON";

	if (json_error_code(je) == json_error_out_of_memory)
		return out_of_memory(c);
	snprintf(text, sizeof(text), "%s", je->text);
	near = strstr(text, " near ");
	/* For a duplicate, the token is the key: a name, worth showing. */
	if (json_error_code(je) == json_error_duplicate_key && near != NULL) {
		size_t l = strlen(near);
		if (l > 10 && strncmp(near, " near '\"", 8) == 0 &&
		    strcmp(near + l - 2, "\"'") == 0) {
			near[l - 1] = '\0';
			memmove(near + 1, near + 7, l - 7);
			near = NULL;
		}
	}
	if (near != NULL)
		*near = '\0';
	if (strncmp(text, "invalid Unicode", 15) == 0 && strchr(text, '\'') != NULL)
		*strchr(text, '\'') = '\0';
	ws_cfg_redact(text);
	if (c->err != NULL && c->errlen > 0)
		snprintf(c->err, c->errlen, "%s: line %d, column %d: %s", prefix,
			 je->line, je->column, text);
	return -EINVAL;
}

static int load(struct ws_cfg_ctx *c, const char *json, size_t len, struct ws_config *out)
{
	struct ws_config cfg;
	unsigned long failed;
	json_error_t je;
	json_t *root;
	int ret;

	memset(out, 0, sizeof(*out));
	memset(&cfg, 0, sizeof(cfg));
	if (c->err != NULL && c->errlen > 0)
		c->err[0] = '\0';
	failed = ws_secmem_alloc_failures();
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (ws_secmem_alloc_failures() != failed) {
		/* Parsed past a failed allocation: the values cannot be trusted (secmem.h). */
		json_decref(root);
		return out_of_memory(c);
	}
	if (root == NULL)
		return syntax_error(c, &je);
	ret = parse_root(c, root, &cfg);
	ws_cfg_wipe_strings(root);
	json_decref(root);
	if (ret < 0) {
		ws_config_free(&cfg);
		return ret;
	}
	memcpy(out, &cfg, sizeof(cfg));
	ws_memzero(&cfg, sizeof(cfg));
	return 0;
}

int ws_config_load_string(const char *json, size_t len, struct ws_config *out,
			  char *err, size_t errlen)
{
	struct ws_cfg_ctx c = { .err = err, .errlen = errlen };

	return load(&c, json, len, out);
}

static int read_file(const char *path, char **buf, size_t *len)
{
	struct stat st;
	size_t cap, n = 0;
	char *b;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out_fd;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = -EISDIR;
		goto out_fd;
	}
	if (st.st_size > FILE_SIZE_MAX) {
		ret = -EFBIG;
		goto out_fd;
	}
	cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
	b = malloc(cap);
	if (b == NULL) {
		ret = -ENOMEM;
		goto out_fd;
	}
	for (;;) {
		ssize_t r;
		if (n == cap) {
			/* The file grew, or is not a regular file. */
			char *nb = cap < FILE_SIZE_MAX ? malloc(cap * 2) : NULL;
			if (nb == NULL) {
				ret = cap < FILE_SIZE_MAX ? -ENOMEM : -EFBIG;
				break;
			}
			memcpy(nb, b, n);
			ws_memzero(b, n);
			free(b);
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (ret < 0) {
		ws_memzero(b, n);
		free(b);
	} else {
		*buf = b;
		*len = n;
	}
out_fd:
	close(fd);
	return ret;
}

int ws_config_load_file(const char *path, struct ws_config *out, char *err, size_t errlen)
{
	struct ws_cfg_ctx c = { .source = path, .err = err, .errlen = errlen };
	char *buf = NULL;
	size_t len = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = read_file(path, &buf, &len);
	if (ret < 0) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	ret = load(&c, buf, len, out);
	/* The file text holds the private key. */
	ws_memzero(buf, len);
	free(buf);
	return ret;
}

void ws_config_free(struct ws_config *cfg)
{
	if (cfg->eal != NULL) {
		for (unsigned i = 0; i < cfg->n_eal; i++)
			free(cfg->eal[i]);
		free(cfg->eal);
	}
	free(cfg->routes);
	free(cfg->neighbors);
	if (cfg->peers != NULL) {
		for (unsigned i = 0; i < cfg->n_peers; i++)
			free(cfg->peers[i].allowed_ips);
		ws_memzero(cfg->peers, cfg->n_peers * sizeof(*cfg->peers));
		free(cfg->peers);
	}
	ws_memzero(cfg, sizeof(*cfg));
}

int ws_config_check_file_mode(const char *path, char *warn, size_t warnlen)
{
	const mode_t group = S_IRGRP | S_IWGRP, others = S_IROTH | S_IWOTH;
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if ((st.st_mode & (group | others)) == 0)
		return 0;
	if (warn != NULL && warnlen > 0)
		snprintf(warn, warnlen,
			 "%s: mode %04o lets %s %s it, and it holds the private key "
			 "(chmod 600)", path, (unsigned)(st.st_mode & 07777),
			 (st.st_mode & others) ? "others" : "the group",
			 (st.st_mode & (S_IWGRP | S_IWOTH)) ? "read or change" : "read");
	return 1;
}
