/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sockserver.h"

enum {
	READ_CHUNK = 64 * 1024,
	/* Buffers larger than this are released when they drain. */
	KEEP_BUFFER = 64 * 1024,
	MAX_EVENTS = 64,
	ACCEPTS_PER_RUN = 64,
	LISTEN_BACKLOG = 64,
	SOCKET_MODE = 0600,
	DIR_MODE = 0755,
};

struct ws_sockconn {
	struct ws_sockserver *srv;
	int fd;
	uint32_t events;                /* epoll interest currently registered */
	bool closing;                   /* no more input; close once out drains */
	bool dead;                      /* fd closed; freed at the end of the run */
	char *in;
	size_t in_len, in_cap;
	size_t in_scan;                 /* in[0..in_scan) holds no complete request */
	char *out;
	size_t out_off, out_len, out_cap;
	struct ws_sockconn *next, *prev;
};

struct ws_sockserver {
	struct ws_sockserver_ops ops;
	void *ctx;
	size_t max_request, max_output;
	unsigned max_clients, n_clients;
	int listen_fd, epoll_fd, wake_fd;
	dev_t sock_dev;
	ino_t sock_ino;
	struct ws_sockconn *live;
	struct ws_sockconn *dead;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static int mkdir_parents(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(dir, DIR_MODE) < 0 && errno != EEXIST)
			return -errno;
		*p = c;
		if (c == '\0')
			break;
	}
	return 0;
}

/* True unless connecting proves nobody listens there any more. */
static bool socket_in_use(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	bool used = true;

	if (fd < 0)
		return true;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 &&
	    (errno == ECONNREFUSED || errno == ENOENT))
		used = false;
	close(fd);
	return used;
}

