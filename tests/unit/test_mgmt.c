/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The management module (lib/dataplane/mgmt*.c):
 * - docs/jsonrpc.md and the JSON-RPC method table agree: every method the
 *   server registers (ws_rpc_methods_list) has a "### name" heading there,
 *   and every such heading names a registered method. The source tree is
 *   found through WS_SRC_ROOT (meson sets it).
 * - The request path to the control lcore, with a test thread in
 *   control's place serving requests through ws_mgmt_serve: each
 *   application error the path can give (-32003 timeout, -32005 busy in
 *   both forms, -32004 shutting down, -32010 failed with its errno,
 *   -32603 out of memory) reached on purpose, the control side recovering
 *   from a stall, and every jansson allocation failing in turn during a
 *   peer.list answered with -32603 or nothing, never a crash or a leak.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#define WS_TEST_WITH_EAL
#include "mgmt_priv.h"
#include "secmem.h"
#include "test_common.h"

enum { NAMES_MAX = 64, NAME_LEN = 64, LINE_LEN = 512 };

static char doc[NAMES_MAX][NAME_LEN];
static size_t n_doc;

static void read_doc(void)
{
	const char *root = getenv("WS_SRC_ROOT");
	char path[4096], line[LINE_LEN];
	FILE *f;

	snprintf(path, sizeof(path), "%s/docs/jsonrpc.md", root != NULL ? root : ".");
	f = fopen(path, "r");
	if (f == NULL)
		printf("\n  cannot open %s (set WS_SRC_ROOT)\n", path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	n_doc = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *name = line + 4;

		if (strncmp(line, "### ", 4) != 0)
			continue;
		name[strcspn(name, " \t\r\n")] = '\0';
		CU_ASSERT_FATAL(n_doc < NAMES_MAX);
		snprintf(doc[n_doc++], NAME_LEN, "%.63s", name);
	}
	fclose(f);
}

static bool in(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, list[i]) == 0)
			return true;
	return false;
}

static void test_methods_documented(void)
{
	struct ws_gw_mgmt m;
	const char *names[NAMES_MAX], *docp[NAMES_MAX];
	size_t n;

	memset(&m, 0, sizeof(m));
	m.rpc = ws_rpc_create(&m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m.rpc);
	CU_ASSERT_EQUAL_FATAL(ws_mgmt_rpc_register(&m), 0);
	n = ws_rpc_methods_list(m.rpc, names, NAMES_MAX);
	CU_ASSERT_FATAL(n > 0 && n <= NAMES_MAX);
	read_doc();
	for (size_t i = 0; i < n_doc; i++)
		docp[i] = doc[i];
	for (size_t i = 0; i < n; i++) {
		if (!in(names[i], docp, n_doc))
			printf("\n  method %s has no \"### %s\" in docs/jsonrpc.md", names[i], names[i]);
		CU_ASSERT(in(names[i], docp, n_doc));
	}
	for (size_t i = 0; i < n_doc; i++) {
		if (!in(doc[i], names, n))
			printf("\n  docs/jsonrpc.md documents %s, which the server does not register",
			       doc[i]);
		CU_ASSERT(in(doc[i], names, n));
	}
	/* The list, so that a method dropped from both still fails. */
	static const char *const required[] = {
		"gateway.info", "interface.get", "interface.set", "peer.add", "peer.set",
		"peer.remove", "peer.get", "peer.list", "stats.get", "key.generate",
		"gateway.shutdown",
	};
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		CU_ASSERT(in(required[i], names, n));
	ws_rpc_destroy(m.rpc);
}

/* The request path with a stand-in for the control lcore. */
static struct ws_gw fake_gw;
static struct ws_gw_mgmt fake;
static pthread_t control_tid;
static volatile bool control_quit, control_paused;
static int fake_result;         /* what the stand-in answers: 0 or -errno */

enum { FAKE_PEERS = 3, FAKE_RING = 8 };

static void fake_exec(void *ctx, struct ws_mgmt_req *r)
{
	(void)ctx;
	r->result = fake_result;
	if (r->result != 0 || r->op != WS_MGMT_PEER_LIST)
		return;
	r->peers = calloc(FAKE_PEERS, sizeof(*r->peers));
	if (r->peers == NULL) {
		r->result = -ENOMEM;
		return;
	}
	for (unsigned i = 0; i < FAKE_PEERS; i++) {
		struct ws_mgmt_peer *p = &r->peers[i];

		p->id = i;
		memset(p->public_key, 0x11 * (int)(i + 1), WS_KEY_LEN);
		p->allowed_ips = calloc(1, sizeof(*p->allowed_ips));
		if (p->allowed_ips != NULL) {
			p->allowed_ips->family = WS_AF_INET;
			p->allowed_ips->len = 24;
			p->allowed_ips->addr[0] = 10;
			p->allowed_ips->addr[2] = (uint8_t)i;
			p->n_allowed_ips = p->cap_allowed_ips = 1;
		}
		p->rx_bytes = 1000 * i;
	}
	r->n_peers = FAKE_PEERS;
	r->list_next = UINT32_MAX;
}

