/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * TAI64N timestamps for handshake initiations. The responder only checks
 * that each initiation from a peer carries a larger timestamp than the
 * last, so what matters is a monotone, coarse, big-endian encoding that
 * agrees with the other implementations a peer's key may have lived on.
 */
#include "ws_crypto.h"

enum {
	/*
	 * TAI64 labels count from 2^62, and TAI ran 10 s ahead of UTC at the
	 * Unix epoch (cr.yp.to/libtai/tai64.html). Leap seconds since are
	 * ignored, exactly as the Linux module and wireguard-go do.
	 */
	TAI64_EPOCH_OFFSET = 10,
	/*
	 * Largest power of two not above 1 s / 50, the most initiations a
	 * peer sends per second: consecutive initiations still get distinct
	 * timestamps while the clock is not leaked to the nanosecond.
	 */
	TAI64N_NSEC_GRAIN = 1 << 24,
};

static inline void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

void ws_tai64n(uint8_t out[WS_TAI64N_LEN], const struct timespec *realtime)
{
	uint64_t secs = (UINT64_C(1) << 62) + TAI64_EPOCH_OFFSET + (uint64_t)realtime->tv_sec;
	uint32_t nsec = (uint32_t)realtime->tv_nsec & ~(uint32_t)(TAI64N_NSEC_GRAIN - 1);

	put_be64(out, secs);
	put_be32(out + 8, nsec);
}
