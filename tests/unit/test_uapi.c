/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The WireGuard configuration protocol: the set parser (every key, its
 * ordering rules, every error with its errno and line), the get
 * formatter, framing, request handling, randomized round trips through
 * a fake device, and the stock wg(8) binary driving a server of ours on
 * /var/run/wireguard/<unique>.sock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sockserver.h"
#include "test_common.h"
#include "uapi.h"

/* ---- a fake device that applies sets the way the kernel does ---- */

enum { FAKE_PEERS = 64, FAKE_AIPS = 64 };

struct fpeer {
	uint8_t pub[WS_KEY_LEN], psk[WS_KEY_LEN];
	struct ws_endpoint ep;
	uint16_t keepalive;
	struct ws_prefix aips[FAKE_AIPS];
	unsigned n_aips;
	uint64_t rx, tx;
	int64_t hs_sec, hs_nsec;
};

struct fdev {
	bool has_priv;
	uint8_t priv[WS_KEY_LEN], pub[WS_KEY_LEN];
	uint16_t port;
	uint32_t fwmark;
	struct fpeer peers[FAKE_PEERS];
	unsigned n;
	int sets;
	int fail_set, fail_get;
	int last_err;
	unsigned last_line;
	const char *last_why;
};

static struct fpeer *fdev_find(struct fdev *d, const uint8_t pub[WS_KEY_LEN])
{
	for (unsigned i = 0; i < d->n; i++)
		if (memcmp(d->peers[i].pub, pub, WS_KEY_LEN) == 0)
			return &d->peers[i];
	return NULL;
}

static void fdev_remove(struct fdev *d, struct fpeer *p)
{
	*p = d->peers[--d->n];
}

/* Allowed IPs are unique across peers: adding one takes it from its owner. */
static void fdev_add_aip(struct fdev *d, struct fpeer *p, const struct ws_prefix *a)
{
	for (unsigned i = 0; i < d->n; i++)
		for (unsigned j = 0; j < d->peers[i].n_aips; j++)
			if (ws_prefix_cmp(&d->peers[i].aips[j], a) == 0)
				d->peers[i].aips[j] = d->peers[i].aips[--d->peers[i].n_aips];
	if (p->n_aips < FAKE_AIPS)
		p->aips[p->n_aips++] = *a;
}

static int fdev_set(void *dev, const struct ws_uapi_set *req)
{
	struct fdev *d = dev;

	d->sets++;
	if (d->fail_set)
		return d->fail_set;
	if (req->flags & WS_UAPI_SET_PRIVATE_KEY) {
		d->has_priv = !ws_is_zero(req->private_key, WS_KEY_LEN);
		memcpy(d->priv, req->private_key, WS_KEY_LEN);
		if (d->has_priv)
			ws_x25519_public(d->pub, d->priv);
		struct fpeer *self = d->has_priv ? fdev_find(d, d->pub) : NULL;
		if (self != NULL)
			fdev_remove(d, self);
	}
	if (req->flags & WS_UAPI_SET_LISTEN_PORT)
		d->port = req->listen_port;
	if (req->flags & WS_UAPI_SET_FWMARK)
		d->fwmark = req->fwmark;
	if (req->flags & WS_UAPI_SET_REPLACE_PEERS)
		d->n = 0;
	for (unsigned i = 0; i < req->n_peers; i++) {
		const struct ws_uapi_peer_op *op = &req->peers[i];
		struct fpeer *p = fdev_find(d, op->public_key);
		if (op->flags & WS_UAPI_PEER_REMOVE) {
			if (p != NULL)
				fdev_remove(d, p);
			continue;
		}
		if (d->has_priv && memcmp(op->public_key, d->pub, WS_KEY_LEN) == 0)
			continue;
		if (p == NULL) {
			if ((op->flags & WS_UAPI_PEER_UPDATE_ONLY) || d->n == FAKE_PEERS)
				continue;
			p = &d->peers[d->n++];
			memset(p, 0, sizeof(*p));
			memcpy(p->pub, op->public_key, WS_KEY_LEN);
		}
		if (op->flags & WS_UAPI_PEER_PRESHARED_KEY)
			memcpy(p->psk, op->preshared_key, WS_KEY_LEN);
		if (op->flags & WS_UAPI_PEER_ENDPOINT)
			p->ep = op->endpoint;
		if (op->flags & WS_UAPI_PEER_KEEPALIVE)
			p->keepalive = op->persistent_keepalive;
		if (op->flags & WS_UAPI_PEER_REPLACE_ALLOWED_IPS)
			p->n_aips = 0;
		for (unsigned j = 0; j < op->n_allowed_ips; j++)
			fdev_add_aip(d, p, &op->allowed_ips[j]);
	}
	return 0;
}

static int fdev_get(void *dev, struct ws_uapi_device *out)
{
	struct fdev *d = dev;

	if (d->fail_get)
		return d->fail_get;
	out->has_private_key = d->has_priv;
	memcpy(out->private_key, d->priv, WS_KEY_LEN);
	out->listen_port = d->port;
	out->fwmark = d->fwmark;
	for (unsigned i = 0; i < d->n; i++) {
		const struct fpeer *fp = &d->peers[i];
		struct ws_uapi_peer *p = ws_uapi_device_add_peer(out);
		if (p == NULL)
			return -ENOMEM;
		memcpy(p->public_key, fp->pub, WS_KEY_LEN);
		memcpy(p->preshared_key, fp->psk, WS_KEY_LEN);
		p->endpoint = fp->ep;
		p->persistent_keepalive = fp->keepalive;
		p->rx_bytes = fp->rx;
		p->tx_bytes = fp->tx;
		p->last_handshake_sec = fp->hs_sec;
		p->last_handshake_nsec = fp->hs_nsec;
		for (unsigned j = 0; j < fp->n_aips; j++)
			if (ws_uapi_peer_add_allowed_ip(p, &fp->aips[j]) < 0)
				return -ENOMEM;
	}
	return 0;
}

