/*
 * time_index.c - the time index (Kafka's TimeIndex). See time_index.h.
 */
#include "time_index.h"

#include "buf.h"
#include "logger.h"

sm_err_t sm_time_index_open(sm_index_t *idx, const char *path, int64_t base_offset,
			    int32_t max_index_bytes, int *created)
{
	return sm_index_open(idx, path, base_offset, SM_TIME_INDEX_ENTRY_SIZE, max_index_bytes,
			     created);
}

int sm_time_index_is_full(const sm_index_t *idx)
{
	return sm_index_entries(idx) >= idx->max_entries - 1;
}

void sm_time_index_entry(const sm_index_t *idx, int32_t i, int64_t *timestamp, int64_t *offset)
{
	const uint8_t *p = idx->map + (size_t)i * SM_TIME_INDEX_ENTRY_SIZE;
	*timestamp = (int64_t)sm_be64(p);
	*offset = idx->base_offset + (int32_t)sm_be32(p + 8);
}

void sm_time_index_last_entry(const sm_index_t *idx, int64_t *timestamp, int64_t *offset)
{
	int32_t n = sm_index_entries(idx);
	if (n == 0) {
		*timestamp = -1;
		*offset = idx->base_offset;
		return;
	}
	sm_time_index_entry(idx, n - 1, timestamp, offset);
}

sm_err_t sm_time_index_maybe_append(sm_index_t *idx, int64_t timestamp, int64_t offset,
				    int skip_full_check)
{
	int32_t n = idx->entries;
	if (n >= idx->max_entries || (!skip_full_check && sm_time_index_is_full(idx)))
		return SM_ERR__FULL;
	int64_t last_ts, last_off;
	sm_time_index_last_entry(idx, &last_ts, &last_off);
	if (n > 0 && (offset < last_off || timestamp < last_ts))
		return SM_ERR__STATE;
	if (timestamp <= last_ts)
		return SM_ERR_NONE;
	int64_t rel = offset - idx->base_offset;
	if (rel < 0 || rel > INT32_MAX)
		return SM_ERR__STATE;
	uint8_t e[SM_TIME_INDEX_ENTRY_SIZE];
	sm_put_be64(e, (uint64_t)timestamp);
	sm_put_be32(e + 8, (uint32_t)rel);
	sm_err_t err = sm_index_write_entry(idx, n, e);
	if (err)
		return err;
	__atomic_store_n(&idx->entries, n + 1, __ATOMIC_RELEASE);
	return SM_ERR_NONE;
}

void sm_time_index_lookup(const sm_index_t *idx, int64_t target, int64_t *timestamp,
			  int64_t *offset)
{
	int32_t lo = 0, hi = sm_index_entries(idx) - 1, found = -1;
	while (lo <= hi) {
		int32_t mid = lo + (hi - lo) / 2;
		int64_t ts, off;
		sm_time_index_entry(idx, mid, &ts, &off);
		if (ts <= target) {
			found = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	if (found < 0) {
		*timestamp = -1;
		*offset = idx->base_offset;
		return;
	}
	sm_time_index_entry(idx, found, timestamp, offset);
}

void sm_time_index_truncate_to(sm_index_t *idx, int64_t offset)
{
	int32_t n = sm_index_entries(idx), keep = 0;
	/* Offsets in the time index are non-decreasing: keep the prefix below. */
	while (keep < n) {
		int64_t ts, off;
		sm_time_index_entry(idx, keep, &ts, &off);
		if (off >= offset)
			break;
		keep++;
	}
	__atomic_store_n(&idx->entries, keep, __ATOMIC_RELEASE);
}

sm_err_t sm_time_index_sanity_check(const sm_index_t *idx)
{
	const char *why = NULL;
	if (idx->map_len % SM_TIME_INDEX_ENTRY_SIZE)
		why = "its size is not a multiple of 12";
	int64_t prev_ts = -1, prev_off = idx->base_offset;
	for (int32_t i = 0; !why && i < idx->entries; i++) {
		int64_t ts, off;
		sm_time_index_entry(idx, i, &ts, &off);
		if (off < prev_off || ts <= prev_ts)
			why = "its entries are not increasing";
		prev_ts = ts;
		prev_off = off;
	}
	if (!why)
		return SM_ERR_NONE;
	sm_log_warn(NULL, "kafka.log.TimeIndex", "Corrupt time index found, time index file (%s): %s",
		    idx->path, why);
	return SM_ERR__CORRUPT;
}
