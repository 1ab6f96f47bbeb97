/*
 * metrics.h - the broker's Prometheus metrics (docs/metrics.md).
 *
 * One process-wide registry. The hot paths (request dispatch, produce
 * appends, consumer fetch responses) only add to counters with relaxed
 * atomics: no lock is taken per request or per message. Per-topic counters
 * live in a hash table whose entries are published with a release store and
 * never removed, so a lookup is lock-free; only the first sight of a topic
 * takes the insert mutex. Gauges about partitions and the controller are
 * computed when scraped, through a callback the server registers.
 *
 * Names follow what the Prometheus JMX exporter's kafka-2_0_0.yml rules make
 * of Kafka's MBeans (kafka_server_brokertopicmetrics_messagesin_total, ...),
 * so dashboards and alerts written for Kafka work unchanged.
 *
 * Thread-safety: every function may be called from any thread.
 */
#ifndef SM_METRICS_H
#define SM_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

/* One client quota sensor (Kafka's kafka.server:type=<resource>,
 * user=..,client-id=.. MBean). */
typedef struct sm_metrics_quota {
	const char *resource; /* "Produce", "Fetch", "Request" or
			       * "ControllerMutation" (static) */
	char *user;           /* malloc'd; "" when not part of the entity */
	char *client;         /* malloc'd; "" likewise */
	double value;         /* byte-rate (Produce, Fetch), request-time or
			       * mutation-rate */
	double tokens;        /* ControllerMutation with a quota; else NaN */
	double throttle_ms;   /* throttle-time; NaN when none was given */
} sm_metrics_quota_t;

/* One hosted partition's log (Kafka's kafka.log:type=Log gauges). */
typedef struct sm_metrics_log {
	char *topic;          /* malloc'd */
	int32_t partition;
	int64_t size;         /* bytes in its segments */
	int64_t start_offset;
	int64_t end_offset;
	int64_t segments;
} sm_metrics_log_t;

/* Broker gauges, filled at scrape time by the registered source. */
typedef struct sm_metrics_gauges {
	int64_t partition_count;
	int64_t leader_count;
	int64_t under_replicated;
	int64_t under_min_isr;
	int64_t at_min_isr;
	int64_t offline_replicas;
	int64_t active_controller;   /* 1 on the active controller */
	int64_t offline_partitions;  /* controller's count; 0 elsewhere */
	int64_t global_topic_count;  /* controller only */
	int64_t global_partition_count;
	int64_t preferred_imbalance;  /* controller only */
	/* ControllerStats, kept by the controller since this broker started
	 * (counters: they survive losing the controller role) */
	int64_t election_count;      /* BrokerChange events handled
				      * (LeaderElectionRateAndTimeMs) */
	int64_t election_ms_sum;     /* their handling time, ms */
	int64_t unclean_elections;   /* UncleanLeaderElectionsPerSec */
	/* client quota sensors, malloc'd by the source (freed by the
	 * renderer, strings included) */
	sm_metrics_quota_t *quotas;
	int nquotas;
	/* GroupMetadataManager: groups cached here, their offsets, groups by
	 * state (Empty, PreparingRebalance, CompletingRebalance, Stable,
	 * Dead) */
	int64_t num_groups;
	int64_t num_offsets;
	int64_t groups_by_state[5];
	/* hosted partitions' logs, grown by the source with
	 * sm_metrics_add_log (freed by the renderer) */
	sm_metrics_log_t *logs;
	int nlogs, logs_cap;
} sm_metrics_gauges_t;

/* Appends one log's gauges to g (a copy of topic is taken). */
void sm_metrics_add_log(sm_metrics_gauges_t *g, const char *topic, int32_t partition,
			int64_t size, int64_t start_offset, int64_t end_offset, int64_t segments);

typedef void sm_metrics_gauge_fn(void *opaque, sm_metrics_gauges_t *out);

/* Registers (or, with fn NULL, removes) the gauge source. The caller
 * guarantees opaque outlives the registration. */
void sm_metrics_set_gauge_source(sm_metrics_gauge_fn *fn, void *opaque);

/* A request of api_key at version ver was accepted for handling. */
void sm_metrics_request(int16_t api_key, int16_t ver);
/* Its response was handed to the network after total_ms (receive to send). */
void sm_metrics_request_done(int16_t api_key, int64_t total_ms);

/* The phases of one request's life, milliseconds, recorded once its
 * response has been written (or dropped, for acks=0): Kafka's
 * RequestQueueTimeMs (read -> taken by a handler), LocalTimeMs (handler),
 * RemoteTimeMs (parked in a purgatory, 0 otherwise), ResponseQueueTimeMs
 * (queued for the network thread -> taken by it) and ResponseSendTimeMs
 * (taken -> last byte handed to the socket). */
