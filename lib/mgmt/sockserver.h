/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small Unix stream socket server for the management thread: one
 * listening socket, many clients, each with a bounded input buffer and a
 * bounded output queue, driven one iteration at a time by its owner.
 * Framing and request handling are callbacks, so newline-delimited
 * JSON-RPC and the WireGuard UAPI (requests end with an empty line) share
 * it.
 *
 * No DPDK: plain epoll and pthread-safe libc. One thread owns a server and
 * calls everything but ws_sockserver_wake, which any thread may call.
 *
 * Invariants: a slow client costs only its own buffers. Its input is
 * capped at max_request (oversized: error reply, then close); replies it
 * leaves unread may pile up to max_output (past it the client is
 * dropped), so a client that never reads cannot stall the loop or grow
 * memory without bound.
 */
#ifndef WS_SOCKSERVER_H
#define WS_SOCKSERVER_H

#include <stddef.h>

enum {
	WS_SOCK_DEFAULT_MAX_REQUEST = 1 << 20,
	WS_SOCK_DEFAULT_MAX_OUTPUT = 4 << 20,
	WS_SOCK_DEFAULT_MAX_CLIENTS = 64,
	/* Returned by a handle callback: close once the replies are out. */
	WS_SOCK_CLOSE = 1,
};

struct ws_sockserver;
struct ws_sockconn;

struct ws_sockserver_ops {
	/*
	 * Length of the first complete request in buf[0..len), terminator
	 * included, or 0 while it is incomplete. buf[0..from) was already
	 * seen by an earlier call that found nothing, so a scan may resume
	 * there (mind a terminator that straddles from).
	 */
	size_t (*frame)(const char *buf, size_t len, size_t from);
	/*
	 * One complete request (not NUL-terminated). Queue replies with
	 * ws_sockconn_send. Return 0 to go on, WS_SOCK_CLOSE to close after
	 * the replies are flushed, a negative errno to drop the client now.
	 */
	int (*handle)(void *ctx, struct ws_sockconn *c, const char *req, size_t len);
	/*
	 * The client's request outgrew max_request: queue an error reply
	 * (or nothing); the client is closed once it is flushed. May be NULL.
	 */
	void (*oversized)(void *ctx, struct ws_sockconn *c, size_t max_request);
};

struct ws_sockserver_conf {
	const char *path;               /* socket path; parent directories created 0755 */
	const struct ws_sockserver_ops *ops;
	void *ctx;                      /* passed to the callbacks */
	size_t max_request;             /* 0: WS_SOCK_DEFAULT_MAX_REQUEST */
	size_t max_output;              /* 0: WS_SOCK_DEFAULT_MAX_OUTPUT */
	unsigned max_clients;           /* 0: WS_SOCK_DEFAULT_MAX_CLIENTS; extra ones are closed */
};

/*
 * Binds conf->path with mode 0600. An existing socket there is removed
 * only when nothing accepts on it (a stale one from a dead process);
 * a live one gives EADDRINUSE, a non-socket file EEXIST. Returns NULL
 * and sets errno on failure.
 */
struct ws_sockserver *ws_sockserver_create(const struct ws_sockserver_conf *conf);

/*
 * One iteration: waits up to timeout_ms (-1: forever, 0: not at all) for
 * activity, then accepts, reads, handles and writes what is ready.
 * Returns the number of events handled (a wake-up counts as one; 0 on
 * timeout or an interrupted wait) or a negative errno when the wait
 * itself failed.
 */
int ws_sockserver_run(struct ws_sockserver *s, int timeout_ms);

/* Interrupts a ws_sockserver_run that is waiting. Any thread; async-signal-safe. */
void ws_sockserver_wake(struct ws_sockserver *s);

/*
 * A descriptor that becomes readable when ws_sockserver_run has work, so
 * an owner with several servers can poll them all and run the ready ones
 * with timeout 0.
 */
int ws_sockserver_fd(const struct ws_sockserver *s);

/* Clients currently connected. */
unsigned ws_sockserver_clients(const struct ws_sockserver *s);

/* Closes every client and the socket, and removes the socket file. NULL is a no-op. */
void ws_sockserver_destroy(struct ws_sockserver *s);

/*
 * Queues len bytes for the client; they go out as the socket drains.
 * Returns 0, or -ENOBUFS when unsent data is already queued and the total
 * would pass max_output (one reply alone may be larger): the client is
 * then dropped, and sends to a dropped client return -EPIPE.
 */
int ws_sockconn_send(struct ws_sockconn *c, const void *data, size_t len);

#endif /* WS_SOCKSERVER_H */
