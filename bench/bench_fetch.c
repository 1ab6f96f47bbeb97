/*
 * bench_fetch.c - read-path benchmark against a running broker: MB/s of
 * record data a consumer receives when it fetches a whole partition with
 * Fetch v12 (served from the page cache through the broker's sendfile path),
 * as a ratio to a plain sendfile(2) copy of the partition's segment files
 * over a loopback TCP connection in the same run. Printed figures, never
 * assertions.
 *
 *   bench_fetch produce HOST:PORT TOPIC PARTITION MB
 *       fills the partition with MB MiB of 1 KiB records (Produce v8,
 *       acks=1, batches of SM_BENCH_FETCH_BATCH_KB KiB, default 512);
 *   bench_fetch fetch HOST:PORT TOPIC PARTITION SEGMENT.log...
 *       the measurement proper.
 *
 * Both sides are made alike: the data is in the page cache (an untimed
 * warm-up round of each reads it first), the receiving side is the same loop
 * (recv(2) into one buffer of SM_BENCH_FETCH_BUF_KB KiB, default 256, with
 * the kernel's default receive buffer), and the rounds alternate so that a
 * burst of load elsewhere hits both. The consumer does not go through
 * sm_net_client (which gathers a whole response in memory, and would time
 * malloc and memcpy of 50 MiB frames): it parses the response framing with
 * Samsa's buffer reader up to the records field, then walks only the batch
 * headers as the bytes stream past, to find the next fetch offset, and
 * discards the record data. Environment: SM_BENCH_FETCH_ROUNDS (timed rounds
 * of each, default 7), SM_BENCH_FETCH_MAX_MB (max_bytes and
 * partition_max_bytes of each Fetch, default 64; the broker caps it at
 * fetch.max.bytes), SM_BENCH_FETCH_SNDBUF (SO_SNDBUF of the plain copy's
 * sending socket, default 102400 like the broker's socket.send.buffer.bytes;
 * 0 leaves the kernel's autotuning, which on loopback was slower here),
 * SM_BENCH_FETCH_ONLY ("fetch" or
 * "sendfile": time one case alone, e.g. under perf; the ratio is then
 * meaningless).
 *
 * Thread-safety: the main thread plus, during a plain copy, one receiving
 * thread that shares nothing with it but the socket and its result.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "msg_fetch.h"
#include "msg_produce.h"
#include "net_client.h"
#include "protocol.h"
#include "record_batch.h"

#define BF_FETCH_VERSION 12
#define BF_PRODUCE_VERSION 8
#define BF_PREFIX_MAX 4096
/* Batch header bytes up to and including lastOffsetDelta. */
#define BF_HDR_NEED 27
/* Kafka's default socket.send.buffer.bytes, which the broker applies. */
#define BF_SNDBUF_DEFAULT 102400

typedef struct bf_target {
	char host[256];
	int port;
	const char *topic;
	int32_t partition;
} bf_target_t;

/* Where the batch walk of one response stands. */
typedef struct bf_walk {
	size_t pos;          /* record bytes seen so far */
	size_t next;         /* start of the next batch header */
	size_t have;         /* bytes of that header in hdr */
	uint8_t hdr[BF_HDR_NEED];
	size_t records_len;
	int64_t next_offset; /* last offset of the last complete batch + 1 */
} bf_walk_t;

typedef struct bf_reader {
	int lfd;
	size_t bufsize;
	uint64_t expect;
	uint64_t got;
	double end;
} bf_reader_t;

static double bf_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long bf_env(const char *name, long dflt)
{
	const char *v = getenv(name);
	return v && *v ? strtol(v, NULL, 10) : dflt;
}

static void bf_die(const char *what)
{
	fprintf(stderr, "bench_fetch: %s%s%s\n", what, errno ? ": " : "", errno ? strerror(errno) : "");
	exit(1);
}

static void bf_parse_target(bf_target_t *t, const char *hostport, const char *topic, const char *part)
{
	const char *colon = strrchr(hostport, ':');
	if (!colon || (size_t)(colon - hostport) >= sizeof(t->host)) {
		fprintf(stderr, "bench_fetch: expected HOST:PORT, got %s\n", hostport);
		exit(2);
	}
	memcpy(t->host, hostport, (size_t)(colon - hostport));
	t->host[colon - hostport] = '\0';
	t->port = atoi(colon + 1);
	t->topic = topic;
	t->partition = (int32_t)atoi(part);
}

