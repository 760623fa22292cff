/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ws_sockserver with a line protocol of its own: "echo X" answers "X",
 * "big N" answers N bytes, "close" answers and closes, "drop" drops the
 * client. The server runs in a thread; the clients are plain blocking
 * sockets with receive timeouts, so a server that stalls fails the test
 * instead of hanging it.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sockserver.h"
#include "test_common.h"

static char tmpdir[64];
static char sock_path[100];

static size_t line_frame(const char *buf, size_t len, size_t from)
{
	const char *nl = memchr(buf + from, '\n', len - from);

	return nl == NULL ? 0 : (size_t)(nl - buf) + 1;
}

static atomic_uint handled;

static int line_handle(void *ctx, struct ws_sockconn *c, const char *req, size_t len)
{
	(void)ctx;
	atomic_fetch_add(&handled, 1);
	if (len >= 5 && memcmp(req, "echo ", 5) == 0)
		return ws_sockconn_send(c, req + 5, len - 5) < 0 ? -1 : 0;
	if (len >= 4 && memcmp(req, "big ", 4) == 0) {
		size_t n = strtoul(req + 4, NULL, 10);
		char *buf = malloc(n + 1);
		memset(buf, 'x', n);
		buf[n] = '\n';
		int ret = ws_sockconn_send(c, buf, n + 1);
		free(buf);
		return ret < 0 ? -1 : 0;
	}
	if (len == 6 && memcmp(req, "close\n", 6) == 0) {
		ws_sockconn_send(c, "bye\n", 4);
		return WS_SOCK_CLOSE;
	}
	if (len == 5 && memcmp(req, "drop\n", 5) == 0)
		return -1;
	ws_sockconn_send(c, "?\n", 2);
	return 0;
}

static void line_oversized(void *ctx, struct ws_sockconn *c, size_t max)
{
	(void)ctx;
	(void)max;
	ws_sockconn_send(c, "too big\n", 8);
}

static const struct ws_sockserver_ops line_ops = {
	.frame = line_frame,
	.handle = line_handle,
	.oversized = line_oversized,
};

struct runner {
	struct ws_sockserver *s;
	pthread_t thread;
	atomic_bool stop;
};

static void *run_thread(void *arg)
{
	struct runner *r = arg;

	while (!atomic_load(&r->stop))
		ws_sockserver_run(r->s, 1000);
	return NULL;
}

static struct ws_sockserver *make_server(size_t max_request, size_t max_output, unsigned max_clients)
{
	struct ws_sockserver_conf conf = {
		.path = sock_path, .ops = &line_ops, .max_request = max_request,
		.max_output = max_output, .max_clients = max_clients,
	};
	return ws_sockserver_create(&conf);
}

static void start(struct runner *r, size_t max_request, size_t max_output, unsigned max_clients)
{
	r->s = make_server(max_request, max_output, max_clients);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->s);
	atomic_store(&r->stop, false);
	pthread_create(&r->thread, NULL, run_thread, r);
}

static void stop(struct runner *r)
{
	atomic_store(&r->stop, true);
	ws_sockserver_wake(r->s);
	pthread_join(r->thread, NULL);
	ws_sockserver_destroy(r->s);
}

static int client(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static bool send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* Reads one line (without the '\n'); returns its length, or -1 on EOF, error or timeout. */
static ssize_t read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	while (n + 1 < cap) {
		ssize_t r = recv(fd, buf + n, 1, 0);
		if (r <= 0)
			return -1;
		if (buf[n] == '\n') {
			buf[n] = '\0';
			return (ssize_t)n;
		}
		n++;
	}
	return -1;
}

/* True when the server closed the connection (EOF or reset) before the timeout. */
static bool closed_by_server(int fd)
{
	char c;

	for (;;) {
		ssize_t r = recv(fd, &c, 1, 0);
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			return true;
		if (r < 0)
			return false;
	}
}

