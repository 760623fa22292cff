/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The text of the configuration protocol: the set parser and the get
 * formatter. The socket side is in uapi_server.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uapi.h"

/* Longest value we accept: a hex key is 64, an endpoint at most 53. */
enum { VALUE_MAX = 128 };

static bool key_from_hex(uint8_t key[WS_KEY_LEN], const char *hex)
{
	uint8_t tmp[WS_KEY_LEN];
	bool ok = strlen(hex) == 2 * WS_KEY_LEN;

	for (unsigned i = 0; ok && i < WS_KEY_LEN; i++) {
		int hi = ws_hexval(hex[2 * i]), lo = ws_hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			ok = false;
		else
			tmp[i] = (uint8_t)(hi << 4 | lo);
	}
	if (ok)
		memcpy(key, tmp, sizeof(tmp));
	ws_memzero(tmp, sizeof(tmp));
	return ok;
}

/* Strict decimal, no sign, no spaces, at most max. */
static bool parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		unsigned d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

struct parse {
	struct ws_uapi_set *set;
	struct ws_uapi_peer_op *peer;   /* the section being filled, or NULL */
	struct ws_uapi_peer_op scratch; /* sections after remove=true land here */
	bool removed;
	const char *why;
};

/* Arrays without a capacity field grow when their count reaches a power of two. */
static int add_prefix(struct ws_prefix **arr, unsigned *n, const struct ws_prefix *p)
{
	if ((*n & (*n - 1)) == 0) {
		size_t cap = *n == 0 ? 1 : (size_t)*n * 2;
		struct ws_prefix *g = realloc(*arr, cap * sizeof(**arr));
		if (g == NULL)
			return -ENOMEM;
		*arr = g;
	}
	(*arr)[(*n)++] = *p;
	return 0;
}

static void op_clear(struct ws_uapi_peer_op *op)
{
	free(op->allowed_ips);
	ws_memzero(op, sizeof(*op));
}

static int bad(struct parse *ps, int err, const char *why)
{
	ps->why = why;
	return err;
}

static int new_peer(struct parse *ps, const char *value)
{
	struct ws_uapi_set *set = ps->set;
	struct ws_uapi_peer_op *grown;
	uint8_t key[WS_KEY_LEN];

	if (!key_from_hex(key, value))
		return bad(ps, -EINVAL, "public_key is not 64 hex digits");
	if ((set->n_peers & (set->n_peers - 1)) == 0) {
		size_t cap = set->n_peers == 0 ? 1 : (size_t)set->n_peers * 2;
		grown = realloc(set->peers, cap * sizeof(*grown));
		if (grown == NULL)
			return bad(ps, -ENOMEM, "out of memory");
		set->peers = grown;
	}
	ps->peer = &set->peers[set->n_peers++];
	memset(ps->peer, 0, sizeof(*ps->peer));
	memcpy(ps->peer->public_key, key, sizeof(key));
	ws_memzero(key, sizeof(key));
	op_clear(&ps->scratch);
	ps->removed = false;
	return 0;
}

static int device_line(struct parse *ps, const char *key, const char *value)
{
	struct ws_uapi_set *set = ps->set;
	uint64_t v;

	if (strcmp(key, "private_key") == 0) {
		if (!key_from_hex(set->private_key, value))
			return bad(ps, -EINVAL, "private_key is not 64 hex digits");
		set->flags |= WS_UAPI_SET_PRIVATE_KEY;
	} else if (strcmp(key, "listen_port") == 0) {
		if (!parse_uint(value, UINT16_MAX, &v))
			return bad(ps, -EINVAL, "listen_port is not a number in 0..65535");
		set->listen_port = (uint16_t)v;
		set->flags |= WS_UAPI_SET_LISTEN_PORT;
	} else if (strcmp(key, "fwmark") == 0) {
		if (!parse_uint(value, UINT32_MAX, &v))
			return bad(ps, -EINVAL, "fwmark is not a number in 0..4294967295");
		set->fwmark = (uint32_t)v;
		set->flags |= WS_UAPI_SET_FWMARK;
	} else if (strcmp(key, "replace_peers") == 0) {
		if (strcmp(value, "true") != 0)
			return bad(ps, -EINVAL, "replace_peers takes only true");
		set->flags |= WS_UAPI_SET_REPLACE_PEERS;
	} else {
		return bad(ps, -EINVAL, "not an interface key of a set");
	}
	return 0;
}

