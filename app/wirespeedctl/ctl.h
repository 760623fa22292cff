/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wirespeedctl's pieces: building the request from key=value words
 * (params.c) and printing a result for people (output.c).
 */
#ifndef WS_CTL_H
#define WS_CTL_H

#include <stdio.h>

#include <jansson.h>

/*
 * The params object for words "key=value" / "key:=JSON" (see the usage
 * text in main.c). NULL with a message in err (errlen bytes) for a bad
 * word.
 */
json_t *ws_ctl_params(char *const *words, int n, char *err, size_t errlen);

/* Prints method's result as tables and "key: value" lines. */
void ws_ctl_print(FILE *out, const char *method, json_t *result);

#endif /* WS_CTL_H */
