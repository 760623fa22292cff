/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The command line: `wirespeed [EAL options] -- --config FILE [options]`.
 * The EAL's part is everything before "--"; without it, or with nothing
 * before it, the config's "eal" array is used.
 */
#ifndef WS_ARGS_H
#define WS_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#ifndef WS_VERSION
#define WS_VERSION "unknown"     /* meson passes the project version */
#endif

struct ws_args {
	const char *config;
	const char *pid_file;
	unsigned stats_interval;        /* seconds; 0 = off */
	unsigned idle_sleep_us;         /* 0 = busy poll */
	unsigned max_peers;             /* 0 = the config's peers + 256 */
	unsigned neigh_reachable_ms;    /* 0 = the neighbor cache's 30 s */
	bool help;
	bool version;
	/* argv[0] and the EAL options; n_eal == 0 when the command line has none. */
	char **eal;
	int n_eal;
};

/*
 * Splits argv and parses the application's options. argv is not modified.
 * Returns 0, or -EINVAL with a message in err.
 */
int ws_args_parse(int argc, char **argv, struct ws_args *out, char *err, size_t errlen);
void ws_args_usage(FILE *f, const char *prog);

#endif /* WS_ARGS_H */
