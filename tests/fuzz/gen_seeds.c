/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Writes the seed corpora of the fuzz harnesses: valid messages made by
 * our own code, in each harness's input format.
 *
 *   gen_seeds OUTDIR      (scripts/fuzz.sh --seeds uses tests/fuzz/corpus)
 *
 * The handshake seeds are built from the same deterministic starting
 * state as the harnesses (fuzz_wg.h), so a raw message here is the very
 * message the harness's peer would send, and is accepted there.
 */
#include <stdio.h>
#include <sys/stat.h>

#include <rte_arp.h>
#include <rte_ip.h>

#include "fuzz_wg.h"
#include "ws_net.h"

static const char *outdir;
static unsigned written;

struct seed {
	uint8_t b[4096];
	size_t n;
};

static void put(struct seed *s, const void *p, size_t n)
{
	CHECK(s->n + n <= sizeof(s->b));
	memcpy(s->b + s->n, p, n);
	s->n += n;
}

static void put8(struct seed *s, uint8_t v)
{
	put(s, &v, 1);
}

static void put16(struct seed *s, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	put(s, b, 2);
}

static void put64(struct seed *s, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		put8(s, (uint8_t)(v >> (8 * i)));
}

static void save(const char *harness, const char *name, const void *p, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, harness);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, harness, name);
	f = fopen(path, "wb");
	CHECK(f != NULL);
	CHECK(fwrite(p, 1, n, f) == n);
	CHECK(fclose(f) == 0);
	written++;
}

static void save_seed(const char *harness, const char *name, const struct seed *s)
{
	save(harness, name, s->b, s->n);
}

/* A script: flags, then bytes given as a list (opcodes and arguments). */
static void script(const char *harness, const char *name, uint8_t flags, const uint8_t *ops,
		   size_t n)
{
	struct seed s = { .n = 0 };

	put8(&s, flags);
	put(&s, ops, n);
	save_seed(harness, name, &s);
}

#define SCRIPT(h, name, flags, ...) do { \
	static const uint8_t ops_[] = { __VA_ARGS__ }; \
	script(h, name, flags, ops_, sizeof(ops_)); \
} while (0)

static void initiation_seeds(void)
{
	static const uint8_t flag_sets[] = { 0, FZ_F_PSK, FZ_F_V6, FZ_F_PSK | FZ_F_V6 };

	for (unsigned i = 0; i < sizeof(flag_sets); i++) {
		struct ws_msg_initiation msg;
		struct seed s = { .n = 0 };
		char name[32];

		/* B's first initiation, byte for byte as the harness's B makes it. */
		fz_reset(flag_sets[i]);
		CHECK(ws_noise_create_initiation(&fz_b.remote, &msg, &fz_wall) == 0);
		ws_cookie_maker_add_macs(&fz_b.maker, &msg, sizeof(msg), fz_now);
		fz_teardown();
		put8(&s, flag_sets[i]);
		put8(&s, FZ_INIT_RAW);
		put(&s, &msg, sizeof(msg));
		put8(&s, 0);
		snprintf(name, sizeof(name), "raw_valid_%02x", flag_sets[i]);
		save_seed("initiation", name, &s);
	}
	SCRIPT("initiation", "peer", 0, FZ_INIT_PEER, 0, 0, 0, 0);
	SCRIPT("initiation", "peer_replay", 0, FZ_INIT_PEER, 0, 0, 0, 0, FZ_INIT_REPLAY);
	SCRIPT("initiation", "peer_flood", 0, FZ_INIT_PEER, 0, 0, 0, 0, FZ_INIT_ADVANCE, 5, 0,
	       FZ_INIT_PEER, 0, 0, 0, 0, FZ_INIT_ADVANCE, 30, 0, FZ_INIT_PEER, 0, 0, 0, 0);
	SCRIPT("initiation", "peer_old_clock", 0, FZ_INIT_PEER, 0, 0, 0, 0, FZ_INIT_ADVANCE, 50,
	       0, FZ_INIT_PEER, 0xf6, 0, 0, 0);
	SCRIPT("initiation", "under_load_cookie", FZ_F_UNDER_LOAD, FZ_INIT_PEER, 0, 0, 0, 0,
	       FZ_INIT_COOKIE, FZ_INIT_ADVANCE, 30, 0, FZ_INIT_PEER, 0, 0, 0, 0);
	SCRIPT("initiation", "psk_mismatch", FZ_F_PSK_MISMATCH, FZ_INIT_PEER, 0, 0, 0, 0);
	SCRIPT("initiation", "stranger", FZ_F_V6, FZ_INIT_STRANGER, FZ_INIT_PEER, 0, 0, 0, 0);
	SCRIPT("initiation", "mutated_remac", 0, FZ_INIT_PEER, 0, 40, 0x01, 1);
	SCRIPT("initiation", "clear_again", FZ_F_PSK, FZ_INIT_PEER, 0, 0, 0, 0, FZ_INIT_CLEAR,
	       FZ_INIT_ADVANCE, 30, 0, FZ_INIT_PEER, 0, 0, 0, 0);
}

