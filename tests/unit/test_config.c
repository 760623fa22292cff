/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The config loader: the examples in config/ and the reference shape of
 * DESIGN.md load with every field as written; defaults fill what is left
 * out; a table of bad configs each fails with the field's JSON path in the
 * message; no message ever carries key material; a failed load leaves
 * nothing behind. Also the address parsers the loader is built on.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "test_common.h"
#include "addr.h"
#include "config.h"
#include "secmem.h"
#include "ws_crypto.h"

/* Generated with wg genkey / wg pubkey / wg genpsk. */
#define PRIV "UN8zcY7v6s0PlTdyAJKG3A4SJeag8R0Q7H1ACDRCe2k="
#define PRIV_PUB "u3VxDTTBicUyERWpHLxe6c4BwUVHTb09f2o9voqHYBE="
#define PEER1 "AnZhD0vGmkiIMJiaE1s8uuJFb1GrddhuWyBghGZpiy8="
#define PEER2 "PLlh7zvR5JMOOBQjvaybiqI2SZYlJHv+8uaTxtANGjM="
#define PSK "OeTFSSqIT935KoGEpXWU5zolkNtrCDGCEB26GKgvw3k="

#define PORTS_OK \
	"[{\"name\": \"wan\", \"device\": \"net_af_packet0\", \"role\": \"tunnel\"," \
	"  \"addresses\": [\"192.0.2.1/24\"], \"gateway\": \"192.0.2.254\"}," \
	" {\"name\": \"lan\", \"device\": \"net_af_packet1\", \"role\": \"clear\"," \
	"  \"addresses\": [\"10.1.0.1/24\", \"fd00:1::1/64\"]}]"
#define IFACE_OK "{\"private_key\": \"" PRIV "\"}"

/* Building blocks for variations on the valid config. */
#define PEER_WITH(fields) ", \"peers\": [{\"public_key\": \"" PEER1 "\", " fields "}]"
#define IFACE_WITH(fields) "{\"private_key\": \"" PRIV "\", " fields "}"
#define PORT0_WITH(fields) \
	"[{\"name\": \"wan\", \"device\": \"d0\", \"role\": \"tunnel\"," \
	"  \"addresses\": [\"192.0.2.1/24\", \"2001:db8::1/64\"], " fields "}," \
	" {\"name\": \"lan\", \"device\": \"d1\", \"role\": \"clear\"," \
	"  \"addresses\": [\"10.1.0.1/24\"]}]"
/* A valid tunnel port named "a" on device "d0". */
#define PORT_A \
	"{\"name\": \"a\", \"device\": \"d0\", \"role\": \"tunnel\"," \
	" \"addresses\": [\"192.0.2.1/24\"]}"
#define NEIGH(addr, mac, port) \
	"{\"address\": \"" addr "\", \"mac\": \"" mac "\", \"port\": " port "}"
#define ROUTE(prefix, via, port) \
	", \"routes\": [{\"prefix\": \"" prefix "\", \"via\": \"" via "\", \"port\": \"" port "\"}]"

/* DESIGN.md section 4, verbatim but for the <base64> placeholders. */
static const char reference[] =
	"{\n"
	"  \"name\": \"wg0\",\n"
	"  \"eal\": [\"-l\", \"0-1\", \"--no-huge\", \"-m\", \"512\", \"--no-pci\", \"--in-memory\",\n"
	"          \"--vdev\", \"net_af_packet0,iface=wan0\", \"--vdev\", \"net_af_packet1,iface=lan0\"],\n"
	"  \"crypto\": \"ipsec_mb\",\n"
	"  \"ports\": [\n"
	"    {\"name\": \"wan\", \"device\": \"net_af_packet0\", \"role\": \"tunnel\",\n"
	"     \"addresses\": [\"192.0.2.1/24\", \"2001:db8:1::1/64\"], \"gateway\": \"192.0.2.254\"},\n"
	"    {\"name\": \"lan\", \"device\": \"net_af_packet1\", \"role\": \"clear\",\n"
	"     \"addresses\": [\"10.1.0.1/24\", \"fd00:1::1/64\"]}\n"
	"  ],\n"
	"  \"routes\": [{\"prefix\": \"10.8.0.0/16\", \"via\": \"10.1.0.254\", \"port\": \"lan\"}],\n"
	"  \"neighbors\": [{\"address\": \"10.1.0.254\", \"mac\": \"02:00:00:00:00:fe\", \"port\": \"lan\"}],\n"
	"  \"lcores\": {\"rx\": [0], \"workers\": [1], \"tx\": [0], \"control\": 0},\n"
	"  \"interface\": {\"private_key\": \"" PRIV "\", \"listen_port\": 51820, \"mtu\": 1420},\n"
	"  \"peers\": [\n"
	"    {\"public_key\": \"" PEER1 "\", \"preshared_key\": \"" PSK "\",\n"
	"     \"endpoint\": \"192.0.2.2:51820\", \"allowed_ips\": [\"10.2.0.0/24\", \"fd00:2::/64\"],\n"
	"     \"persistent_keepalive\": 25}\n"
	"  ],\n"
	"  \"management\": {\"jsonrpc\": \"/run/wirespeed/wg0.sock\", \"uapi\": true}\n"
	"}\n";

static char err[512];

static int load(struct ws_config *cfg, const char *json)
{
	err[0] = '\0';
	return ws_config_load_string(json, strlen(json), cfg, err, sizeof(err));
}

/* {"ports": P, "interface": I <extra>} with P and I defaulting to valid ones. */
static const char *build(const char *ports, const char *iface, const char *extra)
{
	static char buf[8192];

	snprintf(buf, sizeof(buf), "{\"ports\": %s, \"interface\": %s%s}",
		 ports != NULL ? ports : PORTS_OK, iface != NULL ? iface : IFACE_OK,
		 extra != NULL ? extra : "");
	return buf;
}

static bool key_is(const uint8_t key[WS_KEY_LEN], const char *b64)
{
	uint8_t want[WS_KEY_LEN];

	CU_ASSERT_FATAL(ws_key_from_base64(want, b64) == 0);
	return memcmp(key, want, WS_KEY_LEN) == 0;
}

static bool prefix_is(const struct ws_prefix *p, const char *text)
{
	char buf[WS_PREFIX_STR_MAX];

	if (ws_prefix_format(buf, sizeof(buf), p) != 0 || strcmp(buf, text) != 0) {
		printf("\n  want %s got %s", text, buf);
		return false;
	}
	return true;
}

static bool addr_is(const struct ws_ipaddr *a, const char *text)
{
	char buf[WS_ADDR_STR_MAX];

	return ws_addr_format(buf, sizeof(buf), a) == 0 && strcmp(buf, text) == 0;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/*
 * The repository root, found from this file's own path: meson compiles
 * with a path relative to the build root, where the executable sits
 * three levels down (tests/unit/test_config).
 */
static const char *config_path(const char *name)
{
	static char out[PATH_MAX];
	char file[PATH_MAX], exe[PATH_MAX];
	const char *tail = "tests/unit/test_config.c";
	size_t flen = strlen(__FILE__), tlen = strlen(tail);
	ssize_t n;

	CU_ASSERT_FATAL(flen >= tlen && strcmp(__FILE__ + flen - tlen, tail) == 0);
	if (__FILE__[0] == '/') {
		snprintf(file, sizeof(file), "%.*s", (int)(flen - tlen), __FILE__);
	} else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		CU_ASSERT_FATAL(n > 0);
		exe[n] = '\0';
		for (int up = 0; up < 3; up++) {
			char *slash = strrchr(exe, '/');
			CU_ASSERT_FATAL(slash != NULL);
			*slash = '\0';
		}
		n = snprintf(file, sizeof(file), "%s/%.*s", exe, (int)(flen - tlen), __FILE__);
		CU_ASSERT_FATAL(n > 0 && (size_t)n < sizeof(file));
	}
	n = snprintf(out, sizeof(out), "%sconfig/%s", file, name);
	CU_ASSERT_FATAL(n > 0 && (size_t)n < sizeof(out));
	return out;
}