static int bf_connect(const char *host, int port)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai;
	char ps[16];
	snprintf(ps, sizeof(ps), "%d", port);
	if (getaddrinfo(host, ps, &hints, &ai))
		bf_die("cannot resolve the broker");
	int fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen))
		bf_die("cannot connect");
	freeaddrinfo(ai);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void bf_send_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			bf_die("send failed");
		p += n;
		len -= (size_t)n;
	}
}

static size_t bf_recv_some(int fd, uint8_t *p, size_t len)
{
	for (;;) {
		ssize_t n = recv(fd, p, len, 0);
		if (n > 0)
			return (size_t)n;
		if (n < 0 && errno == EINTR)
			continue;
		errno = n == 0 ? 0 : errno;
		bf_die("receive failed (connection closed?)");
	}
}

/* ---- filling the partition ---- */

static void bf_make_batch(sm_wbuf_t *w, size_t rec_bytes, size_t batch_bytes)
{
	int n = (int)(batch_bytes / (rec_bytes + 12));
	uint8_t *val = sm_malloc(rec_bytes);
	for (size_t i = 0; i < rec_bytes; i++)
		val[i] = (uint8_t)('a' + i % 26);
	sm_record_t *recs = sm_calloc((size_t)(n < 1 ? 1 : n), sizeof(*recs));
	for (int i = 0; i < n; i++) {
		recs[i].timestamp = 1700000000000LL;
		recs[i].key_len = -1;
		recs[i].value = val;
		recs[i].value_len = (int32_t)rec_bytes;
	}
	sm_batch_build(w, SM_CODEC_NONE, 0, 1700000000000LL, recs, n < 1 ? 1 : n);
	free(recs);
	free(val);
}

static int bf_produce(const bf_target_t *t, long mb)
{
	size_t batch_bytes = (size_t)bf_env("SM_BENCH_FETCH_BATCH_KB", 512) << 10;
	sm_net_client_t *c = sm_net_client_new(t->host, t->port);
	sm_wbuf_t recs, body, resp;
	sm_wbuf_init(&recs, batch_bytes + 4096);
	sm_wbuf_init(&body, batch_bytes + 4096);
	sm_wbuf_init(&resp, 256);
	bf_make_batch(&recs, 1024, batch_bytes);
	sm_produce_req_partition_data_t p = { .index = t->partition };
	p.records.ptr = recs.p;
	p.records.len = (int32_t)recs.len;
	sm_produce_req_topic_data_t tp = { .name = (char *)t->topic, .partition_data = &p,
					   .partition_data_cnt = 1 };
	sm_produce_req_t req = { .acks = 1, .timeout_ms = 30000, .topic_data = &tp, .topic_data_cnt = 1 };
	sm_produce_req_write(&body, BF_PRODUCE_VERSION, &req);
	uint64_t total = (uint64_t)mb << 20, done = 0;
	double t0 = bf_now();
	while (done < total) {
		int err = sm_net_client_request(c, SM_API_PRODUCE, BF_PRODUCE_VERSION, &body, 0, &resp, 60000);
		sm_arena_t a;
		sm_arena_init(&a);
		sm_produce_resp_t r;
		sm_rbuf_t rb;
		sm_rbuf_init(&rb, resp.p, resp.len);
		if (!err && (sm_produce_resp_read(&rb, BF_PRODUCE_VERSION, &a, &r) || r.responses_cnt != 1 ||
			     r.responses[0].partition_responses_cnt != 1))
			err = SM_ERR__PARSE;
		if (!err)
			err = r.responses[0].partition_responses[0].error_code;
		sm_arena_destroy(&a);
		if (err) {
			fprintf(stderr, "bench_fetch: produce failed: %s (%s)\n", sm_err_name(err),
				sm_net_client_last_error(c));
			return 1;
		}
		done += recs.len;
	}
	printf("produced %.0f MiB in %.1f s\n", (double)done / 1048576.0, bf_now() - t0);
	sm_net_client_destroy(c);
	sm_wbuf_free(&recs);
	sm_wbuf_free(&body);
	sm_wbuf_free(&resp);
	return 0;
}

/* ---- the consumer side ---- */