static void response_seeds(void)
{
	static const uint8_t flag_sets[] = { 0, FZ_F_PSK, FZ_F_V6 };

	for (unsigned i = 0; i < sizeof(flag_sets); i++) {
		struct ws_msg_initiation init;
		struct ws_msg_response msg;
		struct seed s = { .n = 0 };
		char name[32];

		fz_reset(flag_sets[i]);
		fz_a_initiates(&init);
		CHECK(ws_noise_create_response(&fz_b.remote, &msg) == 0);
		ws_cookie_maker_add_macs(&fz_b.maker, &msg, sizeof(msg), fz_now);
		fz_teardown();
		put8(&s, flag_sets[i]);
		put8(&s, FZ_RESP_RAW);
		put(&s, &msg, sizeof(msg));
		put8(&s, 0);
		snprintf(name, sizeof(name), "raw_valid_%02x", flag_sets[i]);
		save_seed("response", name, &s);
	}
	SCRIPT("response", "peer", 0, FZ_RESP_PEER, 0, 0, 0);
	SCRIPT("response", "peer_replay", 0, FZ_RESP_PEER, 0, 0, 0, FZ_RESP_REPLAY);
	SCRIPT("response", "forged_then_peer", 0, FZ_RESP_RAW, 2, 0, 0, 0, 0x11, 0x22, 0x33, 0x44,
	       [93] = 3, FZ_RESP_PEER, 0, 0, 0);
	SCRIPT("response", "psk_mismatch", FZ_F_PSK_MISMATCH, FZ_RESP_PEER, 0, 0, 0);
	SCRIPT("response", "under_load", FZ_F_UNDER_LOAD, FZ_RESP_PEER, 0, 0, 0, FZ_RESP_LOAD,
	       FZ_RESP_REPLAY);
	SCRIPT("response", "reinit", FZ_F_PSK, FZ_RESP_INIT, FZ_RESP_PEER, 0, 0, 0);
	SCRIPT("response", "cleared", 0, FZ_RESP_CLEAR, FZ_RESP_PEER, 0, 0, 0);
	SCRIPT("response", "mutated_remac", 0, FZ_RESP_PEER, 20, 0x80, 1);
}

