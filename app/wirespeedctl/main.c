/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wirespeedctl: one JSON-RPC call to a running gateway, its result
 * printed for people (or as JSON with --json).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

enum {
	EXIT_UNREACHABLE = 1,   /* no gateway, timeout, garbled reply */
	EXIT_CALL_FAILED = 2,   /* the gateway answered with an error */
	EXIT_USAGE = 64,
	REPLY_MAX = 256 << 20,
};

#define SOCKET_DIR "/run/wirespeed"
#define DEFAULT_NAME "wg0"

static const char usage_text[] =
"usage: wirespeedctl [-s SOCKET | -n NAME] [-j] [-t SECONDS] METHOD [PARAM...]\n"
"       wirespeedctl [-s SOCKET | -n NAME] [-t SECONDS] metrics\n"
"\n"
"Calls METHOD on a running wirespeed gateway over its JSON-RPC socket and\n"
"prints the result: tables for peer.list, key: value lines otherwise.\n"
"\"metrics\" is stats.get with format=prometheus, printed as the gateway\n"
"sends it (Prometheus text exposition format).\n"
"\n"
"  -s, --socket PATH    the socket (default " SOCKET_DIR "/" DEFAULT_NAME ".sock)\n"
"  -n, --name NAME      the socket of interface NAME: " SOCKET_DIR "/NAME.sock\n"
"  -j, --json           print the result (or the error) as JSON\n"
"  -t, --timeout SECS   give up waiting after SECS seconds (default 10)\n"
"  -h, --help           this text\n"
"\n"
"PARAM is one of:\n"
"  key=value    true, false, null, numbers and JSON arrays/objects go as\n"
"               such; a value with commas becomes an array of its parts\n"
"               (allowed_ips=10.2.0.0/24,fd00:2::/64; a trailing comma makes\n"
"               a one-element array); anything else is a string.\n"
"  key:=JSON    the value exactly as JSON (name:='\"0123\"' sends a string).\n"
"A key given more than once collects its values in an array.\n"
"\n"
"Examples:\n"
"  wirespeedctl gateway.info\n"
"  wirespeedctl peer.add public_key=BASE64 allowed_ips=10.2.0.0/24, endpoint=192.0.2.2:51820\n"
"  wirespeedctl --json peer.list\n"
"  wirespeedctl metrics > /var/lib/node_exporter/wirespeed.prom\n"
"\n"
"Exit status: 0 success, 1 gateway unreachable (not running, timeout, bad\n"
"reply), 2 the call returned an error, 64 bad usage.\n";

static const char *prog = "wirespeedctl";

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fail("socket path too long: %s", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fail("socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	if (errno == ENOENT)
		fail("gateway not running? no socket at %s", path);
	else if (errno == ECONNREFUSED)
		fail("gateway not running? nothing listens on %s", path);
	else if (errno == EACCES)
		fail("permission denied on %s (the socket is for root)", path);
	else
		fail("cannot connect to %s: %s", path, strerror(errno));
	close(fd);
	return -1;
}

/* Waits for fd until the deadline; false on timeout. */
static bool wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return false;
		int n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return true;
		if (n < 0 && errno != EINTR)
			return true;    /* let the read or write report it */
	}
}

/* Sends line and reads one reply line; NULL (message printed) on failure. */
static char *call(const char *path, const char *line, size_t len, int timeout_s)
{
	int64_t deadline = now_ms() + (int64_t)timeout_s * 1000;
	size_t off = 0, cap = 65536;
	char *buf = NULL;
	int fd = connect_socket(path);

	if (fd < 0)
		return NULL;
	while (off < len) {
		if (!wait_fd(fd, POLLOUT, deadline))
			goto timeout;
		ssize_t n = send(fd, line + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			fail("sending to %s: %s", path, strerror(errno));
			goto err;
		}
		off += n > 0 ? (size_t)n : 0;
	}
	buf = malloc(cap);
	if (buf == NULL)
		goto err;
	for (off = 0;;) {
		if (!wait_fd(fd, POLLIN, deadline))
			goto timeout;
		if (off + 1 == cap) {
			char *g = cap < REPLY_MAX ? realloc(buf, cap * 2) : NULL;
			if (g == NULL) {
				fail("reply from %s too large", path);
				goto err;
			}
			buf = g;
			cap *= 2;
		}
		ssize_t n = recv(fd, buf + off, cap - off - 1, MSG_DONTWAIT);
		if (n == 0) {
			fail("the gateway closed the connection without a reply");
			goto err;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			fail("reading from %s: %s", path, strerror(errno));
			goto err;
		}
		char *nl = memchr(buf + off, '\n', (size_t)n);
		off += (size_t)n;
		if (nl != NULL) {
			*nl = '\0';
			close(fd);
			return buf;
		}
	}
timeout:
	fail("no reply from %s within %d s", path, timeout_s);
err:
	free(buf);
	close(fd);
	return NULL;
}