/* A framed Fetch v12 request (header v2) for one partition from offset. */
static void bf_fetch_request(sm_wbuf_t *w, const bf_target_t *t, int32_t corr, int64_t offset,
			     int32_t max_bytes)
{
	sm_fetch_req_partition_t p = { .partition = t->partition, .current_leader_epoch = -1,
				       .fetch_offset = offset, .last_fetched_epoch = -1,
				       .log_start_offset = -1, .partition_max_bytes = max_bytes };
	sm_fetch_req_topic_t tp = { .topic = (char *)t->topic, .partitions = &p, .partitions_cnt = 1 };
	sm_fetch_req_t req = { .replica_id = -1, .max_wait_ms = 500, .min_bytes = 1,
			       .max_bytes = max_bytes, .session_epoch = -1, .topics = &tp,
			       .topics_cnt = 1, .rack_id = "" };
	sm_wbuf_reset(w);
	size_t at = sm_wbuf_reserve(w, 4);
	sm_wbuf_i16(w, SM_API_FETCH);
	sm_wbuf_i16(w, BF_FETCH_VERSION);
	sm_wbuf_i32(w, corr);
	sm_wbuf_str(w, "bench-fetch", 0);
	sm_wbuf_tags_empty(w);
	sm_fetch_req_write(w, BF_FETCH_VERSION, &req);
	sm_wbuf_patch_i32(w, at, (int32_t)(w->len - 4));
}

/*
 * Parses a Fetch v12 response (header v1) of one topic and one partition up
 * to the start of its record data. Returns 1 with *consumed (bytes before
 * the data), *records_len and *hw set; 0 if p holds too little yet; -1 if
 * the response is not what was asked for.
 */
static int bf_parse_prefix(const uint8_t *p, size_t len, int32_t corr, size_t *consumed,
			   size_t *records_len, int64_t *hw)
{
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, p, len);
	int32_t got = sm_rbuf_i32(&rb);
	sm_rbuf_skip_tags(&rb);
	sm_rbuf_skip(&rb, 4 + 2 + 4); /* throttle_time_ms, error_code, session_id */
	uint32_t ntopics = sm_rbuf_uvarint(&rb);
	sm_bytes_t name = sm_rbuf_bytes(&rb, 1); /* same framing as a compact string */
	uint32_t nparts = sm_rbuf_uvarint(&rb);
	sm_rbuf_skip(&rb, 4);
	int16_t error = sm_rbuf_i16(&rb);
	*hw = sm_rbuf_i64(&rb);
	sm_rbuf_skip(&rb, 8 + 8); /* last_stable_offset, log_start_offset */
	uint32_t naborted = sm_rbuf_uvarint(&rb);
	for (uint32_t i = 1; i < naborted && !rb.err; i++) {
		sm_rbuf_skip(&rb, 16);
		sm_rbuf_skip_tags(&rb);
	}
	sm_rbuf_skip(&rb, 4); /* preferred_read_replica */
	uint32_t rlen = sm_rbuf_uvarint(&rb);
	if (rb.err)
		return len >= BF_PREFIX_MAX ? -1 : 0;
	(void)name;
	if (got != corr || ntopics != 2 || nparts != 2 || error) {
		fprintf(stderr, "bench_fetch: unexpected response (correlation id %d, %u topics, "
			"%u partitions, error %s)\n", got, ntopics - 1, nparts - 1, sm_err_name(error));
		return -1;
	}
	*consumed = rb.pos;
	*records_len = rlen > 0 ? rlen - 1 : 0;
	return 1;
}

/* Feeds record bytes [w->pos, w->pos + len) to the batch-header walk. */
static void bf_walk_feed(bf_walk_t *w, const uint8_t *p, size_t len)
{
	size_t end = w->pos + len;
	while (w->next < end) {
		size_t at = w->next + w->have;
		size_t n = BF_HDR_NEED - w->have;
		if (n > end - at)
			n = end - at;
		memcpy(w->hdr + w->have, p + (at - w->pos), n);
		w->have += n;
		if (w->have < BF_HDR_NEED)
			break;
		int64_t base = (int64_t)sm_be64(w->hdr);
		size_t size = 12 + (size_t)sm_be32(w->hdr + 8);
		if (w->next + size <= w->records_len)
			w->next_offset = base + (int32_t)sm_be32(w->hdr + 23) + 1;
		w->next += size;
		w->have = 0;
	}
	w->pos = end;
}

/* Receives one response; returns its record bytes and sets *next_offset
 * (unchanged if no complete batch came) and *hw. */