static int peer_line(struct parse *ps, const char *key, const char *value)
{
	struct ws_uapi_peer_op *op = ps->removed ? &ps->scratch : ps->peer;
	struct ws_prefix p;
	const char *why;
	uint64_t v;

	if (strcmp(key, "remove") == 0) {
		if (strcmp(value, "true") != 0)
			return bad(ps, -EINVAL, "remove takes only true");
		/* The rest of the section is checked but describes a peer
		 * that is gone, as in wireguard-go. */
		uint8_t pub[WS_KEY_LEN];
		memcpy(pub, ps->peer->public_key, sizeof(pub));
		op_clear(ps->peer);
		memcpy(ps->peer->public_key, pub, sizeof(pub));
		ps->peer->flags = WS_UAPI_PEER_REMOVE;
		ps->removed = true;
	} else if (strcmp(key, "update_only") == 0) {
		if (strcmp(value, "true") != 0)
			return bad(ps, -EINVAL, "update_only takes only true");
		op->flags |= WS_UAPI_PEER_UPDATE_ONLY;
	} else if (strcmp(key, "preshared_key") == 0) {
		if (!key_from_hex(op->preshared_key, value))
			return bad(ps, -EINVAL, "preshared_key is not 64 hex digits");
		op->flags |= WS_UAPI_PEER_PRESHARED_KEY;
	} else if (strcmp(key, "endpoint") == 0) {
		if (ws_endpoint_parse(&op->endpoint, value, &why) < 0)
			return bad(ps, -EINVAL, why);
		op->flags |= WS_UAPI_PEER_ENDPOINT;
	} else if (strcmp(key, "persistent_keepalive_interval") == 0) {
		if (!parse_uint(value, UINT16_MAX, &v))
			return bad(ps, -EINVAL,
				   "persistent_keepalive_interval is not a number in 0..65535");
		op->persistent_keepalive = (uint16_t)v;
		op->flags |= WS_UAPI_PEER_KEEPALIVE;
	} else if (strcmp(key, "replace_allowed_ips") == 0) {
		if (strcmp(value, "true") != 0)
			return bad(ps, -EINVAL, "replace_allowed_ips takes only true");
		/* Lines are applied in order: earlier allowed_ip lines of this
		 * section are replaced too. */
		free(op->allowed_ips);
		op->allowed_ips = NULL;
		op->n_allowed_ips = 0;
		op->flags |= WS_UAPI_PEER_REPLACE_ALLOWED_IPS;
	} else if (strcmp(key, "allowed_ip") == 0) {
		if (ws_prefix_parse(&p, value, &why) < 0)
			return bad(ps, -EINVAL, why);
		ws_prefix_mask(&p);
		if (add_prefix(&op->allowed_ips, &op->n_allowed_ips, &p) < 0)
			return bad(ps, -ENOMEM, "out of memory");
	} else if (strcmp(key, "protocol_version") == 0) {
		if (strcmp(value, "1") != 0)
			return bad(ps, -EINVAL, "only protocol_version 1 is supported");
	} else {
		return bad(ps, -EINVAL, "not a peer key of a set");
	}
	return 0;
}