static void fdev_error(void *dev, int err, unsigned line, const char *why)
{
	struct fdev *d = dev;

	d->last_err = err;
	d->last_line = line;
	d->last_why = why;
}

static struct fdev fake;
static const struct ws_uapi_ops fake_ops = {
	.dev = &fake, .get = fdev_get, .set = fdev_set, .error = fdev_error,
};

static void hex(char out[2 * WS_KEY_LEN + 1], const uint8_t key[WS_KEY_LEN])
{
	for (unsigned i = 0; i < WS_KEY_LEN; i++)
		sprintf(out + 2 * i, "%02x", key[i]);
}

static int parse(const char *text, struct ws_uapi_set *set, unsigned *line, const char **why)
{
	return ws_uapi_parse_set(text, strlen(text), set, line, why);
}

/* ---- parser ---- */

#define K1 "e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a"
#define K2 "b85996fecc9c7f1fc6d2572a76eda11d59bcd20be8e543b15ce4bd85a8e75a33"
#define K3 "58402e695ba1772b1cc9309755f043251ea77fdcf10fbe63989ceb7e19321376"
#define KZ "0000000000000000000000000000000000000000000000000000000000000000"

static void test_parse_every_key(void)
{
	static const char req[] =
		"set=1\n"
		"private_key=" K1 "\n"
		"listen_port=51820\n"
		"fwmark=4294967295\n"
		"replace_peers=true\n"
		"public_key=" K2 "\n"
		"protocol_version=1\n"
		"preshared_key=" K3 "\n"
		"endpoint=192.0.2.2:51820\n"
		"persistent_keepalive_interval=25\n"
		"replace_allowed_ips=true\n"
		"allowed_ip=10.2.0.7/24\n"
		"allowed_ip=fd00:2::/64\n"
		"public_key=" K3 "\n"
		"update_only=true\n"
		"endpoint=[2001:db8::1]:443\n"
		"public_key=" K1 "\n"
		"remove=true\n"
		"\n";
	struct ws_uapi_set s;
	uint8_t k[WS_KEY_LEN];
	char buf[64];

	CU_ASSERT_EQUAL_FATAL(parse(req, &s, NULL, NULL), 0);
	CU_ASSERT_EQUAL(s.flags, WS_UAPI_SET_PRIVATE_KEY | WS_UAPI_SET_LISTEN_PORT |
			WS_UAPI_SET_FWMARK | WS_UAPI_SET_REPLACE_PEERS);
	ws_test_unhex(k, sizeof(k), K1);
	CU_ASSERT_EQUAL(memcmp(s.private_key, k, WS_KEY_LEN), 0);
	CU_ASSERT_EQUAL(s.listen_port, 51820);
	CU_ASSERT_EQUAL(s.fwmark, 4294967295u);
	CU_ASSERT_EQUAL_FATAL(s.n_peers, 3);

	const struct ws_uapi_peer_op *p = &s.peers[0];
	ws_test_unhex(k, sizeof(k), K2);
	CU_ASSERT_EQUAL(memcmp(p->public_key, k, WS_KEY_LEN), 0);
	CU_ASSERT_EQUAL(p->flags, WS_UAPI_PEER_PRESHARED_KEY | WS_UAPI_PEER_ENDPOINT |
			WS_UAPI_PEER_KEEPALIVE | WS_UAPI_PEER_REPLACE_ALLOWED_IPS);
	ws_test_unhex(k, sizeof(k), K3);
	CU_ASSERT_EQUAL(memcmp(p->preshared_key, k, WS_KEY_LEN), 0);
	ws_endpoint_format(buf, sizeof(buf), &p->endpoint);
	CU_ASSERT_STRING_EQUAL(buf, "192.0.2.2:51820");
	CU_ASSERT_EQUAL(p->persistent_keepalive, 25);
	CU_ASSERT_EQUAL_FATAL(p->n_allowed_ips, 2);
	/* Host bits are masked off, as the kernel does. */
	ws_prefix_format(buf, sizeof(buf), &p->allowed_ips[0]);
	CU_ASSERT_STRING_EQUAL(buf, "10.2.0.0/24");
	ws_prefix_format(buf, sizeof(buf), &p->allowed_ips[1]);
	CU_ASSERT_STRING_EQUAL(buf, "fd00:2::/64");

	p = &s.peers[1];
	CU_ASSERT_EQUAL(p->flags, WS_UAPI_PEER_UPDATE_ONLY | WS_UAPI_PEER_ENDPOINT);
	ws_endpoint_format(buf, sizeof(buf), &p->endpoint);
	CU_ASSERT_STRING_EQUAL(buf, "[2001:db8::1]:443");
	CU_ASSERT_EQUAL(s.peers[2].flags, WS_UAPI_PEER_REMOVE);
	ws_uapi_set_free(&s);
	CU_ASSERT_EQUAL(s.n_peers, 0);
	CU_ASSERT_PTR_NULL(s.peers);
}