static int bind_socket(struct ws_sockserver *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;

	memcpy(sa.sun_path, s->path, sizeof(s->path));
	/* On Linux the socket file takes the socket inode's mode at bind, so
	 * it never exists with a wider mode; chmod below covers the rest. */
	(void)fchmod(s->listen_fd, SOCKET_MODE);
	if (bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EADDRINUSE)
			return -errno;
		if (lstat(s->path, &st) < 0)
			return -errno;
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		if (socket_in_use(&sa))
			return -EADDRINUSE;
		if (unlink(s->path) < 0 && errno != ENOENT)
			return -errno;
		if (bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return -errno;
	}
	if (lstat(s->path, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	if ((st.st_mode & 07777) != SOCKET_MODE && chmod(s->path, SOCKET_MODE) < 0) {
		int ret = -errno;
		unlink(s->path);
		return ret;
	}
	s->sock_dev = st.st_dev;
	s->sock_ino = st.st_ino;
	return 0;
}

static int epoll_add(int epfd, int fd, uint32_t events, void *ptr)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

struct ws_sockserver *ws_sockserver_create(const struct ws_sockserver_conf *conf)
{
	struct ws_sockserver *s;
	int ret;

	if (conf == NULL || conf->path == NULL || conf->ops == NULL ||
	    conf->ops->frame == NULL || conf->ops->handle == NULL ||
	    conf->path[0] == '\0') {
		errno = EINVAL;
		return NULL;
	}
	if (strlen(conf->path) >= sizeof(s->path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->ops = *conf->ops;
	s->ctx = conf->ctx;
	s->max_request = conf->max_request ? conf->max_request : WS_SOCK_DEFAULT_MAX_REQUEST;
	s->max_output = conf->max_output ? conf->max_output : WS_SOCK_DEFAULT_MAX_OUTPUT;
	s->max_clients = conf->max_clients ? conf->max_clients : WS_SOCK_DEFAULT_MAX_CLIENTS;
	snprintf(s->path, sizeof(s->path), "%s", conf->path);
	s->listen_fd = s->epoll_fd = s->wake_fd = -1;

	ret = mkdir_parents(s->path);
	if (ret < 0)
		goto err;
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0) {
		ret = -errno;
		goto err;
	}
	ret = bind_socket(s);
	if (ret < 0)
		goto err_fds;
	if (listen(s->listen_fd, LISTEN_BACKLOG) < 0) {
		ret = -errno;
		goto err_bound;
	}
	s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->epoll_fd < 0 || s->wake_fd < 0) {
		ret = -errno;
		goto err_bound;
	}
	/* The listener is tagged NULL and the wake-up fd with s itself. */
	ret = epoll_add(s->epoll_fd, s->listen_fd, EPOLLIN, NULL);
	if (ret == 0)
		ret = epoll_add(s->epoll_fd, s->wake_fd, EPOLLIN, s);
	if (ret < 0)
		goto err_bound;
	return s;

err_bound:
	unlink(s->path);
err_fds:
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	if (s->epoll_fd >= 0)
		close(s->epoll_fd);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
err:
	free(s);
	errno = -ret;
	return NULL;
}

static void conn_update(struct ws_sockconn *c)
{
	uint32_t want = (c->closing ? 0 : EPOLLIN) | (c->out_len > c->out_off ? EPOLLOUT : 0);
	struct epoll_event ev = { .events = want, .data.ptr = c };

	if (c->dead || want == c->events)
		return;
	if (epoll_ctl(c->srv->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = want;
}

static void conn_drop(struct ws_sockconn *c)
{
	struct ws_sockserver *s = c->srv;

	if (c->dead)
		return;
	c->dead = true;
	epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->live = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	/* Events of this iteration may still point at c: free it later. */
	c->prev = NULL;
	c->next = s->dead;
	s->dead = c;
	s->n_clients--;
}

/* Requests and replies may carry keys: buffers are wiped before they are
 * reused or released. */
static bool buf_grow(char **p, size_t used, size_t *cap, size_t want)
{
	char *g = malloc(want);

	if (g == NULL)
		return false;
	if (used > 0)
		memcpy(g, *p, used);
	if (*p != NULL) {
		explicit_bzero(*p, *cap);
		free(*p);
	}
	*p = g;
	*cap = want;
	return true;
}

static void buf_release(char **p, size_t *cap)
{
	if (*p != NULL)
		explicit_bzero(*p, *cap);
	free(*p);
	*p = NULL;
	*cap = 0;
}

static void conn_free(struct ws_sockconn *c)
{
	buf_release(&c->in, &c->in_cap);
	buf_release(&c->out, &c->out_cap);
	free(c);
}

/* Writes what the socket takes now. */
static void conn_write(struct ws_sockconn *c)
{
	while (!c->dead && c->out_len > c->out_off) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_drop(c);
			break;
		}
		c->out_off += (size_t)n;
	}
}

static void conn_flush(struct ws_sockconn *c)
{
	conn_write(c);
	if (c->dead)
		return;
	if (c->out_off == c->out_len) {
		if (c->out_cap > KEEP_BUFFER)
			buf_release(&c->out, &c->out_cap);
		else if (c->out != NULL)
			explicit_bzero(c->out, c->out_len);
		c->out_off = c->out_len = 0;
		if (c->closing) {
			conn_drop(c);
			return;
		}
	}
	conn_update(c);
}

int ws_sockconn_send(struct ws_sockconn *c, const void *data, size_t len)
{
	size_t pending;

	if (c->dead)
		return -EPIPE;
	pending = c->out_len - c->out_off;
	/* An empty queue takes a reply of any size: the bound is on replies
	 * piling up unread, not on how big one answer may be. */
	if (pending > 0 && pending + len > c->srv->max_output) {
		conn_drop(c);
		return -ENOBUFS;
	}
	if (c->out_cap - c->out_len < len) {
		if (c->out_off > 0) {
			memmove(c->out, c->out + c->out_off, pending);
			explicit_bzero(c->out + pending, c->out_len - pending);
			c->out_len = pending;
			c->out_off = 0;
		}
		if (c->out_cap - c->out_len < len) {
			size_t cap = c->out_cap ? c->out_cap : 4096;
			while (cap - c->out_len < len)
				cap *= 2;
			if (!buf_grow(&c->out, c->out_len, &c->out_cap, cap)) {
				conn_drop(c);
				return -ENOMEM;
			}
		}
	}
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
	conn_update(c);
	return 0;
}

static void conn_stop_input(struct ws_sockconn *c)
{
	c->closing = true;
	c->in_len = c->in_scan = 0;
	buf_release(&c->in, &c->in_cap);
}

static void conn_oversized(struct ws_sockconn *c)
{
	struct ws_sockserver *s = c->srv;

	conn_stop_input(c);
	if (s->ops.oversized != NULL)
		s->ops.oversized(s->ctx, c, s->max_request);
}

static void conn_process(struct ws_sockconn *c)
{
	struct ws_sockserver *s = c->srv;
	size_t off = 0, scan = c->in_scan;

	while (!c->dead && !c->closing && off < c->in_len) {
		size_t n = s->ops.frame(c->in + off, c->in_len - off, scan);
		if (n == 0) {
			scan = c->in_len - off;
			break;
		}
		if (n > s->max_request || n > c->in_len - off) {
			conn_oversized(c);
			return;
		}
		int ret = s->ops.handle(s->ctx, c, c->in + off, n);
		off += n;
		scan = 0;
		/* Replies leave as they are made, so pipelined requests do not
		 * pile them all up in the queue first. */
		conn_write(c);
		if (ret < 0)
			conn_drop(c);
		else if (ret == WS_SOCK_CLOSE)
			conn_stop_input(c);
	}
	if (c->dead || c->closing)
		return;
	if (off > 0) {
		memmove(c->in, c->in + off, c->in_len - off);
		explicit_bzero(c->in + c->in_len - off, off);
		c->in_len -= off;
	}
	c->in_scan = c->in_len == 0 ? 0 : scan;
	if (c->in_len > s->max_request)
		conn_oversized(c);
	else if (c->in_len == 0 && c->in_cap > KEEP_BUFFER)
		buf_release(&c->in, &c->in_cap);
}

static void conn_read(struct ws_sockconn *c)
{
	struct ws_sockserver *s = c->srv;
	/* One byte past the bound is enough to tell a request is too big. */
	size_t limit = s->max_request + 1;
	size_t want = c->in_len + READ_CHUNK < limit ? c->in_len + READ_CHUNK : limit;
	ssize_t n;

	if (c->closing) {
		/* Input is no longer wanted; a hang-up means the replies cannot
		 * be delivered either. */
		conn_drop(c);
		return;
	}
	if (c->in_cap < want) {
		size_t cap = c->in_cap ? c->in_cap : 4096;
		while (cap < want)
			cap *= 2;
		if (cap > limit)
			cap = limit;
		if (!buf_grow(&c->in, c->in_len, &c->in_cap, cap)) {
			conn_drop(c);
			return;
		}
	}
	n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_drop(c);
		return;
	}
	if (n == 0) {
		/* Half-closed: the replies already queued still go out. */
		conn_stop_input(c);
		conn_flush(c);
		return;
	}
	c->in_len += (size_t)n;
	conn_process(c);
	conn_flush(c);
}

static void accept_clients(struct ws_sockserver *s)
{
	for (int i = 0; i < ACCEPTS_PER_RUN; i++) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		if (s->n_clients >= s->max_clients) {
			close(fd);
			continue;
		}
		struct ws_sockconn *c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			return;
		}
		c->srv = s;
		c->fd = fd;
		c->events = EPOLLIN;
		if (epoll_add(s->epoll_fd, fd, EPOLLIN, c) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = s->live;
		if (s->live != NULL)
			s->live->prev = c;
		s->live = c;
		s->n_clients++;
	}
}

