/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer harness for the config loader: arbitrary bytes into
 * ws_config_load_string. A load either fails with a message and leaves the
 * config zeroed, or succeeds and frees cleanly; ASan/UBSan catch the rest.
 *
 * Built by tests/fuzz/meson.build (CC=clang meson setup build-fuzz
 * -Dfuzz=true) and run by scripts/fuzz.sh; by hand:
 *   build-fuzz/tests/fuzz/fuzz_config /tmp/config-work tests/fuzz/corpus/config \
 *     -max_len=8192
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ws_crypto.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return ws_crypto_init() < 0 ? 1 : 0;
}

static int all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ws_config cfg;
	char err[256];
	int ret;

	memset(&cfg, 0xa5, sizeof(cfg));
	ret = ws_config_load_string((const char *)data, size, &cfg, err, sizeof(err));
	if (ret == 0) {
		ws_config_free(&cfg);
		return 0;
	}
	if (err[0] == '\0' || !all_zero(&cfg, sizeof(cfg)))
		abort();
	return 0;
}
