/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wirespeed: the gateway executable. The config is loaded and checked
 * before the EAL starts, so a bad config starts nothing.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sys/prctl.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include "args.h"
#include "gateway.h"
#include "secmem.h"

/* Static: too big for a stack, and the signal handler reaches it. */
static struct ws_gw gw;
static struct ws_config cfg;

static void on_signal(int sig)
{
	RTE_SET_USED(sig);
	__atomic_store_n(&gw.stop, true, __ATOMIC_RELEASE);
}

static void mempool_line(struct rte_mempool *mp, void *arg)
{
	printf("%smempool %s in_use %u size %u\n", (const char *)arg, mp->name,
	       rte_mempool_in_use_count(mp), mp->size);
}

static void *stats_thread(void *arg)
{
	unsigned interval = *(unsigned *)arg, i;

	while (!__atomic_load_n(&gw.stop, __ATOMIC_ACQUIRE)) {
		for (i = 0; i < interval * 10 && !__atomic_load_n(&gw.stop, __ATOMIC_ACQUIRE); i++)
			usleep(100 * 1000);
		if (!__atomic_load_n(&gw.stop, __ATOMIC_ACQUIRE)) {
			ws_gw_stats_print(&gw, stdout, "stats: ");
			/* Objects out of each pool, lcore caches counted as out. */
			rte_mempool_walk(mempool_line, (void *)"stats: ");
			fflush(stdout);
		}
	}
	return NULL;
}

static bool argv_has(char **v, int n, const char *opt)
{
	for (int i = 0; i < n; i++)
		if (strcmp(v[i], opt) == 0 || (strncmp(v[i], opt, strlen(opt)) == 0 &&
						v[i][strlen(opt)] == '='))
			return true;
	return false;
}

/*
 * DPDK 22.11 refuses --in-memory next to --no-huge (it implies legacy
 * memory). What an operator asks for with the pair -- no files left in
 * the runtime directory, no clash with another process -- is what
 * --no-shconf and a private --file-prefix give, so the reference config
 * runs as written.
 */
static int eal_fix_in_memory(char **v, int n)
{
	static char prefix[64];

	if (!argv_has(v, n, "--no-huge") || !argv_has(v, n, "--in-memory"))
		return n;
	for (int i = 0; i < n; i++)
		if (strcmp(v[i], "--in-memory") == 0)
			v[i] = (char *)"--no-shconf";
	if (!argv_has(v, n, "--file-prefix")) {
		snprintf(prefix, sizeof(prefix), "wirespeed-%s-%d", cfg.name, (int)getpid());
		v[n++] = (char *)"--file-prefix";
		v[n++] = prefix;
	}
	fprintf(stderr, "wirespeed: EAL: --in-memory with --no-huge runs as --no-shconf "
		"with a private --file-prefix (DPDK refuses the pair)\n");
	return n;
}

/* The EAL's argv: the command line's part, or argv[0] and the config's "eal". */
static char **eal_argv(const struct ws_args *a, char *prog, int *argc)
{
	int n = a->n_eal > 0 ? a->n_eal : (int)cfg.n_eal + 1, i;
	/* Room for the two arguments eal_fix_in_memory may add. */
	char **v = calloc((size_t)n + 3, sizeof(*v));

	if (v == NULL)
		return NULL;
	if (a->n_eal > 0) {
		for (i = 0; i < n; i++)
			v[i] = a->eal[i];
	} else {
		v[0] = prog;
		for (i = 1; i < n; i++)
			v[i] = cfg.eal[i - 1];
	}
	*argc = eal_fix_in_memory(v, n);
	return v;
}

/* Fail early and clearly when the configured AEAD back end cannot run here. */
static int check_crypto(void)
{
	struct ws_aead *aead;

	if (cfg.crypto == WS_CRYPTO_CRYPTODEV) {
		fprintf(stderr, "wirespeed: crypto: \"cryptodev\" is not available in this "
			"build; use \"ipsec_mb\" or \"sodium\"\n");
		return -ENOTSUP;
	}
	aead = ws_aead_create(ws_crypto_backend_name(cfg.crypto));
	if (aead == NULL) {
		fprintf(stderr, "wirespeed: crypto: back end \"%s\" cannot run here: %s\n",
			ws_crypto_backend_name(cfg.crypto), strerror(errno));
		return -ENOTSUP;
	}
	ws_aead_free(aead);
	return 0;
}