static void reap(struct ws_sockserver *s)
{
	while (s->dead != NULL) {
		struct ws_sockconn *c = s->dead;
		s->dead = c->next;
		conn_free(c);
	}
}

int ws_sockserver_run(struct ws_sockserver *s, int timeout_ms)
{
	struct epoll_event ev[MAX_EVENTS];
	int n = epoll_wait(s->epoll_fd, ev, MAX_EVENTS, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		void *tag = ev[i].data.ptr;
		if (tag == NULL) {
			accept_clients(s);
		} else if (tag == s) {
			uint64_t v;
			while (read(s->wake_fd, &v, sizeof(v)) == (ssize_t)sizeof(v))
				;
		} else {
			struct ws_sockconn *c = tag;
			if (c->dead)
				continue;
			if (ev[i].events & EPOLLERR) {
				conn_drop(c);
				continue;
			}
			if (ev[i].events & (EPOLLIN | EPOLLHUP))
				conn_read(c);
			if (!c->dead && (ev[i].events & EPOLLOUT))
				conn_flush(c);
		}
	}
	reap(s);
	return n;
}

void ws_sockserver_wake(struct ws_sockserver *s)
{
	uint64_t one = 1;

	(void)!write(s->wake_fd, &one, sizeof(one));
}

int ws_sockserver_fd(const struct ws_sockserver *s)
{
	return s->epoll_fd;
}

unsigned ws_sockserver_clients(const struct ws_sockserver *s)
{
	return s->n_clients;
}

void ws_sockserver_destroy(struct ws_sockserver *s)
{
	struct stat st;

	if (s == NULL)
		return;
	while (s->live != NULL)
		conn_drop(s->live);
	reap(s);
	/* Remove the file only while it is still ours: a newer instance may
	 * have replaced a socket it found stale. */
	if (lstat(s->path, &st) == 0 && st.st_dev == s->sock_dev && st.st_ino == s->sock_ino)
		unlink(s->path);
	close(s->listen_fd);
	close(s->epoll_fd);
	close(s->wake_fd);
	free(s);
}
