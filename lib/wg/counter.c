/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Replay window in the manner of RFC 6479: a ring of words where moving
 * forward clears whole words instead of shifting bits. The ring keeps
 * one word more than the window, so the word being refilled at the top
 * never holds bits the window still needs.
 */
#include <string.h>

#include "counter.h"

_Static_assert(WS_COUNTER_REDUNDANT_BITS == WS_COUNTER_WORD_BITS,
	       "the never-usable part of the ring is exactly one word");
_Static_assert((WS_COUNTER_RING_WORDS & (WS_COUNTER_RING_WORDS - 1)) == 0,
	       "ring size is a power of two");
_Static_assert(sizeof(((struct ws_counter *)0)->backtrack) * 8 == WS_COUNTER_BITS_TOTAL,
	       "backtrack holds the whole ring");

void ws_counter_init(struct ws_counter *c)
{
	memset(c, 0, sizeof(*c));
}

bool ws_counter_validate(struct ws_counter *c, uint64_t their_counter)
{
	uint64_t n, word;
	unsigned long *slot, bit;

	/*
	 * The limit also keeps n below UINT64_MAX - WS_COUNTER_WINDOW_SIZE,
	 * so neither the increment nor the window sum below can wrap.
	 */
	if (their_counter >= WS_REJECT_AFTER_MESSAGES)
		return false;

	/*
	 * Count from one so that c->counter == 0 means "nothing yet" and
	 * counter 0 is still accepted once.
	 */
	n = their_counter + 1;
	if (n + WS_COUNTER_WINDOW_SIZE < c->counter)
		return false;

	word = n / WS_COUNTER_WORD_BITS;
	if (n > c->counter) {
		uint64_t top = c->counter / WS_COUNTER_WORD_BITS;
		uint64_t fresh = word - top;

		/* Words entering the window may hold bits from a lap ago. */
		if (fresh > WS_COUNTER_RING_WORDS)
			fresh = WS_COUNTER_RING_WORDS;
		for (uint64_t i = 1; i <= fresh; i++)
			c->backtrack[(top + i) & (WS_COUNTER_RING_WORDS - 1)] = 0;
		c->counter = n;
	}

	slot = &c->backtrack[word & (WS_COUNTER_RING_WORDS - 1)];
	bit = 1UL << (n & (WS_COUNTER_WORD_BITS - 1));
	if (*slot & bit)
		return false;
	*slot |= bit;
	return true;
}