static int write_pid(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
		fprintf(stderr, "wirespeed: --pid-file %s: %s\n", path, strerror(errno));
		return -errno;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char err[512], warn[512];
	struct ws_args args;
	struct sigaction sa;
	pthread_t stats_tid;
	bool stats_running = false;
	char **ev = NULL;
	int n_ev, rc, status = EXIT_FAILURE;

	if (ws_args_parse(argc, argv, &args, err, sizeof(err)) != 0) {
		fprintf(stderr, "wirespeed: %s\n", err);
		ws_args_usage(stderr, argv[0]);
		return 2;
	}
	if (args.help) {
		ws_args_usage(stdout, argv[0]);
		return 0;
	}
	if (args.version) {
		printf("wirespeed %s\n", WS_VERSION);
		return 0;
	}
	/*
	 * Before anything holds a key: not dumpable (a core file would carry
	 * the private key; security.core_dumps turns it back on), and JSON
	 * text (the config, JSON-RPC requests with keys) wiped when freed.
	 */
	if (ws_secmem_no_dump(warn, sizeof(warn)) != 0)
		fprintf(stderr, "wirespeed: warning: %s\n", warn);
	json_set_alloc_funcs(ws_secmem_malloc, ws_secmem_free);
	if (ws_crypto_init() != 0) {
		fprintf(stderr, "wirespeed: crypto library initialisation failed\n");
		return 1;
	}
	rc = ws_config_load_file(args.config, &cfg, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "wirespeed: %s\n", err);
		return 1;
	}
	if (ws_config_check_file_mode(args.config, warn, sizeof(warn)) == 1)
		fprintf(stderr, "wirespeed: warning: %s\n", warn);
	if (cfg.security.core_dumps) {
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		fprintf(stderr, "wirespeed: warning: security.core_dumps is on: a core dump "
			"holds the private and preshared keys\n");
	}
	if (WS_REKEY_AFTER_TIME != 120)
		fprintf(stderr, "wirespeed: warning: test build: sessions rekey after %d s "
			"(the protocol's REKEY_AFTER_TIME is 120)\n", (int)WS_REKEY_AFTER_TIME);
	if (check_crypto() != 0)
		goto out_cfg;
	if (args.n_eal == 0 && cfg.n_eal == 0) {
		fprintf(stderr, "wirespeed: no EAL options on the command line and no \"eal\" "
			"in %s\n", args.config);
		goto out_cfg;
	}
	ev = eal_argv(&args, argv[0], &n_ev);
	if (ev == NULL)
		goto out_cfg;
	rc = rte_eal_init(n_ev, ev);
	if (rc < 0) {
		fprintf(stderr, "wirespeed: EAL: %s\n", rte_strerror(rte_errno));
		free(ev);
		goto out_cfg;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	gw.idle_sleep_us = args.idle_sleep_us;
	gw.max_peers = args.max_peers;
	gw.neigh_reachable_ms = args.neigh_reachable_ms;
	if (ws_gw_start(&gw, &cfg) != 0)
		goto out_eal;
	if (ws_gw_lcores_launch(&gw) != 0) {
		__atomic_store_n(&gw.stop, true, __ATOMIC_RELEASE);
		ws_gw_stop(&gw);
		goto out_eal;
	}
	if (ws_gw_mgmt_start(&gw, WS_VERSION) != 0) {
		fprintf(stderr, "wirespeed: management could not start (see above)\n");
		__atomic_store_n(&gw.stop, true, __ATOMIC_RELEASE);
		ws_gw_stop(&gw);
		goto out_eal;
	}
	/* After start-up: the DPDK heap holding the peers and sessions is mapped. */
	if (cfg.security.lock_memory) {
		if (ws_secmem_lock(warn, sizeof(warn)) != 0)
			fprintf(stderr, "wirespeed: warning: %s\n", warn);
		else
			fprintf(stderr, "wirespeed: memory locked (mlockall)\n");
	}
	if (args.stats_interval > 0 &&
	    rte_ctrl_thread_create(&stats_tid, "ws-stats", NULL, stats_thread,
				   &args.stats_interval) == 0)
		stats_running = true;
	if (args.pid_file != NULL)
		write_pid(args.pid_file);
	printf("wirespeed: ready\n");
	fflush(stdout);

	if (gw.lcores[rte_get_main_lcore()].roles != 0) {
		ws_gw_lcore_loop(&gw);
	} else {
		while (!__atomic_load_n(&gw.stop, __ATOMIC_ACQUIRE))
			usleep(100 * 1000);
	}

	printf("wirespeed: stopping\n");
	if (stats_running)
		pthread_join(stats_tid, NULL);
	ws_gw_lcores_join(&gw);
	ws_gw_mgmt_stop(&gw);
	ws_gw_stats_print(&gw, stdout, "final: ");
	rc = ws_gw_stop(&gw);
	if (rc == 0)
		status = EXIT_SUCCESS;
	else
		fprintf(stderr, "wirespeed: error: mbufs leaked (see above)\n");
	if (args.pid_file != NULL)
		unlink(args.pid_file);
out_eal:
	rte_eal_cleanup();
	free(ev);
out_cfg:
	ws_config_free(&cfg);
	return status;
}
