/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wsinject: hostile traffic for the integration scenarios. Writes whole
 * Ethernet frames on an AF_PACKET socket (bypassing the qdisc), so source
 * addresses and ports are whatever we say. WireGuard messages that must be
 * genuine are made by our own lib/wg and lib/crypto.
 *
 *   wsinject -i IF -M DSTMAC MODE [options]
 *
 * Modes:
 *   flood     -c N initiations to the responder -k PUB from -n sources
 *             counting up from -s ADDR, each with a fresh ephemeral (so
 *             each costs the responder a DH), at -r per second. Answers
 *             ARP for those sources and learns the cookie replies that
 *             reach them; a source holding a cookie sends its next -b
 *             initiations back to back with a valid mac2. The initiations
 *             are made before the first is sent (the sender is then not
 *             bound by its own DH rate); -g N sends them in groups of N
 *             at -R per second, the groups paced to -r on average.
 *   lowinit   for every known small-order point, an initiation whose
 *             ephemeral is that point, otherwise genuine: static key -K
 *             (a registered peer's private key), to responder -k.
 *   response  waits for an initiation from -D to -s (read on IF), then
 *             sends -c forged responses to its sender index (valid mac1,
 *             random ephemeral and tag).
 *   garbage   -c frames of random bytes, truncated and mis-sized frames,
 *             bad checksums, data messages with random receiver indices
 *             and oversized packets, to -D (port -P) from -s; -t K sends
 *             only kind K (0-7, the cases of mode_garbage).
 *   pcap FILE re-sends every frame of a pcap file (Ethernet link type).
 *
 * Prints one line "wsinject: MODE sent N ..." with its counts.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cookie.h"
#include "noise.h"
#include "ws_crypto.h"

#define MAX_FRAME 1514
#define MAX_SRC 65536

struct opts {
	const char *ifname, *mode, *file, *keyfile;
	uint8_t dmac[6], smac[6];
	uint8_t dst[4], src[4];
	uint16_t dport, sport;
	unsigned count, nsrc, rate, peak, burst, group;
	uint8_t resp_pub[WS_KEY_LEN];
	int fd, ifindex;
	int kind;                       /* garbage: only this kind (-t), or -1 */
};

static struct opts o = {
	.dport = 51820, .sport = 51820, .count = 1000, .nsrc = 1, .rate = 0, .burst = 8, .group = 1, .kind = -1,
	.dst = { 192, 0, 2, 1 }, .src = { 192, 0, 2, 2 },
};

static void die(const char *what)
{
	fprintf(stderr, "wsinject: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: wsinject -i IF -M DSTMAC [-D ADDR] [-s ADDR] [-P PORT] [-S PORT]\n"
			"  [-c N] [-n NSRC] [-r PER_SEC] [-g GROUP] [-R PEAK_PER_SEC] [-b BURST] [-k PUB_B64] [-K KEYFILE] [-t KIND]\n"
			"  flood|lowinit|response|garbage|pcap FILE\n");
	exit(2);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * WS_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/*
 * Frame i leaves no earlier than its share of -r on average; in groups of
 * -g frames, each group at -R frames per second (0: back to back).
 */
static void pace(uint64_t t0, unsigned i)
{
	if (o.rate == 0)
		return;
	uint64_t due = t0 + (uint64_t)(i - i % o.group) * WS_NSEC_PER_SEC / o.rate;

	if (o.peak != 0)
		due += (uint64_t)(i % o.group) * WS_NSEC_PER_SEC / o.peak;
	uint64_t t = now_ns();

	if (due > t) {
		struct timespec ts = { (time_t)((due - t) / WS_NSEC_PER_SEC),
				       (long)((due - t) % WS_NSEC_PER_SEC) };
		nanosleep(&ts, NULL);
	}
}

static void open_socket(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct ifreq ifr;
	int one = 1;

	o.fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (o.fd < 0)
		die("socket");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o.ifname);
	if (ioctl(o.fd, SIOCGIFINDEX, &ifr) < 0)
		die(o.ifname);
	o.ifindex = ifr.ifr_ifindex;
	if (ioctl(o.fd, SIOCGIFHWADDR, &ifr) < 0)
		die("SIOCGIFHWADDR");
	memcpy(o.smac, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_ifindex = o.ifindex;
	if (bind(o.fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die("bind");
	/* Past the qdisc: a netem delay on IF slows the real peer, not us. */
	if (setsockopt(o.fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0)
		die("PACKET_QDISC_BYPASS");
	fcntl(o.fd, F_SETFL, O_NONBLOCK);
}

static unsigned n_sent, n_send_fail;

static void send_frame(const uint8_t *f, size_t len)
{
	for (int tries = 0; tries < 1000; tries++) {
		if (send(o.fd, f, len, 0) == (ssize_t)len) {
			n_sent++;
			return;
		}
		if (errno != EAGAIN && errno != ENOBUFS)
			break;
		usleep(100);
	}
	n_send_fail++;
}

static uint16_t csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint32_t csum_add(uint32_t s, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)(p[len - 1] << 8);
	return s;
}

/* Ethernet + IPv4 + UDP around payload; returns the frame length. */
static size_t build_udp(uint8_t *f, const uint8_t src[4], uint16_t sport, const void *payload,
			size_t plen)
{
	uint8_t *ip = f + 14, *udp = ip + 20;
	size_t iplen = 20 + 8 + plen;
	uint32_t s;

	memcpy(f, o.dmac, 6);
	memcpy(f + 6, o.smac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(iplen >> 8);
	ip[3] = (uint8_t)iplen;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, o.dst, 4);
	s = csum_fold(csum_add(0, ip, 20));
	ip[10] = (uint8_t)(s >> 8);
	ip[11] = (uint8_t)s;
	udp[0] = (uint8_t)(sport >> 8);
	udp[1] = (uint8_t)sport;
	udp[2] = (uint8_t)(o.dport >> 8);
	udp[3] = (uint8_t)o.dport;
	udp[4] = (uint8_t)((8 + plen) >> 8);
	udp[5] = (uint8_t)(8 + plen);
	udp[6] = udp[7] = 0;
	memcpy(udp + 8, payload, plen);
	s = csum_add(0, ip + 12, 8) + 17 + (uint32_t)(8 + plen);
	s = csum_fold(csum_add(s, udp, 8 + plen));
	if (s == 0)
		s = 0xffff;
	udp[6] = (uint8_t)(s >> 8);
	udp[7] = (uint8_t)s;
	return 14 + iplen;
}

static void src_addr(unsigned i, uint8_t out[4])
{
	uint32_t a = ((uint32_t)o.src[0] << 24 | (uint32_t)o.src[1] << 16 |
		      (uint32_t)o.src[2] << 8 | o.src[3]) + i;

	out[0] = (uint8_t)(a >> 24);
	out[1] = (uint8_t)(a >> 16);
	out[2] = (uint8_t)(a >> 8);
	out[3] = (uint8_t)a;
}

/* --- flood: genuine initiations through lib/wg's noise and cookie code --- */

static int idx_alloc(void *arg, struct ws_noise_remote *r, uint32_t *idx)
{
	(void)arg;
	(void)r;
	*idx = ws_random_u32();
	return 0;
}
static struct ws_noise_remote *no_remote(void *arg, const uint8_t pub[WS_KEY_LEN])
{
	(void)arg;
	(void)pub;
	return NULL;
}
static struct ws_noise_remote *no_index(void *arg, uint32_t idx)
{
	(void)arg;
	(void)idx;
	return NULL;
}
static void idx_drop(void *arg, uint32_t idx)
{
	(void)arg;
	(void)idx;
}

static struct ws_cookie_maker *makers;   /* one per source: a cookie binds to an address */
/*
 * A cookie reply answers one particular message (its mac1 is the AEAD's
 * associated data), and a source may have sent more since: the last few
 * mac1s of each source are kept and tried in turn.
 */
#define MAC1_HISTORY 16
static uint8_t (*mac1s)[MAC1_HISTORY][WS_COOKIE_LEN];
static unsigned *n_mac1s;

static bool learn_cookie(unsigned s, const struct ws_msg_cookie *c)
{
	struct ws_cookie_maker *m = &makers[s];

	for (unsigned h = 0; h < MAC1_HISTORY && h < n_mac1s[s]; h++) {
		m->have_sent_mac1 = true;
		memcpy(m->last_mac1, mac1s[s][h], WS_COOKIE_LEN);
		if (ws_cookie_maker_consume_reply(m, c, now_ns()) == 0)
			return true;
	}
	return false;
}
static unsigned n_arp, n_cookies, n_mac2;

/* ARP for our sources, cookie replies to them; everything else ignored. */
static void flood_receive(void)
{
	uint8_t f[2048];
	ssize_t len;

	while ((len = recv(o.fd, f, sizeof(f), 0)) > 0) {
		uint32_t base = (uint32_t)o.src[0] << 24 | (uint32_t)o.src[1] << 16 |
				(uint32_t)o.src[2] << 8 | o.src[3], a;

		if (len >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[20] == 0 && f[21] == 1) {
			a = (uint32_t)f[38] << 24 | (uint32_t)f[39] << 16 | (uint32_t)f[40] << 8 | f[41];
			if (a - base >= o.nsrc)
				continue;
			uint8_t r[42];

			memcpy(r, f + 6, 6);
			memcpy(r + 6, o.smac, 6);
			memcpy(r + 12, f + 12, 8);
			r[20] = 0;
			r[21] = 2;   /* reply */
			memcpy(r + 22, o.smac, 6);
			memcpy(r + 28, f + 38, 4);
			memcpy(r + 32, f + 22, 10);
			send(o.fd, r, sizeof(r), 0);
			n_arp++;
			continue;
		}
		if (len >= 14 + 20 + 8 + WS_MSG_COOKIE_LEN && f[12] == 0x08 && f[13] == 0x00 &&
		    f[14] == 0x45 && f[23] == 17 && f[42] == WS_MSG_COOKIE) {
			a = (uint32_t)f[30] << 24 | (uint32_t)f[31] << 16 | (uint32_t)f[32] << 8 | f[33];
			if (a - base >= o.nsrc)
				continue;
			struct ws_msg_cookie c;

			memcpy(&c, f + 42, sizeof(c));
			if (learn_cookie(a - base, &c))
				n_cookies++;
		}
	}
}

static void mode_flood(void)
{
	static const struct ws_noise_upcalls up = {
		.remote_get = no_remote, .index_alloc = idx_alloc,
		.index_lookup = no_index, .index_drop = idx_drop,
	};
	struct ws_noise_local local;
	struct ws_noise_remote remote;
	uint8_t priv[WS_KEY_LEN], frame[MAX_FRAME], src[4];
	struct ws_msg_initiation *msgs;
	uint64_t t0;
	unsigned i = 0, s;

	if (o.nsrc == 0 || o.nsrc > MAX_SRC)
		usage();
	makers = calloc(o.nsrc, sizeof(*makers));
	mac1s = calloc(o.nsrc, sizeof(*mac1s));
	n_mac1s = calloc(o.nsrc, sizeof(*n_mac1s));
	if (makers == NULL || mac1s == NULL || n_mac1s == NULL)
		die("calloc");
	for (s = 0; s < o.nsrc; s++)
		ws_cookie_maker_init(&makers[s], o.resp_pub);
	/* A stranger's static key: the responder learns who it is only after a DH. */
	ws_x25519_generate(priv);
	if (ws_noise_local_init(&local, &up) != 0 || ws_noise_local_set_private(&local, priv) != 0 ||
	    ws_noise_remote_init(&remote, &local, o.resp_pub, NULL) != 0) {
		fprintf(stderr, "wsinject: noise set-up failed\n");
		exit(1);
	}
	msgs = calloc(o.count, sizeof(*msgs));
	if (msgs == NULL)
		die("calloc");
	for (i = 0; i < o.count; i++) {
		struct timespec wall;

		clock_gettime(CLOCK_REALTIME, &wall);
		if (ws_noise_create_initiation(&remote, &msgs[i], &wall) != 0) {
			fprintf(stderr, "wsinject: create_initiation failed\n");
			exit(1);
		}
	}
	t0 = now_ns();
	i = 0;
	while (i < o.count) {
		s = i % o.nsrc;
		/* A source with a cookie sends a burst: mac2 valid, so the rate limiter decides. */
		unsigned k, n = makers[s].cookie_valid ? o.burst : 1;

		for (k = 0; k < n && i < o.count; k++, i++) {
			struct ws_msg_initiation msg = msgs[i];

			pace(t0, i);
			ws_cookie_maker_add_macs(&makers[s], &msg, sizeof(msg), now_ns());
			memcpy(mac1s[s][n_mac1s[s]++ % MAC1_HISTORY], msg.macs.mac1, WS_COOKIE_LEN);
			if (!ws_is_zero(msg.macs.mac2, WS_COOKIE_LEN))
				n_mac2++;
			src_addr(s, src);
			send_frame(frame, build_udp(frame, src, (uint16_t)(1024 + s % 60000), &msg,
						    sizeof(msg)));
			flood_receive();
		}
	}
	/* Late cookie replies are counted too. */
	for (int w = 0; w < 20; w++) {
		usleep(10000);
		flood_receive();
	}
	printf("wsinject: flood sent %u failed %u sources %u seconds %.2f arp_replies %u "
	       "cookies %u with_mac2 %u\n", n_sent, n_send_fail, o.nsrc,
	       (double)(now_ns() - t0) / 1e9, n_arp, n_cookies, n_mac2);
	free(msgs);
	free(makers);
	free(mac1s);
	free(n_mac1s);
	ws_noise_remote_destroy(&remote);
	ws_noise_local_destroy(&local);
}

/* --- lowinit: an initiation whose ephemeral has small order --- */

static const uint8_t low_order[][WS_KEY_LEN] = {
	{ 0 },                                                       /* 0 */
	{ 1 },                                                       /* 1 */
	{ 0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f,
	  0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16,
	  0x5f, 0x49, 0xb8, 0x00 },                                  /* order 8 */
	{ 0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83,
	  0xef, 0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd,
	  0xd0, 0x9f, 0x11, 0x57 },                                  /* order 8 */
	{ 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0x7f },                                  /* p - 1 */
	{ 0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0x7f },                                  /* p */
	{ 0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0x7f },                                  /* p + 1 */
};

static void mix_hash(uint8_t h[WS_HASH_LEN], const void *in, size_t len)
{
	struct ws_blake2s_ctx c;

	ws_blake2s_init(&c, WS_HASH_LEN, NULL, 0);
	ws_blake2s_update(&c, h, WS_HASH_LEN);
	ws_blake2s_update(&c, in, len);
	ws_blake2s_final(&c, h, WS_HASH_LEN);
}

static void read_key(const char *path, uint8_t key[WS_KEY_LEN])
{
	char b64[128] = "";
	FILE *f = fopen(path, "r");

	if (f == NULL || fgets(b64, sizeof(b64), f) == NULL)
		die(path);
	fclose(f);
	b64[strcspn(b64, "\r\n")] = 0;
	if (ws_key_from_base64(key, b64) != 0) {
		fprintf(stderr, "wsinject: %s: not a key\n", path);
		exit(1);
	}
}

/*
 * The initiator's side of Noise_IK written out, with es taken as what a
 * responder that skipped the small-order check would compute: all zeros.
 */
static void mode_lowinit(void)
{
	static const char construction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
	static const char identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";
	uint8_t spriv[WS_KEY_LEN], spub[WS_KEY_LEN], ss[WS_KEY_LEN], zero[WS_KEY_LEN] = { 0 };
	uint8_t frame[MAX_FRAME];
	struct ws_cookie_maker maker;
	unsigned p;

	if (o.keyfile == NULL)
		usage();
	read_key(o.keyfile, spriv);
	if (ws_x25519_public(spub, spriv) != 0 || ws_x25519(ss, spriv, o.resp_pub) != 0)
		die("static key");
	ws_cookie_maker_init(&maker, o.resp_pub);
	for (p = 0; p < sizeof(low_order) / sizeof(low_order[0]); p++) {
		struct ws_msg_initiation m;
		uint8_t ck[WS_HASH_LEN], h[WS_HASH_LEN], key[WS_KEY_LEN], ts[WS_TAI64N_LEN];
		struct timespec wall;

		memset(&m, 0, sizeof(m));
		m.header.type = WS_MSG_INITIATION;
		m.sender_index = htole32(ws_random_u32());
		ws_blake2s(ck, WS_HASH_LEN, construction, strlen(construction), NULL, 0);
		memcpy(h, ck, WS_HASH_LEN);
		mix_hash(h, identifier, strlen(identifier));
		mix_hash(h, o.resp_pub, WS_KEY_LEN);
		memcpy(m.unencrypted_ephemeral, low_order[p], WS_KEY_LEN);
		ws_kdf(ck, NULL, NULL, ck, m.unencrypted_ephemeral, WS_KEY_LEN);
		mix_hash(h, m.unencrypted_ephemeral, WS_KEY_LEN);
		ws_kdf(ck, key, NULL, ck, zero, WS_KEY_LEN);           /* es = 0 */
		ws_aead_encrypt(m.encrypted_static, spub, WS_KEY_LEN, h, WS_HASH_LEN, 0, key);
		mix_hash(h, m.encrypted_static, sizeof(m.encrypted_static));
		ws_kdf(ck, key, NULL, ck, ss, WS_KEY_LEN);
		clock_gettime(CLOCK_REALTIME, &wall);
		wall.tv_sec += (time_t)p;       /* each newer than the last */
		ws_tai64n(ts, &wall);
		ws_aead_encrypt(m.encrypted_timestamp, ts, WS_TAI64N_LEN, h, WS_HASH_LEN, 0, key);
		ws_cookie_maker_add_macs(&maker, &m, sizeof(m), now_ns());
		send_frame(frame, build_udp(frame, o.src, o.sport, &m, sizeof(m)));
		usleep(30000);   /* past the 20 ms flood guard of a real peer */
	}
	printf("wsinject: lowinit sent %u failed %u\n", n_sent, n_send_fail);
}

/* --- response: forged type-2 messages to a pending handshake --- */

static void mode_response(void)
{
	uint8_t f[2048], frame[MAX_FRAME];
	struct ws_cookie_maker maker;
	uint32_t idx = 0;
	uint64_t deadline = now_ns() + 30 * WS_NSEC_PER_SEC;
	ssize_t len;
	unsigned i;

	ws_cookie_maker_init(&maker, o.resp_pub);
	printf("wsinject: waiting\n");
	fflush(stdout);
	while (idx == 0) {
		struct pollfd pfd = { o.fd, POLLIN, 0 };

		if (now_ns() > deadline) {
			fprintf(stderr, "wsinject: no initiation seen\n");
			exit(1);
		}
		poll(&pfd, 1, 100);
		while ((len = recv(o.fd, f, sizeof(f), 0)) > 0) {
			/* From -D to -s: the responder of -k initiates to the peer at -s. */
			if (len >= 42 + WS_MSG_INITIATION_LEN && f[12] == 0x08 && f[13] == 0x00 &&
			    f[14] == 0x45 && f[23] == 17 && memcmp(f + 26, o.dst, 4) == 0 &&
			    memcmp(f + 30, o.src, 4) == 0 && f[42] == WS_MSG_INITIATION) {
				memcpy(&idx, f + 46, 4);   /* little-endian, kept as on the wire */
				break;
			}
		}
	}
	for (i = 0; i < o.count; i++) {
		struct ws_msg_response r;

		ws_random(&r, sizeof(r));
		r.header.type = WS_MSG_RESPONSE;
		memset(r.header.reserved, 0, sizeof(r.header.reserved));
		r.receiver_index = idx;
		ws_cookie_maker_add_macs(&maker, &r, sizeof(r), now_ns());
		send_frame(frame, build_udp(frame, o.src, o.sport, &r, sizeof(r)));
	}
	printf("wsinject: response sent %u failed %u index %u\n", n_sent, n_send_fail,
	       le32toh(idx));
}

/* --- garbage: every frame must end in one of the gateway's drop reasons --- */

static void mode_garbage(void)
{
	uint8_t f[MAX_FRAME], payload[MAX_FRAME];
	unsigned i, kinds[8] = { 0 };
	uint64_t t0 = now_ns();

	for (i = 0; i < o.count; i++) {
		unsigned kind = o.kind >= 0 ? (unsigned)o.kind : ws_random_uniform(8);
		size_t len, n;
		uint32_t rcv;

		pace(t0, i);
		kinds[kind]++;
		switch (kind) {
		case 0:   /* random bytes behind our MACs, an IP or random ethertype */
			len = 14 + ws_random_uniform(MAX_FRAME - 14 + 1);
			ws_random(f, len);
			memcpy(f, o.dmac, 6);
			memcpy(f + 6, o.smac, 6);
			if (ws_random_uniform(2) == 0) {
				f[12] = 0x08;
				f[13] = 0x00;
				f[14] = 0x45;   /* looks like IPv4; the checksum will not hold */
			}
			break;
		case 1:   /* a valid data message, truncated anywhere */
			n = 32 + ws_random_uniform(64);
			ws_random(payload, n);
			payload[0] = WS_MSG_DATA;
			memset(payload + 1, 0, 3);
			len = build_udp(f, o.src, o.sport, payload, n);
			len = ws_random_uniform((uint32_t)len);
			if (len < 14)
				len = 14;
			memcpy(f, o.dmac, 6);
			break;
		case 2:   /* IPv4 total length wrong */
			n = 16 + ws_random_uniform(200);
			ws_random(payload, n);
			len = build_udp(f, o.src, o.sport, payload, n);
			f[16] = (uint8_t)(f[16] + 1 + ws_random_uniform(200));
			{   /* a correct checksum over the wrong length */
				uint16_t s;

				f[24] = f[25] = 0;
				s = csum_fold(csum_add(0, f + 14, 20));
				f[24] = (uint8_t)(s >> 8);
				f[25] = (uint8_t)s;
			}
			break;
		case 3:   /* IPv4 header checksum bad */
			n = 16 + ws_random_uniform(200);
			ws_random(payload, n);
			len = build_udp(f, o.src, o.sport, payload, n);
			f[25] ^= (uint8_t)(1 + ws_random_uniform(255));
			break;
		case 4:   /* UDP checksum bad */
			n = 32 + ws_random_uniform(200);
			ws_random(payload, n);
			payload[0] = WS_MSG_DATA;
			memset(payload + 1, 0, 3);
			len = build_udp(f, o.src, o.sport, payload, n);
			f[41] ^= (uint8_t)(1 + ws_random_uniform(255));
			break;
		case 5:   /* UDP length disagrees with IP */
			n = 32 + ws_random_uniform(200);
			ws_random(payload, n);
			len = build_udp(f, o.src, o.sport, payload, n);
			f[39] = (uint8_t)(f[39] + 1 + ws_random_uniform(100));
			break;
		case 6:   /* data message, random receiver index, random length */
			n = 32 + ws_random_uniform(1400);
			ws_random(payload, n);
			payload[0] = WS_MSG_DATA;
			memset(payload + 1, 0, 3);
			rcv = ws_random_u32();
			memcpy(payload + 4, &rcv, 4);
			len = build_udp(f, o.src, o.sport, payload, n);
			break;
		default:  /* oversized: more than the 1420-byte tunnel MTU, up to a full frame */
			n = 1421 + ws_random_uniform(1500 - 20 - 8 - 1421 + 1);
			ws_random(payload, n);
			payload[0] = WS_MSG_DATA;
			memset(payload + 1, 0, 3);
			len = build_udp(f, o.src, o.sport, payload, n);
			break;
		}
		send_frame(f, len);
	}
	printf("wsinject: garbage sent %u failed %u random %u truncated %u iplen %u ipcsum %u "
	       "udpcsum %u udplen %u data %u oversized %u\n", n_sent, n_send_fail, kinds[0],
	       kinds[1], kinds[2], kinds[3], kinds[4], kinds[5], kinds[6], kinds[7]);
}

/* --- pcap: replay a capture frame by frame --- */

static void mode_pcap(void)
{
	FILE *fp = fopen(o.file, "rb");
	uint32_t gh[6], rh[4];
	uint8_t f[65536];
	unsigned wg_data = 0;

	if (fp == NULL)
		die(o.file);
	if (fread(gh, sizeof(gh), 1, fp) != 1 || (gh[0] != 0xa1b2c3d4 && gh[0] != 0xa1b23c4d) ||
	    gh[5] != 1) {
		fprintf(stderr, "wsinject: %s: not a little-endian Ethernet pcap\n", o.file);
		exit(1);
	}
	while (fread(rh, sizeof(rh), 1, fp) == 1) {
		if (rh[2] > sizeof(f) || fread(f, rh[2], 1, fp) != 1)
			break;
		if (rh[2] >= 43 && f[12] == 0x08 && f[13] == 0x00 && f[23] == 17 &&
		    f[42] == WS_MSG_DATA)
			wg_data++;
		send_frame(f, rh[2]);
		usleep(1000);
	}
	fclose(fp);
	printf("wsinject: pcap sent %u failed %u wg_data %u\n", n_sent, n_send_fail, wg_data);
}

static void parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		usage();
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
}

int main(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "i:M:D:s:P:S:c:n:r:R:b:g:k:K:t:")) != -1) {
		switch (c) {
		case 'i': o.ifname = optarg; break;
		case 'M': parse_mac(optarg, o.dmac); break;
		case 'D': if (inet_pton(AF_INET, optarg, o.dst) != 1) usage(); break;
		case 's': if (inet_pton(AF_INET, optarg, o.src) != 1) usage(); break;
		case 'P': o.dport = (uint16_t)atoi(optarg); break;
		case 'S': o.sport = (uint16_t)atoi(optarg); break;
		case 'c': o.count = (unsigned)atoi(optarg); break;
		case 'n': o.nsrc = (unsigned)atoi(optarg); break;
		case 'r': o.rate = (unsigned)atoi(optarg); break;
		case 't': o.kind = atoi(optarg) % 8; break;
		case 'R': o.peak = (unsigned)atoi(optarg); break;
		case 'b': o.burst = (unsigned)atoi(optarg); break;
		case 'g': o.group = (unsigned)atoi(optarg); if (o.group == 0) usage(); break;
		case 'k': if (ws_key_from_base64(o.resp_pub, optarg) != 0) usage(); break;
		case 'K': o.keyfile = optarg; break;
		default: usage();
		}
	}
	if (optind >= argc || o.ifname == NULL)
		usage();
	o.mode = argv[optind];
	if (ws_crypto_init() != 0) {
		fprintf(stderr, "wsinject: crypto init failed\n");
		return 1;
	}
	open_socket();
	if (strcmp(o.mode, "flood") == 0)
		mode_flood();
	else if (strcmp(o.mode, "lowinit") == 0)
		mode_lowinit();
	else if (strcmp(o.mode, "response") == 0)
		mode_response();
	else if (strcmp(o.mode, "garbage") == 0)
		mode_garbage();
	else if (strcmp(o.mode, "pcap") == 0 && optind + 1 < argc) {
		o.file = argv[optind + 1];
		mode_pcap();
	} else
		usage();
	close(o.fd);
	return n_send_fail == 0 ? 0 : 1;
}
