/*
 * msg_describe_log_dirs.h - DescribeLogDirs (key 35) request and response
 * bodies, versions 0-4 (Kafka's DescribeLogDirsRequestData /
 * DescribeLogDirsResponseData); flexible from 2. Kafka 2.8 serves 0-2; 3 adds
 * the top-level error code, 4 the volume's total and usable bytes.
 *
 * A null topics array in the request asks for every partition (topics_cnt
 * -1).
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_DESCRIBE_LOG_DIRS_H
#define SM_MSG_DESCRIBE_LOG_DIRS_H

#include <stdint.h>

#include "buf.h"

typedef struct sm_describe_log_dirs_req_topic {
	char *topic;
	int32_t *partitions;
	int32_t partitions_cnt;
} sm_describe_log_dirs_req_topic_t;

typedef struct sm_describe_log_dirs_req {
	sm_describe_log_dirs_req_topic_t *topics; /* nullable */
	int32_t topics_cnt;                       /* -1 = null = all */
} sm_describe_log_dirs_req_t;

typedef struct sm_describe_log_dirs_part {
	int32_t partition_index;
	int64_t partition_size;
	int64_t offset_lag;
	int is_future_key;
} sm_describe_log_dirs_part_t;

typedef struct sm_describe_log_dirs_topic {
	char *name;
	sm_describe_log_dirs_part_t *partitions;
	int32_t partitions_cnt;
} sm_describe_log_dirs_topic_t;

typedef struct sm_describe_log_dirs_result {
	int16_t error_code;
	char *log_dir;
	sm_describe_log_dirs_topic_t *topics;
	int32_t topics_cnt;
	int64_t total_bytes;  /* v4+, default -1 */
	int64_t usable_bytes; /* v4+, default -1 */
} sm_describe_log_dirs_result_t;

typedef struct sm_describe_log_dirs_resp {
	int32_t throttle_time_ms;
	int16_t error_code; /* v3+ */
	sm_describe_log_dirs_result_t *results;
	int32_t results_cnt;
} sm_describe_log_dirs_resp_t;

int sm_describe_log_dirs_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				  sm_describe_log_dirs_req_t *out);
void sm_describe_log_dirs_req_write(sm_wbuf_t *w, int16_t ver,
				    const sm_describe_log_dirs_req_t *in);
int sm_describe_log_dirs_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				   sm_describe_log_dirs_resp_t *out);
void sm_describe_log_dirs_resp_write(sm_wbuf_t *w, int16_t ver,
				     const sm_describe_log_dirs_resp_t *in);

#endif /* SM_MSG_DESCRIBE_LOG_DIRS_H */