enum {
	SM_METRICS_PH_REQUEST_QUEUE,
	SM_METRICS_PH_LOCAL,
	SM_METRICS_PH_REMOTE,
	SM_METRICS_PH_RESPONSE_QUEUE,
	SM_METRICS_PH_RESPONSE_SEND,
	SM_METRICS_PH__COUNT
};
void sm_metrics_request_phases(int16_t api_key, const int64_t ms[SM_METRICS_PH__COUNT]);

/* The error codes of one response with their counts (Kafka's ErrorsPerSec,
 * from the response's errorCounts; NONE included). */
void sm_metrics_request_errors(int16_t api_key, const int16_t *codes, const uint32_t *counts, int n);

/* Thread idle ratios (Kafka's NetworkProcessorAvgIdlePercent and
 * RequestHandlerAvgIdlePercent), averaged over the live threads of a pool
 * at scrape time, over the interval since the previous scrape. Slots are
 * the threads' indexes (at most SM_METRICS_IDLE_SLOTS per pool; threads
 * beyond are not counted). A thread registers itself when it starts and
 * unregisters before it exits. */
#define SM_METRICS_IDLE_SLOTS 256
enum { SM_METRICS_POOL_NETWORK, SM_METRICS_POOL_HANDLER, SM_METRICS_POOL__COUNT };
void sm_metrics_thread_register(int pool, int slot);
void sm_metrics_thread_unregister(int pool, int slot);
/* Request handlers: the calling thread starts (waiting 1) or stops waiting
 * for a request at now_ns (sm_clock_mono_ns). Network threads are measured
 * by their CPU clock instead: nothing to call. */
void sm_metrics_handler_wait(int slot, int waiting, int64_t now_ns);

/* Records appended as leader from a client Produce (Kafka's MessagesInPerSec
 * and BytesInPerSec: the batch size as the client sent it). */
void sm_metrics_produce(const char *topic, int64_t messages, int64_t bytes);
/* BytesRejectedPerSec: the partition's record set, when one of its batches is
 * over max.message.bytes (Kafka marks the whole set, as sent). */
void sm_metrics_bytes_rejected(const char *topic, int64_t bytes);
/* Record bytes in a consumer Fetch response (BytesOutPerSec; follower
 * fetches are not counted, as in Kafka). */
void sm_metrics_fetch_out(const char *topic, int64_t bytes);
/* Counted per partition in a Produce / consumer Fetch, as Kafka's
 * TotalProduceRequestsPerSec / TotalFetchRequestsPerSec. */
void sm_metrics_produce_partition(const char *topic, int failed);
void sm_metrics_fetch_partition(const char *topic, int failed);

/* The leader wrote a shrunk (shrink 1) or expanded (0) ISR to ZooKeeper
 * (ReplicaManager IsrShrinksPerSec / IsrExpandsPerSec). */
void sm_metrics_isr_change(int shrink);

/* ZooKeeper client: a request's round trip took ms
 * (ZooKeeperClientMetrics ZooKeeperRequestLatencyMs); the session expired
 * (expired 1, SessionExpireListener ZooKeeperExpiresPerSec) or a connected
 * session lost its connection (0, ZooKeeperDisconnectsPerSec). */
void sm_metrics_zk_request(int64_t ms);
void sm_metrics_zk_session(int expired);

/* Appends the whole exposition (text format 0.0.4) to out. */
void sm_metrics_render(struct evbuffer *out);

/* The HTTP endpoint (metrics_http.c): listener is "http://host:port"
 * (host may be empty or 0.0.0.0 for every address; port 0 picks a free
 * one). Returns NULL after writing the reason to err. */
typedef struct sm_metrics_http sm_metrics_http_t;
sm_metrics_http_t *sm_metrics_http_start(const char *listener, char *err, size_t errlen);
/* The bound port (useful with port 0). */
int sm_metrics_http_port(const sm_metrics_http_t *h);
/* Stops the thread and closes the socket; NULL is a no-op. */
void sm_metrics_http_stop(sm_metrics_http_t *h);

/* Parses "http://host:port" into host (empty for every address) and port;
 * 0 or -1 with a reason. Exposed for the unit tests. */
int sm_metrics_parse_listener(const char *listener, char *host, size_t hostlen, int *port,
			      char *err, size_t errlen);

#endif /* SM_METRICS_H */
