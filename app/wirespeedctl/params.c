/* SPDX-License-Identifier: GPL-2.0-only */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

/* A number, literal, array or object when the text is one, else NULL. */
static json_t *as_json(const char *v)
{
	json_t *j;

	if (v[0] == '\0')
		return NULL;
	j = json_loads(v, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	/* Only these: a quoted "x" typed on a shell line is meant as x. */
	if (j != NULL && !json_is_number(j) && !json_is_boolean(j) && !json_is_null(j) &&
	    !((v[0] == '[' && json_is_array(j)) || (v[0] == '{' && json_is_object(j)))) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

static json_t *one_value(const char *v)
{
	json_t *j = as_json(v);

	return j != NULL ? j : json_string(v);
}

/* key=value: typed by its look; commas make an array of typed parts. */
static json_t *typed_value(const char *v)
{
	json_t *j = as_json(v);

	if (j != NULL || strchr(v, ',') == NULL)
		return j != NULL ? j : json_string(v);

	json_t *arr = json_array();
	const char *p = v;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		char part[1024];
		if (n >= sizeof(part)) {
			json_decref(arr);
			return NULL;
		}
		memcpy(part, p, n);
		part[n] = '\0';
		/* Empty parts are skipped: "a," is the array ["a"]. */
		if (n > 0 && json_array_append_new(arr, one_value(part)) < 0) {
			json_decref(arr);
			return NULL;
		}
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return arr;
}

static int add(json_t *params, const char *key, json_t *v)
{
	json_t *old = json_object_get(params, key);

	if (old == NULL)
		return json_object_set_new(params, key, v);
	/* A repeated key collects its values. */
	if (!json_is_array(old)) {
		json_t *arr = json_array();
		json_array_append(arr, old);
		json_object_set_new(params, key, arr);
		old = arr;
	}
	if (!json_is_array(v))
		return json_array_append_new(old, v);
	int ret = json_array_extend(old, v);
	json_decref(v);
	return ret;
}

json_t *ws_ctl_params(char *const *words, int n, char *err, size_t errlen)
{
	json_t *params = json_object();

	for (int i = 0; params != NULL && i < n; i++) {
		const char *w = words[i], *eq = strchr(w, '=');
		char key[256];
		bool raw;
		json_t *v;

		if (eq == NULL || eq == w) {
			snprintf(err, errlen, "'%s' is not key=value", w);
			goto fail;
		}
		raw = eq[-1] == ':';
		size_t klen = (size_t)(eq - w) - (raw ? 1 : 0);
		if (klen == 0 || klen >= sizeof(key)) {
			snprintf(err, errlen, "'%s' has no usable key", w);
			goto fail;
		}
		memcpy(key, w, klen);
		key[klen] = '\0';
		if (raw) {
			json_error_t jerr;
			v = json_loads(eq + 1, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
			if (v == NULL) {
				snprintf(err, errlen, "%s:= takes JSON: %s", key, jerr.text);
				goto fail;
			}
		} else {
			v = typed_value(eq + 1);
		}
		if (v == NULL || add(params, key, v) < 0) {
			snprintf(err, errlen, "cannot use the value of %s", key);
			goto fail;
		}
	}
	if (params == NULL)
		snprintf(err, errlen, "out of memory");
	return params;
fail:
	json_decref(params);
	return NULL;
}
