/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * WireGuard wire formats and protocol limits. Multi-byte integers on the
 * wire are little-endian; the structs are packed so that sizeof() is the
 * size on the wire and a received buffer can be read through them.
 */
#ifndef WS_MESSAGES_H
#define WS_MESSAGES_H

#include <stdint.h>

#include "ws_crypto.h"

enum ws_message_type {
	WS_MSG_INVALID = 0,
	WS_MSG_INITIATION = 1,
	WS_MSG_RESPONSE = 2,
	WS_MSG_COOKIE = 3,
	WS_MSG_DATA = 4,
};

enum ws_sizes {
	WS_COOKIE_LEN = 16,              /* a cookie and a mac are 16 bytes */
	WS_NOISE_PUBLIC_KEY_LEN = WS_KEY_LEN,
	WS_NOISE_SYMMETRIC_KEY_LEN = WS_KEY_LEN,
	WS_NOISE_TIMESTAMP_LEN = WS_TAI64N_LEN,
	WS_NOISE_AUTHTAG_LEN = WS_AEAD_TAG_LEN,
	WS_NOISE_HASH_LEN = WS_HASH_LEN,
	WS_MSG_PADDING_MULTIPLE = 16,
	WS_MSG_INITIATION_LEN = 148,
	WS_MSG_RESPONSE_LEN = 92,
	WS_MSG_COOKIE_LEN = 64,
	WS_MSG_DATA_HEADER_LEN = 16,
	WS_MSG_DATA_MIN_LEN = WS_MSG_DATA_HEADER_LEN + WS_NOISE_AUTHTAG_LEN, /* keepalive */
};

/* Times in nanoseconds of a monotonic clock (the caller's, injected). */
#define WS_NSEC_PER_SEC 1000000000ULL
/* 120 by the protocol; a test build (meson -Drekey_after=N) shortens it. */
#ifndef WS_REKEY_AFTER_TIME_SECS
#define WS_REKEY_AFTER_TIME_SECS 120
#endif
enum ws_timer_secs {
	WS_REKEY_AFTER_TIME = WS_REKEY_AFTER_TIME_SECS,
	WS_REJECT_AFTER_TIME = 180,
	WS_REKEY_ATTEMPT_TIME = 90,
	WS_REKEY_TIMEOUT = 5,
	WS_KEEPALIVE_TIMEOUT = 10,
	WS_COOKIE_SECRET_MAX_AGE = 120,
	WS_COOKIE_SECRET_LATENCY = 5,
	WS_KEY_ZERO_AFTER_TIME = 3 * WS_REJECT_AFTER_TIME,
};
enum ws_timer_msecs {
	WS_REKEY_TIMEOUT_JITTER_MAX_MS = 334, /* jitter drawn from [0, 333] ms */
	WS_HANDSHAKE_MIN_INTERVAL_MS = 20,    /* at most 50 initiations/s per peer */
};

/* Message counts; too large for an enum. */
#define WS_REKEY_AFTER_MESSAGES (1ULL << 60)
#define WS_REJECT_AFTER_MESSAGES (UINT64_MAX - (1ULL << 13))   /* 2^64 - 2^13 - 1 */

enum ws_limits {
	WS_COUNTER_BITS_TOTAL = 8192,
	WS_COUNTER_REDUNDANT_BITS = 64,       /* one word of the ring is never usable */
	WS_COUNTER_WINDOW_SIZE = WS_COUNTER_BITS_TOTAL - WS_COUNTER_REDUNDANT_BITS,
	WS_MAX_STAGED_PACKETS = 128,
	WS_MAX_QUEUED_HANDSHAKES = 4096,
	WS_UNDER_LOAD_DIVISOR = 8,            /* under load past 1/8 of the queue */
	WS_UNDER_LOAD_HOLD_SECS = 1,
	WS_INITIATIONS_PER_SECOND = 20,       /* per source address */
	WS_INITIATIONS_BURSTABLE = 5,
	WS_MAX_PEERS = 1 << 20,
	WS_MAX_ALLOWEDIPS_PER_PEER = 1 << 16,
};

struct ws_msg_header {
	uint8_t type;
	uint8_t reserved[3];
} __attribute__((packed));

struct ws_msg_macs {
	uint8_t mac1[WS_COOKIE_LEN];
	uint8_t mac2[WS_COOKIE_LEN];
} __attribute__((packed));

struct ws_msg_initiation {
	struct ws_msg_header header;
	uint32_t sender_index;
	uint8_t unencrypted_ephemeral[WS_NOISE_PUBLIC_KEY_LEN];
	uint8_t encrypted_static[WS_NOISE_PUBLIC_KEY_LEN + WS_NOISE_AUTHTAG_LEN];
	uint8_t encrypted_timestamp[WS_NOISE_TIMESTAMP_LEN + WS_NOISE_AUTHTAG_LEN];
	struct ws_msg_macs macs;
} __attribute__((packed));

struct ws_msg_response {
	struct ws_msg_header header;
	uint32_t sender_index;
	uint32_t receiver_index;
	uint8_t unencrypted_ephemeral[WS_NOISE_PUBLIC_KEY_LEN];
	uint8_t encrypted_nothing[WS_NOISE_AUTHTAG_LEN];
	struct ws_msg_macs macs;
} __attribute__((packed));

struct ws_msg_cookie {
	struct ws_msg_header header;
	uint32_t receiver_index;
	uint8_t nonce[WS_XNONCE_LEN];
	uint8_t encrypted_cookie[WS_COOKIE_LEN + WS_NOISE_AUTHTAG_LEN];
} __attribute__((packed));

struct ws_msg_data {
	struct ws_msg_header header;
	uint32_t receiver_index;
	uint64_t counter;
	uint8_t encrypted_data[];
} __attribute__((packed));

_Static_assert(sizeof(struct ws_msg_initiation) == WS_MSG_INITIATION_LEN, "initiation");
_Static_assert(sizeof(struct ws_msg_response) == WS_MSG_RESPONSE_LEN, "response");
_Static_assert(sizeof(struct ws_msg_cookie) == WS_MSG_COOKIE_LEN, "cookie");
_Static_assert(sizeof(struct ws_msg_data) == WS_MSG_DATA_HEADER_LEN, "data");

/* Encrypted length of a data payload of len bytes (padded to 16, plus tag). */
static inline uint32_t ws_msg_data_padded_len(uint32_t len)
{
	return (len + WS_MSG_PADDING_MULTIPLE - 1) & ~(uint32_t)(WS_MSG_PADDING_MULTIPLE - 1);
}

#endif /* WS_MESSAGES_H */