static int parse_line(struct parse *ps, const char *l, size_t n)
{
	const char *eq = memchr(l, '=', n);
	char key[40], value[VALUE_MAX + 1];
	size_t klen, vlen;
	int ret;

	if (eq == NULL)
		return bad(ps, -EPROTO, "line without '='");
	klen = (size_t)(eq - l);
	vlen = n - klen - 1;
	if (klen >= sizeof(key))
		return bad(ps, -EINVAL, "unknown key");
	if (vlen > VALUE_MAX)
		return bad(ps, -EINVAL, "value too long");
	if (memchr(l, '\0', n) != NULL)
		return bad(ps, -EINVAL, "NUL byte in line");
	memcpy(key, l, klen);
	key[klen] = '\0';
	memcpy(value, eq + 1, vlen);
	value[vlen] = '\0';

	if (strcmp(key, "public_key") == 0)
		ret = new_peer(ps, value);
	else if (ps->peer == NULL)
		ret = device_line(ps, key, value);
	else
		ret = peer_line(ps, key, value);
	ws_memzero(value, sizeof(value));
	return ret;
}

int ws_uapi_parse_set(const char *req, size_t len, struct ws_uapi_set *out,
		      unsigned *line, const char **why)
{
	struct parse ps = { .set = out };
	unsigned lineno = 0;
	size_t pos = 0;
	int ret = -EPROTO;

	memset(out, 0, sizeof(*out));
	ps.why = "request does not end with an empty line";
	while (pos < len) {
		const char *l = req + pos, *nl = memchr(l, '\n', len - pos);
		if (nl == NULL)
			break;
		size_t n = (size_t)(nl - l);
		pos += n + 1;
		lineno++;
		if (lineno == 1) {
			if (n != 5 || memcmp(l, "set=1", 5) != 0) {
				ret = bad(&ps, -EPROTO, "not a set=1 request");
				break;
			}
			continue;
		}
		if (n == 0) {
			ret = pos == len ? 0 : bad(&ps, -EPROTO, "data after the empty line");
			break;
		}
		ret = parse_line(&ps, l, n);
		if (ret < 0)
			break;
		ret = -EPROTO;
		ps.why = "request does not end with an empty line";
	}
	op_clear(&ps.scratch);
	if (line != NULL)
		*line = ret < 0 ? lineno : 0;
	if (why != NULL)
		*why = ret < 0 ? ps.why : NULL;
	if (ret < 0)
		ws_uapi_set_free(out);
	return ret;
}

void ws_uapi_set_free(struct ws_uapi_set *set)
{
	for (unsigned i = 0; i < set->n_peers; i++)
		op_clear(&set->peers[i]);
	free(set->peers);
	ws_memzero(set, sizeof(*set));
}

struct ws_uapi_peer *ws_uapi_device_add_peer(struct ws_uapi_device *dev)
{
	if (dev->n_peers == dev->cap_peers) {
		unsigned cap = dev->cap_peers ? dev->cap_peers * 2 : 16;
		struct ws_uapi_peer *g = realloc(dev->peers, (size_t)cap * sizeof(*g));
		if (g == NULL)
			return NULL;
		dev->peers = g;
		dev->cap_peers = cap;
	}
	struct ws_uapi_peer *p = &dev->peers[dev->n_peers++];
	memset(p, 0, sizeof(*p));
	return p;
}

int ws_uapi_peer_add_allowed_ip(struct ws_uapi_peer *peer, const struct ws_prefix *p)
{
	if (peer->n_allowed_ips == peer->cap_allowed_ips) {
		unsigned cap = peer->cap_allowed_ips ? peer->cap_allowed_ips * 2 : 4;
		struct ws_prefix *g = realloc(peer->allowed_ips, (size_t)cap * sizeof(*g));
		if (g == NULL)
			return -ENOMEM;
		peer->allowed_ips = g;
		peer->cap_allowed_ips = cap;
	}
	peer->allowed_ips[peer->n_allowed_ips] = *p;
	ws_prefix_mask(&peer->allowed_ips[peer->n_allowed_ips]);
	peer->n_allowed_ips++;
	return 0;
}