/* ---- the examples and the reference shape ---- */

static void test_examples_load(void)
{
	struct ws_config cfg;
	unsigned found = 0;
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;

	/* Every example, including ones added later. */
	snprintf(dir, sizeof(dir), "%s", config_path(""));
	d = opendir(dir);
	CU_ASSERT_FATAL(d != NULL);
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		const char *path = config_path(de->d_name);
		int ret = ws_config_load_file(path, &cfg, err, sizeof(err));
		if (ret != 0)
			printf("\n  %s: %s", path, err);
		CU_ASSERT(ret == 0);
		if (ret != 0)
			continue;
		found++;
		CU_ASSERT(cfg.n_ports >= 2);
		CU_ASSERT(cfg.n_peers >= 1);
		CU_ASSERT(cfg.n_eal > 0 && cfg.eal[cfg.n_eal] == NULL);
		ws_config_free(&cfg);
		CU_ASSERT(all_zero(&cfg, sizeof(cfg)));
	}
	closedir(d);
	CU_ASSERT(found >= 3);

	CU_ASSERT_FATAL(ws_config_load_file(config_path("gateway-pci.json"), &cfg,
					    err, sizeof(err)) == 0);
	CU_ASSERT(strcmp(cfg.ports[0].device, "0000:3b:00.0") == 0);
	CU_ASSERT(cfg.ports[0].rx_queues == 4 && cfg.ports[0].tx_queues == 16);
	CU_ASSERT(addr_is(&cfg.ports[0].gateway6, "fe80::1"));
	CU_ASSERT(cfg.lcores.n_workers == 10 && cfg.lcores.control == 0);
	CU_ASSERT(cfg.n_peers == 3 && cfg.peers[1].persistent_keepalive == 0);
	CU_ASSERT(cfg.peers[1].endpoint.family == WS_AF_INET6);
	CU_ASSERT(cfg.peers[2].endpoint.family == WS_AF_NONE);
	ws_config_free(&cfg);
}

static void test_reference_shape(void)
{
	struct ws_config cfg;
	const struct ws_config_port *wan, *lan;
	const struct ws_config_peer *p;
	int ret = load(&cfg, reference);

	if (ret != 0)
		printf("\n  %s", err);
	CU_ASSERT_FATAL(ret == 0);
	CU_ASSERT(strcmp(cfg.name, "wg0") == 0);
	CU_ASSERT_FATAL(cfg.n_eal == 11);
	CU_ASSERT(strcmp(cfg.eal[0], "-l") == 0 && strcmp(cfg.eal[1], "0-1") == 0);
	CU_ASSERT(strcmp(cfg.eal[10], "net_af_packet1,iface=lan0") == 0);
	CU_ASSERT(cfg.eal[11] == NULL);
	CU_ASSERT(cfg.crypto == WS_CRYPTO_IPSEC_MB);

	CU_ASSERT_FATAL(cfg.n_ports == 2);
	wan = &cfg.ports[0];
	lan = &cfg.ports[1];
	CU_ASSERT(strcmp(wan->name, "wan") == 0 && strcmp(wan->device, "net_af_packet0") == 0);
	CU_ASSERT(wan->role == WS_PORT_TUNNEL && lan->role == WS_PORT_CLEAR);
	CU_ASSERT_FATAL(wan->n_addrs == 2 && lan->n_addrs == 2);
	CU_ASSERT(prefix_is(&wan->addrs[0], "192.0.2.1/24"));
	CU_ASSERT(prefix_is(&wan->addrs[1], "2001:db8:1::1/64"));
	CU_ASSERT(prefix_is(&lan->addrs[0], "10.1.0.1/24"));
	CU_ASSERT(prefix_is(&lan->addrs[1], "fd00:1::1/64"));
	CU_ASSERT(addr_is(&wan->gateway4, "192.0.2.254"));
	CU_ASSERT(wan->gateway6.family == WS_AF_NONE && lan->gateway4.family == WS_AF_NONE);
	CU_ASSERT(wan->mtu == 1500 && wan->rx_queues == 1 && wan->tx_queues == 1);
	CU_ASSERT(!wan->has_mac && !lan->has_mac);

	CU_ASSERT_FATAL(cfg.n_routes == 1);
	CU_ASSERT(prefix_is(&cfg.routes[0].prefix, "10.8.0.0/16"));
	CU_ASSERT(addr_is(&cfg.routes[0].via, "10.1.0.254"));
	CU_ASSERT(cfg.routes[0].port == 1);
	CU_ASSERT_FATAL(cfg.n_neighbors == 1);
	CU_ASSERT(addr_is(&cfg.neighbors[0].addr, "10.1.0.254"));
	CU_ASSERT(memcmp(cfg.neighbors[0].mac, "\x02\0\0\0\0\xfe", 6) == 0);
	CU_ASSERT(cfg.neighbors[0].port == 1);

	CU_ASSERT(cfg.lcores.n_rx == 1 && cfg.lcores.rx[0] == 0);
	CU_ASSERT(cfg.lcores.n_workers == 1 && cfg.lcores.workers[0] == 1);
	CU_ASSERT(cfg.lcores.n_tx == 1 && cfg.lcores.tx[0] == 0);
	CU_ASSERT(cfg.lcores.control == 0);

	CU_ASSERT(key_is(cfg.interface.private_key, PRIV));
	CU_ASSERT(key_is(cfg.interface.public_key, PRIV_PUB)); /* as wg pubkey says */
	CU_ASSERT(cfg.interface.listen_port == 51820 && cfg.interface.mtu == 1420);
	CU_ASSERT(cfg.interface.fwmark == 0);

	CU_ASSERT_FATAL(cfg.n_peers == 1);
	p = &cfg.peers[0];
	CU_ASSERT(key_is(p->public_key, PEER1));
	CU_ASSERT(p->has_preshared_key && key_is(p->preshared_key, PSK));
	CU_ASSERT(p->endpoint.family == WS_AF_INET && p->endpoint.port == 51820);
	CU_ASSERT(memcmp(p->endpoint.addr, "\xc0\x00\x02\x02", 4) == 0);
	CU_ASSERT_FATAL(p->n_allowed_ips == 2);
	CU_ASSERT(prefix_is(&p->allowed_ips[0], "10.2.0.0/24"));
	CU_ASSERT(prefix_is(&p->allowed_ips[1], "fd00:2::/64"));
	CU_ASSERT(p->persistent_keepalive == 25);

	CU_ASSERT(strcmp(cfg.management.jsonrpc, "/run/wirespeed/wg0.sock") == 0);
	CU_ASSERT(cfg.management.uapi && cfg.management.telemetry);
	ws_config_free(&cfg);
	CU_ASSERT(all_zero(&cfg, sizeof(cfg)));
}

