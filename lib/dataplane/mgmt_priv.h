/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The management thread's private state and its requests to the control
 * lcore: mgmt.c (thread, sockets, request path), mgmt_exec.c (requests,
 * on the control lcore), mgmt_methods.c (JSON-RPC), mgmt_report.c (info,
 * stats, Prometheus), mgmt_uapi.c (wg(8)), mgmt_telemetry.c (DPDK
 * telemetry).
 *
 * Control is the only writer of the tables, and the only reader of a
 * peer's handshake and timers, so every change and every peer snapshot
 * is a request: the management (or telemetry) thread fills a struct
 * ws_mgmt_req, puts its pointer on an MP/SC ring and waits on the
 * request's completion word with short sleeps; ws_gw_mgmt_poll on the
 * control lcore runs a few requests per poll with device.c's functions
 * and marks them done. A waiter that gives up (timeout, shut-down) marks
 * the request abandoned with a compare-and-swap; whichever side loses
 * the race to the other's mark frees it, so control never writes into
 * freed memory and the waiter never reads a half-done result.
 */
#ifndef WS_MGMT_PRIV_H
#define WS_MGMT_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "gateway.h"
#include "jsonrpc.h"
#include "sockserver.h"
#include "uapi.h"

enum {
	WS_MGMT_RING_SIZE = 1024,
	WS_MGMT_PER_POLL = 8,           /* requests control runs per poll */
	WS_MGMT_TIMEOUT_MS = 5000,
	WS_MGMT_LIST_CHUNK = 64,        /* peers per list request: bounded control work */
	WS_MGMT_RPC_MAX_REQUEST = 1 << 20,     /* docs/jsonrpc.md */
};

enum ws_mgmt_op {
	WS_MGMT_PEER_ADD = 1,           /* -EEXIST when present */
	WS_MGMT_PEER_SET,               /* -ENOENT when absent; fields by mask */
	WS_MGMT_PEER_UPSERT,            /* UAPI: set, adding the peer when absent */
	WS_MGMT_PEER_REMOVE,
	WS_MGMT_PEER_REMOVE_ALL,
	WS_MGMT_PEER_LIST,              /* ids from list_start, at most list_max peers */
	WS_MGMT_PEER_GET,
	WS_MGMT_IFACE_GET,
	WS_MGMT_IFACE_SET,
};

/* ws_mgmt_req.mask: which peer or interface fields a set carries. */
enum {
	WS_MGMT_F_PSK = 1u << 0,
	WS_MGMT_F_ENDPOINT = 1u << 1,
	WS_MGMT_F_KEEPALIVE = 1u << 2,
	WS_MGMT_F_ALLOWED_IPS = 1u << 3,        /* replace */
	WS_MGMT_F_ALLOWED_IPS_ADD = 1u << 4,    /* add to the peer's */
	WS_MGMT_F_PRIVATE_KEY = 1u << 5,
	WS_MGMT_F_LISTEN_PORT = 1u << 6,
	WS_MGMT_F_WANT_SECRETS = 1u << 7,       /* snapshots carry keys (UAPI only) */
	WS_MGMT_F_SNAPSHOT = 1u << 8,           /* add/set: the peer's snapshot after it */
};

/* A peer as a snapshot shows it. */
struct ws_mgmt_peer {
	uint32_t id;
	uint8_t public_key[WS_KEY_LEN];
	uint8_t preshared_key[WS_KEY_LEN];      /* only with WS_MGMT_F_WANT_SECRETS */
	bool has_preshared_key;
	struct ws_endpoint endpoint;
	uint16_t persistent_keepalive;
	int64_t last_handshake_sec, last_handshake_nsec;
	uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets;
	struct ws_prefix *allowed_ips;          /* malloc'd */
	unsigned n_allowed_ips, cap_allowed_ips;
};

enum { WS_MGMT_PENDING = 0, WS_MGMT_DONE = 1, WS_MGMT_ABANDONED = 2 };

