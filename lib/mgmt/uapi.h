/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The WireGuard cross-platform configuration protocol
 * (https://www.wireguard.com/xplatform/), the text that wg(8) speaks on
 * /var/run/wireguard/<name>.sock: "get=1" answered with key=value lines,
 * "set=1" parsed into a list of operations. Keys are hex, as on that
 * socket; addresses use the addr.h types. No gateway state here: the
 * gateway implements struct ws_uapi_ops and this module does the text.
 *
 * Replies end with "errno=N" and an empty line. wg(8) reads a set reply
 * with fscanf("%d") and negates it, and a get reply's errno with a
 * digits-only parser, so, as wireguard-go does for set, a failed set
 * answers the negative errno and a failed get the positive one.
 */
#ifndef WS_UAPI_H
#define WS_UAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "wg/endpoint.h"
#include "ws_crypto.h"

struct ws_sockserver;

enum {
	WS_UAPI_NAME_MAX = 16,          /* IFNAMSIZ, NUL included */
	WS_UAPI_DEFAULT_MAX_REQUEST = 16 << 20,
};

/* ws_uapi_set.flags: the interface lines present. */
enum {
	WS_UAPI_SET_PRIVATE_KEY = 1u << 0,      /* all-zero key: remove it */
	WS_UAPI_SET_LISTEN_PORT = 1u << 1,
	WS_UAPI_SET_FWMARK = 1u << 2,           /* 0: remove it */
	WS_UAPI_SET_REPLACE_PEERS = 1u << 3,    /* remove every peer before the peer ops */
};

/* ws_uapi_peer_op.flags */
enum {
	WS_UAPI_PEER_REMOVE = 1u << 0,          /* the other fields are unset */
	WS_UAPI_PEER_UPDATE_ONLY = 1u << 1,     /* skip when the peer does not exist */
	WS_UAPI_PEER_PRESHARED_KEY = 1u << 2,   /* all-zero key: remove it */
	WS_UAPI_PEER_ENDPOINT = 1u << 3,
	WS_UAPI_PEER_KEEPALIVE = 1u << 4,       /* 0: off */
	WS_UAPI_PEER_REPLACE_ALLOWED_IPS = 1u << 5, /* drop the old ones before adding these */
};

/*
 * One peer section of a set, applied in request order (a key may appear
 * in several sections). A section for the interface's own public key is
 * ignored by the gateway, as wireguard-go does. Allowed IPs are masked.
 */
struct ws_uapi_peer_op {
	uint8_t public_key[WS_KEY_LEN];
	uint32_t flags;
	uint8_t preshared_key[WS_KEY_LEN];
	struct ws_endpoint endpoint;
	uint16_t persistent_keepalive;
	struct ws_prefix *allowed_ips;  /* added to the peer's */
	unsigned n_allowed_ips;
};

struct ws_uapi_set {
	uint32_t flags;
	uint8_t private_key[WS_KEY_LEN];
	uint16_t listen_port;
	uint32_t fwmark;
	struct ws_uapi_peer_op *peers;
	unsigned n_peers;
};

/* A peer as get reports it. */
struct ws_uapi_peer {
	uint8_t public_key[WS_KEY_LEN];
	uint8_t preshared_key[WS_KEY_LEN];      /* all zero: none */
	struct ws_endpoint endpoint;            /* family WS_AF_NONE: none */
	uint16_t persistent_keepalive;
	int64_t last_handshake_sec;             /* wall clock; 0: never */
	int64_t last_handshake_nsec;
	uint64_t rx_bytes, tx_bytes;
	struct ws_prefix *allowed_ips;
	unsigned n_allowed_ips, cap_allowed_ips;
};

/* The interface as get reports it; build it with the helpers below. */
struct ws_uapi_device {
	bool has_private_key;
	uint8_t private_key[WS_KEY_LEN];
	uint16_t listen_port;                   /* 0: not reported */
	uint32_t fwmark;                        /* 0: not reported */
	struct ws_uapi_peer *peers;
	unsigned n_peers, cap_peers;
};

/*
 * What the gateway provides: its device and two callbacks, run on the
 * thread that runs the server. Must outlive the server.
 */
struct ws_uapi_ops {
	void *dev;
	/*
	 * Fills a zeroed snapshot (peers, allowed IPs and counters) with the
	 * helpers below; 0 or a negative errno. The caller frees it.
	 */
	int (*get)(void *dev, struct ws_uapi_device *out);
	/*
	 * Applies a parsed set; 0 or a negative errno that wg(8) reports
	 * (-EINVAL bad value, -EADDRINUSE listen port taken, -ENOMEM, ...).
	 */
	int (*set)(void *dev, const struct ws_uapi_set *req);
	/*
	 * May be NULL: told why a request failed (errno, the 1-based line of
	 * a rejected set line or 0, a static reason), for the log.
	 */
	void (*error)(void *dev, int err, unsigned line, const char *why);
};

/*
 * Parses a whole "set=1\n...\n\n" request. Returns 0, or -EPROTO (not a
 * set request, a line without '=', no terminating empty line) or -EINVAL
 * (an unknown key, a key out of its section, a bad value), with *why (if
 * not NULL) a static reason and *line the 1-based line; neither quotes
 * the input. On error out is left empty. Free with ws_uapi_set_free.
 */
int ws_uapi_parse_set(const char *req, size_t len, struct ws_uapi_set *out,
		      unsigned *line, const char **why);
/* Wipes the keys and frees; leaves set zeroed. */
void ws_uapi_set_free(struct ws_uapi_set *set);

/*
 * Snapshot helpers: a new zeroed peer (pointers to earlier peers become
 * invalid), or NULL when out of memory; and one more allowed IP (masked).
 */
struct ws_uapi_peer *ws_uapi_device_add_peer(struct ws_uapi_device *dev);
int ws_uapi_peer_add_allowed_ip(struct ws_uapi_peer *peer, const struct ws_prefix *p);
/* Wipes the keys and frees; leaves dev zeroed. */
void ws_uapi_device_free(struct ws_uapi_device *dev);

/*
 * The get reply for dev: key=value lines, "errno=0" and an empty line.
 * Returns 0 with *out (free() it, wipe it: it holds the private key) and
 * *out_len, or -ENOMEM.
 */
int ws_uapi_format_get(const struct ws_uapi_device *dev, char **out, size_t *out_len);

/*
 * Length of the first complete request in buf (through its empty line),
 * 0 while incomplete; the ws_sockserver framing callback.
 */
size_t ws_uapi_frame(const char *buf, size_t len, size_t from);

/*
 * Answers one framed request through ops: *reply gets the reply (free()
 * and wipe it) or NULL. Returns 0, or WS_SOCK_CLOSE when the operation
 * line is neither get=1 nor set=1 (the connection is closed without a
 * reply, as wireguard-go does), or -ENOMEM.
 */
int ws_uapi_handle(const struct ws_uapi_ops *ops, const char *req, size_t len,
		   char **reply, size_t *reply_len);

/* "/var/run/wireguard/<name>.sock"; -EINVAL for a name wg(8) would not take. */
int ws_uapi_socket_path(char *buf, size_t len, const char *name);

/*
 * Serves ops on a Unix socket at path (see ws_sockserver_create);
 * max_request 0 means WS_UAPI_DEFAULT_MAX_REQUEST. An oversized request
 * gets errno=-EMSGSIZE and the connection is closed.
 */
struct ws_sockserver *ws_uapi_listen(const char *path, const struct ws_uapi_ops *ops,
				     size_t max_request);

#endif /* WS_UAPI_H */
