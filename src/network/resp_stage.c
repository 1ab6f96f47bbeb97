/*
 * resp_stage.c - the response cursor (resp_stage.h): size prefix, memory
 * parts and file fragments copied in wire order into the caller's buffers.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "resp_stage.h"

void sm_resp_cursor_init(sm_resp_cursor_t *cur, const sm_wbuf_t *w)
{
	memset(cur, 0, sizeof(*cur));
	cur->w = w;
	sm_put_be32(cur->hdr, (uint32_t)sm_wbuf_size(w));
	cur->hdr_left = 4;
}

int sm_resp_cursor_fill(sm_resp_cursor_t *cur, uint8_t *buf, size_t cap, size_t *used,
			char *why, size_t whylen)
{
	const sm_wbuf_t *w = cur->w;

	while (cur->hdr_left > 0 && *used < cap) {
		buf[(*used)++] = cur->hdr[4 - cur->hdr_left];
		cur->hdr_left--;
	}
	while (*used < cap) {
		size_t room = cap - *used, n;
		if (cur->frag < w->nfrags && cur->mem == w->frags[cur->frag].at) {
			/* a fragment is spliced here (several may follow one
			 * another at the same position) */
			const sm_wfrag_t *f = &w->frags[cur->frag];
			ssize_t r;
			n = f->len - cur->foff;
			if (n == 0) {
				cur->frag++;
				cur->foff = 0;
				continue;
			}
			if (n > room)
				n = room;
			do
				r = pread(f->file->fd, buf + *used, n, f->offset + (off_t)cur->foff);
			while (r < 0 && errno == EINTR);
			if (r <= 0) {
				if (r < 0)
					snprintf(why, whylen, "%s while reading a file fragment of "
						 "a response", strerror(errno));
				else
					snprintf(why, whylen, "a file fragment of a response ended "
						 "early (%zu of its %zu bytes read)", cur->foff, f->len);
				return -1;
			}
			*used += (size_t)r;
			cur->foff += (size_t)r;
			continue;
		}
		n = (cur->frag < w->nfrags ? w->frags[cur->frag].at : w->len) - cur->mem;
		if (n == 0)
			return 1; /* past the last fragment and memory part */
		if (n > room)
			n = room;
		memcpy(buf + *used, w->p + cur->mem, n);
		*used += n;
		cur->mem += n;
	}
	/* full: done only if nothing is left (a fragment with its last byte
	 * copied, or empty ones, still count as left until passed) */
	while (cur->frag < w->nfrags && cur->mem == w->frags[cur->frag].at &&
	       cur->foff == w->frags[cur->frag].len) {
		cur->frag++;
		cur->foff = 0;
	}
	return cur->hdr_left == 0 && cur->frag == w->nfrags && cur->mem == w->len;
}
