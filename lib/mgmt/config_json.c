/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The loader's plumbing: the JSON path of the member being read, error
 * messages built on it, typed access to members, and duplicate detection.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

enum {
	SHOWN_VALUE_MAX = 64,   /* characters of a bad value echoed back */
	REDACT_RUN = 32,        /* base64-alphabet runs this long are hidden */
};

/* ---- the JSON path and the error message ---- */

static void advance(struct ws_cfg_ctx *c, int n)
{
	if (n < 0)
		return;
	c->plen += (size_t)n;
	if (c->plen >= sizeof(c->path))
		c->plen = sizeof(c->path) - 1;
}

size_t ws_cfg_push_key(struct ws_cfg_ctx *c, const char *key)
{
	size_t mark = c->plen;

	advance(c, snprintf(c->path + c->plen, sizeof(c->path) - c->plen, "%s%s",
			    c->plen > 0 ? "." : "", key));
	return mark;
}

size_t ws_cfg_push_index(struct ws_cfg_ctx *c, size_t i)
{
	size_t mark = c->plen;

	advance(c, snprintf(c->path + c->plen, sizeof(c->path) - c->plen, "[%zu]", i));
	return mark;
}

void ws_cfg_pop(struct ws_cfg_ctx *c, size_t mark)
{
	c->plen = mark;
	c->path[mark] = '\0';
}

static bool b64char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '+' || ch == '/' || ch == '=';
}

/*
 * Messages echo bad values back, and a key pasted into the wrong field
 * would be echoed with them. Keys are 43-44 base64 characters and nothing
 * we echo legitimately has such a run, so any long run is hidden.
 */
void ws_cfg_redact(char *s)
{
	static const char mask[] = "<redacted>";
	char *r = s, *w = s;

	while (*r != '\0') {
		size_t run = 0;
		while (b64char(r[run]))
			run++;
		if (run >= REDACT_RUN) {
			memcpy(w, mask, sizeof(mask) - 1);
			w += sizeof(mask) - 1;
			r += run;
		} else if (run > 0) {
			memmove(w, r, run);
			w += run;
			r += run;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

static int vfail(struct ws_cfg_ctx *c, const char *fmt, va_list ap)
{
	char msg[256], full[sizeof(c->path) + sizeof(msg) + 2];
	const char *path = c->plen > 0 ? c->path : "(top level)";

	if (c->err == NULL || c->errlen == 0)
		return -EINVAL;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(full, sizeof(full), "%s: %s", path, msg);
	/* Only what came from the document: a file name may be a long run. */
	ws_cfg_redact(full);
	if (c->source != NULL)
		snprintf(c->err, c->errlen, "%s: %s", c->source, full);
	else
		snprintf(c->err, c->errlen, "%s", full);
	return -EINVAL;
}

int ws_cfg_fail(struct ws_cfg_ctx *c, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vfail(c, fmt, ap);
	va_end(ap);
	return ret;
}

int ws_cfg_fail_at(struct ws_cfg_ctx *c, const char *key, const char *fmt, ...)
{
	size_t mark = ws_cfg_push_key(c, key);
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vfail(c, fmt, ap);
	va_end(ap);
	ws_cfg_pop(c, mark);
	return ret;
}

/* Printable ASCII, without quotes or backslashes, at most max characters. */
static void show(char *out, size_t outlen, const char *s, size_t max)
{
	size_t n = 0, i = 0;

	for (; s[i] != '\0' && n + 1 < outlen && i < max; i++)
		out[n++] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
			? s[i] : '?';
	out[n] = '\0';
	if (s[i] != '\0' && n + 4 <= outlen)
		strcpy(out + n, "...");
}

int ws_cfg_fail_value(struct ws_cfg_ctx *c, const char *value, const char *reason)
{
	char shown[SHOWN_VALUE_MAX + 4];

	show(shown, sizeof(shown), value, SHOWN_VALUE_MAX);
	return ws_cfg_fail(c, "\"%s\": %s", shown, reason);
}

int ws_cfg_fail_nomem(struct ws_cfg_ctx *c)
{
	ws_cfg_fail(c, "out of memory");
	return -ENOMEM;
}

/* ---- typed access ---- */

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a real number";
	case JSON_TRUE: return "true";
	case JSON_FALSE: return "false";
	case JSON_NULL: return "null";
	}
	return "something else";
}

/* Lower-case letters and digits only, so "ListenPort" meets "listen_port". */
static void fold(char *out, size_t outlen, const char *s)
{
	size_t n = 0;

	for (; *s != '\0' && n + 1 < outlen; s++) {
		if (*s >= 'A' && *s <= 'Z')
			out[n++] = (char)(*s - 'A' + 'a');
		else if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))
			out[n++] = *s;
	}
	out[n] = '\0';
}

/* Edit distance, or a large number for long strings: typo suggestions only. */
static unsigned distance(const char *a, const char *b)
{
	enum { MAX = 32 };
	unsigned row[MAX + 1];
	size_t la = strlen(a), lb = strlen(b);

	if (la > MAX || lb > MAX)
		return 100;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static const char *suggest(const char *key, const char *const *allowed)
{
	char fk[64], fa[64];

	fold(fk, sizeof(fk), key);
	for (const char *const *a = allowed; *a != NULL; a++) {
		fold(fa, sizeof(fa), *a);
		if (fk[0] != '\0' && distance(fk, fa) <= 2)
			return *a;
	}
	return NULL;
}

int ws_cfg_check_keys(struct ws_cfg_ctx *c, const json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		const char *const *a = allowed;
		while (*a != NULL && strcmp(*a, key) != 0)
			a++;
		if (*a != NULL)
			continue;

		char shown[40];
		const char *hint = suggest(key, allowed);
		show(shown, sizeof(shown), key, sizeof(shown) - 4);
		size_t mark = ws_cfg_push_key(c, shown);
		int ret = hint != NULL
			? ws_cfg_fail(c, "unknown key (did you mean \"%s\"?)", hint)
			: ws_cfg_fail(c, "unknown key");
		ws_cfg_pop(c, mark);
		return ret;
	}
	return 0;
}