static size_t bf_fetch_response(int fd, uint8_t *buf, size_t bufsize, int32_t corr,
				int64_t *next_offset, int64_t *hw)
{
	uint8_t szb[4];
	size_t have = 0;
	while (have < 4)
		have += bf_recv_some(fd, szb + have, 4 - have);
	size_t left = sm_be32(szb), filled = 0, consumed = 0;
	bf_walk_t w = { .next_offset = *next_offset };
	int r = 0;
	while (r == 0) {
		size_t cap = bufsize - filled;
		if (cap > left)
			cap = left;
		if (cap == 0)
			bf_die("response ends before its record data");
		size_t n = bf_recv_some(fd, buf + filled, cap);
		filled += n;
		left -= n;
		r = bf_parse_prefix(buf, filled, corr, &consumed, &w.records_len, hw);
		if (r < 0)
			exit(1);
	}
	size_t in_data = filled - consumed;
	if (in_data > w.records_len)
		in_data = w.records_len;
	bf_walk_feed(&w, buf + consumed, in_data);
	while (left > 0) {
		size_t n = bf_recv_some(fd, buf, left < bufsize ? left : bufsize);
		left -= n;
		if (w.pos < w.records_len)
			bf_walk_feed(&w, buf, n < w.records_len - w.pos ? n : w.records_len - w.pos);
	}
	*next_offset = w.next_offset;
	return w.records_len;
}

/* Fetches the partition from offset 0 to the high watermark; returns MB/s
 * and the record bytes received in *bytes. */
static double bf_fetch_round(const bf_target_t *t, size_t bufsize, int32_t max_bytes, uint64_t *bytes)
{
	int fd = bf_connect(t->host, t->port);
	uint8_t *buf = sm_malloc(bufsize);
	sm_wbuf_t req;
	sm_wbuf_init(&req, 256);
	int64_t offset = 0, hw = -1;
	int32_t corr = 0;
	*bytes = 0;
	double t0 = bf_now();
	while (hw < 0 || offset < hw) {
		bf_fetch_request(&req, t, ++corr, offset, max_bytes);
		bf_send_all(fd, req.p, req.len);
		int64_t before = offset;
		*bytes += bf_fetch_response(fd, buf, bufsize, corr, &offset, &hw);
		if (offset == before && offset < hw) {
			errno = 0;
			bf_die("a fetch made no progress");
		}
	}
	double secs = bf_now() - t0;
	close(fd);
	free(buf);
	sm_wbuf_free(&req);
	return (double)*bytes / 1048576.0 / secs;
}

/* ---- the plain sendfile copy ---- */

static void *bf_reader_main(void *arg)
{
	bf_reader_t *r = arg;
	int fd = accept(r->lfd, NULL, NULL);
	if (fd < 0)
		bf_die("accept failed");
	uint8_t *buf = sm_malloc(r->bufsize);
	while (r->got < r->expect)
		r->got += bf_recv_some(fd, buf, r->bufsize);
	r->end = bf_now();
	free(buf);
	close(fd);
	return NULL;
}

static void bf_sendfile_all(int sock, const char *path)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st))
		bf_die(path);
	off_t off = 0;
	while (off < st.st_size) {
		ssize_t n = sendfile(sock, fd, &off, (size_t)(st.st_size - off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			bf_die("sendfile failed");
	}
	close(fd);
}

/* Copies the files over one loopback connection to a thread that discards
 * them; returns MB/s. */
static double bf_sendfile_round(char **files, int nfiles, uint64_t total, size_t bufsize)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t salen = sizeof(sa);
	bf_reader_t r = { .bufsize = bufsize, .expect = total };
	r.lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (r.lfd < 0 || bind(r.lfd, (struct sockaddr *)&sa, salen) || listen(r.lfd, 1) ||
	    getsockname(r.lfd, (struct sockaddr *)&sa, &salen))
		bf_die("cannot listen on loopback");
	pthread_t th;
	pthread_create(&th, NULL, bf_reader_main, &r);
	int sock = bf_connect("127.0.0.1", ntohs(sa.sin_port));
	int sndbuf = (int)bf_env("SM_BENCH_FETCH_SNDBUF", BF_SNDBUF_DEFAULT);
	if (sndbuf > 0)
		setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	double t0 = bf_now();
	for (int i = 0; i < nfiles; i++)
		bf_sendfile_all(sock, files[i]);
	pthread_join(th, NULL);
	close(sock);
	close(r.lfd);
	return (double)total / 1048576.0 / (r.end - t0);
}