static void test_create_mode_and_unlink(void)
{
	struct stat st;
	struct ws_sockserver *s = make_server(0, 0, 0);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(lstat(sock_path, &st), 0);
	CU_ASSERT_TRUE(S_ISSOCK(st.st_mode));
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	CU_ASSERT_EQUAL(ws_sockserver_clients(s), 0);
	CU_ASSERT_EQUAL(ws_sockserver_run(s, 0), 0);
	ws_sockserver_destroy(s);
	CU_ASSERT_EQUAL(lstat(sock_path, &st), -1);
	CU_ASSERT_EQUAL(errno, ENOENT);
	ws_sockserver_destroy(NULL);
}

static void test_bad_conf(void)
{
	struct ws_sockserver_conf conf = { .path = sock_path };
	char longpath[200];

	CU_ASSERT_PTR_NULL(ws_sockserver_create(&conf));
	CU_ASSERT_EQUAL(errno, EINVAL);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	conf.path = longpath;
	conf.ops = &line_ops;
	CU_ASSERT_PTR_NULL(ws_sockserver_create(&conf));
	CU_ASSERT_EQUAL(errno, ENAMETOOLONG);
}

static void test_stale_live_and_foreign_files(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ws_sockserver *s, *s2;
	int fd;

	/* A socket file nobody listens on: removed and replaced. */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CU_ASSERT_EQUAL_FATAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	s = make_server(0, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);

	/* A live one is left alone. */
	s2 = make_server(0, 0, 0);
	CU_ASSERT_PTR_NULL(s2);
	CU_ASSERT_EQUAL(errno, EADDRINUSE);
	fd = client();
	CU_ASSERT(fd >= 0);
	close(fd);
	ws_sockserver_destroy(s);

	/* Not a socket: refused and untouched. */
	FILE *f = fopen(sock_path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("keep", f);
	fclose(f);
	CU_ASSERT_PTR_NULL(make_server(0, 0, 0));
	CU_ASSERT_EQUAL(errno, EEXIST);
	struct stat st;
	CU_ASSERT_EQUAL(stat(sock_path, &st), 0);
	CU_ASSERT_EQUAL(st.st_size, 4);
	unlink(sock_path);
}

static void test_request_reply_and_framing(void)
{
	struct runner r;
	char line[256];
	int fd;

	start(&r, 0, 0, 0);
	fd = client();
	CU_ASSERT_FATAL(fd >= 0);
	/* Pipelined requests in one write. */
	CU_ASSERT(send_all(fd, "echo a\necho bb\necho ccc\n", 24));
	CU_ASSERT_EQUAL(read_line(fd, line, sizeof(line)), 1);
	CU_ASSERT_STRING_EQUAL(line, "a");
	CU_ASSERT_EQUAL(read_line(fd, line, sizeof(line)), 2);
	CU_ASSERT_EQUAL(read_line(fd, line, sizeof(line)), 3);
	/* One request dribbled in byte by byte, the framing resuming each time. */
	const char *req = "echo split request\n";
	for (size_t i = 0; req[i] != '\0'; i++) {
		CU_ASSERT(send_all(fd, req + i, 1));
		if (i % 4 == 0)
			usleep(1000);
	}
	CU_ASSERT(read_line(fd, line, sizeof(line)) > 0);
	CU_ASSERT_STRING_EQUAL(line, "split request");
	/* A reply far larger than the socket buffer arrives whole. */
	CU_ASSERT(send_all(fd, "big 3000000\n", 12));
	size_t got = 0;
	char buf[65536];
	while (got < 3000001) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	CU_ASSERT_EQUAL(got, 3000001);
	/* Handler-requested close: the reply, then end of stream. */
	CU_ASSERT(send_all(fd, "close\necho never\n", 17));
	CU_ASSERT(read_line(fd, line, sizeof(line)) == 3);
	CU_ASSERT_STRING_EQUAL(line, "bye");
	CU_ASSERT(closed_by_server(fd));
	close(fd);
	/* Handler-requested drop. */
	fd = client();
	CU_ASSERT(send_all(fd, "drop\n", 5));
	CU_ASSERT(closed_by_server(fd));
	close(fd);
	stop(&r);
}

static void test_half_close_still_answered(void)
{
	struct runner r;
	char line[64];
	int fd;

	start(&r, 0, 0, 0);
	fd = client();
	CU_ASSERT(send_all(fd, "echo last\n", 10));
	shutdown(fd, SHUT_WR);
	CU_ASSERT_EQUAL(read_line(fd, line, sizeof(line)), 4);
	CU_ASSERT_STRING_EQUAL(line, "last");
	CU_ASSERT(closed_by_server(fd));
	close(fd);
	stop(&r);
}

static void test_oversized_request(void)
{
	struct runner r;
	char line[64], big[3000];
	int fd;

	start(&r, 1024, 0, 0);
	/* No newline in sight and already past the bound. */
	fd = client();
	memset(big, 'a', sizeof(big));
	CU_ASSERT(send_all(fd, big, sizeof(big)));
	CU_ASSERT(read_line(fd, line, sizeof(line)) > 0);
	CU_ASSERT_STRING_EQUAL(line, "too big");
	CU_ASSERT(closed_by_server(fd));
	close(fd);
	/* A complete line over the bound, after a good request. */
	fd = client();
	memcpy(big, "echo ", 5);
	big[1100] = '\n';
	CU_ASSERT(send_all(fd, "echo ok\n", 8));
	CU_ASSERT(send_all(fd, big, 1101));
	CU_ASSERT(read_line(fd, line, sizeof(line)) == 2);
	CU_ASSERT(read_line(fd, line, sizeof(line)) > 0);
	CU_ASSERT_STRING_EQUAL(line, "too big");
	CU_ASSERT(closed_by_server(fd));
	close(fd);
	/* Exactly at the bound is fine. */
	fd = client();
	memset(big, 'b', 1024);
	memcpy(big, "echo ", 5);
	big[1023] = '\n';
	CU_ASSERT(send_all(fd, big, 1024));
	char reply[2048];
	CU_ASSERT_EQUAL(read_line(fd, reply, sizeof(reply)), 1018);
	close(fd);
	stop(&r);
}

struct worker {
	int id;
	int ok;
};

static void *concurrent_client(void *arg)
{
	struct worker *w = arg;
	char req[64], line[64];
	int fd = client();

	if (fd < 0)
		return NULL;
	for (int i = 0; i < 200; i++) {
		int n = snprintf(req, sizeof(req), "echo %d-%d\n", w->id, i);
		if (!send_all(fd, req, (size_t)n))
			break;
		if (read_line(fd, line, sizeof(line)) < 0)
			break;
		req[n - 1] = '\0';
		if (strcmp(line, req + 5) == 0)
			w->ok++;
	}
	close(fd);
	return NULL;
}

static void test_eight_concurrent_clients(void)
{
	struct runner r;
	pthread_t t[8];
	struct worker w[8];
	int idle;

	start(&r, 0, 0, 0);
	/* One client that connects and never sends sits beside them. */
	idle = client();
	CU_ASSERT(idle >= 0);
	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){ .id = i };
		pthread_create(&t[i], NULL, concurrent_client, &w[i]);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		CU_ASSERT_EQUAL(w[i].ok, 200);
	}
	close(idle);
	stop(&r);
}