static void cookie_seeds(void)
{
	struct ws_msg_initiation init;
	struct ws_msg_cookie reply;
	struct seed s = { .n = 0 };

	fz_reset(0);
	CHECK(ws_noise_create_initiation(&fz_a.remote, &init, &fz_wall) == 0);
	ws_cookie_maker_add_macs(&fz_a.maker, &init, sizeof(init), fz_now);
	CHECK(ws_cookie_checker_create_reply(&fz_b.checker, &reply, &init, sizeof(init), &fz_a.ep,
					     fz_now) == 0);
	fz_teardown();
	put8(&s, 0);
	put8(&s, FZ_COOKIE_RAW);
	put(&s, &reply, sizeof(reply));
	put8(&s, 0);
	put8(&s, FZ_COOKIE_SEND);
	save_seed("cookie", "raw_valid", &s);

	SCRIPT("cookie", "peer_send", 0, FZ_COOKIE_PEER, 0, 0, FZ_COOKIE_SEND);
	SCRIPT("cookie", "peer_replay", 0, FZ_COOKIE_PEER, 0, 0, FZ_COOKIE_REPLAY, FZ_COOKIE_SEND);
	SCRIPT("cookie", "peer_aged", FZ_F_V6, FZ_COOKIE_PEER, 0, 0, FZ_COOKIE_ADVANCE, 200,
	       FZ_COOKIE_SEND);
	SCRIPT("cookie", "send_peer_send", 0, FZ_COOKIE_SEND, FZ_COOKIE_PEER, 0, 0,
	       FZ_COOKIE_ADVANCE, 60, FZ_COOKIE_SEND);
	SCRIPT("cookie", "raw_index", 0, FZ_COOKIE_RAW, 3, 0, 0, 0, 0, 0, 0, 0, [65] = 1);
	SCRIPT("cookie", "mutated", 0, FZ_COOKIE_PEER, 30, 0x04, FZ_COOKIE_SEND);
}

/* An inner packet as a peer tunnels it: IPv4 ICMP echo or IPv6 UDP. */
static uint32_t inner_packet(uint8_t *p, bool v6)
{
	if (!v6) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;

		memset(p, 0, 84);
		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16(84);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_ICMP;
		ip->src_addr = rte_cpu_to_be_32(0x0a020002);
		ip->dst_addr = rte_cpu_to_be_32(0x0a010002);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		p[20] = 8;  /* echo request */
		return 84;
	}
	memset(p, 0, 48);
	p[0] = 0x60;
	p[5] = 8;               /* payload length */
	p[6] = IPPROTO_UDP;
	p[7] = 64;
	p[8] = 0xfd;
	p[11] = 2;
	p[23] = 2;
	p[24] = 0xfd;
	p[27] = 1;
	p[39] = 2;
	return 48;
}

static void data_message(struct seed *s, uint64_t counter, const uint8_t *plain, uint32_t len)
{
	uint32_t padded = ws_msg_data_padded_len(len);
	uint8_t key[WS_KEY_LEN], buf[WS_MSG_DATA_MIN_LEN + 256] = { 0 };
	struct ws_msg_data hdr = { .header.type = WS_MSG_DATA };

	CHECK(padded <= 256);
	memset(key, 0x77, sizeof(key));   /* fuzz_transport.c's key and index */
	hdr.receiver_index = htole32(0x01020304);
	hdr.counter = htole64(counter);
	memcpy(buf, &hdr, sizeof(hdr));
	if (len > 0)
		memcpy(buf + WS_MSG_DATA_HEADER_LEN, plain, len);
	ws_aead_encrypt(buf + WS_MSG_DATA_HEADER_LEN, buf + WS_MSG_DATA_HEADER_LEN, padded, NULL,
			0, counter, key);
	put8(s, FZ_DATA_RAW);
	put16(s, (uint16_t)(WS_MSG_DATA_MIN_LEN + padded));
	put(s, buf, WS_MSG_DATA_MIN_LEN + padded);
}

