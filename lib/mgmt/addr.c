/* SPDX-License-Identifier: GPL-2.0-only */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"

static int fail(const char **why, const char *reason)
{
	if (why != NULL)
		*why = reason;
	return -EINVAL;
}

/* Longest text inet_pton can accept, with room to spare for the NUL. */
enum { ADDR_TEXT_MAX = 64 };

/* Parses len bytes of s as IPv4, or as IPv6 when v6 is set. */
static bool pton(struct ws_ipaddr *out, const char *s, size_t len, bool v6)
{
	char tmp[ADDR_TEXT_MAX];

	if (len == 0 || len >= sizeof(tmp))
		return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(v6 ? AF_INET6 : AF_INET, tmp, out->addr) != 1)
		return false;
	out->family = v6 ? WS_AF_INET6 : WS_AF_INET;
	return true;
}

static bool parse_any(struct ws_ipaddr *out, const char *s, size_t len)
{
	return pton(out, s, len, memchr(s, ':', len) != NULL);
}

int ws_addr_parse(struct ws_ipaddr *out, const char *s, const char **why)
{
	if (!parse_any(out, s, strlen(s)))
		return fail(why, "not an IPv4 or IPv6 address");
	return 0;
}

/* Strict decimal: 1..maxdigits digits, no sign, no spaces. */
static bool parse_decimal(const char *s, unsigned maxdigits, unsigned long *out)
{
	unsigned long v = 0;
	unsigned n = 0;

	for (; *s != '\0'; s++, n++) {
		if (*s < '0' || *s > '9' || n == maxdigits)
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	*out = v;
	return n > 0;
}

int ws_prefix_parse(struct ws_prefix *out, const char *s, const char **why)
{
	const char *slash = strchr(s, '/');
	size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	struct ws_ipaddr a;
	unsigned long len;

	memset(out, 0, sizeof(*out));
	if (!parse_any(&a, s, alen))
		return fail(why, "not an IPv4 or IPv6 address/prefix-length");
	if (slash == NULL) {
		len = ws_family_bits(a.family);
	} else {
		if (!parse_decimal(slash + 1, 3, &len))
			return fail(why, "prefix length is not a number");
		if (len > ws_family_bits(a.family))
			return fail(why, "prefix length out of range");
	}
	out->family = a.family;
	out->len = (uint8_t)len;
	memcpy(out->addr, a.addr, sizeof(out->addr));
	return 0;
}

static bool looks_like_hostname(const char *s, size_t len)
{
	bool letter = false;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			letter = true;
		else if (!(c >= '0' && c <= '9') && c != '.' && c != '-')
			return false;
	}
	return letter;
}

int ws_endpoint_parse(struct ws_endpoint *out, const char *s, const char **why)
{
	struct ws_ipaddr a;
	const char *host, *port;
	size_t hlen;
	unsigned long pnum;

	memset(out, 0, sizeof(*out));
	if (*s == '\0')
		return fail(why, "empty endpoint");
	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL)
			return fail(why, "missing ']' after the IPv6 address");
		host = s + 1;
		hlen = (size_t)(close - host);
		if (memchr(host, '%', hlen) != NULL)
			return fail(why, "IPv6 scope ids are not supported");
		if (!pton(&a, host, hlen, true))
			return fail(why, "not an IPv6 address inside [ ]");
		if (close[1] != ':')
			return fail(why, "missing :port");
		port = close + 2;
	} else {
		const char *colon = strchr(s, ':');
		if (colon == NULL)
			return fail(why, "missing :port");
		if (strchr(colon + 1, ':') != NULL)
			return fail(why, "an IPv6 endpoint needs brackets: [address]:port");
		host = s;
		hlen = (size_t)(colon - s);
		if (!pton(&a, host, hlen, false)) {
			if (looks_like_hostname(host, hlen))
				return fail(why, "hostnames are not resolved (no DNS): give an IP address");
			return fail(why, "not an IPv4 address");
		}
		port = colon + 1;
	}
	if (!parse_decimal(port, 5, &pnum))
		return fail(why, "port is not a number");
	if (pnum < 1 || pnum > 65535)
		return fail(why, "port out of range 1..65535");
	if (a.family == WS_AF_INET)
		ws_endpoint_v4(out, a.addr, (uint16_t)pnum);
	else
		ws_endpoint_v6(out, a.addr, (uint16_t)pnum);
	return 0;
}