static void *control_thread(void *arg)
{
	(void)arg;
	while (!control_quit) {
		if (!control_paused)
			ws_mgmt_serve(&fake, fake_exec, NULL, WS_MGMT_PER_POLL);
		usleep(100);
	}
	return NULL;
}

static int path_init(void)
{
	static struct ws_config cfg = { .name = "wstest" };
	char name[RTE_RING_NAMESIZE];

	if (ws_test_eal_init() != 0)
		return -1;
	fake_gw.cfg = &cfg;
	fake_gw.lcores[0].roles = WS_ROLE_RX | WS_ROLE_WORKER | WS_ROLE_TX;
	fake_gw.lcores[1].roles = WS_ROLE_CONTROL | WS_ROLE_HANDSHAKE;
	fake.gw = &fake_gw;
	fake.version = "test";
	fake.timeout_ms = 200;
	snprintf(name, sizeof(name), "wstest_mgmt_%d", (int)getpid());
	fake.ring = rte_ring_create(name, FAKE_RING, SOCKET_ID_ANY, RING_F_SC_DEQ);
	fake.rpc = ws_rpc_create(&fake);
	if (fake.ring == NULL || fake.rpc == NULL || ws_mgmt_rpc_register(&fake) != 0)
		return -1;
	return pthread_create(&control_tid, NULL, control_thread, NULL) == 0 ? 0 : -1;
}

static int path_cleanup(void)
{
	struct ws_mgmt_req *r;

	control_quit = true;
	pthread_join(control_tid, NULL);
	while (rte_ring_dequeue(fake.ring, (void **)&r) == 0)
		ws_mgmt_req_free(r);
	ws_rpc_destroy(fake.rpc);
	rte_ring_free(fake.ring);
	return ws_test_eal_cleanup();
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The reply to one request line, parsed; NULL when none came. */
static json_t *rpc(const char *line)
{
	size_t n = 0;
	char *out = ws_rpc_dispatch(fake.rpc, line, strlen(line), &n);
	json_t *reply;

	if (out == NULL)
		return NULL;
	reply = json_loadb(out, n, 0, NULL);
	free(out);
	return reply;
}

static int error_code(json_t *reply)
{
	json_t *code = json_object_get(json_object_get(reply, "error"), "code");

	return json_is_integer(code) ? (int)json_integer_value(code) : 0;
}

static const char *error_message(json_t *reply)
{
	const char *m = json_string_value(json_object_get(json_object_get(reply, "error"),
							  "message"));

	return m != NULL ? m : "";
}

static const char LIST[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"peer.list\"}";
static const char REMOVE[] = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"peer.remove\","
			     "\"params\":{\"public_key\":"
			     "\"ERERERERERERERERERERERERERERERERERERERERERE=\"}}";

static void test_served(void)
{
	json_t *r;

	fake_result = 0;
	r = rpc(LIST);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(json_object_get(r, "result"), "peers")),
			FAKE_PEERS);
	json_decref(r);
}

static void test_failed_with_errno(void)
{
	json_t *r, *data;

	fake_result = -EIO;
	r = rpc(REMOVE);
	data = json_object_get(json_object_get(r, "error"), "data");
	CU_ASSERT_EQUAL(error_code(r), -32010);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(data, "errno")), EIO);
	json_decref(r);
	/* Each errno the path knows has its own code. */
	fake_result = -ENOENT;
	r = rpc(REMOVE);
	CU_ASSERT_EQUAL(error_code(r), -32001);
	json_decref(r);
	fake_result = -ENOSPC;
	r = rpc(REMOVE);
	CU_ASSERT_EQUAL(error_code(r), -32002);
	json_decref(r);
	fake_result = -ENOMEM;
	r = rpc(REMOVE);
	CU_ASSERT_EQUAL(error_code(r), -32603);
	json_decref(r);
	fake_result = 0;
}