static void test_defaults(void)
{
	struct ws_config cfg;
	int ret = load(&cfg, build(NULL, NULL, NULL));

	if (ret != 0)
		printf("\n  %s", err);
	CU_ASSERT_FATAL(ret == 0);
	CU_ASSERT(strcmp(cfg.name, "wg0") == 0);
	CU_ASSERT(cfg.eal == NULL && cfg.n_eal == 0);
	CU_ASSERT(cfg.crypto == WS_CRYPTO_IPSEC_MB);
	CU_ASSERT(cfg.n_routes == 0 && cfg.routes == NULL);
	CU_ASSERT(cfg.n_neighbors == 0 && cfg.neighbors == NULL);
	CU_ASSERT(cfg.lcores.n_rx == 0 && cfg.lcores.n_workers == 0 && cfg.lcores.n_tx == 0);
	CU_ASSERT(cfg.lcores.control == WS_CONFIG_LCORE_AUTO);
	CU_ASSERT(cfg.ports[1].mtu == 1500 && cfg.ports[1].rx_queues == 1);
	CU_ASSERT(cfg.interface.listen_port == 51820 && cfg.interface.mtu == 1420);
	CU_ASSERT(cfg.interface.fwmark == 0);
	CU_ASSERT(cfg.n_peers == 0 && cfg.peers == NULL);
	CU_ASSERT(strcmp(cfg.management.jsonrpc, "/run/wirespeed/wg0.sock") == 0);
	CU_ASSERT(cfg.management.uapi && cfg.management.telemetry);
	ws_config_free(&cfg);

	/* The socket follows the name. */
	CU_ASSERT_FATAL(load(&cfg, build(NULL, NULL, ", \"name\": \"gw-7\"")) == 0);
	CU_ASSERT(strcmp(cfg.management.jsonrpc, "/run/wirespeed/gw-7.sock") == 0);
	ws_config_free(&cfg);
}

/* The spellings wg(8) accepts beside the plain ones, and values normalised on load. */
static void test_accepted_forms(void)
{
	struct ws_config cfg;
	const char *extra =
		", \"crypto\": \"sodium\", \"peers\": ["
		"{\"public_key\": \"" PEER1 "\", \"persistent_keepalive\": \"off\","
		" \"allowed_ips\": [\"10.2.0.77/24\", \"10.9.9.9\", \"fd00:2::1/48\"],"
		" \"endpoint\": \"[2001:db8::1]:51820\","
		" \"preshared_key\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"},"
		"{\"public_key\": \"" PEER2 "\", \"persistent_keepalive\": 0}]";
	const char *iface = "{\"private_key\": \"" PRIV "\", \"fwmark\": \"0x10\","
			    " \"listen_port\": 1, \"mtu\": 9000}";
	const char *ports =
		"[{\"name\": \"wan\", \"device\": \"net_af_packet0\", \"role\": \"tunnel\","
		"  \"addresses\": [\"192.0.2.1/24\", \"2001:db8:1::1/64\"],"
		"  \"gateway\": [\"2001:db8:1::fe\", \"192.0.2.254\"],"
		"  \"mac\": \"02:AB:cd:00:00:01\"},"
		" {\"name\": \"lan\", \"device\": \"net_af_packet1\", \"role\": \"clear\"},"
		" {\"name\": \"lan2\", \"device\": \"net_af_packet2\", \"role\": \"clear\","
		"  \"addresses\": [\"10.3.0.1/16\"], \"gateway\": \"10.3.255.254\"}]";
	int ret = load(&cfg, build(ports, iface, extra));

	if (ret != 0)
		printf("\n  %s", err);
	CU_ASSERT_FATAL(ret == 0);
	CU_ASSERT(cfg.crypto == WS_CRYPTO_SODIUM);
	CU_ASSERT(strcmp(ws_crypto_backend_name(cfg.crypto), "sodium") == 0);
	CU_ASSERT(strcmp(ws_port_role_name(cfg.ports[2].role), "clear") == 0);
	CU_ASSERT(ws_crypto_backend_name((enum ws_crypto_backend)7) == NULL);
	CU_ASSERT(cfg.interface.fwmark == 16 && cfg.interface.listen_port == 1);
	CU_ASSERT(cfg.interface.mtu == 9000);
	CU_ASSERT(addr_is(&cfg.ports[0].gateway4, "192.0.2.254"));
	CU_ASSERT(addr_is(&cfg.ports[0].gateway6, "2001:db8:1::fe"));
	CU_ASSERT(cfg.ports[0].has_mac && memcmp(cfg.ports[0].mac, "\x02\xab\xcd\0\0\x01", 6) == 0);
	CU_ASSERT(cfg.n_ports == 3 && cfg.ports[1].n_addrs == 0);
	CU_ASSERT_FATAL(cfg.n_peers == 2 && cfg.peers[0].n_allowed_ips == 3);
	CU_ASSERT(prefix_is(&cfg.peers[0].allowed_ips[0], "10.2.0.0/24"));
	CU_ASSERT(prefix_is(&cfg.peers[0].allowed_ips[1], "10.9.9.9/32"));
	CU_ASSERT(prefix_is(&cfg.peers[0].allowed_ips[2], "fd00:2::/48"));
	CU_ASSERT(cfg.peers[0].persistent_keepalive == 0);
	CU_ASSERT(cfg.peers[0].endpoint.family == WS_AF_INET6);
	CU_ASSERT(cfg.peers[0].endpoint.port == 51820);
	/* An all-zero preshared key is no preshared key, as in wg. */
	CU_ASSERT(!cfg.peers[0].has_preshared_key && !cfg.peers[1].has_preshared_key);
	CU_ASSERT(cfg.peers[1].n_allowed_ips == 0 && cfg.peers[1].allowed_ips == NULL);
	ws_config_free(&cfg);

	CU_ASSERT_FATAL(load(&cfg, build(NULL, IFACE_WITH("\"fwmark\": 4294967295"), NULL)) == 0);
	CU_ASSERT(cfg.interface.fwmark == 0xffffffffu);
	ws_config_free(&cfg);
	CU_ASSERT_FATAL(load(&cfg, build(NULL, IFACE_WITH("\"fwmark\": \"off\""), NULL)) == 0);
	CU_ASSERT(cfg.interface.fwmark == 0);
	ws_config_free(&cfg);
}

/* ---- bad configs ---- */

struct bad {
	const char *raw;        /* the whole document, or NULL to build one */
	const char *ports, *iface, *extra;
	const char *want;       /* must appear in the message */
};

