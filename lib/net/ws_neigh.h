/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Neighbor cache: IPv4/IPv6 next hop -> MAC, one per port, on an rte_hash
 * with lock-free readers (RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF).
 *
 * Readers (RX/TX lcores) call only ws_neigh_lookup. Every other function
 * is the writer's: one thread, the control role. The clock is injected
 * (nanoseconds of a monotonic clock) so tests drive every timer.
 *
 * States, after Linux NUD but smaller:
 *   INCOMPLETE  resolving: probes (ARP request / multicast NS) every
 *               probe_interval, max_probes in all, then FAILED.
 *   REACHABLE   MAC confirmed; at expiry, an entry readers used since
 *               the confirmation goes to PROBE, an unused one is removed.
 *   PROBE       MAC still in use while unicast probes re-confirm it;
 *               unanswered, FAILED.
 *   FAILED      no MAC; resolution refused for failed_hold, then removed,
 *               so that packets to a dead next hop drop at once.
 *   STATIC      from the config's "neighbors"; never expires, never
 *               overwritten by learning.
 * Pending-packet queues belong to the data path, not here.
 */
#ifndef WS_NEIGH_H
#define WS_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_rcu_qsbr.h>

struct ws_neigh;
struct ws_net_pkt;

enum ws_neigh_state {
	WS_NEIGH_NONE = 0,              /* no entry */
	WS_NEIGH_INCOMPLETE,
	WS_NEIGH_REACHABLE,
	WS_NEIGH_PROBE,
	WS_NEIGH_FAILED,
	WS_NEIGH_STATIC,
};

static inline bool ws_neigh_usable(enum ws_neigh_state s)
{
	return s == WS_NEIGH_REACHABLE || s == WS_NEIGH_PROBE || s == WS_NEIGH_STATIC;
}

struct ws_neigh_params {
	const char *name;               /* unique among rte_hash names */
	uint32_t capacity;              /* entries, static ones included */
	int socket_id;
	/*
	 * The readers' QSBR variable: deleted slots are reused only after a
	 * grace period. NULL when every lookup runs on the writer's thread.
	 */
	struct rte_rcu_qsbr *qsv;
	uint64_t reachable_ns;          /* 0: 30 s */
	uint64_t probe_interval_ns;     /* 0: 1 s */
	uint32_t max_probes;            /* 0: 3 */
	uint64_t failed_hold_ns;        /* 0: 10 s */
};

/* A probe the writer must send now. */
struct ws_neigh_probe {
	uint8_t family;                 /* WS_AF_INET: ARP request, WS_AF_INET6: NS */
	uint8_t unicast;                /* 1: to mac (re-confirmation), 0: broadcast/multicast */
	uint8_t addr[16];
	struct rte_ether_addr mac;
};

/* ws_neigh_resolve results. */
enum ws_neigh_action {
	WS_NEIGH_READY,                 /* usable MAC: send */
	WS_NEIGH_SEND_PROBE,            /* send the probe now, keep the packet */
	WS_NEIGH_WAIT,                  /* a probe is out: keep the packet */
	WS_NEIGH_UNREACHABLE,           /* FAILED: drop the packet */
};

/* NULL with rte_errno set on failure. */
struct ws_neigh *ws_neigh_create(const struct ws_neigh_params *p);
void ws_neigh_free(struct ws_neigh *n);

/*
 * Reader, lock-free: the state, and the MAC when ws_neigh_usable(state).
 * A usable entry is marked in use, so at expiry it is re-probed, not dropped.
 */
enum ws_neigh_state ws_neigh_lookup(struct ws_neigh *n, uint8_t family, const void *addr,
				    struct rte_ether_addr *mac);

/* Writer only. addr: 4 or 16 bytes in network order, by family. */
int ws_neigh_set_static(struct ws_neigh *n, uint8_t family, const void *addr,
			const struct rte_ether_addr *mac);
int ws_neigh_delete(struct ws_neigh *n, uint8_t family, const void *addr);
/* Confirmed MAC: REACHABLE. create false updates an existing entry only (-ENOENT). */
int ws_neigh_learn(struct ws_neigh *n, uint8_t family, const void *addr,
		   const struct rte_ether_addr *mac, bool create, uint64_t now);
/*
 * Learn from a classified ARP or ND packet: an ARP request or NS for one
 * of our addresses creates the sender's entry; ARP replies, gratuitous
 * ARP, NA and RA only update existing ones; an NA without the override
 * flag does not change a known MAC. 0 also when there is nothing to learn.
 */
int ws_neigh_learn_pkt(struct ws_neigh *n, const struct ws_net_pkt *pkt, uint64_t now);
/*
 * The data path has a packet for addr and no usable entry. Returns an
 * enum ws_neigh_action (probe filled for SEND_PROBE), or -ENOSPC when the
 * cache is full (or, with readers stalled, its free slots still wait out
 * their grace period), -EINVAL.
 */
int ws_neigh_resolve(struct ws_neigh *n, uint8_t family, const void *addr, uint64_t now,
		     struct ws_neigh_probe *probe);
/*
 * Timers: retries, expiries, removals. Writes up to max probes to send
 * and returns their count; probes that did not fit stay due. Walks the
 * table only when some entry's deadline has come (static entries have
 * none), so the control lcore can call it often at no cost.
 */
unsigned ws_neigh_poll(struct ws_neigh *n, uint64_t now, struct ws_neigh_probe *out,
		       unsigned max);
unsigned ws_neigh_count(const struct ws_neigh *n);
/* No entry is due before this (UINT64_MAX: none will be); ws_neigh_poll is a no-op until then. */
uint64_t ws_neigh_next_due(const struct ws_neigh *n);

#endif /* WS_NEIGH_H */