struct ws_mgmt_req {
	uint32_t op;                    /* enum ws_mgmt_op */
	uint32_t mask;                  /* WS_MGMT_F_* */
	uint32_t state;                 /* completion word: WS_MGMT_PENDING/DONE/ABANDONED */
	int32_t result;                 /* 0 or -errno */

	/* Arguments. */
	struct ws_config_peer peer;     /* allowed_ips malloc'd, owned by the request */
	uint8_t private_key[WS_KEY_LEN];
	uint16_t listen_port;
	uint32_t list_start, list_max;

	/* Results. */
	struct ws_mgmt_peer *peers;     /* malloc'd */
	unsigned n_peers, cap_peers;
	uint32_t list_next;             /* next id to ask for; UINT32_MAX when done */
	uint8_t public_key[WS_KEY_LEN]; /* IFACE_GET */
	bool has_private_key;
	uint16_t out_listen_port;
	uint32_t n_total_peers, peer_capacity;
};

struct ws_gw_mgmt {
	struct ws_gw *gw;
	const char *version;
	struct rte_ring *ring;          /* struct ws_mgmt_req *, MP/SC */
	struct ws_rpc *rpc;
	struct ws_sockserver *rpc_srv;
	struct ws_sockserver *uapi_srv;
	struct ws_uapi_ops uapi_ops;
	char rpc_path[WS_CONFIG_SOCKET_PATH_MAX];
	char uapi_path[108];
	pthread_t thread;
	bool thread_running;
	volatile bool quit;
	bool telemetry;
	unsigned timeout_ms;            /* a waiter gives up after it (WS_MGMT_TIMEOUT_MS) */
	/*
	 * Requests whose waiter gave up and that control has not taken yet.
	 * While there are any, control is stalled: callers are told at once
	 * (-EBUSY) instead of each waiting timeout_ms on the single
	 * management thread.
	 */
	uint32_t stalled;
};

/* mgmt.c */
struct ws_mgmt_req *ws_mgmt_req_new(uint32_t op);
void ws_mgmt_req_free(struct ws_mgmt_req *r);
/*
 * Hands r to the control lcore and waits. 0 with r's result (r->result
 * holds the operation's own 0 or -errno), or -ETIMEDOUT, -ESHUTDOWN,
 * -ENOBUFS (queue full) or -EBUSY (an earlier request still untaken):
 * then r is no longer the caller's (freed here or by control).
 */
int ws_mgmt_call(struct ws_gw_mgmt *m, struct ws_mgmt_req *r);
/* The control side: runs at most max queued requests with exec; how many it took. */
typedef void ws_mgmt_exec_fn(void *ctx, struct ws_mgmt_req *r);
unsigned ws_mgmt_serve(struct ws_gw_mgmt *m, ws_mgmt_exec_fn *exec, void *ctx, unsigned max);
/* Every peer (chunked list requests); secrets only when asked. 0 or -errno. */
int ws_mgmt_list_all(struct ws_gw_mgmt *m, bool secrets, struct ws_mgmt_peer **out,
		     unsigned *n);
void ws_mgmt_peers_free(struct ws_mgmt_peer *p, unsigned n);

/* mgmt_methods.c */
int ws_mgmt_rpc_register(struct ws_gw_mgmt *m);

/* mgmt_report.c. Prometheus text for the gateway; malloc'd, NULL and errno on failure. */
char *ws_mgmt_prometheus(struct ws_gw_mgmt *m);
json_t *ws_mgmt_stats_json(struct ws_gw_mgmt *m);
json_t *ws_mgmt_info_json(struct ws_gw_mgmt *m);
json_t *ws_mgmt_peer_json(const struct ws_mgmt_peer *p);

/* mgmt_uapi.c */
void ws_mgmt_uapi_ops(struct ws_gw_mgmt *m, struct ws_uapi_ops *ops);

/* mgmt_telemetry.c */
int ws_mgmt_telemetry_register(struct ws_gw_mgmt *m);
void ws_mgmt_telemetry_detach(void);

/* mgmt_exec.c: runs on the control lcore. */
void ws_mgmt_exec(struct ws_gw *gw, struct ws_mgmt_req *r, uint64_t now);

#endif /* WS_MGMT_PRIV_H */
