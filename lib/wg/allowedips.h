/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Crypto-key routing: IPv4 and IPv6 prefixes, each owned by one peer.
 * Sending, the destination's longest matching prefix picks the peer;
 * receiving, the inner source must map back to the peer that sent it.
 *
 * Prefixes are stored masked (10.1.2.3/8 is 10.0.0.0/8). Inserting a
 * prefix that exists moves it to the new peer. Peers are ids from 0 to
 * WS_ALLOWEDIPS_MAX_PEER; lookups answer WS_ALLOWEDIPS_NONE when nothing
 * matches. IPv4 addresses are host-order integers, IPv6 addresses are
 * 16 bytes in network order.
 *
 * Longest-prefix match is DPDK's rte_lpm and rte_lpm6 (see allowedips.c
 * for why not rte_fib). Memory: a fixed 64 MiB first-level table per
 * family, plus 1 KiB per IPv4 rule and 13 KiB per IPv6 rule, reserved up
 * front so that max_v*_rules prefixes always fit.
 *
 * Concurrency: one writer (the control thread) at a time; any number of
 * data-path lcores look up without locks while it writes. A lookup that
 * races a write answers the peer from before or after it, or briefly a
 * miss while a second-level group is retired. DPDK retires those groups
 * with no grace period, so a reader stalled across a removal and a later
 * insert may read an entry of another prefix. Where that matters, the
 * caller keeps two tables, writes the idle one, publishes it and waits
 * out an rte_rcu_qsbr grace period before bringing the other up to date.
 */
#ifndef WS_ALLOWEDIPS_H
#define WS_ALLOWEDIPS_H

#include <stdint.h>

#include "endpoint.h"

#define WS_ALLOWEDIPS_NONE UINT32_MAX
/* The largest peer id: rte_lpm6 keeps 21-bit next hops. */
#define WS_ALLOWEDIPS_MAX_PEER ((UINT32_C(1) << 21) - 1)
/* Longest name ws_allowedips_create takes (DPDK's object-name limits). */
#define WS_ALLOWEDIPS_NAMESIZE 16

struct ws_allowedips;

/*
 * A table with room for at least max_v4_rules and max_v6_rules prefixes
 * (each at least 1). name is unique in the process, at most
 * WS_ALLOWEDIPS_NAMESIZE characters. NULL with rte_errno set on failure.
 */
struct ws_allowedips *ws_allowedips_create(const char *name, uint32_t max_v4_rules,
					   uint32_t max_v6_rules, int socket_id);
void ws_allowedips_free(struct ws_allowedips *t);

/* 0, -EINVAL (cidr or peer out of range), -ENOMEM or -ENOSPC (table full). */
int ws_allowedips_insert_v4(struct ws_allowedips *t, uint32_t addr, uint8_t cidr, uint32_t peer);
int ws_allowedips_insert_v6(struct ws_allowedips *t, const uint8_t addr[16], uint8_t cidr,
			    uint32_t peer);

/* Remove exactly addr/cidr if peer owns it: 0, -ENOENT, or -EINVAL. */
int ws_allowedips_remove_v4(struct ws_allowedips *t, uint32_t addr, uint8_t cidr, uint32_t peer);
int ws_allowedips_remove_v6(struct ws_allowedips *t, const uint8_t addr[16], uint8_t cidr,
			    uint32_t peer);

/* Remove every prefix of peer: 0, or -ENOMEM with some of them removed. */
int ws_allowedips_remove_by_peer(struct ws_allowedips *t, uint32_t peer);

uint32_t ws_allowedips_lookup_v4(const struct ws_allowedips *t, uint32_t addr);
uint32_t ws_allowedips_lookup_v6(const struct ws_allowedips *t, const uint8_t addr[16]);
void ws_allowedips_lookup_v4_bulk(const struct ws_allowedips *t, const uint32_t *addrs,
				  uint32_t *peers, unsigned n);
void ws_allowedips_lookup_v6_bulk(const struct ws_allowedips *t, const uint8_t (*addrs)[16],
				  uint32_t *peers, unsigned n);

/*
 * Call cb for each prefix of peer: family WS_AF_INET or WS_AF_INET6,
 * addr in network order (4 or 16 bytes), masked. cb must not change the
 * table. A non-zero return from cb stops the walk and is returned.
 */
typedef int (*ws_allowedips_cb)(void *arg, int family, const uint8_t *addr, uint8_t cidr);
int ws_allowedips_walk_peer(const struct ws_allowedips *t, uint32_t peer,
			    ws_allowedips_cb cb, void *arg);

/* Prefixes held for family (WS_AF_INET or WS_AF_INET6); a full walk. */
uint32_t ws_allowedips_count(const struct ws_allowedips *t, int family);

#endif /* WS_ALLOWEDIPS_H */