/* Control stops taking requests: -32003 once, then -32005 at once until it moves again. */
static void test_stalled_control(void)
{
	double t0;
	json_t *r;

	control_paused = true;
	t0 = now_s();
	r = rpc(LIST);
	CU_ASSERT_EQUAL(error_code(r), -32003);
	CU_ASSERT(now_s() - t0 >= fake.timeout_ms / 1000.0);
	json_decref(r);
	CU_ASSERT_EQUAL(__atomic_load_n(&fake.stalled, __ATOMIC_ACQUIRE), 1);

	t0 = now_s();
	r = rpc(REMOVE);
	CU_ASSERT_EQUAL(error_code(r), -32005);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_message(r), "earlier request"));
	CU_ASSERT(now_s() - t0 < fake.timeout_ms / 1000.0);
	json_decref(r);
	/* The abandoned request is control's to free when it takes it. */
	CU_ASSERT_EQUAL(rte_ring_count(fake.ring), 1);

	control_paused = false;
	for (int i = 0; i < 1000 && __atomic_load_n(&fake.stalled, __ATOMIC_ACQUIRE) != 0; i++)
		usleep(1000);
	CU_ASSERT_EQUAL(__atomic_load_n(&fake.stalled, __ATOMIC_ACQUIRE), 0);
	r = rpc(LIST);
	CU_ASSERT_PTR_NOT_NULL(json_object_get(r, "result"));
	json_decref(r);
}

/* The queue itself full (requests from other threads piled up). */
static void test_queue_full(void)
{
	struct ws_mgmt_req *q[FAKE_RING];
	unsigned n = 0;
	json_t *r;

	control_paused = true;
	usleep(2000);
	while (n < FAKE_RING) {
		q[n] = ws_mgmt_req_new(WS_MGMT_PEER_GET);
		CU_ASSERT_PTR_NOT_NULL_FATAL(q[n]);
		if (rte_ring_enqueue(fake.ring, q[n]) != 0) {
			ws_mgmt_req_free(q[n]);
			break;
		}
		n++;
	}
	r = rpc(LIST);
	CU_ASSERT_EQUAL(error_code(r), -32005);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_message(r), "queued"));
	json_decref(r);
	for (unsigned i = 0; i < n; i++) {
		struct ws_mgmt_req *x = NULL;

		CU_ASSERT_EQUAL(rte_ring_dequeue(fake.ring, (void **)&x), 0);
		ws_mgmt_req_free(x);
	}
	control_paused = false;
}

static void *set_stop_later(void *arg)
{
	(void)arg;
	usleep(50 * 1000);
	__atomic_store_n(&fake_gw.stop, true, __ATOMIC_RELEASE);
	return NULL;
}

/* Shutting down: a waiter is released at once, and nothing new is queued. */
static void test_shutting_down(void)
{
	pthread_t t;
	double t0;
	json_t *r;

	control_paused = true;
	fake.timeout_ms = 5000;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, set_stop_later, NULL), 0);
	t0 = now_s();
	r = rpc(LIST);
	CU_ASSERT_EQUAL(error_code(r), -32004);
	CU_ASSERT(now_s() - t0 < 2.0);
	json_decref(r);
	pthread_join(t, NULL);
	r = rpc(REMOVE);
	CU_ASSERT_EQUAL(error_code(r), -32004);
	CU_ASSERT_EQUAL(rte_ring_count(fake.ring), 1);  /* only the abandoned one */
	json_decref(r);
	control_paused = false;
	for (int i = 0; i < 1000 && rte_ring_count(fake.ring) != 0; i++)
		usleep(1000);
	__atomic_store_n(&fake_gw.stop, false, __ATOMIC_RELEASE);
	fake.timeout_ms = 200;
	CU_ASSERT_EQUAL(__atomic_load_n(&fake.stalled, __ATOMIC_ACQUIRE), 0);
}

/* The fail_at-th jansson allocation fails (a transient shortage). */
static long alloc_count, fail_at = -1;

static void *failing_malloc(size_t n)
{
	if (fail_at >= 0 && alloc_count++ == fail_at) {
		ws_secmem_note_failure();
		return NULL;
	}
	return ws_secmem_malloc(n);
}

/* A reply as a whole one would be: the baseline's, uptime aside. */
static bool same_reply(json_t *reply, json_t *baseline)
{
	json_t *a = json_deep_copy(json_object_get(reply, "result"));
	json_t *b = json_deep_copy(json_object_get(baseline, "result"));
	bool same;

	if (json_is_object(a))
		json_object_del(a, "uptime");
	if (json_is_object(b))
		json_object_del(b, "uptime");
	same = a != NULL && json_equal(a, b);
	json_decref(a);
	json_decref(b);
	return same;
}

