/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

void ws_args_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [EAL options] -- --config FILE [options]\n"
		"       %s --config FILE [options]     (EAL options from the config's \"eal\")\n"
		"\n"
		"options:\n"
		"  -c, --config FILE         the gateway's JSON config (required)\n"
		"  -s, --stats-interval N    print the counters every N seconds\n"
		"  -p, --pid-file FILE       write the process id to FILE once running\n"
		"  -i, --idle-sleep US       an lcore with no work sleeps US microseconds\n"
		"                            between polls (default 0: busy poll; use it\n"
		"                            where the cores are shared)\n"
		"  -P, --max-peers N         room for N peers (JSON-RPC adds them live;\n"
		"                            default: the config's peers + 256)\n"
		"  -R, --neigh-reachable MS  a next hop's MAC is used MS milliseconds after\n"
		"                            it was confirmed, then re-probed (default 30000)\n"
		"  -h, --help                this text\n"
		"  -V, --version             the version\n"
		"\n"
		"Prints \"wirespeed: ready\" once every lcore runs; SIGINT or SIGTERM\n"
		"stops it and prints the final counters.\n", prog, prog);
}

static int opt_value(int argc, char **argv, int *i, const char **val, char *err, size_t errlen)
{
	const char *eq = strchr(argv[*i], '=');

	if (argv[*i][1] == '-' && eq != NULL) {
		*val = eq + 1;
		return 0;
	}
	if (*i + 1 >= argc) {
		snprintf(err, errlen, "%s: needs a value", argv[*i]);
		return -EINVAL;
	}
	*val = argv[++*i];
	return 0;
}

static bool opt_is(const char *arg, const char *s, const char *l)
{
	size_t n = strlen(l);

	return strcmp(arg, s) == 0 || strcmp(arg, l) == 0 ||
	       (strncmp(arg, l, n) == 0 && arg[n] == '=');
}

static int parse_uint(const char *opt, const char *v, unsigned long max, unsigned *out,
		      char *err, size_t errlen)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || v[0] == '-' || n > max) {
		snprintf(err, errlen, "%s: \"%s\": not an integer 0..%lu", opt, v, max);
		return -EINVAL;
	}
	*out = (unsigned)n;
	return 0;
}

int ws_args_parse(int argc, char **argv, struct ws_args *out, char *err, size_t errlen)
{
	int i, start = 1;

	memset(out, 0, sizeof(*out));
	out->eal = argv;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			out->n_eal = i > 1 ? i : 0;
			start = i + 1;
			break;
		}
	}
	for (i = start; i < argc; i++) {
		const char *a = argv[i], *v;

		if (opt_is(a, "-h", "--help")) {
			out->help = true;
		} else if (opt_is(a, "-V", "--version")) {
			out->version = true;
		} else if (opt_is(a, "-c", "--config")) {
			if (opt_value(argc, argv, &i, &out->config, err, errlen) != 0)
				return -EINVAL;
		} else if (opt_is(a, "-p", "--pid-file")) {
			if (opt_value(argc, argv, &i, &out->pid_file, err, errlen) != 0)
				return -EINVAL;
		} else if (opt_is(a, "-s", "--stats-interval")) {
			if (opt_value(argc, argv, &i, &v, err, errlen) != 0 ||
			    parse_uint(a, v, 86400, &out->stats_interval, err, errlen) != 0)
				return -EINVAL;
		} else if (opt_is(a, "-P", "--max-peers")) {
			if (opt_value(argc, argv, &i, &v, err, errlen) != 0 ||
			    parse_uint(a, v, 1u << 24, &out->max_peers, err, errlen) != 0)
				return -EINVAL;
		} else if (opt_is(a, "-R", "--neigh-reachable")) {
			if (opt_value(argc, argv, &i, &v, err, errlen) != 0 ||
			    parse_uint(a, v, 3600000, &out->neigh_reachable_ms, err, errlen) != 0)
				return -EINVAL;
		} else if (opt_is(a, "-i", "--idle-sleep")) {
			if (opt_value(argc, argv, &i, &v, err, errlen) != 0 ||
			    parse_uint(a, v, 100000, &out->idle_sleep_us, err, errlen) != 0)
				return -EINVAL;
		} else {
			snprintf(err, errlen, "%s: unknown option%s", a,
				 start == 1 && a[0] == '-' ?
				 " (EAL options go before \"--\")" : "");
			return -EINVAL;
		}
	}
	if (out->help || out->version)
		return 0;
	if (out->config == NULL) {
		snprintf(err, errlen, "--config FILE is required");
		return -EINVAL;
	}
	return 0;
}