static void test_parse_order_rules(void)
{
	struct ws_uapi_set s;

	/* An empty set is valid and does nothing. */
	CU_ASSERT_EQUAL(parse("set=1\n\n", &s, NULL, NULL), 0);
	CU_ASSERT_EQUAL(s.flags, 0);
	CU_ASSERT_EQUAL(s.n_peers, 0);
	ws_uapi_set_free(&s);
	/* Zero keys mean "remove", and are reported as set. */
	CU_ASSERT_EQUAL(parse("set=1\nprivate_key=" KZ "\nfwmark=0\npublic_key=" K1
			      "\npreshared_key=" KZ "\n\n", &s, NULL, NULL), 0);
	CU_ASSERT(s.flags & WS_UAPI_SET_PRIVATE_KEY);
	CU_ASSERT(ws_is_zero(s.private_key, WS_KEY_LEN));
	CU_ASSERT(s.flags & WS_UAPI_SET_FWMARK);
	CU_ASSERT_EQUAL(s.peers[0].flags, WS_UAPI_PEER_PRESHARED_KEY);
	ws_uapi_set_free(&s);
	/* replace_allowed_ips replaces the allowed_ip lines before it too. */
	CU_ASSERT_EQUAL(parse("set=1\npublic_key=" K1 "\nallowed_ip=10.0.0.0/8\n"
			      "replace_allowed_ips=true\nallowed_ip=10.1.0.0/16\n\n", &s, NULL, NULL), 0);
	CU_ASSERT_EQUAL(s.peers[0].n_allowed_ips, 1);
	CU_ASSERT_EQUAL(s.peers[0].allowed_ips[0].len, 16);
	ws_uapi_set_free(&s);
	/* After remove the section still has to parse, but adds nothing. */
	CU_ASSERT_EQUAL(parse("set=1\npublic_key=" K1 "\nendpoint=1.2.3.4:5\nremove=true\n"
			      "allowed_ip=10.0.0.0/8\nendpoint=1.2.3.4:6\n"
			      "public_key=" K1 "\nallowed_ip=10.9.0.0/16\n\n", &s, NULL, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(s.n_peers, 2);
	CU_ASSERT_EQUAL(s.peers[0].flags, WS_UAPI_PEER_REMOVE);
	CU_ASSERT_EQUAL(s.peers[0].n_allowed_ips, 0);
	CU_ASSERT_EQUAL(s.peers[0].endpoint.family, WS_AF_NONE);
	CU_ASSERT_EQUAL(s.peers[1].n_allowed_ips, 1);
	ws_uapi_set_free(&s);
	CU_ASSERT_EQUAL(parse("set=1\npublic_key=" K1 "\nremove=true\nallowed_ip=300.0.0.0/8\n\n",
			      &s, NULL, NULL), -EINVAL);
	/* Many allowed IPs grow the array. */
	char big[64 * 40 + 200];
	int n = sprintf(big, "set=1\npublic_key=" K2 "\n");
	for (int i = 0; i < 64; i++)
		n += sprintf(big + n, "allowed_ip=10.%d.0.0/16\n", i);
	sprintf(big + n, "\n");
	CU_ASSERT_EQUAL(parse(big, &s, NULL, NULL), 0);
	CU_ASSERT_EQUAL(s.peers[0].n_allowed_ips, 64);
	CU_ASSERT_EQUAL(s.peers[0].allowed_ips[63].addr[1], 63);
	ws_uapi_set_free(&s);
}

static void test_parse_errors(void)
{
	static const struct {
		const char *text;
		int err;
		unsigned line;
	} cases[] = {
		{ "get=1\n\n", -EPROTO, 1 },
		{ "set=2\n\n", -EPROTO, 1 },
		{ "set=1\n", -EPROTO, 1 },
		{ "set=1\nlisten_port=1\n", -EPROTO, 2 },
		{ "set=1\nlisten_port=1", -EPROTO, 1 },
		{ "set=1\nlisten_port\n\n", -EPROTO, 2 },
		{ "set=1\n\nlisten_port=1\n\n", -EPROTO, 2 },
		{ "set=1\nlisten_port=65536\n\n", -EINVAL, 2 },
		{ "set=1\nlisten_port=-1\n\n", -EINVAL, 2 },
		{ "set=1\nlisten_port=\n\n", -EINVAL, 2 },
		{ "set=1\nlisten_port= 1\n\n", -EINVAL, 2 },
		{ "set=1\nfwmark=4294967296\n\n", -EINVAL, 2 },
		{ "set=1\nfwmark=99999999999999999999999\n\n", -EINVAL, 2 },
		{ "set=1\nprivate_key=" K1 "0\n\n", -EINVAL, 2 },
		{ "set=1\nprivate_key=xx4b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a\n\n", -EINVAL, 2 },
		{ "set=1\nreplace_peers=false\n\n", -EINVAL, 2 },
		{ "set=1\nbogus=1\n\n", -EINVAL, 2 },
		{ "set=1\nrx_bytes=1\n\n", -EINVAL, 2 },
		{ "set=1\nendpoint=1.2.3.4:5\n\n", -EINVAL, 2 },
		{ "set=1\nprotocol_version=1\n\n", -EINVAL, 2 },
		{ "set=1\npublic_key=abc\n\n", -EINVAL, 2 },
		{ "set=1\npublic_key=" K1 "\nlisten_port=1\n\n", -EINVAL, 3 },
		{ "set=1\npublic_key=" K1 "\nprivate_key=" K2 "\n\n", -EINVAL, 3 },
		{ "set=1\npublic_key=" K1 "\nremove=1\n\n", -EINVAL, 3 },
		{ "set=1\npublic_key=" K1 "\nupdate_only=yes\n\n", -EINVAL, 3 },
		{ "set=1\npublic_key=" K1 "\nreplace_allowed_ips=false\n\n", -EINVAL, 3 },
		{ "set=1\npublic_key=" K1 "\npreshared_key=" K1 "ff\n\n", -EINVAL, 3 },
		{ "set=1\npublic_key=" K1 "\nendpoint=1.2.3.4\n\n", -EINVAL, 3 },
		{ "set=1\npublic_key=" K1 "\nendpoint=1.2.3.4:0\n\n", -EINVAL, 3 },
		{ "set=1\npublic_key=" K1 "\nendpoint=2001:db8::1:51820\n\n", -EINVAL, 3 },
		{ "set=1\npublic_key=" K1 "\nendpoint=example.com:51820\n\n", -EINVAL, 3 },
		{ "set=1\npublic_key=" K1 "\npersistent_keepalive_interval=65536\n\n", -EINVAL, 3 },
		{ "set=1\npublic_key=" K1 "\nallowed_ip=10.0.0.0/33\n\n", -EINVAL, 3 },
		{ "set=1\npublic_key=" K1 "\nallowed_ip=fd00::/129\n\n", -EINVAL, 3 },
		{ "set=1\npublic_key=" K1 "\nallowed_ip=10.0.0.0/\n\n", -EINVAL, 3 },
		{ "set=1\npublic_key=" K1 "\nprotocol_version=2\n\n", -EINVAL, 3 },
		{ "set=1\npublic_key=" K1 "\nlast_handshake_time_sec=1\n\n", -EINVAL, 3 },
		{ "set=1\npublic_key=" K1 "\nx=" KZ KZ KZ "\n\n", -EINVAL, 3 },
	};
	struct ws_uapi_set s;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned line = 99;
		const char *why = NULL;
		int ret = parse(cases[i].text, &s, &line, &why);
		if (ret != cases[i].err || line != cases[i].line || why == NULL)
			printf("\n  case %zu: ret %d line %u why %s\n", i, ret, line, why ? why : "-");
		CU_ASSERT_EQUAL(ret, cases[i].err);
		CU_ASSERT_EQUAL(line, cases[i].line);
		CU_ASSERT_PTR_NOT_NULL(why);
		CU_ASSERT_EQUAL(s.n_peers, 0);
		CU_ASSERT_PTR_NULL(s.peers);
	}
	/* A NUL inside a line is refused, not truncated. */
	const char nul[] = "set=1\nlisten_port=1\0002\n\n";
	CU_ASSERT_EQUAL(ws_uapi_parse_set(nul, sizeof(nul) - 1, &s, NULL, NULL), -EINVAL);
}

/* ---- formatter ---- */

static void test_format_get(void)
{
	struct ws_uapi_device d = { 0 };
	struct ws_uapi_peer *p;
	struct ws_prefix pf;
	char *out;
	size_t len;
	static const uint8_t v4[4] = { 192, 0, 2, 2 };
	uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	v6[15] = 1;
	d.has_private_key = true;
	ws_test_unhex(d.private_key, WS_KEY_LEN, K1);
	d.listen_port = 51820;
	d.fwmark = 0x10;
	p = ws_uapi_device_add_peer(&d);
	ws_test_unhex(p->public_key, WS_KEY_LEN, K2);
	ws_test_unhex(p->preshared_key, WS_KEY_LEN, K3);
	ws_endpoint_v4(&p->endpoint, v4, 51820);
	p->persistent_keepalive = 25;
	p->last_handshake_sec = 1700000000;
	p->last_handshake_nsec = 123456789;
	p->rx_bytes = 1000;
	p->tx_bytes = UINT64_MAX;
	ws_prefix_parse(&pf, "10.2.0.9/24", NULL);
	CU_ASSERT_EQUAL(ws_uapi_peer_add_allowed_ip(p, &pf), 0);
	ws_prefix_parse(&pf, "fd00:2::/64", NULL);
	CU_ASSERT_EQUAL(ws_uapi_peer_add_allowed_ip(p, &pf), 0);
	p = ws_uapi_device_add_peer(&d);
	ws_test_unhex(p->public_key, WS_KEY_LEN, K3);
	ws_endpoint_v6(&p->endpoint, v6, 443);

	CU_ASSERT_EQUAL_FATAL(ws_uapi_format_get(&d, &out, &len), 0);
	static const char want[] =
		"private_key=" K1 "\n"
		"listen_port=51820\n"
		"fwmark=16\n"
		"public_key=" K2 "\n"
		"preshared_key=" K3 "\n"
		"protocol_version=1\n"
		"endpoint=192.0.2.2:51820\n"
		"last_handshake_time_sec=1700000000\n"
		"last_handshake_time_nsec=123456789\n"
		"tx_bytes=18446744073709551615\n"
		"rx_bytes=1000\n"
		"persistent_keepalive_interval=25\n"
		"allowed_ip=10.2.0.0/24\n"
		"allowed_ip=fd00:2::/64\n"
		"public_key=" K3 "\n"
		"preshared_key=" KZ "\n"
		"protocol_version=1\n"
		"endpoint=[2001:db8::1]:443\n"
		"last_handshake_time_sec=0\n"
		"last_handshake_time_nsec=0\n"
		"tx_bytes=0\n"
		"rx_bytes=0\n"
		"persistent_keepalive_interval=0\n"
		"errno=0\n"
		"\n";
	CU_ASSERT_EQUAL(len, strlen(want));
	CU_ASSERT_EQUAL(memcmp(out, want, len), 0);
	free(out);
	ws_uapi_device_free(&d);
	CU_ASSERT_PTR_NULL(d.peers);

	/* An empty device: no private key, port or fwmark lines. */
	CU_ASSERT_EQUAL_FATAL(ws_uapi_format_get(&d, &out, &len), 0);
	CU_ASSERT_EQUAL(len, 9);
	CU_ASSERT_EQUAL(memcmp(out, "errno=0\n\n", 9), 0);
	free(out);
}

/* ---- framing and handling ---- */

static void test_frame(void)
{
	static const struct {
		const char *buf;
		size_t want;
	} cases[] = {
		{ "", 0 }, { "get=1\n", 0 }, { "get=1\n\n", 7 }, { "get=1\n\nget=1\n\n", 7 },
		{ "\n", 1 }, { "\nget=1\n\n", 1 }, { "set=1\na=b\n", 0 }, { "set=1\na=b\n\n", 11 },
		{ "set=1\na=b\n\nx", 11 }, { "set=1", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].buf);
		CU_ASSERT_EQUAL(ws_uapi_frame(cases[i].buf, len, 0), cases[i].want);
	}
	/* Resuming from any point that held no request gives the same answer. */
	uint64_t st = ws_test_seed("uapi frame");
	for (int round = 0; round < 2000; round++) {
		char buf[32];
		size_t len = 1 + ws_test_rand(&st) % sizeof(buf), at = 0;
		for (size_t i = 0; i < len; i++)
			buf[i] = "ab=\n\n\n"[ws_test_rand(&st) % 6];
		size_t full = ws_uapi_frame(buf, len, 0);
		/* The longest prefix that holds no request yet. */
		while (at < len && ws_uapi_frame(buf, at + 1, 0) == 0)
			at++;
		for (size_t from = 0; from <= at && from <= len; from++)
			CU_ASSERT_EQUAL(ws_uapi_frame(buf, len, from), full);
	}
}