/* key.generate's reply differs each time: two keys of the right shape. */
static bool key_pair(json_t *reply, json_t *baseline)
{
	json_t *res = json_object_get(reply, "result");

	(void)baseline;
	return json_string_length(json_object_get(res, "private_key")) == 44 &&
	       json_string_length(json_object_get(res, "public_key")) == 44;
}

/*
 * Each jansson allocation of one request fails in turn: every request
 * still gets an answer, either whole or -32603 (a fixed line with id null
 * when not even the error could be built), never one with parts missing
 * or a value the parser damaged; ASan sees no leak.
 */
static void oom_sweep(const char *line, bool (*whole)(json_t *reply, json_t *baseline))
{
	unsigned internal = 0, served = 0, silent = 0;
	json_t *baseline = rpc(line);
	long k;

	CU_ASSERT_PTR_NOT_NULL_FATAL(baseline);
	for (size_t i = 0; i < (json_is_array(baseline) ? json_array_size(baseline) : 1); i++) {
		json_t *b = json_is_array(baseline) ? json_array_get(baseline, i) : baseline;

		CU_ASSERT_FATAL(whole(b, b));
	}
	for (k = 0; k < 100000; k++) {
		size_t n = 0;
		char *out;
		json_t *r;

		alloc_count = 0;
		fail_at = k;
		json_set_alloc_funcs(failing_malloc, ws_secmem_free);
		errno = 0;
		out = ws_rpc_dispatch(fake.rpc, line, strlen(line), &n);
		json_set_alloc_funcs(ws_secmem_malloc, ws_secmem_free);
		fail_at = -1;
		if (alloc_count <= k) {
			/* Allocation k was never reached: every point is covered. */
			CU_ASSERT_PTR_NOT_NULL(out);
			free(out);
			break;
		}
		if (out == NULL) {
			silent++;
			continue;
		}
		r = json_loadb(out, n, 0, NULL);
		free(out);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		/* A batch's replies one by one, each against the baseline's of that id. */
		for (size_t i = 0; i < (json_is_array(r) ? json_array_size(r) : 1); i++) {
			json_t *e = json_is_array(r) ? json_array_get(r, i) : r;
			json_t *id = json_object_get(e, "id"), *b = baseline;

			for (size_t j = 0; json_is_array(baseline) && j < json_array_size(baseline); j++)
				if (json_equal(json_object_get(json_array_get(baseline, j), "id"), id))
					b = json_array_get(baseline, j);
			if (json_object_get(e, "result") != NULL) {
				CU_ASSERT(whole(e, b));
				served++;
				continue;
			}
			if (error_code(e) != -32603)
				printf("\n  allocation %ld failing gave %d %s", k, error_code(e),
				       error_message(e));
			CU_ASSERT_EQUAL(error_code(e), -32603);
			internal++;
		}
		json_decref(r);
	}
	json_decref(baseline);
	printf("\n  %.60s: %ld allocation points: %u replies whole, %u -32603",
	       line, k, served, internal);
	CU_ASSERT(k > 10 && k < 100000);
	CU_ASSERT(internal > 0);
	CU_ASSERT_EQUAL(silent, 0);
}

static void test_out_of_memory(void)
{
	fake_result = 0;
	oom_sweep(LIST, same_reply);
	oom_sweep("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"gateway.info\"}", same_reply);
	oom_sweep("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"stats.get\"}", same_reply);
	oom_sweep("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"stats.get\","
		  "\"params\":{\"format\":\"prometheus\"}}", same_reply);
	oom_sweep("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"interface.get\"}", same_reply);
	oom_sweep("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"key.generate\"}", key_pair);
	oom_sweep("[{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"peer.remove\",\"params\":"
		  "[\"ERERERERERERERERERERERERERERERERERERERERERE=\"]},"
		  "{\"jsonrpc\":\"2.0\",\"method\":\"key.generate\"},"
		  "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"peer.list\"}]", same_reply);
}

int main(void)
{
	static const struct ws_test docs[] = { WS_TEST(test_methods_documented), { 0 } };
	static const struct ws_test path[] = {
		WS_TEST(test_served),
		WS_TEST(test_failed_with_errno),
		WS_TEST(test_stalled_control),
		WS_TEST(test_queue_full),
		WS_TEST(test_shutting_down),
		WS_TEST(test_out_of_memory),
		{ 0 },
	};
	int ret = ws_test_run("mgmt_docs", docs, NULL, NULL);

	return ws_test_run("mgmt_request_path", path, path_init, path_cleanup) | ret;
}
