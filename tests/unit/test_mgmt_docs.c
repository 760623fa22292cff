/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * docs/jsonrpc.md and the gateway's JSON-RPC method table agree: every
 * method the server registers (ws_rpc_methods_list) has a "### name"
 * heading there, and every such heading names a registered method. The
 * source tree is found through WS_SRC_ROOT (meson sets it).
 */
#include <stdbool.h>

#include "mgmt_priv.h"
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

int main(void)
{
	static const struct ws_test tests[] = { WS_TEST(test_methods_documented), { 0 } };

	return ws_test_run("mgmt_docs", tests, NULL, NULL);
}
