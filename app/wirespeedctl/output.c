/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Results for people: objects as aligned "key: value" lines with nested
 * sections, arrays of objects as tables, a wg(8)-like table for
 * peer.list. Anything --json would show is shown here in some form.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

enum { CELL_MAX = 512, COLUMNS_MAX = 32 };

static void duration(char *buf, size_t len, uint64_t s)
{
	uint64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;

	if (d > 0)
		snprintf(buf, len, "%" PRIu64 "d %" PRIu64 "h %" PRIu64 "m %" PRIu64 "s", d, h, m, sec);
	else if (h > 0)
		snprintf(buf, len, "%" PRIu64 "h %" PRIu64 "m %" PRIu64 "s", h, m, sec);
	else if (m > 0)
		snprintf(buf, len, "%" PRIu64 "m %" PRIu64 "s", m, sec);
	else
		snprintf(buf, len, "%" PRIu64 "s", sec);
}

static void bytes(char *buf, size_t len, uint64_t b)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)b;
	int u = -1;

	if (b < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", b);
		return;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.2f %s", v, unit[u]);
}

/* One value as a cell: scalars as text, arrays of scalars comma-joined. */
static void cell(char *buf, size_t len, json_t *v)
{
	char *s;

	switch (json_typeof(v)) {
	case JSON_STRING:
		snprintf(buf, len, "%s", json_string_value(v));
		return;
	case JSON_INTEGER:
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return;
	case JSON_REAL:
		snprintf(buf, len, "%.6g", json_real_value(v));
		return;
	case JSON_TRUE:
	case JSON_FALSE:
		snprintf(buf, len, "%s", json_is_true(v) ? "yes" : "no");
		return;
	case JSON_NULL:
		snprintf(buf, len, "-");
		return;
	case JSON_ARRAY: {
		size_t i, off = 0;
		json_t *e;
		buf[0] = '\0';
		json_array_foreach(v, i, e) {
			if (json_is_object(e) || json_is_array(e))
				break;
			char one[CELL_MAX];
			cell(one, sizeof(one), e);
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s",
						i > 0 ? "," : "", one);
		}
		if (i == json_array_size(v)) {
			if (i == 0)
				snprintf(buf, len, "(none)");
			return;
		}
		break;
	}
	case JSON_OBJECT:
		break;
	}
	s = json_dumps(v, JSON_COMPACT);
	snprintf(buf, len, "%s", s != NULL ? s : "?");
	free(s);
}

static json_t *member(json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);

	return v != NULL ? v : json_null();
}

static bool table_like(json_t *v)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return false;
	json_array_foreach(v, i, e)
		if (!json_is_object(e))
			return false;
	return true;
}

static void print_rows(FILE *out, int indent, const char *const *head, unsigned ncol,
		       char (*cells)[COLUMNS_MAX][CELL_MAX], size_t nrow)
{
	size_t width[COLUMNS_MAX];

	for (unsigned c = 0; c < ncol; c++) {
		width[c] = strlen(head[c]);
		for (size_t r = 0; r < nrow; r++)
			if (strlen(cells[r][c]) > width[c])
				width[c] = strlen(cells[r][c]);
	}
	fprintf(out, "%*s", indent, "");
	for (unsigned c = 0; c < ncol; c++) {
		for (const char *p = head[c]; *p != '\0'; p++)
			fputc(*p == '_' ? ' ' : toupper((unsigned char)*p), out);
		if (c + 1 < ncol)
			fprintf(out, "%*s", (int)(width[c] - strlen(head[c]) + 2), "");
	}
	fputc('\n', out);
	for (size_t r = 0; r < nrow; r++) {
		fprintf(out, "%*s", indent, "");
		for (unsigned c = 0; c < ncol; c++)
			fprintf(out, c + 1 < ncol ? "%-*s  " : "%-*s", c + 1 < ncol ? (int)width[c] : 0,
				cells[r][c]);
		fputc('\n', out);
	}
}

static void print_table(FILE *out, json_t *arr, int indent)
{
	const char *cols[COLUMNS_MAX];
	unsigned ncol = 0;
	size_t nrow = json_array_size(arr), r;
	json_t *row, *v;
	const char *key;

	json_array_foreach(arr, r, row) {
		json_object_foreach(row, key, v) {
			unsigned c = 0;
			while (c < ncol && strcmp(cols[c], key) != 0)
				c++;
			if (c == ncol && ncol < COLUMNS_MAX)
				cols[ncol++] = key;
		}
	}
	char (*cells)[COLUMNS_MAX][CELL_MAX] = calloc(nrow, sizeof(*cells));
	if (cells == NULL)
		return;
	json_array_foreach(arr, r, row)
		for (unsigned c = 0; c < ncol; c++) {
			v = json_object_get(row, cols[c]);
			cell(cells[r][c], CELL_MAX, member(row, cols[c]));
		}
	print_rows(out, indent, cols, ncol, cells, nrow);
	free(cells);
}