static int bf_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double bf_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bf_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int bf_fetch_main(const bf_target_t *t, char **files, int nfiles, const char *rerun)
{
	int rounds = (int)bf_env("SM_BENCH_FETCH_ROUNDS", 7);
	size_t bufsize = (size_t)bf_env("SM_BENCH_FETCH_BUF_KB", 256) << 10;
	int32_t max_bytes = (int32_t)(bf_env("SM_BENCH_FETCH_MAX_MB", 64) << 20);
	uint64_t total = 0, got;
	struct stat st;
	for (int i = 0; i < nfiles; i++) {
		if (stat(files[i], &st))
			bf_die(files[i]);
		total += (uint64_t)st.st_size;
	}
	if (rounds < 1 || bufsize == 0 || max_bytes <= 0 || total == 0) {
		fprintf(stderr, "bench_fetch: nothing to measure\n");
		return 2;
	}
	double *fr = sm_calloc((size_t)rounds, sizeof(double));
	double *sr = sm_calloc((size_t)rounds, sizeof(double));
	/* Untimed warm-up: pulls the files into the page cache. */
	bf_sendfile_round(files, nfiles, total, bufsize);
	bf_fetch_round(t, bufsize, max_bytes, &got);
	if (got != total)
		fprintf(stderr, "bench_fetch: note: fetched %" PRIu64 " record bytes, the segment "
			"files hold %" PRIu64 "\n", got, total);
	const char *only = getenv("SM_BENCH_FETCH_ONLY");
	for (int i = 0; i < rounds; i++) {
		if (!only || strcmp(only, "sendfile"))
			fr[i] = bf_fetch_round(t, bufsize, max_bytes, &got);
		if (!only || strcmp(only, "fetch"))
			sr[i] = bf_sendfile_round(files, nfiles, total, bufsize);
		printf("round %d: fetch %.0f MB/s, sendfile %.0f MB/s\n", i + 1, fr[i], sr[i]);
	}
	double fbest = fr[0], sbest = sr[0];
	for (int i = 1; i < rounds; i++) {
		fbest = fr[i] > fbest ? fr[i] : fbest;
		sbest = sr[i] > sbest ? sr[i] : sbest;
	}
	double fmed = bf_median(fr, rounds), smed = bf_median(sr, rounds);
	printf("== read path: %.0f MiB, Fetch v%d max_bytes %d MiB, recv buffer %zu KiB, "
	       "plain copy SO_SNDBUF %ld, %d rounds\n", (double)total / 1048576.0, BF_FETCH_VERSION,
	       max_bytes >> 20, bufsize >> 10, bf_env("SM_BENCH_FETCH_SNDBUF", BF_SNDBUF_DEFAULT), rounds);
	printf("%-34s %10s %10s\n", "case (MB/s)", "median", "best");
	printf("%-34s %10.0f %10.0f\n", "fetch through the broker", fmed, fbest);
	printf("%-34s %10.0f %10.0f\n", "plain sendfile over loopback", smed, sbest);
	printf("%-34s %10.2f %10.2f   (target >= 0.8)\n", "ratio", fmed / smed, fbest / sbest);
	printf("rerun: %s\n", rerun);
	free(fr);
	free(sr);
	return 0;
}

static void bf_usage(void)
{
	fprintf(stderr, "usage: bench_fetch produce HOST:PORT TOPIC PARTITION MB\n"
			"       bench_fetch fetch HOST:PORT TOPIC PARTITION SEGMENT.log...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	bf_target_t t;
	if (argc < 6)
		bf_usage();
	bf_parse_target(&t, argv[2], argv[3], argv[4]);
	if (!strcmp(argv[1], "produce"))
		return bf_produce(&t, strtol(argv[5], NULL, 10));
	if (strcmp(argv[1], "fetch"))
		bf_usage();
	char rerun[4096];
	int n = snprintf(rerun, sizeof(rerun), "%s", argv[0]);
	for (int i = 1; i < argc && n > 0 && (size_t)n < sizeof(rerun); i++)
		n += snprintf(rerun + n, sizeof(rerun) - (size_t)n, " %s", argv[i]);
	return bf_fetch_main(&t, argv + 5, argc - 5, rerun);
}