static int print_error(json_t *error, const char *method, bool as_json)
{
	json_t *msg = json_object_get(error, "message"), *data = json_object_get(error, "data");

	if (as_json) {
		json_dumpf(error, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	}
	fail("%s failed: %s (code %" JSON_INTEGER_FORMAT ")", method,
	     json_is_string(msg) ? json_string_value(msg) : "no message",
	     json_integer_value(json_object_get(error, "code")));
	if (data != NULL && !as_json) {
		char *s = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
		if (s != NULL)
			fprintf(stderr, "  data: %s\n", s);
		free(s);
	}
	return EXIT_CALL_FAILED;
}

static int print_metrics(json_t *result)
{
	json_t *text = json_is_object(result) ? json_object_get(result, "text") : result;
	const char *s;

	if (!json_is_string(text)) {
		fail("stats.get did not return Prometheus text");
		return EXIT_UNREACHABLE;
	}
	s = json_string_value(text);
	fputs(s, stdout);
	if (s[0] != '\0' && s[strlen(s) - 1] != '\n')
		fputc('\n', stdout);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char path[108], err[256], *reply, *end;
	const char *socket_path = NULL, *method;
	bool as_json = false, metrics;
	long timeout = 10;
	json_t *params, *req, *rep, *result, *error;
	int opt, ret;

	snprintf(path, sizeof(path), SOCKET_DIR "/" DEFAULT_NAME ".sock");
	while ((opt = getopt_long(argc, argv, "+s:n:jt:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			socket_path = optarg;
			break;
		case 'n':
			if (optarg[0] == '\0' || strchr(optarg, '/') != NULL ||
			    (size_t)snprintf(path, sizeof(path), SOCKET_DIR "/%s.sock", optarg) >= sizeof(path)) {
				fail("bad interface name '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j':
			as_json = true;
			break;
		case 't':
			timeout = strtol(optarg, &end, 10);
			if (*end != '\0' || timeout < 1 || timeout > 86400) {
				fail("timeout must be 1..86400 seconds");
				return EXIT_USAGE;
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (socket_path == NULL)
		socket_path = path;
	method = argv[optind++];
	metrics = strcmp(method, "metrics") == 0;
	if (metrics && optind < argc) {
		fail("metrics takes no parameters");
		return EXIT_USAGE;
	}
	params = metrics ? json_pack("{s:s}", "format", "prometheus")
			 : ws_ctl_params(argv + optind, argc - optind, err, sizeof(err));
	if (params == NULL) {
		fail("%s", err);
		return EXIT_USAGE;
	}
	if (metrics)
		method = "stats.get";
	req = json_pack("{s:s, s:i, s:s}", "jsonrpc", "2.0", "id", 1, "method", method);
	if (json_object_size(params) > 0)
		json_object_set(req, "params", params);
	json_decref(params);
	char *line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (line == NULL) {
		fail("out of memory");
		return EXIT_UNREACHABLE;
	}
	size_t len = strlen(line);
	line[len] = '\n';       /* the NUL's slot: len + 1 bytes go out, no NUL */
	reply = call(socket_path, line, len + 1, (int)timeout);
	free(line);
	if (reply == NULL)
		return EXIT_UNREACHABLE;

	json_error_t jerr;
	rep = json_loads(reply, 0, &jerr);
	free(reply);
	if (!json_is_object(rep)) {
		fail("the gateway sent something that is not a JSON-RPC reply");
		json_decref(rep);
		return EXIT_UNREACHABLE;
	}
	result = json_object_get(rep, "result");
	error = json_object_get(rep, "error");
	if (json_is_object(error))
		ret = print_error(error, metrics ? "metrics" : method, as_json);
	else if (result == NULL) {
		fail("the gateway's reply has neither result nor error");
		ret = EXIT_UNREACHABLE;
	} else if (metrics && !as_json) {
		ret = print_metrics(result);
	} else if (as_json) {
		json_dumpf(result, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
		fputc('\n', stdout);
		ret = 0;
	} else {
		ws_ctl_print(stdout, method, result);
		ret = 0;
	}
	json_decref(rep);
	if (fflush(stdout) != 0 && ret == 0)
		ret = EXIT_UNREACHABLE;
	return ret;
}