int ws_cfg_want_object(struct ws_cfg_ctx *c, const json_t *v)
{
	if (!json_is_object(v))
		return ws_cfg_fail(c, "must be an object, got %s", type_name(v));
	return 0;
}

int ws_cfg_want_array(struct ws_cfg_ctx *c, const json_t *v, size_t min, size_t max, size_t *n)
{
	if (!json_is_array(v))
		return ws_cfg_fail(c, "must be an array, got %s", type_name(v));
	*n = json_array_size(v);
	if (*n < min)
		return min == 1 ? ws_cfg_fail(c, "must not be empty")
				: ws_cfg_fail(c, "needs at least %zu entries", min);
	if (*n > max)
		return ws_cfg_fail(c, "has %zu entries, at most %zu allowed", *n, max);
	return 0;
}

int ws_cfg_want_string(struct ws_cfg_ctx *c, const json_t *v, const char **out)
{
	if (!json_is_string(v))
		return ws_cfg_fail(c, "must be a string, got %s", type_name(v));
	*out = json_string_value(v);
	return 0;
}

int ws_cfg_want_int(struct ws_cfg_ctx *c, const json_t *v, long long min, long long max,
		    long long *out)
{
	long long x;

	if (!json_is_integer(v))
		return ws_cfg_fail(c, "must be an integer, got %s", type_name(v));
	x = json_integer_value(v);
	if (x < min || x > max)
		return ws_cfg_fail(c, "%lld is out of range %lld..%lld", x, min, max);
	*out = x;
	return 0;
}

int ws_cfg_opt_string(struct ws_cfg_ctx *c, const json_t *obj, const char *key, const char **out)
{
	const json_t *v = json_object_get(obj, key);
	size_t mark;
	int ret;

	if (v == NULL)
		return 0;
	mark = ws_cfg_push_key(c, key);
	ret = ws_cfg_want_string(c, v, out);
	ws_cfg_pop(c, mark);
	return ret;
}

int ws_cfg_req_string(struct ws_cfg_ctx *c, const json_t *obj, const char *key, const char **out)
{
	if (json_object_get(obj, key) == NULL)
		return ws_cfg_fail_at(c, key, "required");
	return ws_cfg_opt_string(c, obj, key, out);
}

int ws_cfg_opt_int(struct ws_cfg_ctx *c, const json_t *obj, const char *key,
		long long min, long long max, long long *out)
{
	const json_t *v = json_object_get(obj, key);
	size_t mark;
	int ret;

	if (v == NULL)
		return 0;
	mark = ws_cfg_push_key(c, key);
	ret = ws_cfg_want_int(c, v, min, max, out);
	ws_cfg_pop(c, mark);
	return ret;
}

int ws_cfg_opt_bool(struct ws_cfg_ctx *c, const json_t *obj, const char *key, bool *out)
{
	const json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return ws_cfg_fail_at(c, key, "must be true or false, got %s", type_name(v));
	*out = json_is_true(v);
	return 0;
}

/*
 * Key material may sit anywhere in the tree, misplaced keys included, and
 * jansson frees without wiping: wipe every string. jansson owns a private,
 * writable copy of each, and its parser bounds the depth.
 */
void ws_cfg_wipe_strings(json_t *v)
{
	const char *key;
	json_t *m;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_STRING:
		ws_memzero((char *)json_string_value(v), json_string_length(v));
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, m)
			ws_cfg_wipe_strings(m);
		break;
	case JSON_OBJECT:
		json_object_foreach(v, key, m)
			ws_cfg_wipe_strings(m);
		break;
	default:
		break;
	}
}

struct dup_sort {
	const char *base;
	size_t size;
	int (*cmp)(const void *, const void *);
};

/* Equal elements end up adjacent and in document order. */
static int dup_order(const void *x, const void *y, void *arg)
{
	const struct dup_sort *s = arg;
	uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
	int r = s->cmp(s->base + i * s->size, s->base + j * s->size);

	return r != 0 ? r : (i > j) - (i < j);
}

int ws_cfg_find_duplicate(const void *base, size_t n, size_t size,
			  int (*cmp)(const void *, const void *), size_t *first, size_t *dup)
{
	struct dup_sort s = { base, size, cmp };
	uint32_t *idx;
	size_t group = 0, best = SIZE_MAX;

	if (n < 2)
		return 0;
	idx = malloc(n * sizeof(*idx));
	if (idx == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		idx[i] = (uint32_t)i;
	qsort_r(idx, n, sizeof(*idx), dup_order, &s);
	for (size_t k = 1; k < n; k++) {
		if (cmp(s.base + idx[group] * size, s.base + idx[k] * size) != 0) {
			group = k;
		} else if (k == group + 1 && idx[k] < best) {
			best = idx[k];
			*first = idx[group];
		}
	}
	free(idx);
	if (best == SIZE_MAX)
		return 0;
	*dup = best;
	return 1;
}
