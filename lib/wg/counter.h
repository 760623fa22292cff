/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The receive replay window: a ring of WS_COUNTER_BITS_TOTAL bits of which
 * one word is never usable, so WS_COUNTER_WINDOW_SIZE counters behind the
 * highest one seen are still accepted once each. Used by one thread at a
 * time (the reorder stage, which sees a keypair's packets in order).
 */
#ifndef WS_COUNTER_H
#define WS_COUNTER_H

#include <stdbool.h>
#include <stdint.h>

#include "messages.h"

#define WS_COUNTER_WORD_BITS (8 * sizeof(unsigned long))
#define WS_COUNTER_RING_WORDS (WS_COUNTER_BITS_TOTAL / WS_COUNTER_WORD_BITS)

struct ws_counter {
	uint64_t counter;       /* one past the highest counter accepted */
	unsigned long backtrack[WS_COUNTER_RING_WORDS];
};

void ws_counter_init(struct ws_counter *c);

/*
 * Accept and record their_counter, or refuse it: a replay, older than the
 * window, or at or past WS_REJECT_AFTER_MESSAGES. Call only after the
 * packet's tag verified, so forged counters cannot move the window.
 */
bool ws_counter_validate(struct ws_counter *c, uint64_t their_counter);

/*
 * Start loading the part of c that validating their_counter reads (with
 * many peers the window is rarely in cache). A hint only: any value is safe.
 */
static inline void ws_counter_prefetch(const struct ws_counter *c, uint64_t their_counter)
{
	__builtin_prefetch(&c->counter);
	__builtin_prefetch(&c->backtrack[((their_counter + 1) / WS_COUNTER_WORD_BITS) &
					 (WS_COUNTER_RING_WORDS - 1)]);
}

#endif /* WS_COUNTER_H */