static const struct bad bad_configs[] = {
	/* JSON syntax: the line and column */
	{ .raw = "{\n  \"name\": \"wg0\",\n  \"ports\": [}\n}", .want = "line 3, column" },
	{ .raw = "{\"ports\": [", .want = "line 1, column" },
	{ .raw = "", .want = "line 1, column" },
	{ .raw = "{\"name\": \"a\", \"name\": \"b\"}",
	  .want = "line 1, column 20: duplicate object key \"name\"" },
	{ .raw = "{} trailing", .want = "line 1, column" },
	{ .raw = "{\"interface\": {\"private_key\": \"" PRIV "\n\"}}", .want = "line 1, column" },
	{ .raw = "[1, 2]", .want = "(top level): the config must be a JSON object" },
	/* required members */
	{ .raw = "{\"interface\": " IFACE_OK "}", .want = "ports: required" },
	{ .raw = "{\"ports\": " PORTS_OK "}", .want = "interface.private_key: required" },
	{ .iface = "{\"listen_port\": 51820}", .want = "interface.private_key: required" },
	{ .iface = "{\"private_key\": \"" PRIV "\"}", .extra = PEER_WITH("\"endpoint\": null")
	  ", \"x\": 1", .want = "x: unknown key" },
	{ .extra = ", \"peers\": [{\"allowed_ips\": []}]",
	  .want = "peers[0].public_key: required" },
	/* keys */
	{ .iface = "{\"private_key\": \"not base64!\"}",
	  .want = "interface.private_key: not a base64 32-byte key" },
	{ .iface = "{\"private_key\": \"UN8zcY7v6s0PlTdyAJKG3A4SJeag8R0Q7H1ACDRCew==\"}",
	  .want = "interface.private_key: not a base64 32-byte key" },
	{ .iface = "{\"private_key\": \"UN8zcY7v6s0PlTdyAJKG3A4SJeag8R0Q7H1ACDRC\"}",
	  .want = "interface.private_key: not a base64 32-byte key" },
	{ .iface = "{\"private_key\": \"" PRIV " \"}",
	  .want = "interface.private_key: not a base64 32-byte key" },
	{ .iface = "{\"private_key\": 42}", .want = "interface.private_key: must be a string" },
	{ .iface = "{\"private_key\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}",
	  .want = "interface.private_key: all zeros" },
	{ .extra = PEER_WITH("\"preshared_key\": \"" PSK "x\""),
	  .want = "peers[0].preshared_key: not a base64 32-byte key" },
	{ .extra = ", \"peers\": [{\"public_key\": \"" PEER1 "\"}, {\"public_key\": \"" PEER2 "\"},"
		   " {\"public_key\": \"" PEER1 "\"}]",
	  .want = "peers[2].public_key: the same key as peers[0]" },
	{ .extra = ", \"peers\": [{\"public_key\": \"" PRIV_PUB "\"}]",
	  .want = "peers[0].public_key: is the interface's own public key" },
	/* ports */
	{ .ports = "[]", .want = "ports: must not be empty" },
	{ .ports = "{}", .want = "ports: must be an array, got an object" },
	{ .ports = "[" PORT_A ","
		   " {\"name\": \"b\", \"device\": \"d1\", \"role\": \"router\"}]",
	  .want = "ports[1].role: must be \"tunnel\" or \"clear\"" },
	{ .ports = "[" PORT_A ","
		   " {\"name\": \"a\", \"device\": \"d1\", \"role\": \"clear\"}]",
	  .want = "ports[1].name: \"a\" is already used by ports[0]" },
	{ .ports = "[" PORT_A ","
		   " {\"name\": \"b\", \"device\": \"d0\", \"role\": \"clear\"}]",
	  .want = "ports[1].device: \"d0\" is already used by ports[0]" },
	{ .ports = "[" PORT_A ","
		   " {\"name\": \"b\", \"device\": \"d1\", \"role\": \"tunnel\","
		   "  \"addresses\": [\"192.0.3.1/24\"]}]",
	  .want = "ports: needs a port with role \"clear\"" },
	{ .ports = "[{\"name\": \"a\", \"device\": \"d0\", \"role\": \"clear\"}]",
	  .want = "ports: needs a port with role \"tunnel\"" },
	{ .ports = "[{\"name\": \"a\", \"device\": \"d0\", \"role\": \"tunnel\"},"
		   " {\"name\": \"b\", \"device\": \"d1\", \"role\": \"clear\"}]",
	  .want = "ports[0].addresses: a tunnel port needs at least one address" },
	{ .ports = "[{},{},{},{},{},{},{},{},{}]", .want = "ports: has 9 entries, at most 8" },
	{ .ports = "[{\"name\": \"a\", \"role\": \"tunnel\"}]",
	  .want = "ports[0].device: required" },
	{ .ports = "[{\"name\": \"a b\", \"device\": \"d0\", \"role\": \"tunnel\"}]",
	  .want = "ports[0].name: only letters" },
	{ .ports = PORT0_WITH("\"mtu\": 10000"),
	  .want = "ports[0].mtu: 10000 is out of range 576..9000" },
	{ .ports = PORT0_WITH("\"rx_queues\": 0"),
	  .want = "ports[0].rx_queues: 0 is out of range" },
	{ .ports = PORT0_WITH("\"tx_queues\": \"4\""),
	  .want = "ports[0].tx_queues: must be an integer, got a string" },
	{ .ports = PORT0_WITH("\"mac\": \"01:00:5e:00:00:01\""),
	  .want = "ports[0].mac: \"01:00:5e:00:00:01\": not a unicast MAC address" },
	{ .ports = PORT0_WITH("\"mac\": \"02:00:00:00:00\""),
	  .want = "ports[0].mac: \"02:00:00:00:00\": not a MAC" },
	{ .ports = PORT0_WITH("\"gateway\": \"198.51.100.1\""),
	  .want = "ports[0].gateway: \"198.51.100.1\": not within any of the port's addresses" },
	{ .ports = PORT0_WITH("\"gateway\": [\"192.0.2.254\", \"192.0.2.253\"]"),
	  .want = "ports[0].gateway[1]: \"192.0.2.253\": a second IPv4 gateway" },
	{ .ports = PORT0_WITH("\"gateway\": 3"),
	  .want = "ports[0].gateway: must be an address or an array of addresses" },
	{ .ports = PORT0_WITH("\"gateway\": \"192.0.2.1\""),
	  .want = "ports[0].gateway: \"192.0.2.1\": is the port's own" },
	{ .ports = "[{\"name\": \"a\", \"device\": \"d0\", \"role\": \"tunnel\","
		   " \"addresses\": [\"192.0.2.300/24\"]}]",
	  .want = "ports[0].addresses[0]: \"192.0.2.300/24\": not an IPv4 or IPv6 address" },
	{ .ports = "[{\"name\": \"a\", \"device\": \"d0\", \"role\": \"tunnel\","
		   " \"addresses\": [\"224.0.0.1/24\"]}]",
	  .want = "ports[0].addresses[0]: \"224.0.0.1/24\": not a unicast address" },
	{ .ports = "[" PORT_A ","
		   " {\"name\": \"b\", \"device\": \"d1\", \"role\": \"clear\","
		   "  \"addresses\": [\"192.0.2.1/25\"]}]",
	  .want = "ports[1].addresses[0]: \"192.0.2.1/25\": already an address of another port" },
	/* routes and neighbors */
	{ .extra = ROUTE("10.8.0.0/16", "10.1.0.254", "dmz"),
	  .want = "routes[0].port: \"dmz\": no port of that name" },
	{ .extra = ROUTE("10.8.0.0/16", "10.9.0.254", "lan"),
	  .want = "routes[0].via: not within any address of port \"lan\"" },
	{ .extra = ROUTE("fd00:8::/32", "10.1.0.254", "lan"),
	  .want = "routes[0].via: an IPv4 next hop for an IPv6 prefix" },
	{ .extra = ROUTE("10.8.0.0/99", "10.1.0.254", "lan"),
	  .want = "routes[0].prefix: \"10.8.0.0/99\": prefix length out of range" },
	{ .extra = ROUTE("10.8.0.0/16", "10.1.0.254.1", "lan"),
	  .want = "routes[0].via: \"10.1.0.254.1\": not an IPv4" },
	{ .extra = ", \"routes\": [{\"prefix\": \"10.8.0.0/16\", \"via\": \"10.1.0.254\","
		   " \"port\": \"lan\"},"
		   " {\"prefix\": \"10.8.1.0/16\", \"via\": \"10.1.0.253\", \"port\": \"lan\"}]",
	  .want = "routes[1].prefix: the same prefix as routes[0]" },
	{ .extra = ", \"routes\": [{\"prefix\": \"10.8.0.0/16\", \"port\": \"lan\"}]",
	  .want = "routes[0].via: required" },
	{ .extra = ", \"routes\": {}", .want = "routes: must be an array, got an object" },
	{ .extra = ", \"neighbors\": [" NEIGH("10.1.0.254", "02:00:00:00:00:fg", "\"lan\"") "]",
	  .want = "neighbors[0].mac: \"02:00:00:00:00:fg\": not a MAC address" },
	{ .extra = ", \"neighbors\": [" NEIGH("10.1.0", "02:00:00:00:00:fe", "\"lan\"") "]",
	  .want = "neighbors[0].address: \"10.1.0\": not an IPv4 or IPv6 address" },
	{ .extra = ", \"neighbors\": [" NEIGH("10.1.0.9", "02:00:00:00:00:fe", "1") "]",
	  .want = "neighbors[0].port: must be a string, got an integer" },
	{ .extra = ", \"neighbors\": [" NEIGH("10.1.0.9", "02:00:00:00:00:fe", "\"lan\"") ","
		   " " NEIGH("10.1.0.9", "02:00:00:00:00:fd", "\"lan\"") "]",
	  .want = "neighbors[1].address: same address and port as neighbors[0]" },
	/* lcores */
	{ .extra = ", \"lcores\": {\"rx\": \"0\"}",
	  .want = "lcores.rx: must be an array, got a string" },
	{ .extra = ", \"lcores\": {\"workers\": [1, 2, 1]}",
	  .want = "lcores.workers[2]: lcore 1 is listed twice" },
	{ .extra = ", \"lcores\": {\"tx\": [-1]}",
	  .want = "lcores.tx[0]: -1 is out of range 0..1023" },
	{ .extra = ", \"lcores\": {\"control\": 1024}",
	  .want = "lcores.control: 1024 is out of range 0..1023" },
	{ .extra = ", \"lcores\": {\"control\": [0]}",
	  .want = "lcores.control: must be an integer, got an array" },
	{ .extra = ", \"lcores\": {\"worker\": [1]}",
	  .want = "lcores.worker: unknown key (did you mean \"workers\"?)" },
	/* interface */
	{ .iface = IFACE_WITH("\"listen_port\": 0"),
	  .want = "interface.listen_port: 0 is out of range 1..65535" },
	{ .iface = IFACE_WITH("\"listen_port\": 70000"),
	  .want = "interface.listen_port: 70000 is out of range 1..65535" },
	{ .iface = IFACE_WITH("\"listen_port\": 51820.0"),
	  .want = "interface.listen_port: must be an integer, got a real number" },
	{ .iface = IFACE_WITH("\"mtu\": 575"),
	  .want = "interface.mtu: 575 is out of range 576..9000" },
	{ .iface = IFACE_WITH("\"mtu\": \"1420\""),
	  .want = "interface.mtu: must be an integer, got a string" },
	{ .iface = IFACE_WITH("\"fwmark\": \"12ab\""),
	  .want = "interface.fwmark: \"12ab\": not \"off\" or a 32-bit number" },
	{ .iface = IFACE_WITH("\"fwmark\": 4294967296"),
	  .want = "interface.fwmark: 4294967296 is out of range" },
	{ .iface = IFACE_WITH("\"ListenPort\": 1"),
	  .want = "interface.ListenPort: unknown key (did you mean \"listen_port\"?)" },
	{ .iface = "[]", .want = "interface: must be an object, got an array" },
	/* peers */
	{ .extra = ", \"peers\": {}", .want = "peers: must be an array, got an object" },
	{ .extra = ", \"peers\": [{\"public_key\": \"" PEER1 "\"}, {\"public_key\": \"" PEER2 "\","
		   " \"allowed_ips\": [\"10.2.0.0/24\", \"10.0.0.0/33\"]}]",
	  .want = "peers[1].allowed_ips[1]: \"10.0.0.0/33\": prefix length out of range" },
	{ .extra = PEER_WITH("\"allowed_ips\": [\"fd00::/129\"]"),
	  .want = "peers[0].allowed_ips[0]: \"fd00::/129\": prefix length out of range" },
	{ .extra = PEER_WITH("\"allowed_ips\": [\"10.0.0.0/\"]"),
	  .want = "peers[0].allowed_ips[0]: \"10.0.0.0/\": prefix length is not a number" },
	{ .extra = PEER_WITH("\"allowed_ips\": \"10.0.0.0/8\""),
	  .want = "peers[0].allowed_ips: must be an array, got a string" },
	{ .extra = PEER_WITH("\"allowed_ips\": [\"10.2.0.1/24\", \"10.2.0.0/24\"]"),
	  .want = "peers[0].allowed_ips[1]: 10.2.0.0/24 is listed twice for this peer" },
	{ .extra = ", \"peers\": [{\"public_key\": \"" PEER1 "\","
		   " \"allowed_ips\": [\"10.2.0.0/24\"]}, {\"public_key\": \"" PEER2 "\","
		   " \"allowed_ips\": [\"10.3.0.0/24\", \"10.2.0.9/24\"]}]",
	  .want = "peers[1].allowed_ips[1]: 10.2.0.0/24 is already an allowed IP of peers[0]" },
	{ .extra = PEER_WITH("\"endpoint\": \"192.0.2.2\""),
	  .want = "peers[0].endpoint: \"192.0.2.2\": missing :port" },
	{ .extra = PEER_WITH("\"endpoint\": \"vpn.example.com:51820\""),
	  .want = "peers[0].endpoint: \"vpn.example.com:51820\": hostnames are not resolved" },
	{ .extra = PEER_WITH("\"endpoint\": \"2001:db8::1:51820\""),
	  .want = "peers[0].endpoint: \"2001:db8::1:51820\": an IPv6 endpoint needs brackets" },
	{ .extra = PEER_WITH("\"endpoint\": \"192.0.2.2:0\""),
	  .want = "peers[0].endpoint: \"192.0.2.2:0\": port out of range 1..65535" },
	{ .extra = PEER_WITH("\"endpoint\": \"[2001:db8::1]:70000\""),
	  .want = "peers[0].endpoint: \"[2001:db8::1]:70000\": port out of range 1..65535" },
	{ .extra = PEER_WITH("\"endpoint\": \"[2001:db8::1:51820\""), .want = "peers[0].endpoint" },
	{ .extra = PEER_WITH("\"endpoint\": 51820"),
	  .want = "peers[0].endpoint: must be a string, got an integer" },
	{ .extra = PEER_WITH("\"persistent_keepalive\": \"sometimes\""),
	  .want = "peers[0].persistent_keepalive: must be seconds (0..65535) or \"off\"" },
	{ .extra = PEER_WITH("\"persistent_keepalive\": 65536"),
	  .want = "peers[0].persistent_keepalive: 65536 is out of range 0..65535" },
	{ .extra = PEER_WITH("\"AllowedIPs\": []"),
	  .want = "peers[0].AllowedIPs: unknown key (did you mean \"allowed_ips\"?)" },
	{ .extra = ", \"peers\": [\"" PEER1 "\"]",
	  .want = "peers[0]: must be an object, got a string" },
	/* top level */
	{ .extra = ", \"listenport\": 51820", .want = "listenport: unknown key" },
	{ .extra = ", \"name\": 5", .want = "name: must be a string, got an integer" },
	{ .extra = ", \"name\": \"abcdefghijklmnop\"", .want = "name: must be 1..15 characters" },
	{ .extra = ", \"name\": \"\"", .want = "name: must be 1..15 characters" },
	{ .extra = ", \"name\": \"wg/0\"",
	  .want = "name: only letters, digits and _=+.- are allowed" },
	{ .extra = ", \"name\": \"..\"", .want = "name: must not be" },
	{ .extra = ", \"crypto\": \"openssl\"",
	  .want = "crypto: must be \"ipsec_mb\", \"sodium\" or \"cryptodev\"" },
	{ .extra = ", \"eal\": [\"-l\", 1]", .want = "eal[1]: must be a string, got an integer" },
	{ .extra = ", \"eal\": \"-l 0-1\"", .want = "eal: must be an array, got a string" },
	{ .extra = ", \"management\": {\"uapi\": \"yes\"}",
	  .want = "management.uapi: must be true or false, got a string" },
	{ .extra = ", \"management\": {\"telemetry\": null}",
	  .want = "management.telemetry: must be true or false, got null" },
	{ .extra = ", \"management\": {\"jsonrpc\": \"\"}",
	  .want = "management.jsonrpc: a socket path of 1..107" },
	{ .extra = ", \"management\": {\"json_rpc\": \"/x\"}",
	  .want = "management.json_rpc: unknown key (did you mean \"jsonrpc\"?)" },
	/* key material in the wrong place is still never echoed */
	{ .extra = PEER_WITH("\"allowed_ips\": [\"" PRIV "\"]"),
	  .want = "peers[0].allowed_ips[0]: \"<redacted>\"" },
	{ .extra = PEER_WITH("\"endpoint\": \"" PRIV "\""), .want = "peers[0].endpoint:" },
	{ .iface = IFACE_WITH("\"" PRIV "\": 1"), .want = "interface.<redacted>...: unknown key" },
	{ .extra = ", \"management\": {\"jsonrpc\": 1, \"x\": \"" PRIV "\"}",
	  .want = "management.x: unknown key" },
	{ .ports = PORT0_WITH("\"gateway\": \"" PRIV "\""), .want = "ports[0].gateway:" },
	{ .raw = "{\"interface\": {\"private_key\": \"" PRIV "\" \"listen_port\": 1}}",
	  .want = "line 1, column" },
	{ .raw = "{\"interface\": {\"private_key\": \"" PRIV "\\q\"}}", .want = "line 1, column" },
};