void ws_uapi_device_free(struct ws_uapi_device *dev)
{
	for (unsigned i = 0; i < dev->n_peers; i++) {
		free(dev->peers[i].allowed_ips);
		ws_memzero(&dev->peers[i], sizeof(dev->peers[i]));
	}
	free(dev->peers);
	ws_memzero(dev, sizeof(*dev));
}

/* A growing string that wipes what it leaves behind: it holds keys. */
struct text {
	char *p;
	size_t len, cap;
	bool oom;
};

static void text_printf(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void text_printf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		t->oom = true;
		return;
	}
	if ((size_t)n >= t->cap - t->len) {
		size_t cap = t->cap * 2;
		while (cap - t->len <= (size_t)n)
			cap *= 2;
		char *g = malloc(cap);
		if (g == NULL) {
			t->oom = true;
			return;
		}
		memcpy(g, t->p, t->len);
		ws_memzero(t->p, t->cap);
		free(t->p);
		t->p = g;
		t->cap = cap;
		va_start(ap, fmt);
		vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
	}
	t->len += (size_t)n;
}

static void text_key(struct text *t, const char *name, const uint8_t key[WS_KEY_LEN])
{
	static const char digits[] = "0123456789abcdef";
	char hex[2 * WS_KEY_LEN + 1];

	for (unsigned i = 0; i < WS_KEY_LEN; i++) {
		hex[2 * i] = digits[key[i] >> 4];
		hex[2 * i + 1] = digits[key[i] & 0xf];
	}
	hex[2 * WS_KEY_LEN] = '\0';
	text_printf(t, "%s=%s\n", name, hex);
	ws_memzero(hex, sizeof(hex));
}

static void format_peer(struct text *t, const struct ws_uapi_peer *p)
{
	char buf[WS_ENDPOINT_STR_MAX > WS_PREFIX_STR_MAX ? WS_ENDPOINT_STR_MAX : WS_PREFIX_STR_MAX];

	text_key(t, "public_key", p->public_key);
	text_key(t, "preshared_key", p->preshared_key);
	text_printf(t, "protocol_version=1\n");
	if (p->endpoint.family != WS_AF_NONE &&
	    ws_endpoint_format(buf, sizeof(buf), &p->endpoint) == 0)
		text_printf(t, "endpoint=%s\n", buf);
	text_printf(t, "last_handshake_time_sec=%" PRId64 "\n"
		    "last_handshake_time_nsec=%" PRId64 "\n"
		    "tx_bytes=%" PRIu64 "\nrx_bytes=%" PRIu64 "\n"
		    "persistent_keepalive_interval=%u\n",
		    p->last_handshake_sec, p->last_handshake_nsec,
		    p->tx_bytes, p->rx_bytes, p->persistent_keepalive);
	for (unsigned i = 0; i < p->n_allowed_ips; i++)
		if (ws_prefix_format(buf, sizeof(buf), &p->allowed_ips[i]) == 0)
			text_printf(t, "allowed_ip=%s\n", buf);
}

int ws_uapi_format_get(const struct ws_uapi_device *dev, char **out, size_t *out_len)
{
	struct text t = { .cap = 512 + (size_t)dev->n_peers * 400 };

	t.p = malloc(t.cap);
	if (t.p == NULL)
		return -ENOMEM;
	t.p[0] = '\0';
	if (dev->has_private_key)
		text_key(&t, "private_key", dev->private_key);
	if (dev->listen_port != 0)
		text_printf(&t, "listen_port=%u\n", dev->listen_port);
	if (dev->fwmark != 0)
		text_printf(&t, "fwmark=%" PRIu32 "\n", dev->fwmark);
	for (unsigned i = 0; i < dev->n_peers; i++)
		format_peer(&t, &dev->peers[i]);
	text_printf(&t, "errno=0\n\n");
	if (t.oom) {
		ws_memzero(t.p, t.cap);
		free(t.p);
		return -ENOMEM;
	}
	*out = t.p;
	*out_len = t.len;
	return 0;
}