static void transport_seeds(void)
{
	uint8_t p4[128], p6[128];
	uint32_t l4 = inner_packet(p4, false), l6 = inner_packet(p6, true);
	struct seed s = { .n = 0 };

	put8(&s, 0);
	data_message(&s, 0, p4, l4);
	data_message(&s, 1, p6, l6);
	data_message(&s, 2, NULL, 0);           /* keepalive */
	data_message(&s, 1, p6, l6);            /* replay */
	data_message(&s, 9000, p4, l4);
	data_message(&s, 2, p4, l4);            /* behind the window now */
	save_seed("transport", "raw_valid", &s);

	s.n = 0;
	put8(&s, 0);
	for (int i = 0; i < 3; i++) {
		put8(&s, FZ_DATA_SEAL);
		put8(&s, FZ_SEAL_NEXT);
		put64(&s, 0);
		put16(&s, (uint16_t)l4);
		put(&s, p4, l4);
		put16(&s, 0);
		put8(&s, 0);
	}
	put8(&s, FZ_DATA_REPLAY);
	put8(&s, FZ_DATA_FLUSH);
	put8(&s, FZ_DATA_SEAL);
	put8(&s, FZ_SEAL_ABS);
	put64(&s, WS_REJECT_AFTER_MESSAGES - 1);
	put16(&s, (uint16_t)l6);
	put(&s, p6, l6);
	put16(&s, 0);
	put8(&s, 0);
	put8(&s, FZ_DATA_SEAL);
	put8(&s, FZ_SEAL_BACK);
	put64(&s, WS_COUNTER_WINDOW_SIZE);
	put16(&s, 0);
	put16(&s, 0);
	put8(&s, 0);
	save_seed("transport", "seal_edges", &s);

	SCRIPT("transport", "seal_mutated", 0, FZ_DATA_SEAL, FZ_SEAL_ABS, 5, 0, 0, 0, 0, 0, 0, 0,
	       16, 0, 0x45, [28] = 20, 0, 1);
}

static const struct rte_ether_addr tun_mac = {{ 2, 0, 0, 0, 0, 1 }};
static const struct rte_ether_addr clr_mac = {{ 2, 0, 0, 0, 0, 2 }};
static const struct rte_ether_addr far_mac = {{ 2, 0, 0, 0, 0, 9 }};

/* A frame for fuzz_classify.c: selector byte (bit 0: clear port), then the frame. */
static void frame_seed(const char *name, uint8_t selector, const uint8_t *frame, int len)
{
	struct seed s = { .n = 0 };

	CHECK(len > 0);
	put8(&s, selector);
	put(&s, frame, (size_t)len);
	save_seed("classify", name, &s);
}

static void wg_frame(const char *name, bool v6, const void *msg, uint32_t len)
{
	static const uint8_t a4[4] = { 192, 0, 2, 1 }, b4[4] = { 192, 0, 2, 2 };
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1 };
	static const uint8_t b6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 };
	struct ws_net_udp_out o = { .src_mac = far_mac, .dst_mac = tun_mac, .udp4_cksum = true };
	uint8_t frame[512];
	uint32_t hl;

	if (v6) {
		ws_endpoint_v6(&o.src, b6, 51820);
		ws_endpoint_v6(&o.dst, a6, 51820);
	} else {
		ws_endpoint_v4(&o.src, b4, 51820);
		ws_endpoint_v4(&o.dst, a4, 51820);
	}
	hl = ws_net_udp_hdrs_len(o.src.family);
	memcpy(frame + hl, msg, len);
	frame_seed(name, 0, frame, ws_net_build_udp(frame, sizeof(frame), &o, len));
}