static void test_bad_configs(void)
{
	char all_text[65536];
	size_t all_len = 0;
	unsigned failures = 0;

	printf("\n");
	for (size_t i = 0; i < sizeof(bad_configs) / sizeof(bad_configs[0]); i++) {
		const struct bad *b = &bad_configs[i];
		const char *json = b->raw != NULL ? b->raw : build(b->ports, b->iface, b->extra);
		struct ws_config cfg;
		int ret;

		memset(&cfg, 0xa5, sizeof(cfg));
		ret = load(&cfg, json);
		bool ok = ret == -EINVAL && strstr(err, b->want) != NULL &&
			  strstr(err, PRIV) == NULL && strstr(err, PSK) == NULL &&
			  all_zero(&cfg, sizeof(cfg));
		if (!ok) {
			printf("  [%zu] ret %d, want \"%s\"\n       got  \"%s\"\n",
			       i, ret, b->want, err);
			failures++;
		}
		if (all_len + strlen(err) + 2 < sizeof(all_text))
			all_len += (size_t)snprintf(all_text + all_len, sizeof(all_text) - all_len,
						    "%s\n", err);
		if (ret == 0)
			ws_config_free(&cfg);
	}
	printf("  %zu bad configs rejected", sizeof(bad_configs) / sizeof(bad_configs[0]));
	if (getenv("WS_TEST_VERBOSE") != NULL)
		printf(":\n%s", all_text);
	CU_ASSERT(sizeof(bad_configs) / sizeof(bad_configs[0]) >= 30);
	CU_ASSERT(failures == 0);
	/* Not even a long piece of a key, anywhere. */
	CU_ASSERT(strstr(all_text, "UN8zcY7v6s0PlTdyAJKG") == NULL);
	CU_ASSERT(strstr(all_text, "OeTFSSqIT935KoGEpXWU") == NULL);
}