static void test_reader_that_never_reads_is_dropped(void)
{
	struct runner r;
	char line[64];
	int stuck, good;
	size_t got = 0;

	start(&r, 0, 256 * 1024, 0);
	stuck = client();
	good = client();
	CU_ASSERT_FATAL(stuck >= 0 && good >= 0);
	/* 200 x 64 KiB of replies asked for and none read: far past the
	 * kernel buffers and the 256 KiB queue. */
	for (int i = 0; i < 200; i++)
		if (!send_all(stuck, "big 65536\n", 10))
			break;
	/* The loop is not stuck behind it. */
	CU_ASSERT(send_all(good, "echo alive\n", 11));
	CU_ASSERT_EQUAL(read_line(good, line, sizeof(line)), 5);
	CU_ASSERT_STRING_EQUAL(line, "alive");
	/* The stuck client was dropped: reading now finds the end of a
	 * stream far shorter than what it asked for. */
	char buf[65536];
	for (;;) {
		ssize_t n = recv(stuck, buf, sizeof(buf), 0);
		if (n <= 0) {
			CU_ASSERT(n == 0 || errno == ECONNRESET);
			break;
		}
		got += (size_t)n;
	}
	CU_ASSERT(got < 200 * 65537);
	CU_ASSERT(got > 0);
	close(stuck);
	close(good);
	stop(&r);
}

