/*
 * msg_interbroker.c - helpers shared by the inter-broker message codecs (see
 * msg_interbroker.h).
 *
 * Thread-safety: pure functions on caller-owned buffers.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* qsort_r */
#endif
#include "msg_interbroker.h"

#include <stdlib.h>
#include <string.h>

#include "protocol.h"

/* The protocol helper leaves a partly read array behind on failure; these
 * callers expect NULL then. */
int32_t *sm_msg_i32s_read(sm_rbuf_t *rb, int compact, sm_arena_t *a, int32_t *cnt)
{
	int32_t *v = sm_proto_i32s_read(rb, compact, 0, a, cnt);

	return rb->err ? NULL : v;
}

void sm_msg_i32s_write(sm_wbuf_t *w, const int32_t *v, int32_t cnt, int compact)
{
	sm_wbuf_array(w, cnt, compact);
	for (int32_t i = 0; i < cnt; i++)
		sm_wbuf_i32(w, v[i]);
}

char *sm_msg_str_read(sm_rbuf_t *rb, int compact, sm_arena_t *a)
{
	return sm_proto_str_read(rb, compact, 0, a);
}

void sm_msg_str_write(sm_wbuf_t *w, const char *s, int compact)
{
	sm_proto_str_write(w, s, compact, 0);
}

void *sm_msg_grow(sm_arena_t *a, void *arr, int32_t cnt, int32_t *cap, size_t elem)
{
	if (cnt < *cap)
		return arr;
	int32_t ncap = *cap ? *cap * 2 : 8;
	void *n = sm_arena_alloc(a, (size_t)ncap * elem);
	if (cnt > 0)
		memcpy(n, arr, (size_t)cnt * elem);
	*cap = ncap;
	return n;
}

int sm_msg_strcmp0(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

typedef struct sm_msg_sortctx {
	const uint8_t *base;
	size_t stride;
	int (*cmp)(const void *a, const void *b);
} sm_msg_sortctx_t;

/* Key first, then original position: makes the sort stable. */
static int sm_msg_item_cmp(const void *x, const void *y, void *arg)
{
	const sm_msg_sortctx_t *c = arg;
	int32_t i = *(const int32_t *)x, j = *(const int32_t *)y;
	int r = c->cmp(c->base + (size_t)i * c->stride, c->base + (size_t)j * c->stride);
	if (r)
		return r;
	return (i > j) - (i < j);
}

typedef struct sm_msg_run {
	int32_t first; /* smallest item index of the group */
	int32_t off;   /* where the group starts in the key-sorted order */
	int32_t len;
} sm_msg_run_t;

static int sm_msg_run_cmp(const void *x, const void *y)
{
	const sm_msg_run_t *a = x, *b = y;
	return (a->first > b->first) - (a->first < b->first);
}

void sm_msg_groups_build(sm_msg_groups_t *g, const void *base, size_t stride, int32_t n,
			 int (*cmp)(const void *a, const void *b))
{
	sm_msg_sortctx_t ctx = { base, stride, cmp };
	int32_t *sorted = sm_malloc((size_t)(n > 0 ? n : 1) * sizeof(*sorted));
	sm_msg_run_t *runs = sm_malloc((size_t)(n > 0 ? n : 1) * sizeof(*runs));
	int32_t nruns = 0;

	for (int32_t i = 0; i < n; i++)
		sorted[i] = i;
	qsort_r(sorted, (size_t)n, sizeof(*sorted), sm_msg_item_cmp, &ctx);
	for (int32_t i = 0; i < n; i++) {
		if (nruns > 0 &&
		    !cmp((const uint8_t *)base + (size_t)sorted[i] * stride,
			 (const uint8_t *)base + (size_t)sorted[i - 1] * stride)) {
			runs[nruns - 1].len++;
			continue;
		}
		runs[nruns].first = sorted[i];
		runs[nruns].off = i;
		runs[nruns].len = 1;
		nruns++;
	}
	qsort(runs, (size_t)nruns, sizeof(*runs), sm_msg_run_cmp);

	g->order = sm_malloc((size_t)(n > 0 ? n : 1) * sizeof(*g->order));
	g->start = sm_malloc((size_t)(nruns + 1) * sizeof(*g->start));
	g->ngroups = nruns;
	int32_t pos = 0;
	for (int32_t r = 0; r < nruns; r++) {
		g->start[r] = pos;
		memcpy(g->order + pos, sorted + runs[r].off, (size_t)runs[r].len * sizeof(int32_t));
		pos += runs[r].len;
	}
	g->start[nruns] = pos;
	free(sorted);
	free(runs);
}

void sm_msg_groups_free(sm_msg_groups_t *g)
{
	free(g->order);
	free(g->start);
	g->order = g->start = NULL;
	g->ngroups = 0;
}

void sm_msg_topic_id_find(const sm_msg_topic_id_t *tab, int32_t n, const char *topic,
			  int32_t hint, uint8_t out[16])
{
	if (hint >= 0 && hint < n && !sm_msg_strcmp0(tab[hint].topic, topic)) {
		memcpy(out, tab[hint].id, 16);
		return;
	}
	for (int32_t i = 0; i < n; i++) {
		if (!sm_msg_strcmp0(tab[i].topic, topic)) {
			memcpy(out, tab[i].id, 16);
			return;
		}
	}
	memset(out, 0, 16);
}