/* Each message is complete on its own, and err may be small or absent. */
static void test_error_buffer(void)
{
	struct ws_config cfg;
	char small[12];

	CU_ASSERT(ws_config_load_string("{", 1, &cfg, NULL, 0) == -EINVAL);
	CU_ASSERT(ws_config_load_string("{", 1, &cfg, small, sizeof(small)) == -EINVAL);
	CU_ASSERT(strlen(small) == sizeof(small) - 1);
	/* Not NUL-terminated input: the length is what counts. */
	const char *json = build(NULL, NULL, NULL);
	char copy[8192];
	size_t n = strlen(json);
	memcpy(copy, json, n);
	memset(copy + n, '}', 16);
	CU_ASSERT_FATAL(ws_config_load_string(copy, n, &cfg, err, sizeof(err)) == 0);
	ws_config_free(&cfg);
	CU_ASSERT(ws_config_load_string(copy, n + 1, &cfg, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(all_zero(&cfg, sizeof(cfg)));
}

/* ---- files ---- */

static void test_files(void)
{
	/* A name the redaction of key-like runs must leave alone. */
	char path[] = "/tmp/wirespeedconfigtestfilewithalongnameXXXXXX";
	const char *json = build(NULL, NULL, NULL);
	struct ws_config cfg;
	char warn[256];
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, json, strlen(json)) == (ssize_t)strlen(json));
	close(fd);

	CU_ASSERT_FATAL(chmod(path, 0600) == 0);
	CU_ASSERT(ws_config_check_file_mode(path, warn, sizeof(warn)) == 0);
	CU_ASSERT(chmod(path, 0640) == 0);
	CU_ASSERT(ws_config_check_file_mode(path, warn, sizeof(warn)) == 1);
	CU_ASSERT(strstr(warn, "0640") != NULL && strstr(warn, "the group read") != NULL);
	CU_ASSERT(chmod(path, 0606) == 0);
	CU_ASSERT(ws_config_check_file_mode(path, warn, sizeof(warn)) == 1);
	CU_ASSERT(strstr(warn, "others read or change") != NULL);

	CU_ASSERT(ws_config_load_file(path, &cfg, err, sizeof(err)) == 0);
	ws_config_free(&cfg);

	/* An error in a file names the file. */
	fd = open(path, O_WRONLY | O_TRUNC);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(write(fd, "{\n\n  \"ports\": 1,\n}", 18) == 18);
	close(fd);
	CU_ASSERT(ws_config_load_file(path, &cfg, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(strncmp(err, path, strlen(path)) == 0 && strstr(err, "line 4") != NULL);
	fd = open(path, O_WRONLY | O_TRUNC);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(write(fd, "{\"ports\": 1}", 12) == 12);
	close(fd);
	CU_ASSERT(ws_config_load_file(path, &cfg, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(strncmp(err, path, strlen(path)) == 0);
	CU_ASSERT(strstr(err, ": ports: must be an array") != NULL);
	unlink(path);

	CU_ASSERT(ws_config_load_file(path, &cfg, err, sizeof(err)) == -ENOENT);
	CU_ASSERT(strstr(err, path) != NULL);
	CU_ASSERT(all_zero(&cfg, sizeof(cfg)));
	CU_ASSERT(ws_config_check_file_mode(path, warn, sizeof(warn)) == -ENOENT);
	CU_ASSERT(ws_config_load_file("/tmp", &cfg, err, sizeof(err)) == -EISDIR);
}

/* ---- scale and robustness ---- */

/* JSON text of a peers array: n peers, each with per allowed IPs. */
static char *peers_json(unsigned n, unsigned per)
{
	size_t cap = (size_t)n * (per * 20 + 80) + 4096, len = 0;
	char *json = malloc(cap);
	uint8_t key[WS_KEY_LEN] = { 7 };
	char b64[WS_KEY_B64_LEN];

	CU_ASSERT_FATAL(json != NULL);
	len += (size_t)snprintf(json, cap, "{\"ports\": %s, \"interface\": %s, \"peers\": [",
				PORTS_OK, IFACE_OK);
	for (unsigned i = 0; i < n; i++) {
		key[1] = (uint8_t)i;
		key[2] = (uint8_t)(i >> 8);
		key[3] = (uint8_t)(i >> 16);
		ws_key_to_base64(b64, key);
		len += (size_t)snprintf(json + len, cap - len,
					"%s{\"public_key\": \"%s\", \"allowed_ips\": [",
					i > 0 ? "," : "", b64);
		for (unsigned j = 0; j < per; j++) {
			unsigned x = i * per + j;
			len += (size_t)snprintf(json + len, cap - len, "%s\"%u.%u.%u.0/24\"",
						j > 0 ? "," : "", 1 + (x >> 16), (x >> 8) & 255,
						x & 255);
		}
		len += (size_t)snprintf(json + len, cap - len, "]}");
	}
	snprintf(json + len, cap - len, "]}");
	return json;
}

/* Many peers: the duplicate checks sort rather than compare all pairs. */
static void test_many_peers(void)
{
	enum { N = 5000 };
	char *json = peers_json(N, 2);
	struct ws_config cfg;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	int ret = load(&cfg, json);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ret != 0)
		printf("\n  %s", err);
	CU_ASSERT_FATAL(ret == 0);
	printf("\n  %d peers loaded in %.1f ms", N,
	       (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	CU_ASSERT(cfg.n_peers == N && cfg.peers[N - 1].n_allowed_ips == 2);
	CU_ASSERT(prefix_is(&cfg.peers[N - 1].allowed_ips[0], "1.39.14.0/24"));
	ws_config_free(&cfg);

	/* The last peer claims the first peer's range. */
	char *last = strstr(json, "\"1.39.14.0/24\"");
	CU_ASSERT_FATAL(last != NULL);
	memcpy(last, "\"1.0.0.0/24\"  ", 14);
	CU_ASSERT(load(&cfg, json) == -EINVAL);
	CU_ASSERT(strstr(err, "peers[4999].allowed_ips[0]: 1.0.0.0/24 is already an allowed IP"
			      " of peers[0]") != NULL);
	free(json);
}

static void test_limits(void)
{
	struct ws_config cfg;
	char *json;

	/* Too many allowed IPs for one peer, then for all peers together. */
	json = peers_json(1, WS_CONFIG_ALLOWED_IPS_MAX + 1);
	CU_ASSERT(load(&cfg, json) == -EINVAL);
	CU_ASSERT(strstr(err, "peers[0].allowed_ips: has 4097 entries, at most 4096") != NULL);
	free(json);
	json = peers_json(WS_CONFIG_ALLOWED_IPS_TOTAL_MAX / WS_CONFIG_ALLOWED_IPS_MAX + 1,
			  WS_CONFIG_ALLOWED_IPS_MAX);
	CU_ASSERT(load(&cfg, json) == -EINVAL);
	CU_ASSERT(strstr(err, "peers[256].allowed_ips: more than 1048576 allowed_ips") != NULL);
	free(json);

	/* One peer too many. */
	size_t cap = 4 * (WS_CONFIG_PEERS_MAX + 1) + 4096, len;
	json = malloc(cap);
	CU_ASSERT_FATAL(json != NULL);
	len = (size_t)snprintf(json, cap, "{\"ports\": %s, \"interface\": %s, \"peers\": [{}",
			       PORTS_OK, IFACE_OK);
	for (unsigned i = 0; i < WS_CONFIG_PEERS_MAX; i++)
		len += (size_t)snprintf(json + len, cap - len, ",{}");
	snprintf(json + len, cap - len, "]}");
	CU_ASSERT(load(&cfg, json) == -EINVAL);
	CU_ASSERT(strstr(err, "peers: has 65537 entries, at most 65536 allowed") != NULL);
	free(json);
}

/*
 * Random damage to a valid config: every load either succeeds or fails
 * cleanly, with a message, nothing left in out, and no key in the message.
 */
static void test_mutations(void)
{
	uint64_t state = ws_test_seed("config mutations");
	size_t len = strlen(reference);
	char *buf = malloc(len);
	unsigned loaded = 0, rejected = 0;
	static const char alphabet[] = "{}[]\",:0123456789./-abcdefxyz \n\\";

	CU_ASSERT_FATAL(buf != NULL);
	for (unsigned iter = 0; iter < 3000; iter++) {
		struct ws_config cfg;
		unsigned edits = 1 + (unsigned)(ws_test_rand(&state) % 3);
		size_t n = len;
		int ret;

		memcpy(buf, reference, len);
		for (unsigned e = 0; e < edits; e++) {
			size_t at = ws_test_rand(&state) % len;
			uint64_t r = ws_test_rand(&state);
			if (r % 4 == 0)
				buf[at] = (char)(r >> 8);
			else if (r % 4 == 1)
				buf[at] = alphabet[(r >> 8) % (sizeof(alphabet) - 1)];
			else if (r % 4 == 2)
				n = at;
			else
				buf[at] = ' ';
		}
		memset(&cfg, 0x5a, sizeof(cfg));
		ret = ws_config_load_string(buf, n, &cfg, err, sizeof(err));
		if (ret == 0) {
			loaded++;
			ws_config_free(&cfg);
			continue;
		}
		rejected++;
		CU_ASSERT(ret == -EINVAL);
		CU_ASSERT(err[0] != '\0');
		CU_ASSERT(strstr(err, "UN8zcY7v6s0PlTdyAJKG") == NULL);
		CU_ASSERT(strstr(err, "OeTFSSqIT935KoGEpXWU") == NULL);
		CU_ASSERT(all_zero(&cfg, sizeof(cfg)));
	}
	printf("\n  %u loaded, %u rejected", loaded, rejected);
	CU_ASSERT(loaded > 0 && rejected > 0);
	free(buf);
}

/* ---- the address parsers ---- */

static void test_addr_prefix(void)
{
	struct ws_prefix p;
	struct ws_ipaddr a;
	const char *why = NULL;
	char buf[WS_PREFIX_STR_MAX];

	CU_ASSERT(ws_prefix_parse(&p, "192.0.2.77/26", &why) == 0);
	CU_ASSERT(p.family == WS_AF_INET && p.len == 26 && prefix_is(&p, "192.0.2.77/26"));
	ws_prefix_mask(&p);
	CU_ASSERT(prefix_is(&p, "192.0.2.64/26"));
	CU_ASSERT(ws_prefix_parse(&p, "2001:db8:abcd:12ff::1/52", NULL) == 0);
	ws_prefix_mask(&p);
	CU_ASSERT(prefix_is(&p, "2001:db8:abcd:1000::/52"));
	CU_ASSERT(ws_prefix_parse(&p, "10.1.2.3/0", NULL) == 0);
	ws_prefix_mask(&p);
	CU_ASSERT(prefix_is(&p, "0.0.0.0/0"));
	CU_ASSERT(ws_prefix_parse(&p, "::1", NULL) == 0 && p.len == 128);
	CU_ASSERT(ws_prefix_parse(&p, "10.0.0.1/32", NULL) == 0);
	ws_prefix_mask(&p);
	CU_ASSERT(prefix_is(&p, "10.0.0.1/32"));

	static const char *const bad[] = {
		"", "/24", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/ 8",
		"10.0.0.0/0008", "10.0.0/8", "10.0.0.0.0/8", "::/129", "fe80::1%eth0/64",
		" 10.0.0.0/8", "10.0.0.0/8 ", "010.0.0.0/8", "1.2.3.4/8/8",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		CU_ASSERT(ws_prefix_parse(&p, bad[i], &why) == -EINVAL && why != NULL);
	}

	CU_ASSERT(ws_prefix_parse(&p, "10.1.0.0/23", NULL) == 0);
	CU_ASSERT(ws_addr_parse(&a, "10.1.1.255", NULL) == 0 && ws_prefix_contains(&p, &a));
	CU_ASSERT(ws_addr_parse(&a, "10.1.2.0", NULL) == 0 && !ws_prefix_contains(&p, &a));
	CU_ASSERT(ws_addr_parse(&a, "::ffff:10.1.1.1", NULL) == 0 && !ws_prefix_contains(&p, &a));
	CU_ASSERT(ws_prefix_format(buf, 5, &p) == -ENOSPC);

	struct ws_prefix x, y;
	CU_ASSERT(ws_prefix_parse(&x, "10.0.0.0/8", NULL) == 0);
	CU_ASSERT(ws_prefix_parse(&y, "10.0.0.0/9", NULL) == 0);
	CU_ASSERT(ws_prefix_cmp(&x, &y) < 0 && ws_prefix_cmp(&y, &x) > 0);
	CU_ASSERT(ws_prefix_cmp(&x, &x) == 0);
}

static void test_addr_endpoint_mac(void)
{
	struct ws_endpoint ep;
	uint8_t mac[WS_MAC_LEN];
	char buf[WS_ENDPOINT_STR_MAX];
	const char *why;

	CU_ASSERT(ws_endpoint_parse(&ep, "192.0.2.2:51820", NULL) == 0);
	CU_ASSERT(ep.family == WS_AF_INET && ep.port == 51820);
	CU_ASSERT(ws_endpoint_format(buf, sizeof(buf), &ep) == 0);
	CU_ASSERT(strcmp(buf, "192.0.2.2:51820") == 0);
	CU_ASSERT(ws_endpoint_parse(&ep, "[2001:DB8::1]:1", NULL) == 0);
	CU_ASSERT(ep.family == WS_AF_INET6 && ep.port == 1);
	CU_ASSERT(ws_endpoint_format(buf, sizeof(buf), &ep) == 0);
	CU_ASSERT(strcmp(buf, "[2001:db8::1]:1") == 0);
	CU_ASSERT(ws_endpoint_parse(&ep, "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535",
				    NULL) == 0);
	CU_ASSERT(ws_endpoint_format(buf, sizeof(buf), &ep) == 0);

	static const char *const bad[] = {
		"", ":51820", "192.0.2.2", "192.0.2.2:", "192.0.2.2:0", "192.0.2.2:65536",
		"192.0.2.2:123456", "192.0.2.2:-1", "192.0.2.2: 1", "[2001:db8::1]",
		"[2001:db8::1]51820",
		"2001:db8::1", "[192.0.2.2]:1", "[fe80::1%eth0]:1", "example.com:1",
		"[2001:db8::1:1", "192.0.2.2:1:1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		CU_ASSERT(ws_endpoint_parse(&ep, bad[i], &why) == -EINVAL && why != NULL);
		CU_ASSERT(ep.family == WS_AF_NONE);
	}
	CU_ASSERT(ws_endpoint_parse(&ep, "gw-1.example.net:51820", &why) == -EINVAL);
	CU_ASSERT(strstr(why, "hostnames") != NULL);

	CU_ASSERT(ws_mac_parse(mac, "02:00:00:00:00:FE", NULL) == 0);
	CU_ASSERT(memcmp(mac, "\x02\0\0\0\0\xfe", 6) == 0);
	CU_ASSERT(ws_mac_format(buf, sizeof(buf), mac) == 0);
	CU_ASSERT(strcmp(buf, "02:00:00:00:00:fe") == 0);
	static const char *const badmac[] = {
		"", "02:00:00:00:00", "02:00:00:00:00:fe:", "02-00-00-00-00-fe", "2:0:0:0:0:fe",
		"02:00:00:00:00:fg", "0200.0000.00fe", "02:00:00:00:00:fe ",
	};
	for (size_t i = 0; i < sizeof(badmac) / sizeof(badmac[0]); i++)
		CU_ASSERT(ws_mac_parse(mac, badmac[i], NULL) == -EINVAL);
}

/* Runs fn in a child (it changes process-wide state); true when it returned 0. */
static bool in_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

static int child_no_dump(void)
{
	char warn[256];

	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 1)
		return 2;
	return ws_secmem_no_dump(warn, sizeof(warn)) == 0 &&
	       prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : 1;
}

/* gcc says __SANITIZE_ADDRESS__, clang __has_feature(address_sanitizer). */
#if defined(__SANITIZE_ADDRESS__)
#define WS_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WS_TEST_ASAN 1
#endif
#endif

#ifndef WS_TEST_ASAN
/* With no room to lock (not root), it warns and says why; as root it locks. */
static int child_lock(void)
{
	struct rlimit rl = { 0, 0 };
	char warn[512] = "", line[256];
	unsigned long locked = 0;
	FILE *f;
	int ret;

	if (geteuid() != 0 && setrlimit(RLIMIT_MEMLOCK, &rl) != 0)
		return 2;
	ret = ws_secmem_lock(warn, sizeof(warn));
	if (geteuid() != 0)
		return ret == 1 && strstr(warn, "RLIMIT_MEMLOCK 0 bytes") != NULL ? 0 : 1;
	f = fopen("/proc/self/status", "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		sscanf(line, "VmLck: %lu", &locked);
	if (f != NULL)
		fclose(f);
	return ret == 0 && locked > 0 ? 0 : 1;
}
#endif

/* The "security" section, and the process hardening it drives (secmem). */
static void test_security(void)
{
	struct ws_config cfg;

	CU_ASSERT_FATAL(load(&cfg, build(NULL, NULL, NULL)) == 0);
	CU_ASSERT(!cfg.security.lock_memory && !cfg.security.core_dumps);
	ws_config_free(&cfg);
	CU_ASSERT_FATAL(load(&cfg, build(NULL, NULL, ", \"security\": {\"lock_memory\": true,"
					 " \"core_dumps\": true}")) == 0);
	CU_ASSERT(cfg.security.lock_memory && cfg.security.core_dumps);
	ws_config_free(&cfg);
	CU_ASSERT(load(&cfg, build(NULL, NULL, ", \"security\": {\"lock_memory\": 1}")) ==
		  -EINVAL);
	CU_ASSERT(strstr(err, "security.lock_memory") != NULL);
	CU_ASSERT(load(&cfg, build(NULL, NULL, ", \"security\": {\"coredumps\": false}")) ==
		  -EINVAL);
	CU_ASSERT(strstr(err, "security.coredumps: unknown key") != NULL);
	CU_ASSERT(load(&cfg, build(NULL, NULL, ", \"security\": []")) == -EINVAL);

	CU_ASSERT(in_child(child_no_dump));
#ifndef WS_TEST_ASAN
	/* Not under ASan: locking its terabytes of shadow mappings is no test. */
	CU_ASSERT(in_child(child_lock));
#endif
	/* jansson with the wiping free (as the gateway sets it) still loads. */
	json_set_alloc_funcs(ws_secmem_malloc, ws_secmem_free);
	CU_ASSERT(load(&cfg, build(NULL, NULL, NULL)) == 0);
	ws_config_free(&cfg);
	json_set_alloc_funcs(malloc, free);
}

static int suite_init(void)
{
	return ws_crypto_init() < 0 ? -1 : 0;
}

int main(void)
{
	static const struct ws_test tests[] = {
		WS_TEST(test_examples_load),
		WS_TEST(test_reference_shape),
		WS_TEST(test_defaults),
		WS_TEST(test_accepted_forms),
		WS_TEST(test_bad_configs),
		WS_TEST(test_error_buffer),
		WS_TEST(test_files),
		WS_TEST(test_security),
		WS_TEST(test_many_peers),
		WS_TEST(test_limits),
		WS_TEST(test_mutations),
		WS_TEST(test_addr_prefix),
		WS_TEST(test_addr_endpoint_mac),
		{ 0 },
	};
	return ws_test_run("config", tests, suite_init, NULL);
}
