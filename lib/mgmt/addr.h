/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Text forms of the addresses an operator types: IP addresses, CIDR
 * prefixes, UDP endpoints and MAC addresses. inet_pton underneath, no DNS.
 * Shared by the config loader and the JSON-RPC server so both accept and
 * print exactly the same spellings.
 *
 * Parsers return 0 or -EINVAL; when why is not NULL it then points to a
 * static, human-readable reason that never quotes the input.
 */
#ifndef WS_ADDR_H
#define WS_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wg/endpoint.h"

enum {
	WS_MAC_LEN = 6,
	WS_ADDR_STR_MAX = 46,           /* INET6_ADDRSTRLEN */
	WS_PREFIX_STR_MAX = 50,         /* address, '/', three digits */
	WS_ENDPOINT_STR_MAX = 54,       /* '[', address, "]:", five digits */
	WS_MAC_STR_MAX = 18,
};

/* An IPv4 or IPv6 address; family is enum ws_family, bytes in network order. */
struct ws_ipaddr {
	uint8_t family;
	uint8_t addr[16];
};

/*
 * An address with a prefix length. Whether the host bits are kept depends
 * on the use: an interface address keeps them (192.0.2.1/24), a route or
 * an allowed-ips entry is masked with ws_prefix_mask.
 */
struct ws_prefix {
	uint8_t family;
	uint8_t len;
	uint8_t addr[16];
};

static inline unsigned ws_family_bits(uint8_t family)
{
	return family == WS_AF_INET ? 32 : family == WS_AF_INET6 ? 128 : 0;
}

int ws_addr_parse(struct ws_ipaddr *out, const char *s, const char **why);
/* "addr/len"; a bare address means a host prefix (/32 or /128), as wg(8). */
int ws_prefix_parse(struct ws_prefix *out, const char *s, const char **why);
/* "1.2.3.4:51820" or "[2001:db8::1]:51820"; port 1..65535. */
int ws_endpoint_parse(struct ws_endpoint *out, const char *s, const char **why);
/* A hex digit's value, or -1. */
static inline int ws_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
/* "02:00:00:00:00:fe": six colon-separated pairs of hex digits. */
int ws_mac_parse(uint8_t mac[WS_MAC_LEN], const char *s, const char **why);

/* Clears the host bits. */
void ws_prefix_mask(struct ws_prefix *p);
/* True when a has p's family and lies within p (host bits of p ignored). */
bool ws_prefix_contains(const struct ws_prefix *p, const struct ws_ipaddr *a);
/* Orders by family, then address, then length; 0 when the same prefix. */
int ws_prefix_cmp(const struct ws_prefix *a, const struct ws_prefix *b);
bool ws_addr_equal(const struct ws_ipaddr *a, const struct ws_ipaddr *b);

/* Formatters return 0, -EINVAL for an unset family, -ENOSPC if len is short. */
int ws_addr_format(char *buf, size_t len, const struct ws_ipaddr *a);
int ws_prefix_format(char *buf, size_t len, const struct ws_prefix *p);
int ws_endpoint_format(char *buf, size_t len, const struct ws_endpoint *ep);
int ws_mac_format(char *buf, size_t len, const uint8_t mac[WS_MAC_LEN]);

#endif /* WS_ADDR_H */
