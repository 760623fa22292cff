/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A UDP endpoint (IPv4 or IPv6 address and port) as the protocol layer
 * sees it: cookies bind to it, the rate limiter keys on it, roaming
 * replaces it. Plain bytes; no socket types.
 */
#ifndef WS_ENDPOINT_H
#define WS_ENDPOINT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum ws_family {
	WS_AF_NONE = 0,
	WS_AF_INET = 4,
	WS_AF_INET6 = 6,
};

struct ws_endpoint {
	uint8_t family;         /* enum ws_family */
	uint8_t pad;
	uint16_t port;          /* host byte order */
	uint8_t addr[16];       /* network byte order; IPv4 uses the first 4 bytes */
};

static inline unsigned ws_endpoint_addr_len(const struct ws_endpoint *ep)
{
	return ep->family == WS_AF_INET ? 4 : ep->family == WS_AF_INET6 ? 16 : 0;
}

/* Same family and address (constant-size compares: no library call per packet). */
static inline bool ws_endpoint_addr_equal(const struct ws_endpoint *a, const struct ws_endpoint *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == WS_AF_INET)
		return memcmp(a->addr, b->addr, 4) == 0;
	return a->family != WS_AF_INET6 || memcmp(a->addr, b->addr, 16) == 0;
}

static inline bool ws_endpoint_equal(const struct ws_endpoint *a, const struct ws_endpoint *b)
{
	return a->port == b->port && ws_endpoint_addr_equal(a, b);
}

static inline void ws_endpoint_v4(struct ws_endpoint *ep, const uint8_t addr[4], uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = WS_AF_INET;
	ep->port = port;
	memcpy(ep->addr, addr, 4);
}

static inline void ws_endpoint_v6(struct ws_endpoint *ep, const uint8_t addr[16], uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = WS_AF_INET6;
	ep->port = port;
	memcpy(ep->addr, addr, 16);
}

#endif /* WS_ENDPOINT_H */