static void classify_seeds(void)
{
	static const uint8_t us4[4] = { 192, 0, 2, 1 }, them4[4] = { 192, 0, 2, 2 };
	static const uint8_t us6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1 };
	static const uint8_t them6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 };
	struct ws_msg_initiation init;
	struct ws_msg_response resp;
	uint8_t frame[512], data[WS_MSG_DATA_MIN_LEN + 96] = { WS_MSG_DATA };
	int len;

	fz_reset(0);
	fz_a_initiates(&init);
	CHECK(ws_noise_create_response(&fz_b.remote, &resp) == 0);
	ws_cookie_maker_add_macs(&fz_b.maker, &resp, sizeof(resp), fz_now);
	CHECK(ws_noise_begin_session(&fz_b.remote, fz_now) == 0);
	fz_teardown();
	wg_frame("wg_initiation_v4", false, &init, sizeof(init));
	wg_frame("wg_response_v6", true, &resp, sizeof(resp));
	data[4] = 4;
	data[8] = 1;
	wg_frame("wg_data_v4", false, data, sizeof(data));
	wg_frame("wg_keepalive_v6", true, data, WS_MSG_DATA_MIN_LEN);

	len = ws_net_build_arp(frame, sizeof(frame), RTE_ARP_OP_REQUEST, &far_mac, them4, NULL,
			       us4);
	frame_seed("arp_request", 0, frame, len);
	len = ws_net_build_arp(frame, sizeof(frame), RTE_ARP_OP_REPLY, &far_mac, them4, &tun_mac,
			       us4);
	frame_seed("arp_reply", 0, frame, len);
	len = ws_net_build_ns(frame, sizeof(frame), &far_mac, them6, us6, NULL);
	frame_seed("nd_solicit", 0, frame, len);
	len = ws_net_build_na(frame, sizeof(frame), &far_mac, them6, &tun_mac, us6,
			      WS_NET_NBR_F_SOLICITED | WS_NET_NBR_F_OVERRIDE);
	frame_seed("nd_advert", 0, frame, len);

	/* Clear port: plaintext to forward (v4, v6) and an echo request to us (10.1.0.1). */
	len = ws_net_build_eth(frame, sizeof(frame), &clr_mac, &far_mac, RTE_ETHER_TYPE_IPV4);
	CHECK(len > 0);
	inner_packet(frame + len, false);
	frame[len + 19] = 5;    /* 10.1.0.2 -> 10.2.0.5 */
	frame[len + 15] = 2;
	frame[len + 16] = 10;
	frame[len + 17] = 2;
	frame[len + 18] = 0;
	frame[len + 12] = 10;
	frame[len + 13] = 1;
	frame[len + 14] = 0;
	((struct rte_ipv4_hdr *)(frame + len))->hdr_checksum = 0;
	((struct rte_ipv4_hdr *)(frame + len))->hdr_checksum =
		rte_ipv4_cksum((struct rte_ipv4_hdr *)(frame + len));
	frame_seed("clear_forward_v4", 1, frame, len + 84);
	frame[len + 19] = 1;    /* to 10.1.0.1: echo to us */
	frame[len + 17] = 1;
	((struct rte_ipv4_hdr *)(frame + len))->hdr_checksum = 0;
	((struct rte_ipv4_hdr *)(frame + len))->hdr_checksum =
		rte_ipv4_cksum((struct rte_ipv4_hdr *)(frame + len));
	{
		uint8_t *icmp = frame + len + 20;

		icmp[2] = icmp[3] = 0;
		uint16_t ck = rte_raw_cksum(icmp, 64);

		ck = (uint16_t)~ck;
		memcpy(icmp + 2, &ck, 2);
	}
	frame_seed("clear_echo_v4", 1, frame, len + 84);
	len = ws_net_build_eth(frame, sizeof(frame), &clr_mac, &far_mac, RTE_ETHER_TYPE_IPV6);
	inner_packet(frame + len, true);
	frame_seed("clear_forward_v6", 1, frame, len + 48);
}

