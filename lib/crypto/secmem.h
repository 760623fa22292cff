/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Keeping secrets out of places they outlive the process in: core dumps,
 * swap, and heap memory handed back unwiped (docs/security.md).
 */
#ifndef WS_SECMEM_H
#define WS_SECMEM_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Marks the process non-dumpable: no core file, and no ptrace or
 * /proc/<pid>/mem by an unprivileged user (root's debugger still
 * attaches). Returns 0, or 1 with the reason in warn.
 */
int ws_secmem_no_dump(char *warn, size_t warnlen);

/*
 * Locks every mapped page in RAM (mlockall), and future ones too when
 * that cannot make later allocations fail (no limit, or root). Never
 * fails the caller: returns 0, or 1 with what was not done in warn.
 */
int ws_secmem_lock(char *warn, size_t warnlen);

/*
 * malloc/free for libraries that copy secrets into their own heap blocks
 * (jansson: json_set_alloc_funcs): the free wipes the whole block first.
 */
void *ws_secmem_malloc(size_t size);
void ws_secmem_free(void *p);

/*
 * Failed ws_secmem_malloc calls on this thread so far. jansson 2.14 can
 * parse on past a failed allocation and return a damaged value (a string
 * with a character doubled) instead of an error, so a parser compares
 * the count around json_loadb. An allocator layered over these (fault
 * injection in tests) reports its own failures with
 * ws_secmem_note_failure.
 */
unsigned long ws_secmem_alloc_failures(void);
void ws_secmem_note_failure(void);

#endif /* WS_SECMEM_H */
