/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The gateway's JSON config file (DESIGN.md section 4, config/README.md),
 * loaded into plain C with every default filled in and every cross
 * reference checked: a port named by a route exists, no two peers share a
 * public key, and so on. The loader either returns a complete config or
 * an error naming the field by its JSON path ("peers[3].allowed_ips[0]:
 * ...") and leaves nothing behind. Error messages never quote key material.
 */
#ifndef WS_CONFIG_H
#define WS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "ws_crypto.h"

enum {
	WS_CONFIG_NAME_MAX = 16,        /* IFNAMSIZ: 15 characters and the NUL */
	WS_CONFIG_EAL_ARGS_MAX = 256,
	WS_CONFIG_PORTS_MAX = 8,
	WS_CONFIG_PORT_NAME_MAX = 32,
	WS_CONFIG_DEVICE_MAX = 64,      /* RTE_ETH_NAME_MAX_LEN */
	WS_CONFIG_PORT_ADDRS_MAX = 16,
	WS_CONFIG_QUEUES_MAX = 1024,    /* RTE_MAX_QUEUES_PER_PORT */
	WS_CONFIG_ROUTES_MAX = 4096,
	WS_CONFIG_NEIGHBORS_MAX = 4096,
	WS_CONFIG_LCORE_ID_MAX = 1024,  /* ids 0..1023; the app checks RTE_MAX_LCORE */
	WS_CONFIG_LCORES_MAX = 128,     /* entries per role list */
	WS_CONFIG_PEERS_MAX = 65536,
	WS_CONFIG_ALLOWED_IPS_MAX = 4096, /* per peer */
	WS_CONFIG_ALLOWED_IPS_TOTAL_MAX = 1 << 20,
	WS_CONFIG_MTU_MIN = 576,
	WS_CONFIG_MTU_MAX = 9000,
	WS_CONFIG_SOCKET_PATH_MAX = 108, /* sizeof(sun_path) */
	WS_CONFIG_LCORE_AUTO = -1,
};

enum ws_crypto_backend {
	WS_CRYPTO_IPSEC_MB,
	WS_CRYPTO_SODIUM,
	WS_CRYPTO_CRYPTODEV,
};

enum ws_port_role {
	WS_PORT_TUNNEL,         /* carries the encrypted UDP */
	WS_PORT_CLEAR,          /* carries the plaintext IP */
};

struct ws_config_port {
	char name[WS_CONFIG_PORT_NAME_MAX];
	char device[WS_CONFIG_DEVICE_MAX];
	enum ws_port_role role;
	/* Interface addresses with their host bits, as written. */
	struct ws_prefix addrs[WS_CONFIG_PORT_ADDRS_MAX];
	unsigned n_addrs;
	/* Default next hops; family WS_AF_NONE when absent. */
	struct ws_ipaddr gateway4;
	struct ws_ipaddr gateway6;
	uint16_t mtu;
	uint16_t rx_queues;
	uint16_t tx_queues;
	bool has_mac;
	uint8_t mac[WS_MAC_LEN];
};

struct ws_config_route {
	struct ws_prefix prefix;        /* masked */
	struct ws_ipaddr via;           /* same family as prefix */
	unsigned port;                  /* index into ports[] */
};

struct ws_config_neighbor {
	struct ws_ipaddr addr;
	uint8_t mac[WS_MAC_LEN];
	unsigned port;                  /* index into ports[] */
};

/* Empty lists and control == WS_CONFIG_LCORE_AUTO mean "the app decides". */
struct ws_config_lcores {
	uint16_t rx[WS_CONFIG_LCORES_MAX];
	unsigned n_rx;
	uint16_t workers[WS_CONFIG_LCORES_MAX];
	unsigned n_workers;
	uint16_t tx[WS_CONFIG_LCORES_MAX];
	unsigned n_tx;
	int control;
	/* Optional: lcores doing handshake work (default: the control lcore). */
	uint16_t handshake[WS_CONFIG_LCORES_MAX];
	unsigned n_handshake;
};

struct ws_config_interface {
	uint8_t private_key[WS_KEY_LEN];
	uint8_t public_key[WS_KEY_LEN]; /* derived from private_key */
	uint16_t listen_port;
	uint16_t mtu;
	uint32_t fwmark;                /* 0 = off; stored, not acted on */
};

struct ws_config_peer {
	uint8_t public_key[WS_KEY_LEN];
	uint8_t preshared_key[WS_KEY_LEN]; /* all zero when absent, as in wg */
	bool has_preshared_key;
	struct ws_endpoint endpoint;    /* family WS_AF_NONE when absent */
	uint16_t persistent_keepalive;  /* seconds, 0 = off */
	struct ws_prefix *allowed_ips;  /* masked */
	unsigned n_allowed_ips;
};

struct ws_config_management {
	char jsonrpc[WS_CONFIG_SOCKET_PATH_MAX];
	bool uapi;
	bool telemetry;
};

/* Keeping the keys out of swap and core dumps (docs/security.md). */
struct ws_config_security {
	bool lock_memory;               /* mlockall: keys never reach swap */
	bool core_dumps;                /* false: the process is not dumpable */
};

struct ws_config {
	char name[WS_CONFIG_NAME_MAX];
	char **eal;                     /* n_eal strings, then NULL */
	unsigned n_eal;
	enum ws_crypto_backend crypto;
	struct ws_config_port ports[WS_CONFIG_PORTS_MAX];
	unsigned n_ports;
	struct ws_config_route *routes;
	unsigned n_routes;
	struct ws_config_neighbor *neighbors;
	unsigned n_neighbors;
	struct ws_config_lcores lcores;
	struct ws_config_interface interface;
	struct ws_config_peer *peers;
	unsigned n_peers;
	struct ws_config_management management;
	struct ws_config_security security;
};

/*
 * Load a config; ws_crypto_init() must have run (the public key is derived
 * from the private one). out is overwritten (not freed) and, on error, left
 * all zero. Returns 0, -EINVAL for an invalid config, -ENOMEM, or the errno
 * of opening/reading the file; err (may be NULL) gets "field: reason",
 * prefixed with the file name by ws_config_load_file.
 */
int ws_config_load_file(const char *path, struct ws_config *out, char *err, size_t errlen);
int ws_config_load_string(const char *json, size_t len, struct ws_config *out,
			  char *err, size_t errlen);
/* Wipes the keys and frees; leaves cfg zeroed. Safe on a zeroed config. */
void ws_config_free(struct ws_config *cfg);

/*
 * The config holds the private key, so it should be private to its owner.
 * Returns 0 when the mode is fine, 1 with a warning in warn when group or
 * others may read or write the file, or a negative errno from stat.
 */
int ws_config_check_file_mode(const char *path, char *warn, size_t warnlen);

/* "ipsec_mb", "tunnel", ...: the spellings the config file uses. */
const char *ws_crypto_backend_name(enum ws_crypto_backend b);
const char *ws_port_role_name(enum ws_port_role r);

#endif /* WS_CONFIG_H */