static void config_seeds(void)
{
	char a[WS_KEY_B64_LEN], b[WS_KEY_B64_LEN], p[WS_KEY_B64_LEN], buf[3072];
	uint8_t k[WS_KEY_LEN];
	int n;

	memset(k, 0x41, sizeof(k));
	ws_key_to_base64(a, k);
	memset(k, 0x42, sizeof(k));
	CHECK(ws_x25519_public(k, k) == 0);
	ws_key_to_base64(b, k);
	memset(k, 0x5a, sizeof(k));
	ws_key_to_base64(p, k);

	n = snprintf(buf, sizeof(buf),
		"{\"ports\": [{\"name\": \"wan\", \"device\": \"net_null0\", \"role\": \"tunnel\","
		" \"addresses\": [\"192.0.2.1/24\"]}, {\"name\": \"lan\", \"device\": \"net_null1\","
		" \"role\": \"clear\", \"addresses\": [\"10.1.0.1/24\"]}],"
		" \"interface\": {\"private_key\": \"%s\"}}\n", a);
	save("config", "minimal.json", buf, (size_t)n);
	n = snprintf(buf, sizeof(buf),
		"{\"name\": \"wg0\",\n \"eal\": [\"-l\", \"0-1\", \"--no-huge\", \"-m\", \"512\","
		" \"--no-pci\", \"--in-memory\", \"--vdev\", \"net_af_packet0,iface=wan0\","
		" \"--vdev\", \"net_af_packet1,iface=lan0\"],\n \"crypto\": \"ipsec_mb\",\n"
		" \"ports\": [\n  {\"name\": \"wan\", \"device\": \"net_af_packet0\", \"role\": \"tunnel\","
		" \"addresses\": [\"192.0.2.1/24\", \"2001:db8:1::1/64\"], \"gateway\": \"192.0.2.254\"},\n"
		"  {\"name\": \"lan\", \"device\": \"net_af_packet1\", \"role\": \"clear\","
		" \"addresses\": [\"10.1.0.1/24\", \"fd00:1::1/64\"]}],\n"
		" \"routes\": [{\"prefix\": \"10.8.0.0/16\", \"via\": \"10.1.0.254\", \"port\": \"lan\"},"
		" {\"prefix\": \"fd00:8::/48\", \"via\": \"fd00:1::fe\", \"port\": \"lan\"}],\n"
		" \"neighbors\": [{\"address\": \"10.1.0.254\", \"mac\": \"02:00:00:00:00:fe\","
		" \"port\": \"lan\"}],\n"
		" \"lcores\": {\"rx\": [0], \"workers\": [1], \"tx\": [0], \"control\": 0},\n"
		" \"interface\": {\"private_key\": \"%s\", \"listen_port\": 51820, \"mtu\": 1420},\n"
		" \"peers\": [{\"public_key\": \"%s\", \"preshared_key\": \"%s\","
		" \"endpoint\": \"[2001:db8:1::2]:51820\", \"allowed_ips\": [\"10.2.0.0/24\","
		" \"fd00:2::/64\"], \"persistent_keepalive\": 25}],\n"
		" \"management\": {\"jsonrpc\": \"/run/wirespeed/wg0.sock\", \"uapi\": true}}\n",
		a, b, p);
	save("config", "reference.json", buf, (size_t)n);
	n = snprintf(buf, sizeof(buf),
		"{\"ports\": [{\"name\": \"wan\", \"device\": \"net_null0\", \"role\": \"tunnel\","
		" \"addresses\": [\"2001:db8:1::1/64\"]}, {\"name\": \"lan\", \"device\": \"net_null1\","
		" \"role\": \"clear\", \"addresses\": [\"fd00:1::1/64\"]}],"
		" \"interface\": {\"private_key\": \"%s\", \"listen_port\": 0},"
		" \"peers\": [{\"public_key\": \"%s\", \"endpoint\": \"192.0.2.2:1\","
		" \"allowed_ips\": [\"0.0.0.0/0\", \"::/0\"]}]}\n", a, b);
	save("config", "v6_default_route.json", buf, (size_t)n);
}

static void text_seed(const char *harness, const char *name, const char *text)
{
	save(harness, name, text, strlen(text));
}