static void print_object(FILE *out, json_t *obj, int indent)
{
	const char *key;
	json_t *v;
	int width = 0;
	char buf[CELL_MAX];

	json_object_foreach(obj, key, v)
		if ((int)strlen(key) > width)
			width = (int)strlen(key);
	json_object_foreach(obj, key, v) {
		if (json_is_object(v) && json_object_size(v) > 0) {
			fprintf(out, "%*s%s:\n", indent, "", key);
			print_object(out, v, indent + 2);
		} else if (table_like(v)) {
			fprintf(out, "%*s%s:\n", indent, "", key);
			print_table(out, v, indent + 2);
		} else {
			cell(buf, sizeof(buf), v);
			fprintf(out, "%*s%s:%*s %s\n", indent, "", key,
				width - (int)strlen(key), "", buf);
		}
	}
}

static void print_generic(FILE *out, json_t *result)
{
	char buf[CELL_MAX];

	if (json_is_object(result))
		print_object(out, result, 0);
	else if (table_like(result))
		print_table(out, result, 0);
	else if (json_is_string(result)) {
		const char *s = json_string_value(result);
		fprintf(out, "%s%s", s, s[0] != '\0' && s[strlen(s) - 1] == '\n' ? "" : "\n");
	} else {
		cell(buf, sizeof(buf), result);
		fprintf(out, "%s\n", buf);
	}
}

static uint64_t uint_member(json_t *obj, const char *name, bool *present)
{
	json_t *v = json_object_get(obj, name);

	*present = json_is_integer(v) && json_integer_value(v) >= 0;
	return *present ? (uint64_t)json_integer_value(v) : 0;
}

static void bytes_member(char *buf, json_t *obj, const char *name)
{
	bool has;
	uint64_t v = uint_member(obj, name, &has);

	if (has)
		bytes(buf, CELL_MAX, v);
	else
		snprintf(buf, CELL_MAX, "-");
}

static void print_peers(FILE *out, json_t *peers)
{
	static const char *const head[] = {
		"public_key", "endpoint", "allowed_ips", "latest_handshake",
		"received", "sent", "keepalive",
	};
	size_t n = json_array_size(peers), r;
	json_t *p;
	time_t now = time(NULL);

	if (n == 0) {
		fprintf(out, "no peers\n");
		return;
	}
	char (*cells)[COLUMNS_MAX][CELL_MAX] = calloc(n, sizeof(*cells));
	if (cells == NULL)
		return;
	json_array_foreach(peers, r, p) {
		bool has;
		uint64_t v;
		json_t *ep = json_object_get(p, "endpoint");

		cell(cells[r][0], CELL_MAX, member(p, "public_key"));
		if (json_is_string(ep))
			cell(cells[r][1], CELL_MAX, ep);
		else
			snprintf(cells[r][1], CELL_MAX, "(none)");
		cell(cells[r][2], CELL_MAX, member(p, "allowed_ips"));
		v = uint_member(p, "last_handshake", &has);
		if (!has)
			snprintf(cells[r][3], CELL_MAX, "-");
		else if (v == 0)
			snprintf(cells[r][3], CELL_MAX, "never");
		else {
			char d[64];
			duration(d, sizeof(d), (uint64_t)now > v ? (uint64_t)now - v : 0);
			snprintf(cells[r][3], CELL_MAX, "%s ago", d);
		}
		bytes_member(cells[r][4], p, "rx_bytes");
		bytes_member(cells[r][5], p, "tx_bytes");
		v = uint_member(p, "persistent_keepalive", &has);
		if (!has)
			snprintf(cells[r][6], CELL_MAX, "-");
		else if (v == 0)
			snprintf(cells[r][6], CELL_MAX, "off");
		else
			snprintf(cells[r][6], CELL_MAX, "every %" PRIu64 "s", v);
	}
	print_rows(out, 0, head, sizeof(head) / sizeof(head[0]), cells, n);
	free(cells);
}

void ws_ctl_print(FILE *out, const char *method, json_t *result)
{
	if (strcmp(method, "peer.list") == 0) {
		json_t *peers = json_is_object(result) ? json_object_get(result, "peers") : result;
		if (json_is_array(peers)) {
			print_peers(out, peers);
			return;
		}
	}
	if (strcmp(method, "gateway.info") == 0 && json_is_object(result) &&
	    json_is_integer(json_object_get(result, "uptime"))) {
		json_t *copy = json_copy(result);
		char d[64];
		duration(d, sizeof(d), (uint64_t)json_integer_value(json_object_get(result, "uptime")));
		json_object_set_new(copy, "uptime", json_string(d));
		print_generic(out, copy);
		json_decref(copy);
		return;
	}
	print_generic(out, result);
}
