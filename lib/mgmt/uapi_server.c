/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The configuration protocol on its socket: framing, one request at a
 * time through the gateway's ops, and the errno replies wg(8) reads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockserver.h"
#include "uapi.h"

size_t ws_uapi_frame(const char *buf, size_t len, size_t from)
{
	size_t i;

	/* A request ends at its first empty line; an empty first line is a
	 * (bad) request of its own. */
	if (len > 0 && buf[0] == '\n')
		return 1;
	/* from - 1: the first '\n' of the pair may sit before from. */
	for (i = from > 0 ? from - 1 : 0; i < len;) {
		const char *nl = memchr(buf + i, '\n', len - i);
		if (nl == NULL)
			return 0;
		i = (size_t)(nl - buf) + 1;
		if (i < len && buf[i] == '\n')
			return i + 1;
	}
	return 0;
}

static int errno_reply(int value, char **reply, size_t *reply_len)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "errno=%d\n\n", value);

	*reply = malloc((size_t)n);
	if (*reply == NULL)
		return -ENOMEM;
	memcpy(*reply, buf, (size_t)n);
	*reply_len = (size_t)n;
	return 0;
}

static void report(const struct ws_uapi_ops *ops, int err, unsigned line, const char *why)
{
	if (ops->error != NULL)
		ops->error(ops->dev, err, line, why);
}

static int handle_get(const struct ws_uapi_ops *ops, size_t len, char **reply, size_t *reply_len)
{
	struct ws_uapi_device dev;
	int ret;

	if (len != sizeof("get=1\n\n") - 1) {
		report(ops, -EINVAL, 2, "get=1 takes no keys");
		return errno_reply(EINVAL, reply, reply_len);
	}
	memset(&dev, 0, sizeof(dev));
	ret = ops->get(ops->dev, &dev);
	if (ret == 0)
		ret = ws_uapi_format_get(&dev, reply, reply_len);
	ws_uapi_device_free(&dev);
	if (ret == 0)
		return 0;
	report(ops, ret, 0, "get failed");
	/* wg(8) parses a get reply's errno as digits only. */
	return errno_reply(-ret, reply, reply_len);
}

static int handle_set(const struct ws_uapi_ops *ops, const char *req, size_t len,
		      char **reply, size_t *reply_len)
{
	struct ws_uapi_set set;
	const char *why = NULL;
	unsigned line = 0;
	int ret = ws_uapi_parse_set(req, len, &set, &line, &why);

	if (ret == 0) {
		ret = ops->set(ops->dev, &set);
		ws_uapi_set_free(&set);
		if (ret < 0)
			why = "set failed";
	}
	if (ret < 0)
		report(ops, ret, line, why);
	/* wg(8) reads a set reply with fscanf("%d") and negates it. */
	return errno_reply(ret < 0 ? ret : 0, reply, reply_len);
}

int ws_uapi_handle(const struct ws_uapi_ops *ops, const char *req, size_t len,
		   char **reply, size_t *reply_len)
{
	*reply = NULL;
	*reply_len = 0;
	if (len >= 6 && memcmp(req, "get=1\n", 6) == 0)
		return handle_get(ops, len, reply, reply_len);
	if (len >= 6 && memcmp(req, "set=1\n", 6) == 0)
		return handle_set(ops, req, len, reply, reply_len);
	report(ops, -EPROTO, 1, "not a get=1 or set=1 request");
	return WS_SOCK_CLOSE;
}

int ws_uapi_socket_path(char *buf, size_t len, const char *name)
{
	size_t n = strlen(name);

	/* The kernel's rule for interface names, which wg(8) shares. */
	if (n == 0 || n >= WS_UAPI_NAME_MAX || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0 || strpbrk(name, "/: \t\n\r\v\f") != NULL)
		return -EINVAL;
	n = (size_t)snprintf(buf, len, "/var/run/wireguard/%s.sock", name);
	return n < len ? 0 : -ENOSPC;
}

static int uapi_handle(void *ctx, struct ws_sockconn *c, const char *req, size_t len)
{
	char *reply = NULL;
	size_t n = 0;
	int ret = ws_uapi_handle(ctx, req, len, &reply, &n);

	if (reply != NULL) {
		if (ws_sockconn_send(c, reply, n) < 0)
			ret = -ENOBUFS;
		ws_memzero(reply, n);
		free(reply);
	}
	return ret;
}

static void uapi_oversized(void *ctx, struct ws_sockconn *c, size_t max_request)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "errno=%d\n\n", -EMSGSIZE);

	(void)max_request;
	report(ctx, -EMSGSIZE, 0, "request too large");
	ws_sockconn_send(c, buf, (size_t)n);
}

static const struct ws_sockserver_ops uapi_sock_ops = {
	.frame = ws_uapi_frame,
	.handle = uapi_handle,
	.oversized = uapi_oversized,
};

struct ws_sockserver *ws_uapi_listen(const char *path, const struct ws_uapi_ops *ops,
				     size_t max_request)
{
	struct ws_sockserver_conf conf = {
		.path = path,
		.ops = &uapi_sock_ops,
		.ctx = (void *)(uintptr_t)ops,
		.max_request = max_request ? max_request : WS_UAPI_DEFAULT_MAX_REQUEST,
	};

	if (ops == NULL || ops->get == NULL || ops->set == NULL) {
		errno = EINVAL;
		return NULL;
	}
	return ws_sockserver_create(&conf);
}