/* Requests for the method table of fuzz_jsonrpc.c (peer.add, peer.get, gateway.info). */
static void jsonrpc_seeds(void)
{
	char b[WS_KEY_B64_LEN], buf[1024];
	uint8_t k[WS_KEY_LEN];

	memset(k, 0x42, sizeof(k));
	ws_key_to_base64(b, k);
	snprintf(buf, sizeof(buf),
		 "{\"jsonrpc\": \"2.0\", \"method\": \"peer.add\", \"params\": {\"name\": \"x\","
		 " \"port\": 51820, \"flag\": true, \"public_key\": \"%s\", \"list\": [1, \"a\"],"
		 " \"obj\": {\"k\": null}, \"num\": 1.5, \"any\": [], \"n\": 3}, \"id\": 1}\n", b);
	text_seed("jsonrpc", "peer_add", buf);
	snprintf(buf, sizeof(buf),
		 "[{\"jsonrpc\": \"2.0\", \"method\": \"peer.get\", \"params\": [7, \"n\", false,"
		 " \"%s\"], \"id\": \"a\"}, {\"jsonrpc\": \"2.0\", \"method\": \"gateway.info\"},"
		 " {\"jsonrpc\": \"2.0\", \"method\": \"nope\", \"id\": null}, 5]\n", b);
	text_seed("jsonrpc", "batch", buf);
	text_seed("jsonrpc", "info", "{\"jsonrpc\":\"2.0\",\"method\":\"gateway.info\",\"id\":2}\n");
	text_seed("jsonrpc", "bad_params",
		  "{\"jsonrpc\":\"2.0\",\"method\":\"peer.add\",\"params\":{\"port\":0},\"id\":3}\n");
}

/* wg(8)'s configuration protocol: set with every key, and get. */
static void uapi_seeds(void)
{
	char hex_a[2 * WS_KEY_LEN + 1], hex_b[2 * WS_KEY_LEN + 1], hex_p[2 * WS_KEY_LEN + 1];
	char buf[2048];
	uint8_t k[WS_KEY_LEN];

	memset(k, 0x41, sizeof(k));
	sodium_bin2hex(hex_a, sizeof(hex_a), k, sizeof(k));
	memset(k, 0x42, sizeof(k));
	CHECK(ws_x25519_public(k, k) == 0);
	sodium_bin2hex(hex_b, sizeof(hex_b), k, sizeof(k));
	memset(k, 0x5a, sizeof(k));
	sodium_bin2hex(hex_p, sizeof(hex_p), k, sizeof(k));
	snprintf(buf, sizeof(buf),
		 "set=1\nprivate_key=%s\nlisten_port=51820\nfwmark=0\nreplace_peers=true\n"
		 "public_key=%s\npreshared_key=%s\nendpoint=192.0.2.2:51820\n"
		 "persistent_keepalive_interval=25\nreplace_allowed_ips=true\n"
		 "allowed_ip=10.2.0.0/24\nallowed_ip=fd00:2::/64\n\n", hex_a, hex_b, hex_p);
	text_seed("uapi", "set_all", buf);
	snprintf(buf, sizeof(buf),
		 "set=1\npublic_key=%s\nupdate_only=true\nendpoint=[2001:db8:1::2]:51820\n"
		 "allowed_ip=0.0.0.0/0\n\nget=1\n\n", hex_b);
	text_seed("uapi", "set_v6_then_get", buf);
	snprintf(buf, sizeof(buf), "set=1\npublic_key=%s\nremove=true\n\n", hex_b);
	text_seed("uapi", "remove", buf);
	text_seed("uapi", "get", "get=1\n\n");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 2;
	}
	outdir = argv[1];
	mkdir(outdir, 0755);
	if (fz_crypto_init() < 0)
		return 1;
	initiation_seeds();
	response_seeds();
	cookie_seeds();
	transport_seeds();
	classify_seeds();
	config_seeds();
	jsonrpc_seeds();
	uapi_seeds();
	printf("gen_seeds: %u seeds written under %s\n", written, outdir);
	return 0;
}
