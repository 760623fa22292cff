/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "secmem.h"
#include "ws_crypto.h"

int ws_secmem_no_dump(char *warn, size_t warnlen)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0)
		return 0;
	snprintf(warn, warnlen, "PR_SET_DUMPABLE: %s: a core dump may hold the keys",
		 strerror(errno));
	return 1;
}

static void memlock_limit(char *lim, size_t len, struct rlimit *rl)
{
	if (getrlimit(RLIMIT_MEMLOCK, rl) != 0) {
		rl->rlim_cur = 0;
		snprintf(lim, len, "unknown");
	} else if (rl->rlim_cur == RLIM_INFINITY) {
		snprintf(lim, len, "unlimited");
	} else {
		snprintf(lim, len, "%llu bytes", (unsigned long long)rl->rlim_cur);
	}
}

int ws_secmem_lock(char *warn, size_t warnlen)
{
	char lim[32];
	struct rlimit rl;
	int e;

	memlock_limit(lim, sizeof(lim), &rl);
	if (mlockall(MCL_CURRENT) != 0) {
		e = errno;
		munlockall();
		snprintf(warn, warnlen, "mlockall: %s (RLIMIT_MEMLOCK %s): memory not locked, "
			 "keys may be swapped out; raise the limit (ulimit -l, systemd "
			 "LimitMEMLOCK=) or grant CAP_IPC_LOCK", strerror(e), lim);
		return 1;
	}
	/*
	 * With a finite limit and no CAP_IPC_LOCK, MCL_FUTURE would make every
	 * later mmap (a thread stack, a heap arena) fail once the limit is
	 * reached: lock what holds the keys now, not what comes later.
	 */
	if (rl.rlim_cur != RLIM_INFINITY && geteuid() != 0) {
		snprintf(warn, warnlen, "mlockall: current memory locked, later allocations "
			 "not (RLIMIT_MEMLOCK %s, not root)", lim);
		return 1;
	}
	if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
		snprintf(warn, warnlen, "mlockall(MCL_FUTURE): %s: later allocations not locked",
			 strerror(errno));
		return 1;
	}
	return 0;
}

static __thread unsigned long alloc_failures;

unsigned long ws_secmem_alloc_failures(void)
{
	return alloc_failures;
}

void ws_secmem_note_failure(void)
{
	alloc_failures++;
}

void *ws_secmem_malloc(size_t size)
{
	void *p = malloc(size);

	if (p == NULL)
		alloc_failures++;
	return p;
}

void ws_secmem_free(void *p)
{
	if (p == NULL)
		return;
	ws_memzero(p, malloc_usable_size(p));
	free(p);
}