static void test_max_clients(void)
{
	struct runner r;
	char line[64];
	int a, b, c;

	start(&r, 0, 0, 2);
	a = client();
	b = client();
	CU_ASSERT(send_all(a, "echo a\n", 7) && read_line(a, line, sizeof(line)) == 1);
	CU_ASSERT(send_all(b, "echo b\n", 7) && read_line(b, line, sizeof(line)) == 1);
	c = client();
	CU_ASSERT(c >= 0);
	CU_ASSERT(closed_by_server(c));
	close(c);
	close(a);
	/* Once a slot frees up, new clients are served again. */
	for (int i = 0; i < 100; i++) {
		c = client();
		if (send_all(c, "echo c\n", 7) && read_line(c, line, sizeof(line)) == 1)
			break;
		close(c);
		c = -1;
		usleep(10000);
	}
	CU_ASSERT(c >= 0);
	close(c);
	close(b);
	stop(&r);
}

static void *wake_later(void *arg)
{
	usleep(50000);
	ws_sockserver_wake(arg);
	return NULL;
}

static void test_wake_and_fd(void)
{
	struct ws_sockserver *s = make_server(0, 0, 0);
	struct pollfd pfd;
	pthread_t t;
	struct timespec t0, t1;
	char line[64];
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_create(&t, NULL, wake_later, s);
	CU_ASSERT(ws_sockserver_run(s, 10000) >= 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(t, NULL);
	CU_ASSERT(t1.tv_sec - t0.tv_sec < 5);

	/* Nested polling: the fd turns readable when a client connects. */
	pfd = (struct pollfd){ .fd = ws_sockserver_fd(s), .events = POLLIN };
	CU_ASSERT_EQUAL(poll(&pfd, 1, 0), 0);
	fd = client();
	CU_ASSERT_EQUAL(poll(&pfd, 1, 1000), 1);
	CU_ASSERT(ws_sockserver_run(s, 0) > 0);
	CU_ASSERT_EQUAL(ws_sockserver_clients(s), 1);
	CU_ASSERT(send_all(fd, "echo x\n", 7));
	for (int i = 0; i < 10 && ws_sockserver_run(s, 100) == 0; i++)
		;
	CU_ASSERT_EQUAL(read_line(fd, line, sizeof(line)), 1);
	close(fd);
	for (int i = 0; i < 10 && ws_sockserver_clients(s) > 0; i++)
		ws_sockserver_run(s, 100);
	CU_ASSERT_EQUAL(ws_sockserver_clients(s), 0);
	ws_sockserver_destroy(s);
}

static int suite_init(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ws_sockserver_XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	/* Parent directories that do not exist yet: the server makes them. */
	snprintf(sock_path, sizeof(sock_path), "%s/run/ws/test.sock", tmpdir);
	return 0;
}

static int suite_cleanup(void)
{
	char p[160];

	unlink(sock_path);
	snprintf(p, sizeof(p), "%s/run/ws", tmpdir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/run", tmpdir);
	rmdir(p);
	return rmdir(tmpdir);
}

int main(void)
{
	static const struct ws_test tests[] = {
		WS_TEST(test_create_mode_and_unlink),
		WS_TEST(test_bad_conf),
		WS_TEST(test_stale_live_and_foreign_files),
		WS_TEST(test_request_reply_and_framing),
		WS_TEST(test_half_close_still_answered),
		WS_TEST(test_oversized_request),
		WS_TEST(test_eight_concurrent_clients),
		WS_TEST(test_reader_that_never_reads_is_dropped),
		WS_TEST(test_max_clients),
		WS_TEST(test_wake_and_fd),
		{ 0 },
	};
	return ws_test_run("sockserver", tests, suite_init, suite_cleanup);
}
