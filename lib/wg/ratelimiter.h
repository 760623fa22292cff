/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-source token buckets for handshake initiations: each source earns
 * WS_INITIATIONS_PER_SECOND tokens a second and holds at most
 * WS_INITIATIONS_BURSTABLE. An IPv4 source is its full address, an IPv6
 * source its /64 (an attacker gets a /64 as easily as one address); ports
 * are ignored.
 *
 * Memory is bounded: the table holds at most the capacity given at create
 * time, and when it is full a source not in it is denied (and counted)
 * rather than admitted. Entries idle for more than a second hold a full
 * bucket anyway, so dropping them changes no verdict; ws_ratelimiter_gc()
 * does that, and a full table collects itself at most once a second.
 *
 * One instance belongs to one thread (the control lcores shard sources
 * across instances): no locks inside.
 */
#ifndef WS_RATELIMITER_H
#define WS_RATELIMITER_H

#include <stdbool.h>
#include <stdint.h>

#include "endpoint.h"

struct ws_ratelimiter;

struct ws_ratelimiter_stats {
	uint64_t allowed;       /* initiations let through */
	uint64_t limited;       /* denied: the source's bucket was empty */
	uint64_t table_full;    /* denied: new source, no room in the table */
};

/*
 * A limiter for at most capacity sources (8 .. 2^30), its memory on
 * socket_id (or SOCKET_ID_ANY). name must be unique in the process and
 * short (it names the rte_hash and its rings). NULL and rte_errno on error.
 */
struct ws_ratelimiter *ws_ratelimiter_create(const char *name, uint32_t capacity,
					     int socket_id);
void ws_ratelimiter_free(struct ws_ratelimiter *rl);

/* Spend a token of src's bucket at time now (ns); false when denied. */
bool ws_ratelimiter_allow(struct ws_ratelimiter *rl, const struct ws_endpoint *src,
			  uint64_t now);

/* Forget sources idle for more than a second. */
void ws_ratelimiter_gc(struct ws_ratelimiter *rl, uint64_t now);

/* Sources currently tracked. */
uint32_t ws_ratelimiter_count(const struct ws_ratelimiter *rl);

void ws_ratelimiter_stats(const struct ws_ratelimiter *rl, struct ws_ratelimiter_stats *st);

#endif /* WS_RATELIMITER_H */