static char *handle(const char *req, int *ret)
{
	char *reply = NULL, *copy;
	size_t n = 0;

	*ret = ws_uapi_handle(&fake_ops, req, strlen(req), &reply, &n);
	if (reply == NULL)
		return NULL;
	/* The reply is n bytes, not a C string: copy exactly those. */
	copy = malloc(n + 1);
	CU_ASSERT_FATAL(copy != NULL);
	memcpy(copy, reply, n);
	copy[n] = '\0';
	CU_ASSERT_EQUAL(strlen(copy), n);
	free(reply);
	return copy;
}

static void test_handle(void)
{
	char *r;
	int ret;

	memset(&fake, 0, sizeof(fake));
	r = handle("set=1\nlisten_port=1234\npublic_key=" K2 "\nallowed_ip=10.0.0.0/8\n\n", &ret);
	CU_ASSERT_EQUAL(ret, 0);
	CU_ASSERT_STRING_EQUAL(r, "errno=0\n\n");
	free(r);
	CU_ASSERT_EQUAL(fake.port, 1234);
	CU_ASSERT_EQUAL(fake.n, 1);

	r = handle("get=1\n\n", &ret);
	CU_ASSERT_EQUAL(ret, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "listen_port=1234\npublic_key=" K2 "\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "allowed_ip=10.0.0.0/8\nerrno=0\n\n"));
	free(r);

	/* A rejected set reaches neither the device nor wg(8) as success. */
	int sets = fake.sets;
	r = handle("set=1\nlisten_port=1\npublic_key=" K2 "\nallowed_ip=1.2.3.4/40\n\n", &ret);
	CU_ASSERT_STRING_EQUAL(r, "errno=-22\n\n");
	free(r);
	CU_ASSERT_EQUAL(fake.sets, sets);
	CU_ASSERT_EQUAL(fake.port, 1234);
	CU_ASSERT_EQUAL(fake.last_err, -EINVAL);
	CU_ASSERT_EQUAL(fake.last_line, 4);
	CU_ASSERT_PTR_NOT_NULL(fake.last_why);
	r = handle("set=1\nnonsense\n\n", &ret);
	CU_ASSERT_STRING_EQUAL(r, "errno=-71\n\n");
	free(r);
	/* The device's own failure is passed on. */
	fake.fail_set = -EADDRINUSE;
	r = handle("set=1\nlisten_port=1\n\n", &ret);
	CU_ASSERT_STRING_EQUAL(r, "errno=-98\n\n");
	free(r);
	fake.fail_set = 0;
	/* A failed get: positive, the way wg(8) parses a get's errno. */
	fake.fail_get = -ENOMEM;
	r = handle("get=1\n\n", &ret);
	CU_ASSERT_STRING_EQUAL(r, "errno=12\n\n");
	free(r);
	fake.fail_get = 0;
	r = handle("get=1\nfoo=1\n\n", &ret);
	CU_ASSERT_STRING_EQUAL(r, "errno=22\n\n");
	free(r);
	/* Not an operation: closed without a reply, as wireguard-go does. */
	CU_ASSERT_PTR_NULL(handle("hello=1\n\n", &ret));
	CU_ASSERT_EQUAL(ret, WS_SOCK_CLOSE);
	CU_ASSERT_PTR_NULL(handle("\n", &ret));
	CU_ASSERT_EQUAL(ret, WS_SOCK_CLOSE);
	CU_ASSERT_EQUAL(fake.last_err, -EPROTO);
}

static void test_socket_path(void)
{
	char buf[64];

	CU_ASSERT_EQUAL(ws_uapi_socket_path(buf, sizeof(buf), "wg0"), 0);
	CU_ASSERT_STRING_EQUAL(buf, "/var/run/wireguard/wg0.sock");
	CU_ASSERT_EQUAL(ws_uapi_socket_path(buf, sizeof(buf), "abcdefghijklmno"), 0);
	CU_ASSERT_EQUAL(ws_uapi_socket_path(buf, sizeof(buf), "abcdefghijklmnop"), -EINVAL);
	CU_ASSERT_EQUAL(ws_uapi_socket_path(buf, sizeof(buf), ""), -EINVAL);
	CU_ASSERT_EQUAL(ws_uapi_socket_path(buf, sizeof(buf), ".."), -EINVAL);
	CU_ASSERT_EQUAL(ws_uapi_socket_path(buf, sizeof(buf), "a/b"), -EINVAL);
	CU_ASSERT_EQUAL(ws_uapi_socket_path(buf, sizeof(buf), "a b"), -EINVAL);
	CU_ASSERT_EQUAL(ws_uapi_socket_path(buf, 10, "wg0"), -ENOSPC);
}

/* ---- round trips through the fake device ---- */

/* A get reply read back the slow, obvious way; 0 when well formed. */
static int parse_get(const char *text, struct fdev *d)
{
	char line[256];
	struct fpeer *p = NULL;
	bool errno_seen = false;

	memset(d, 0, sizeof(*d));
	while (*text != '\0') {
		const char *nl = strchr(text, '\n');
		if (nl == NULL || (size_t)(nl - text) >= sizeof(line))
			return -1;
		memcpy(line, text, (size_t)(nl - text));
		line[nl - text] = '\0';
		text = nl + 1;
		if (line[0] == '\0')
			return errno_seen && *text == '\0' ? 0 : -1;
		char *v = strchr(line, '=');
		if (v == NULL)
			return -1;
		*v++ = '\0';
		if (strcmp(line, "private_key") == 0) {
			d->has_priv = ws_test_unhex(d->priv, WS_KEY_LEN, v) == WS_KEY_LEN;
		} else if (strcmp(line, "listen_port") == 0) {
			d->port = (uint16_t)atoi(v);
		} else if (strcmp(line, "fwmark") == 0) {
			d->fwmark = (uint32_t)strtoul(v, NULL, 10);
		} else if (strcmp(line, "public_key") == 0) {
			p = &d->peers[d->n++];
			ws_test_unhex(p->pub, WS_KEY_LEN, v);
		} else if (p == NULL) {
			if (strcmp(line, "errno") != 0 || strcmp(v, "0") != 0)
				return -1;
			errno_seen = true;
		} else if (strcmp(line, "preshared_key") == 0) {
			ws_test_unhex(p->psk, WS_KEY_LEN, v);
		} else if (strcmp(line, "endpoint") == 0) {
			if (ws_endpoint_parse(&p->ep, v, NULL) < 0)
				return -1;
		} else if (strcmp(line, "persistent_keepalive_interval") == 0) {
			p->keepalive = (uint16_t)atoi(v);
		} else if (strcmp(line, "allowed_ip") == 0) {
			if (ws_prefix_parse(&p->aips[p->n_aips++], v, NULL) < 0)
				return -1;
		} else if (strcmp(line, "rx_bytes") == 0) {
			p->rx = strtoull(v, NULL, 10);
		} else if (strcmp(line, "tx_bytes") == 0) {
			p->tx = strtoull(v, NULL, 10);
		} else if (strcmp(line, "last_handshake_time_sec") == 0) {
			p->hs_sec = strtoll(v, NULL, 10);
		} else if (strcmp(line, "last_handshake_time_nsec") == 0) {
			p->hs_nsec = strtoll(v, NULL, 10);
		} else if (strcmp(line, "errno") == 0) {
			if (strcmp(v, "0") != 0)
				return -1;
			errno_seen = true;
		} else if (strcmp(line, "protocol_version") != 0) {
			return -1;
		}
	}
	return -1;
}

static void random_device(struct fdev *d, uint64_t *st)
{
	memset(d, 0, sizeof(*d));
	d->has_priv = ws_test_rand(st) % 4 != 0;
	if (d->has_priv) {
		ws_x25519_generate(d->priv);
		ws_x25519_public(d->pub, d->priv);
	}
	d->port = (uint16_t)ws_test_rand(st);
	d->fwmark = ws_test_rand(st) % 2 ? (uint32_t)ws_test_rand(st) : 0;
	d->n = (unsigned)(ws_test_rand(st) % 9);
	for (unsigned i = 0; i < d->n; i++) {
		struct fpeer *p = &d->peers[i];
		uint8_t a[16];
		ws_random(p->pub, WS_KEY_LEN);
		if (ws_test_rand(st) % 2)
			ws_random(p->psk, WS_KEY_LEN);
		ws_random(a, sizeof(a));
		if (ws_test_rand(st) % 3 == 1)
			ws_endpoint_v4(&p->ep, a, (uint16_t)(1 + ws_test_rand(st) % 65535));
		else if (ws_test_rand(st) % 3 == 2)
			ws_endpoint_v6(&p->ep, a, (uint16_t)(1 + ws_test_rand(st) % 65535));
		p->keepalive = (uint16_t)(ws_test_rand(st) % 3 ? 0 : ws_test_rand(st));
		p->n_aips = (unsigned)(ws_test_rand(st) % 6);
		for (unsigned j = 0; j < p->n_aips; j++) {
			struct ws_prefix *x = &p->aips[j];
			memset(x, 0, sizeof(*x));
			ws_random(x->addr, sizeof(x->addr));
			x->family = ws_test_rand(st) % 2 ? WS_AF_INET : WS_AF_INET6;
			/* Peer and entry number in the first bytes keep them distinct. */
			x->addr[0] = (uint8_t)i;
			x->addr[1] = (uint8_t)j;
			x->len = (uint8_t)(16 + ws_test_rand(st) % (ws_family_bits(x->family) - 15));
			if (x->family == WS_AF_INET)
				memset(x->addr + 4, 0, 12);
			ws_prefix_mask(x);
		}
		p->rx = ws_test_rand(st);
		p->tx = ws_test_rand(st);
		p->hs_sec = (int64_t)(ws_test_rand(st) >> 2);
		p->hs_nsec = (int64_t)(ws_test_rand(st) % 1000000000);
	}
}

/* The set text wg(8) would send to configure d from scratch. */
static size_t set_text(char *out, size_t cap, const struct fdev *d)
{
	char h[2 * WS_KEY_LEN + 1], buf[64];
	size_t n = 0;

#define OUT(...) (n += (size_t)snprintf(out + n, cap - n, __VA_ARGS__))
	OUT("set=1\n");
	if (d->has_priv) {
		hex(h, d->priv);
		OUT("private_key=%s\n", h);
	}
	OUT("listen_port=%u\nfwmark=%u\nreplace_peers=true\n", d->port, d->fwmark);
	for (unsigned i = 0; i < d->n; i++) {
		const struct fpeer *p = &d->peers[i];
		hex(h, p->pub);
		OUT("public_key=%s\n", h);
		if (!ws_is_zero(p->psk, WS_KEY_LEN)) {
			hex(h, p->psk);
			OUT("preshared_key=%s\n", h);
		}
		if (p->ep.family != WS_AF_NONE) {
			ws_endpoint_format(buf, sizeof(buf), &p->ep);
			OUT("endpoint=%s\n", buf);
		}
		OUT("persistent_keepalive_interval=%u\nreplace_allowed_ips=true\n", p->keepalive);
		for (unsigned j = 0; j < p->n_aips; j++) {
			ws_prefix_format(buf, sizeof(buf), &p->aips[j]);
			OUT("allowed_ip=%s\n", buf);
		}
	}
	OUT("\n");
#undef OUT
	return n;
}

static bool same_device(const struct fdev *a, const struct fdev *b)
{
	if (a->has_priv != b->has_priv || (a->has_priv && memcmp(a->priv, b->priv, WS_KEY_LEN)) ||
	    a->port != b->port || a->fwmark != b->fwmark || a->n != b->n)
		return false;
	for (unsigned i = 0; i < a->n; i++) {
		const struct fpeer *p = &a->peers[i], *q = &b->peers[i];
		if (memcmp(p->pub, q->pub, WS_KEY_LEN) || memcmp(p->psk, q->psk, WS_KEY_LEN) ||
		    p->ep.family != q->ep.family ||
		    (p->ep.family != WS_AF_NONE && !ws_endpoint_equal(&p->ep, &q->ep)) ||
		    p->keepalive != q->keepalive || p->n_aips != q->n_aips || p->rx != q->rx ||
		    p->tx != q->tx || p->hs_sec != q->hs_sec || p->hs_nsec != q->hs_nsec)
			return false;
		for (unsigned j = 0; j < p->n_aips; j++)
			if (ws_prefix_cmp(&p->aips[j], &q->aips[j]) != 0)
				return false;
	}
	return true;
}

static void test_roundtrip_random(void)
{
	static struct fdev want, got;
	static char text[64 * 1024];
	uint64_t st = ws_test_seed("uapi round trip");
	int ok = 0;

	for (int round = 0; round < 300; round++) {
		random_device(&want, &st);
		set_text(text, sizeof(text), &want);
		memset(&fake, 0, sizeof(fake));
		/* Stale state that replace_peers must clear. */
		fake.n = 1;
		int ret;
		char *r = handle(text, &ret);
		if (r == NULL || strcmp(r, "errno=0\n\n") != 0) {
			free(r);
			break;
		}
		free(r);
		/* Counters are the device's own; give the fake the wanted ones. */
		for (unsigned i = 0; i < fake.n && i < want.n; i++) {
			fake.peers[i].rx = want.peers[i].rx;
			fake.peers[i].tx = want.peers[i].tx;
			fake.peers[i].hs_sec = want.peers[i].hs_sec;
			fake.peers[i].hs_nsec = want.peers[i].hs_nsec;
		}
		r = handle("get=1\n\n", &ret);
		if (r != NULL && parse_get(r, &got) == 0 && same_device(&want, &got))
			ok++;
		else
			printf("\n  round %d differs:\n%s\n---\n%s\n", round, text, r ? r : "(null)");
		free(r);
		if (ok != round + 1)
			break;
	}
	CU_ASSERT_EQUAL(ok, 300);
}

/* ---- the stock wg(8) against our server ---- */

struct runner {
	struct ws_sockserver *s;
	pthread_t thread;
	atomic_bool stop;
};

static void *run_thread(void *arg)
{
	struct runner *r = arg;

	while (!atomic_load(&r->stop))
		ws_sockserver_run(r->s, 1000);
	return NULL;
}

static int sh(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int sh(char *out, size_t cap, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	FILE *p;
	size_t n;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void expect_in(const char *out, const char *needle)
{
	if (strstr(out, needle) == NULL) {
		printf("\n  output lacks \"%s\":\n%s\n", needle, out);
		CU_FAIL("wg output");
	}
}

static void write_key_file(const char *path, const uint8_t key[WS_KEY_LEN])
{
	char b64[WS_KEY_B64_LEN];
	FILE *f = fopen(path, "w");

	ws_key_to_base64(b64, key);
	if (f != NULL) {
		fprintf(f, "%s\n", b64);
		fclose(f);
	}
}

static void test_wg_tool(void)
{
	char name[16], path[64], out[8192], want[1024], keyfile[64];
	char priv64[WS_KEY_B64_LEN], pub64[WS_KEY_B64_LEN], peer64[WS_KEY_B64_LEN],
	     psk64[WS_KEY_B64_LEN], new64[WS_KEY_B64_LEN];
	uint8_t newpub[WS_KEY_LEN], newpsk[WS_KEY_LEN], newpriv[WS_KEY_LEN], oldpub[WS_KEY_LEN];
	struct runner r = { 0 };
	struct ws_prefix pf;
	struct stat st;

	if (sh(out, sizeof(out), "command -v wg") != 0) {
		printf("\n  wg(8) not installed; skipped\n");
		return;
	}
	snprintf(name, sizeof(name), "wsut%d", (int)(getpid() % 100000));
	CU_ASSERT_EQUAL_FATAL(ws_uapi_socket_path(path, sizeof(path), name), 0);
	r.s = ws_uapi_listen(path, &fake_ops, 0);
	if (r.s == NULL && (errno == EACCES || errno == EPERM)) {
		printf("\n  cannot create %s (not root?); skipped\n", path);
		return;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.s);
	pthread_create(&r.thread, NULL, run_thread, &r);

	memset(&fake, 0, sizeof(fake));
	fake.has_priv = true;
	ws_x25519_generate(fake.priv);
	ws_x25519_public(fake.pub, fake.priv);
	fake.port = 51820;
	fake.n = 1;
	struct fpeer *p = &fake.peers[0];
	ws_random(p->pub, WS_KEY_LEN);
	ws_random(p->psk, WS_KEY_LEN);
	ws_endpoint_parse(&p->ep, "192.0.2.2:51820", NULL);
	p->keepalive = 25;
	ws_prefix_parse(&p->aips[0], "10.2.0.0/24", NULL);
	ws_prefix_parse(&p->aips[1], "fd00:2::/64", NULL);
	p->n_aips = 2;
	p->rx = 123456;
	p->tx = 654321;
	p->hs_sec = 1700000000;
	ws_key_to_base64(priv64, fake.priv);
	ws_key_to_base64(pub64, fake.pub);
	ws_key_to_base64(peer64, p->pub);
	memcpy(oldpub, p->pub, WS_KEY_LEN);
	ws_key_to_base64(psk64, p->psk);

	CU_ASSERT_EQUAL(sh(out, sizeof(out), "wg show %s dump", name), 0);
	snprintf(want, sizeof(want), "%s\t%s\t51820\toff\n"
		 "%s\t%s\t192.0.2.2:51820\t10.2.0.0/24,fd00:2::/64\t1700000000\t123456\t654321\t25\n",
		 priv64, pub64, peer64, psk64);
	CU_ASSERT_STRING_EQUAL(out, want);

	CU_ASSERT_EQUAL(sh(out, sizeof(out), "wg showconf %s", name), 0);
	snprintf(want, sizeof(want), "[Interface]\nListenPort = 51820\nPrivateKey = %s\n\n"
		 "[Peer]\nPublicKey = %s\nPresharedKey = %s\nAllowedIPs = 10.2.0.0/24, fd00:2::/64\n"
		 "Endpoint = 192.0.2.2:51820\nPersistentKeepalive = 25\n", priv64, peer64, psk64);
	CU_ASSERT_STRING_EQUAL(out, want);

	CU_ASSERT_EQUAL(sh(out, sizeof(out), "wg show %s", name), 0);
	snprintf(want, sizeof(want), "interface: %s", name);
	expect_in(out, want);
	snprintf(want, sizeof(want), "public key: %s", pub64);
	expect_in(out, want);
	expect_in(out, "listening port: 51820");
	snprintf(want, sizeof(want), "peer: %s", peer64);
	expect_in(out, want);
	expect_in(out, "allowed ips: 10.2.0.0/24, fd00:2::/64");
	expect_in(out, "transfer: 120.56 KiB received, 638.99 KiB sent");
	CU_ASSERT_EQUAL(sh(out, sizeof(out), "wg show interfaces"), 0);
	expect_in(out, name);

	/* wg set: a new peer, with a preshared key from a file. */
	ws_random(newpub, WS_KEY_LEN);
	ws_random(newpsk, WS_KEY_LEN);
	ws_key_to_base64(new64, newpub);
	snprintf(keyfile, sizeof(keyfile), "/tmp/ws_uapi_key_%d", (int)getpid());
	write_key_file(keyfile, newpsk);
	CU_ASSERT_EQUAL(sh(out, sizeof(out), "wg set %s peer %s allowed-ips 10.9.0.0/24,fd00:9::/64 "
			   "endpoint [2001:db8::9]:51821 persistent-keepalive 15 preshared-key %s",
			   name, new64, keyfile), 0);
	CU_ASSERT_EQUAL_FATAL(fake.n, 2);
	p = fdev_find(&fake, newpub);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(memcmp(p->psk, newpsk, WS_KEY_LEN), 0);
	ws_endpoint_format(want, sizeof(want), &p->ep);
	CU_ASSERT_STRING_EQUAL(want, "[2001:db8::9]:51821");
	CU_ASSERT_EQUAL(p->keepalive, 15);
	CU_ASSERT_EQUAL_FATAL(p->n_aips, 2);
	ws_prefix_parse(&pf, "fd00:9::/64", NULL);
	CU_ASSERT_EQUAL(ws_prefix_cmp(&p->aips[1], &pf), 0);
	/* allowed-ips replaces: wg sends replace_allowed_ips first. */
	CU_ASSERT_EQUAL(sh(out, sizeof(out), "wg set %s peer %s allowed-ips 10.10.0.0/16", name, new64), 0);
	p = fdev_find(&fake, newpub);
	CU_ASSERT_EQUAL(p->n_aips, 1);
	CU_ASSERT_EQUAL(p->aips[0].len, 16);
	/* remove */
	CU_ASSERT_EQUAL(sh(out, sizeof(out), "wg set %s peer %s remove", name, peer64), 0);
	CU_ASSERT_EQUAL(fake.n, 1);
	CU_ASSERT_PTR_NULL(fdev_find(&fake, oldpub));
	CU_ASSERT_PTR_NOT_NULL(fdev_find(&fake, newpub));
	/* Interface settings. */
	ws_x25519_generate(newpriv);
	write_key_file(keyfile, newpriv);
	CU_ASSERT_EQUAL(sh(out, sizeof(out), "wg set %s listen-port 40000 fwmark 0x20 private-key %s",
			   name, keyfile), 0);
	CU_ASSERT_EQUAL(fake.port, 40000);
	CU_ASSERT_EQUAL(fake.fwmark, 0x20);
	CU_ASSERT_EQUAL(memcmp(fake.priv, newpriv, WS_KEY_LEN), 0);
	unlink(keyfile);
	CU_ASSERT_EQUAL(sh(out, sizeof(out), "wg show %s fwmark", name), 0);
	CU_ASSERT_STRING_EQUAL(out, "0x20\n");

	/* Errors come back as wg(8) words. */
	fake.fail_set = -EADDRINUSE;
	CU_ASSERT_NOT_EQUAL(sh(out, sizeof(out), "wg set %s listen-port 1", name), 0);
	expect_in(out, "Address already in use");
	fake.fail_set = 0;
	fake.fail_get = -ENOMEM;
	CU_ASSERT_NOT_EQUAL(sh(out, sizeof(out), "wg show %s dump", name), 0);
	expect_in(out, "Cannot allocate memory");
	fake.fail_get = 0;

	atomic_store(&r.stop, true);
	ws_sockserver_wake(r.s);
	pthread_join(r.thread, NULL);
	ws_sockserver_destroy(r.s);
	CU_ASSERT_EQUAL(lstat(path, &st), -1);
	CU_ASSERT_NOT_EQUAL(sh(out, sizeof(out), "wg show %s dump", name), 0);
}

static int suite_init(void)
{
	return ws_crypto_init() < 0 ? -1 : 0;
}

int main(void)
{
	static const struct ws_test tests[] = {
		WS_TEST(test_parse_every_key),
		WS_TEST(test_parse_order_rules),
		WS_TEST(test_parse_errors),
		WS_TEST(test_format_get),
		WS_TEST(test_frame),
		WS_TEST(test_handle),
		WS_TEST(test_socket_path),
		WS_TEST(test_roundtrip_random),
		WS_TEST(test_wg_tool),
		{ 0 },
	};
	return ws_test_run("uapi", tests, suite_init, NULL);
}