int ws_mac_parse(uint8_t mac[WS_MAC_LEN], const char *s, const char **why)
{
	uint8_t tmp[WS_MAC_LEN];

	if (strlen(s) != 3 * WS_MAC_LEN - 1)
		return fail(why, "not a MAC address like 02:00:00:00:00:fe");
	for (unsigned i = 0; i < WS_MAC_LEN; i++) {
		const char *p = s + 3 * i;
		int hi = ws_hexval(p[0]), lo = ws_hexval(p[1]);
		if (hi < 0 || lo < 0 || (i + 1 < WS_MAC_LEN && p[2] != ':'))
			return fail(why, "not a MAC address like 02:00:00:00:00:fe");
		tmp[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, tmp, sizeof(tmp));
	return 0;
}

void ws_prefix_mask(struct ws_prefix *p)
{
	unsigned bits = ws_family_bits(p->family);

	for (unsigned i = 0; i < 16; i++) {
		unsigned first = i * 8;
		if (first >= bits || first >= p->len)
			p->addr[i] = 0;
		else if (p->len - first < 8)
			p->addr[i] &= (uint8_t)(0xff00u >> (p->len - first));
	}
}

bool ws_prefix_contains(const struct ws_prefix *p, const struct ws_ipaddr *a)
{
	unsigned full = p->len / 8, rest = p->len % 8;

	if (p->family != a->family || p->family == WS_AF_NONE)
		return false;
	if (memcmp(p->addr, a->addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t m = (uint8_t)(0xff00u >> rest);
	return ((p->addr[full] ^ a->addr[full]) & m) == 0;
}

int ws_prefix_cmp(const struct ws_prefix *a, const struct ws_prefix *b)
{
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	c = memcmp(a->addr, b->addr, ws_family_bits(a->family) / 8);
	if (c != 0)
		return c;
	return a->len == b->len ? 0 : a->len < b->len ? -1 : 1;
}

bool ws_addr_equal(const struct ws_ipaddr *a, const struct ws_ipaddr *b)
{
	return a->family == b->family &&
	       memcmp(a->addr, b->addr, ws_family_bits(a->family) / 8) == 0;
}

static int ntop(char *buf, size_t len, uint8_t family, const uint8_t *addr)
{
	char tmp[WS_ADDR_STR_MAX];

	if (family != WS_AF_INET && family != WS_AF_INET6)
		return -EINVAL;
	if (inet_ntop(family == WS_AF_INET ? AF_INET : AF_INET6, addr, tmp, sizeof(tmp)) == NULL)
		return -EINVAL;
	if (strlen(tmp) >= len)
		return -ENOSPC;
	memcpy(buf, tmp, strlen(tmp) + 1);
	return 0;
}

static int fit(int n, size_t len)
{
	return n < 0 ? -EINVAL : (size_t)n >= len ? -ENOSPC : 0;
}

int ws_addr_format(char *buf, size_t len, const struct ws_ipaddr *a)
{
	return ntop(buf, len, a->family, a->addr);
}

int ws_prefix_format(char *buf, size_t len, const struct ws_prefix *p)
{
	char tmp[WS_ADDR_STR_MAX];
	int ret = ntop(tmp, sizeof(tmp), p->family, p->addr);

	if (ret < 0)
		return ret;
	return fit(snprintf(buf, len, "%s/%u", tmp, p->len), len);
}

int ws_endpoint_format(char *buf, size_t len, const struct ws_endpoint *ep)
{
	char tmp[WS_ADDR_STR_MAX];
	int ret = ntop(tmp, sizeof(tmp), ep->family, ep->addr);

	if (ret < 0)
		return ret;
	if (ep->family == WS_AF_INET6)
		return fit(snprintf(buf, len, "[%s]:%u", tmp, ep->port), len);
	return fit(snprintf(buf, len, "%s:%u", tmp, ep->port), len);
}

int ws_mac_format(char *buf, size_t len, const uint8_t mac[WS_MAC_LEN])
{
	return fit(snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x",
			    mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]), len);
}
