/*
 * log_manager.c - the broker's logs across log.dirs (Kafka's LogManager).
 * See log_manager.h.
 */
/* _GNU_SOURCE (for nftw) comes from the build flags. */
#include "log_manager.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "checkpoint.h"
#include "clock.h"
#include "logger.h"
#include "thread_role.h"
#include "throttler.h"

#define SM_LM_LOGGER "kafka.log.LogManager"
#define SM_LM_RECOVERY_CKPT "recovery-point-offset-checkpoint"
#define SM_LM_START_CKPT "log-start-offset-checkpoint"
#define SM_LM_CLEAN_SHUTDOWN ".kafka_cleanshutdown"
#define SM_LM_META "meta.properties"
/* A full dir is probed this often by writing and fsyncing a file of this
 * size (room for a default max.message.bytes batch, so appends do not fail
 * again at once), removed right after. */
#define SM_LM_PROBE_FILE ".log-dir-space-probe"
#define SM_LM_PROBE_INTERVAL_MS 2000
#define SM_LM_PROBE_BYTES (1024 * 1024)
/* Dirs remembered for partitions not hosted yet: a bound, so requests
 * naming made-up partitions cannot grow the table without limit. */
#define SM_LM_MAX_PREFERRED 65536

typedef struct sm_lm_dir {
	char *path;
	int lock_fd;
	int clean;
	int nlogs;
	int failed;  /* atomic: an I/O error was reported, not yet handled */
	int offline; /* atomic */
	int no_space;/* atomic: a write found no space, not yet handled */
	int full;    /* atomic: appends refused until the probe finds space */
	int64_t next_probe_ms; /* kafka-scheduler only */
	int creating; /* logs being created here with the lock dropped */
} sm_lm_dir_t;

/* A partition whose new log a thread is creating with the manager's lock
 * dropped (sm_log_manager_get_or_create); the topic points into that
 * caller's argument. */
typedef struct sm_lm_creating {
	const char *topic;
	int32_t partition;
} sm_lm_creating_t;

typedef struct sm_lm_entry {
	sm_log_t *log;
	int dir;
	int hnext; /* next entry of its hash chain, -1 at the end */
} sm_lm_entry_t;

/* A replica being moved to another log dir (Kafka's future log). */
typedef struct sm_lm_future {
	sm_log_t *log;  /* <dir>/<topic>-<partition>.<uuid>-future */
	int dir;
} sm_lm_future_t;

/* Kafka's preferredLogDirs: where a partition not hosted yet is created. */
typedef struct sm_lm_preferred {
	char *topic;
	int32_t partition;
	int dir;
} sm_lm_preferred_t;

struct sm_log_manager {
	pthread_mutex_t lock;
	sm_lm_dir_t *dirs;
	int ndirs;
	sm_log_config_t defaults;
	sm_lm_entry_t *logs;
	int nlogs;
	int logs_cap;
	/* (topic, partition) -> index in logs: chains through hnext, so a
	 * lookup does not walk every log (a LeaderAndIsr creating 10,000
	 * partitions would otherwise compare 50 million names). */
	int *hbuckets; /* first entry of each chain, -1 if none */
	int nbuckets;  /* a power of two, >= nlogs */
	/* kafka-scheduler */
	pthread_t sched;
	int sched_running;            /* under sched_lock */
	int sched_stop;               /* under sched_lock */
	pthread_mutex_t sched_lock;   /* leaf lock */
	pthread_cond_t sched_cond;
	sm_log_dir_failure_fn *on_failure;
	void *on_failure_opaque;
	int64_t retention_check_ms;
	int64_t flush_check_ms;
	int64_t last_retention_ms;
	int64_t last_flush_check_ms;
	/* replica moves (manager lock) */
	sm_lm_future_t *futures;
	int nfutures, futures_cap;
	sm_lm_preferred_t *preferred;
	int npreferred, preferred_cap;
	/* logs being created (manager lock): a second caller for the same
	 * partition waits on create_cond until the first has added it */
	sm_lm_creating_t *creating;
	int ncreating, creating_cap;
	pthread_cond_t create_cond;
	/* alter-log-dirs thread */
	pthread_t mover;
	int mover_running;
	int mover_stop;               /* under mover_lock */
	int mover_kick;               /* under mover_lock: new work */
	pthread_mutex_t mover_lock;   /* leaf lock */
	pthread_cond_t mover_cond;
	int32_t move_max_bytes;
	/* replica.alter.log.dirs.io.max.bytes.per.second over every copy */
	sm_throttler_t move_throttler;
	sm_log_moved_fn *on_moved;
	void *on_moved_opaque;
};

static void sm_lm_on_log_failure(void *opaque, sm_log_t *log);
static int sm_lm_on_log_roll(void *opaque, sm_log_t *log);

/* How often the alter-log-dirs throttle checks its rate. */
#define SM_LM_MOVE_CHECK_MS 100
static sm_err_t sm_lm_load_futures(sm_log_manager_t *lm, int di);
static void sm_lm_stop_scheduler(sm_log_manager_t *lm);

sm_log_manager_t *sm_log_manager_new(const char *const *dirs, int ndirs,
				     const sm_log_config_t *defaults)
{
	sm_log_manager_t *lm = sm_calloc(1, sizeof(*lm));
	pthread_mutex_init(&lm->lock, NULL);
	pthread_cond_init(&lm->create_cond, NULL);
	pthread_mutex_init(&lm->sched_lock, NULL);
	pthread_cond_init(&lm->sched_cond, NULL);
	pthread_mutex_init(&lm->mover_lock, NULL);
	pthread_cond_init(&lm->mover_cond, NULL);
	lm->move_max_bytes = 1048576;
	sm_throttler_init(&lm->move_throttler, (double)INT64_MAX, SM_LM_MOVE_CHECK_MS,
			  sm_clock_mono_ms());
	lm->retention_check_ms = 300000;
	lm->flush_check_ms = INT64_MAX;
	lm->dirs = sm_calloc((size_t)ndirs, sizeof(*lm->dirs));
	lm->ndirs = ndirs;
	for (int i = 0; i < ndirs; i++) {
		lm->dirs[i].path = sm_strdup(dirs[i]);
		lm->dirs[i].lock_fd = -1;
	}
	lm->defaults = *defaults;
	return lm;
}

int sm_log_manager_valid_topic(const char *topic)
{
	size_t n = strlen(topic);
	if (n == 0 || n > 249 || !strcmp(topic, ".") || !strcmp(topic, ".."))
		return 0;
	return strspn(topic, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* ---- the (topic, partition) index of lm->logs; manager lock held ---- */

static unsigned sm_lm_hash(const char *topic, int32_t partition)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const unsigned char *c = (const unsigned char *)topic; *c; c++)
		h = (h ^ *c) * 16777619u;
	return (h ^ (uint32_t)partition) * 16777619u;
}

static void sm_lm_link(sm_log_manager_t *lm, int i)
{
	sm_lm_entry_t *e = &lm->logs[i];
	unsigned b = sm_lm_hash(sm_log_topic(e->log), sm_log_partition(e->log)) &
		     (unsigned)(lm->nbuckets - 1);
	e->hnext = lm->hbuckets[b];
	lm->hbuckets[b] = i;
}

static void sm_lm_unlink(sm_log_manager_t *lm, int i)
{
	sm_lm_entry_t *e = &lm->logs[i];
	unsigned b = sm_lm_hash(sm_log_topic(e->log), sm_log_partition(e->log)) &
		     (unsigned)(lm->nbuckets - 1);
	for (int *pp = &lm->hbuckets[b]; *pp >= 0; pp = &lm->logs[*pp].hnext)
		if (*pp == i) {
			*pp = e->hnext;
			return;
		}
}

/* Sizes the buckets for n entries and relinks every entry. */
static void sm_lm_rehash(sm_log_manager_t *lm, int n)
{
	int nb = 256;
	while (nb < n && nb < (1 << 30))
		nb *= 2;
	lm->hbuckets = sm_realloc(lm->hbuckets, sizeof(int) * (size_t)nb);
	lm->nbuckets = nb;
	for (int b = 0; b < nb; b++)
		lm->hbuckets[b] = -1;
	for (int i = 0; i < lm->nlogs; i++)
		sm_lm_link(lm, i);
}

/* Removes entry i; the last entry takes its place. */
static void sm_lm_remove_at(sm_log_manager_t *lm, int i)
{
	int last = lm->nlogs - 1;
	sm_lm_unlink(lm, i);
	if (i != last) {
		sm_lm_unlink(lm, last);
		lm->logs[i] = lm->logs[last];
		sm_lm_link(lm, i);
	}
	lm->nlogs--;
}

static void sm_lm_add(sm_log_manager_t *lm, sm_log_t *log, int dir)
{
	if (lm->nlogs == lm->logs_cap) {
		lm->logs_cap = lm->logs_cap ? lm->logs_cap * 2 : 64;
		lm->logs = sm_realloc(lm->logs, sizeof(*lm->logs) * (size_t)lm->logs_cap);
	}
	lm->logs[lm->nlogs].log = log;
	lm->logs[lm->nlogs].dir = dir;
	sm_log_set_failure_handler(log, sm_lm_on_log_failure, lm);
	sm_log_set_roll_handler(log, sm_lm_on_log_roll, lm);
	lm->nlogs++;
	lm->dirs[dir].nlogs++;
	if (lm->nlogs > lm->nbuckets)
		sm_lm_rehash(lm, lm->nlogs * 2);
	else
		sm_lm_link(lm, lm->nlogs - 1);
}

static int sm_lm_find(sm_log_manager_t *lm, const char *topic, int32_t partition)
{
	if (lm->nbuckets == 0)
		return -1;
	unsigned b = sm_lm_hash(topic, partition) & (unsigned)(lm->nbuckets - 1);
	for (int i = lm->hbuckets[b]; i >= 0; i = lm->logs[i].hnext)
		if (sm_log_partition(lm->logs[i].log) == partition &&
		    !strcmp(sm_log_topic(lm->logs[i].log), topic))
			return i;
	return -1;
}

static int sm_lm_mkdirs(const char *path)
{
	char *p = sm_strdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	int rc = mkdir(p, 0755) < 0 && errno != EEXIST ? -1 : 0;
	free(p);
	return rc;
}

static int sm_lm_rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int sm_lm_rmtree(const char *path)
{
	return nftw(path, sm_lm_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- meta.properties ---- */

typedef struct sm_lm_meta {
	char cluster_id[256];
	char version[32];
	char broker_id[32];
} sm_lm_meta_t;

static void sm_lm_meta_copy(char *dst, size_t size, const char *v)
{
	snprintf(dst, size, "%s", v);
	dst[strcspn(dst, "\r\n")] = '\0';
}

/* Returns 1 if the file exists (fields filled), 0 if not. */
static int sm_lm_meta_read(const char *path, sm_lm_meta_t *m)
{
	memset(m, 0, sizeof(*m));
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	char line[1024];
	while (fgets(line, sizeof(line), f)) {
		char *s = line + strspn(line, " \t");
		if (*s == '#' || *s == '!')
			continue;
		char *eq = strchr(s, '=');
		if (!eq)
			continue;
		*eq = '\0';
		s[strcspn(s, " \t")] = '\0';
		const char *v = eq + 1 + strspn(eq + 1, " \t");
		if (!strcmp(s, "cluster.id"))
			sm_lm_meta_copy(m->cluster_id, sizeof(m->cluster_id), v);
		else if (!strcmp(s, "version"))
			sm_lm_meta_copy(m->version, sizeof(m->version), v);
		else if (!strcmp(s, "broker.id"))
			sm_lm_meta_copy(m->broker_id, sizeof(m->broker_id), v);
	}
	fclose(f);
	return 1;
}

static sm_err_t sm_lm_meta_check(const char *path, const sm_lm_meta_t *m, const char *cluster_id,
				 int32_t broker_id)
{
	char bid[32];
	snprintf(bid, sizeof(bid), "%d", (int)broker_id);
	if (m->version[0] && strcmp(m->version, "0")) {
		sm_log_error(NULL, SM_LM_LOGGER,
			     "Unsupported version %s in %s: a ZooKeeper-mode broker needs version 0",
			     m->version, path);
		return SM_ERR__CONFIG;
	}
	if (cluster_id && m->cluster_id[0] && strcmp(cluster_id, m->cluster_id)) {
		sm_log_error(NULL, SM_LM_LOGGER,
			     "The Cluster ID %s doesn't match stored clusterId %s in %s. The broker "
			     "is trying to join the wrong cluster. Configured zookeeper.connect may "
			     "be wrong.", cluster_id, m->cluster_id, path);
		return SM_ERR_INCONSISTENT_CLUSTER_ID;
	}
	if (m->broker_id[0] && strcmp(m->broker_id, bid)) {
		sm_log_error(NULL, SM_LM_LOGGER,
			     "Configured broker.id %s doesn't match stored broker.id %s in %s. If you "
			     "moved your data, make sure your configured broker.id matches. If you "
			     "intend to create a new broker, you should remove all data in your data "
			     "directories (log.dirs).", bid, m->broker_id, path);
		return SM_ERR__CONFIG;
	}
	return SM_ERR_NONE;
}

static sm_err_t sm_lm_meta(const char *dir, const char *cluster_id, int32_t broker_id)
{
	char path[4096], date[64], text[1024];
	sm_lm_meta_t m;
	snprintf(path, sizeof(path), "%s/%s", dir, SM_LM_META);
	sm_lm_meta_read(path, &m);
	sm_err_t err = sm_lm_meta_check(path, &m, cluster_id, broker_id);
	if (err)
		return err;
	const char *cid = cluster_id ? cluster_id : m.cluster_id;
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a %b %d %H:%M:%S %Z %Y", &tm);
	int n = snprintf(text, sizeof(text), "#\n#%s\n%s%s%sversion=0\nbroker.id=%d\n", date,
			 cid[0] ? "cluster.id=" : "", cid, cid[0] ? "\n" : "", (int)broker_id);
	return sm_checkpoint_write_file(path, text, (size_t)n);
}

/* ---- startup ---- */

/* Splits "<topic>-<partition>" at the last '-'. */
static int sm_lm_parse_dir_name(const char *name, char *topic, size_t size, int32_t *partition)
{
	const char *dash = strrchr(name, '-');
	if (!dash || dash == name || !dash[1] || (size_t)(dash - name) >= size)
		return 0;
	int64_t p = 0;
	for (const char *s = dash + 1; *s; s++) {
		if (*s < '0' || *s > '9' || p > INT32_MAX / 10)
			return 0;
		p = p * 10 + (*s - '0');
	}
	if (p > INT32_MAX)
		return 0;
	memcpy(topic, name, (size_t)(dash - name));
	topic[dash - name] = '\0';
	*partition = (int32_t)p;
	return sm_log_manager_valid_topic(topic);
}

static sm_err_t sm_lm_load_one(sm_log_manager_t *lm, int di, const char *name,
			       const sm_checkpoint_t *rp, const sm_checkpoint_t *lso)
{
	sm_lm_dir_t *d = &lm->dirs[di];
	char path[4096], topic[256];
	int32_t part;
	snprintf(path, sizeof(path), "%s/%s", d->path, name);
	size_t n = strlen(name);
	if (n > 7 && !strcmp(name + n - 7, "-delete")) {
		sm_log_info(NULL, SM_LM_LOGGER, "Deleting log directory %s left from before", path);
		sm_lm_rmtree(path);
		return SM_ERR_NONE;
	}
	if (!sm_lm_parse_dir_name(name, topic, sizeof(topic), &part)) {
		if (!strchr(name, '.'))
			sm_log_warn(NULL, SM_LM_LOGGER, "Skipping %s: not a <topic>-<partition> "
				    "log directory", path);
		return SM_ERR_NONE;
	}
	if (sm_lm_find(lm, topic, part) >= 0) {
		sm_log_error(NULL, SM_LM_LOGGER, "Duplicate log directories for %s-%d are found "
			     "(one is %s)", topic, (int)part, path);
		return SM_ERR__EXISTS;
	}
	sm_log_t *log;
	sm_err_t err = sm_log_open(path, topic, part, &lm->defaults,
				   sm_checkpoint_get(rp, topic, part, 0),
				   sm_checkpoint_get(lso, topic, part, -1), d->clean, &log);
	if (!err)
		sm_lm_add(lm, log, di);
	return err;
}

static sm_err_t sm_lm_load_dir(sm_log_manager_t *lm, int di)
{
	sm_lm_dir_t *d = &lm->dirs[di];
	char path[4096];
	sm_checkpoint_t rp, lso;
	snprintf(path, sizeof(path), "%s/%s", d->path, SM_LM_RECOVERY_CKPT);
	sm_checkpoint_read(path, &rp);
	snprintf(path, sizeof(path), "%s/%s", d->path, SM_LM_START_CKPT);
	sm_checkpoint_read(path, &lso);
	snprintf(path, sizeof(path), "%s/%s", d->path, SM_LM_CLEAN_SHUTDOWN);
	/* Deleted before loading so a crash while loading counts as unclean. */
	d->clean = unlink(path) == 0;
	if (!d->clean)
		sm_log_info(NULL, SM_LM_LOGGER, "Attempting recovery for all logs in %s since no "
			    "clean shutdown file was found", d->path);
	sm_err_t err = SM_ERR_NONE;
	DIR *dh = opendir(d->path);
	struct dirent *de;
	while (!err && dh && (de = readdir(dh))) {
		if (de->d_name[0] == '.')
			continue;
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", d->path, de->d_name);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			err = sm_lm_load_one(lm, di, de->d_name, &rp, &lso);
	}
	if (dh)
		closedir(dh);
	sm_checkpoint_clear(&rp);
	sm_checkpoint_clear(&lso);
	return err;
}

static sm_err_t sm_lm_lock_dir(sm_lm_dir_t *d)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/.lock", d->path);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		sm_log_error(NULL, SM_LM_LOGGER, "Failed to acquire lock on file .lock in %s. A "
			     "Kafka instance in another process or thread is using this directory.",
			     d->path);
		if (fd >= 0)
			close(fd);
		return SM_ERR__STATE;
	}
	d->lock_fd = fd;
	return SM_ERR_NONE;
}

sm_err_t sm_log_manager_startup(sm_log_manager_t *lm, const char *cluster_id, int32_t broker_id)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sm_err_t err = SM_ERR_NONE;
	pthread_mutex_lock(&lm->lock);
	for (int i = 0; i < lm->ndirs && !err; i++) {
		sm_lm_dir_t *d = &lm->dirs[i];
		if (sm_lm_mkdirs(d->path) < 0) {
			sm_log_error(NULL, SM_LM_LOGGER, "Failed to create log directory %s: %s",
				     d->path, strerror(errno));
			err = SM_ERR__IO;
			break;
		}
		if (d->lock_fd < 0 && (err = sm_lm_lock_dir(d)))
			break;
		if ((err = sm_lm_meta(d->path, cluster_id, broker_id)))
			break;
		sm_log_info(NULL, SM_LM_LOGGER, "Loading logs from log dir %s", d->path);
		err = sm_lm_load_dir(lm, i);
	}
	for (int i = 0; i < lm->ndirs && !err; i++)
		err = sm_lm_load_futures(lm, i);
	pthread_mutex_unlock(&lm->lock);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!err)
		sm_log_info(NULL, SM_LM_LOGGER, "Loaded %d logs in %lldms.", lm->nlogs,
			    (long long)((t1.tv_sec - t0.tv_sec) * 1000 +
					(t1.tv_nsec - t0.tv_nsec) / 1000000));
	return err;
}

/* ---- lookups, creation, deletion ---- */

sm_log_t *sm_log_manager_get(sm_log_manager_t *lm, const char *topic, int32_t partition)
{
	pthread_mutex_lock(&lm->lock);
	int i = sm_lm_find(lm, topic, partition);
	sm_log_t *log = i >= 0 ? sm_log_keep(lm->logs[i].log) : NULL;
	pthread_mutex_unlock(&lm->lock);
	return log;
}

static int sm_lm_find_creating(const sm_log_manager_t *lm, const char *topic, int32_t partition)
{
	for (int k = 0; k < lm->ncreating; k++)
		if (lm->creating[k].partition == partition && !strcmp(lm->creating[k].topic, topic))
			return k;
	return -1;
}

sm_log_t *sm_log_manager_get_or_create(sm_log_manager_t *lm, const char *topic,
				       int32_t partition, const sm_log_config_t *cfg)
{
	if (!sm_log_manager_valid_topic(topic) || partition < 0 || lm->ndirs == 0)
		return NULL;
	pthread_mutex_lock(&lm->lock);
	int i;
	/* another thread creating this partition's log: its outcome is ours */
	while ((i = sm_lm_find(lm, topic, partition)) < 0 &&
	       sm_lm_find_creating(lm, topic, partition) >= 0)
		pthread_cond_wait(&lm->create_cond, &lm->lock);
	if (i >= 0) {
		sm_log_t *log = sm_log_keep(lm->logs[i].log);
		pthread_mutex_unlock(&lm->lock);
		return log;
	}
	/* the online dir with the fewest logs (those being created
	 * included), one with space first */
	int best = -1;
	for (int d = 0; d < lm->ndirs; d++) {
		if (__atomic_load_n(&lm->dirs[d].offline, __ATOMIC_ACQUIRE))
			continue;
		int full = __atomic_load_n(&lm->dirs[d].full, __ATOMIC_ACQUIRE);
		int best_full = best >= 0 && __atomic_load_n(&lm->dirs[best].full,
							     __ATOMIC_ACQUIRE);
		if (best < 0 || (best_full && !full) ||
		    (full == best_full && lm->dirs[d].nlogs + lm->dirs[d].creating <
					  lm->dirs[best].nlogs + lm->dirs[best].creating))
			best = d;
	}
	/* a dir an AlterReplicaLogDirs named before the replica existed
	 * (Kafka's preferredLogDirs), used once */
	for (int k = 0; k < lm->npreferred; k++) {
		sm_lm_preferred_t *pr = &lm->preferred[k];
		if (pr->partition != partition || strcmp(pr->topic, topic))
			continue;
		if (!__atomic_load_n(&lm->dirs[pr->dir].offline, __ATOMIC_ACQUIRE))
			best = pr->dir;
		free(pr->topic);
		lm->preferred[k] = lm->preferred[--lm->npreferred];
		break;
	}
	if (best < 0) {
		pthread_mutex_unlock(&lm->lock);
		sm_log_error(NULL, SM_LM_LOGGER, "Can not create log for %s-%d because "
			     "all log dirs are offline", topic, (int)partition);
		return NULL;
	}
	/* The directory and its files are made with the lock dropped, so
	 * that several threads can create logs at once (a LeaderAndIsr of
	 * thousands of new partitions: sm_replica_manager_leader_and_isr);
	 * the partition is marked as being created meanwhile. */
	if (lm->ncreating == lm->creating_cap) {
		lm->creating_cap = lm->creating_cap ? lm->creating_cap * 2 : 8;
		lm->creating = sm_realloc(lm->creating, sizeof(*lm->creating) * (size_t)lm->creating_cap);
	}
	lm->creating[lm->ncreating++] = (sm_lm_creating_t){ topic, partition };
	lm->dirs[best].creating++;
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s-%d", lm->dirs[best].path, topic, (int)partition);
	pthread_mutex_unlock(&lm->lock);

	sm_log_t *log = NULL;
	sm_err_t err = sm_log_open(path, topic, partition, cfg ? cfg : &lm->defaults, 0, -1, 1, &log);

	pthread_mutex_lock(&lm->lock);
	lm->dirs[best].creating--;
	int k = sm_lm_find_creating(lm, topic, partition);
	lm->creating[k] = lm->creating[--lm->ncreating];
	if (!err && __atomic_load_n(&lm->dirs[best].offline, __ATOMIC_ACQUIRE)) {
		/* the dir went offline meanwhile: its logs were closed
		 * without this one, which is not added either */
		sm_log_release(log);
		log = NULL;
		sm_log_error(NULL, SM_LM_LOGGER, "Can not create log for %s-%d because "
			     "log dir %s went offline", topic, (int)partition, lm->dirs[best].path);
	} else if (!err) {
		sm_log_info(NULL, SM_LM_LOGGER, "Created log for partition %s-%d in %s",
			    topic, (int)partition, path);
		if (__atomic_load_n(&lm->dirs[best].full, __ATOMIC_ACQUIRE))
			sm_log_set_full(log, 1);
		sm_lm_add(lm, sm_log_keep(log), best);
	}
	pthread_cond_broadcast(&lm->create_cond);
	pthread_mutex_unlock(&lm->lock);
	return log;
}

static void sm_lm_uuid_hex(char out[33])
{
	uint8_t b[16];
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		for (int i = 0; i < 16; i++)
			b[i] = (uint8_t)((ts.tv_nsec >> (i % 4 * 8)) ^ random());
	}
	for (int i = 0; i < 16; i++)
		snprintf(out + i * 2, 3, "%02x", b[i]);
}

/* ---- replica moves between log dirs (AlterReplicaLogDirs) ---- */

static int sm_lm_find_future(sm_log_manager_t *lm, const char *topic, int32_t partition)
{
	for (int i = 0; i < lm->nfutures; i++)
		if (sm_log_partition(lm->futures[i].log) == partition &&
		    !strcmp(sm_log_topic(lm->futures[i].log), topic))
			return i;
	return -1;
}

/* Removes the future log of topic-partition from the table (manager lock
 * held); returns it (the table's reference) or NULL. */
static sm_log_t *sm_lm_take_future_locked(sm_log_manager_t *lm, const char *topic,
					  int32_t partition)
{
	SM_ASSERT_HELD(&lm->lock);
	int i = sm_lm_find_future(lm, topic, partition);
	if (i < 0)
		return NULL;
	sm_log_t *fut = lm->futures[i].log;
	lm->futures[i] = lm->futures[--lm->nfutures];
	return fut;
}

/* Closes a future log taken out of the table and removes its dir. */
static void sm_lm_drop_future(sm_log_t *fut, const char *why)
{
	sm_log_info(NULL, SM_LM_LOGGER, "Removing the future log %s of %s-%d: %s", sm_log_dir(fut),
		    sm_log_topic(fut), (int)sm_log_partition(fut), why);
	sm_log_close(fut);
	sm_lm_rmtree(sm_log_dir(fut));
	sm_log_release(fut);
}

static void sm_lm_add_future(sm_log_manager_t *lm, sm_log_t *fut, int dir)
{
	if (lm->nfutures == lm->futures_cap) {
		lm->futures_cap = lm->futures_cap ? lm->futures_cap * 2 : 8;
		lm->futures = sm_realloc(lm->futures, sizeof(*lm->futures) * (size_t)lm->futures_cap);
	}
	lm->futures[lm->nfutures].log = fut;
	lm->futures[lm->nfutures].dir = dir;
	/* an I/O error in a future log takes its dir offline, as in Kafka */
	sm_log_set_failure_handler(fut, sm_lm_on_log_failure, lm);
	lm->nfutures++;
}

static void sm_lm_uuid_hex(char out[33]);

/* "<dir>/<topic>-<partition>.<uuid><suffix>", the topic cut so the name
 * stays within NAME_MAX (as for deletion). */
static void sm_lm_suffixed_path(char *path, size_t size, const char *dir, const char *topic,
				int32_t partition, const char *suffix)
{
	char uuid[33], tail[80];
	sm_lm_uuid_hex(uuid);
	snprintf(tail, sizeof(tail), "-%d.%s%s", (int)partition, uuid, suffix);
	int room = 255 - (int)strlen(tail);
	snprintf(path, size, "%s/%.*s%s", dir, room, topic, tail);
}

/* Index of the configured log dir path names, -1 if none. Only a
 * comparison: the path is never opened. Trailing slashes are ignored, as
 * java.io.File does. */
int sm_log_manager_dir_index(sm_log_manager_t *lm, const char *path)
{
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	for (int d = 0; d < lm->ndirs; d++) {
		const char *c = lm->dirs[d].path;
		size_t m = strlen(c);
		while (m > 1 && c[m - 1] == '/')
			m--;
		if (m == n && !memcmp(c, path, n))
			return d;
	}
	return -1;
}

static void sm_lm_kick_mover(sm_log_manager_t *lm)
{
	pthread_mutex_lock(&lm->mover_lock);
	lm->mover_kick = 1;
	pthread_cond_signal(&lm->mover_cond);
	pthread_mutex_unlock(&lm->mover_lock);
}

sm_err_t sm_log_manager_alter_dir(sm_log_manager_t *lm, const char *topic, int32_t partition,
				  const char *path)
{
	/* Kafka refuses a topic whose future dir name would not fit
	 * (Log.logFutureDirName(tp).size > 255) */
	char probe[64];
	int tail = snprintf(probe, sizeof(probe), "-%d.%032d-future", (int)partition, 0);
	if (strlen(topic) + (size_t)tail > 255 || !sm_log_manager_valid_topic(topic))
		return SM_ERR_INVALID_TOPIC_EXCEPTION;
	if (path[0] != '/')
		return SM_ERR_LOG_DIR_NOT_FOUND; /* Kafka compares absolute paths */
	int d = sm_log_manager_dir_index(lm, path);
	if (d < 0)
		return SM_ERR_LOG_DIR_NOT_FOUND;
	if (__atomic_load_n(&lm->dirs[d].offline, __ATOMIC_ACQUIRE))
		return SM_ERR_KAFKA_STORAGE_ERROR;
	pthread_mutex_lock(&lm->lock);
	int i = sm_lm_find(lm, topic, partition);
	if (i < 0) {
		/* not hosted yet: remember the dir for its creation and answer
		 * REPLICA_NOT_AVAILABLE, as Kafka does */
		int k;
		for (k = 0; k < lm->npreferred; k++)
			if (lm->preferred[k].partition == partition &&
			    !strcmp(lm->preferred[k].topic, topic))
				break;
		if (k == lm->npreferred && lm->npreferred < SM_LM_MAX_PREFERRED) {
			if (lm->npreferred == lm->preferred_cap) {
				lm->preferred_cap = lm->preferred_cap ? lm->preferred_cap * 2 : 8;
				lm->preferred = sm_realloc(lm->preferred, sizeof(*lm->preferred) *
								  (size_t)lm->preferred_cap);
			}
			lm->preferred[k].topic = sm_strdup(topic);
			lm->preferred[k].partition = partition;
			lm->npreferred++;
		}
		if (k < lm->npreferred)
			lm->preferred[k].dir = d;
		pthread_mutex_unlock(&lm->lock);
		return SM_ERR_REPLICA_NOT_AVAILABLE;
	}
	sm_log_t *cur = lm->logs[i].log;
	if (sm_log_is_offline(cur)) {
		pthread_mutex_unlock(&lm->lock);
		return SM_ERR_KAFKA_STORAGE_ERROR;
	}
	/* a move elsewhere stops first (Partition.futureReplicaDirChanged) */
	int fi = sm_lm_find_future(lm, topic, partition);
	if (fi >= 0 && lm->futures[fi].dir == d) {
		pthread_mutex_unlock(&lm->lock);
		return SM_ERR_NONE;
	}
	sm_log_t *old = fi >= 0 ? sm_lm_take_future_locked(lm, topic, partition) : NULL;
	if (lm->logs[i].dir == d) {
		pthread_mutex_unlock(&lm->lock);
		if (old) {
			sm_lm_drop_future(old, "the replica stays in its current log dir");
			sm_log_set_cleaning_paused(cur, 0);
		}
		return SM_ERR_NONE;
	}
	/* no future log while a dir is offline, so one partition never gets
	 * future logs in two dirs (Kafka's rule) */
	for (int k = 0; k < lm->ndirs; k++) {
		if (!__atomic_load_n(&lm->dirs[k].offline, __ATOMIC_ACQUIRE))
			continue;
		if (old)
			sm_log_set_cleaning_paused(cur, 0);
		pthread_mutex_unlock(&lm->lock);
		if (old)
			sm_lm_drop_future(old, "a log dir is offline");
		return SM_ERR_KAFKA_STORAGE_ERROR;
	}
	char fpath[4096];
	sm_lm_suffixed_path(fpath, sizeof(fpath), lm->dirs[d].path, topic, partition, "-future");
	sm_log_config_t cfg;
	sm_log_get_config(cur, &cfg);
	sm_log_t *fut = NULL;
	sm_err_t err = sm_log_open(fpath, topic, partition, &cfg, 0, sm_log_start_offset(cur), 1,
				   &fut);
	if (err) {
		if (old)
			sm_log_set_cleaning_paused(cur, 0);
		pthread_mutex_unlock(&lm->lock);
		if (old)
			sm_lm_drop_future(old, "a new move failed");
		sm_log_error(NULL, SM_LM_LOGGER, "Failed to create the future log %s: %s", fpath,
			     sm_err_name(err));
		return SM_ERR_KAFKA_STORAGE_ERROR;
	}
	sm_lm_add_future(lm, fut, d);
	sm_log_set_cleaning_paused(cur, 1);
	pthread_mutex_unlock(&lm->lock);
	if (old)
		sm_lm_drop_future(old, "the replica moves to another log dir");
	sm_log_info(NULL, SM_LM_LOGGER, "Created log for partition %s-%d in %s (future log of a "
		    "replica moving there)", topic, (int)partition, fpath);
	sm_lm_kick_mover(lm);
	return SM_ERR_NONE;
}

int sm_log_manager_list_future_dir(sm_log_manager_t *lm, int dir, sm_log_t ***logsp,
				   int64_t **lagsp)
{
	pthread_mutex_lock(&lm->lock);
	sm_log_t **logs = sm_calloc((size_t)lm->nfutures + 1, sizeof(*logs));
	int64_t *lags = sm_calloc((size_t)lm->nfutures + 1, sizeof(*lags));
	int n = 0;
	for (int i = 0; i < lm->nfutures; i++) {
		sm_log_t *fut = lm->futures[i].log;
		if (lm->futures[i].dir != dir)
			continue;
		int c = sm_lm_find(lm, sm_log_topic(fut), sm_log_partition(fut));
		int64_t lag = c >= 0 ? sm_log_end_offset(lm->logs[c].log) - sm_log_end_offset(fut) : 0;
		lags[n] = lag > 0 ? lag : 0;
		logs[n++] = sm_log_keep(fut);
	}
	pthread_mutex_unlock(&lm->lock);
	*logsp = logs;
	*lagsp = lags;
	return n;
}

int sm_log_manager_future_count(sm_log_manager_t *lm)
{
	pthread_mutex_lock(&lm->lock);
	int n = lm->nfutures;
	pthread_mutex_unlock(&lm->lock);
	return n;
}

void sm_log_manager_set_move_options(sm_log_manager_t *lm, int32_t max_bytes,
				     sm_log_moved_fn *on_moved, void *opaque)
{
	lm->move_max_bytes = max_bytes > 0 ? max_bytes : 1048576;
	lm->on_moved = on_moved;
	lm->on_moved_opaque = opaque;
}

/* The future log has caught up: swap it in (sm_log_swap_future), then the
 * table follows. Returns 1 when the move is over (done or dropped). */
static int sm_lm_complete_move(sm_log_manager_t *lm, sm_log_t *cur, sm_log_t *fut)
{
	const char *topic = sm_log_topic(cur);
	int32_t part = sm_log_partition(cur);
	char del[4096], final[4096];
	pthread_mutex_lock(&lm->lock);
	int ci = sm_lm_find(lm, topic, part), fi = sm_lm_find_future(lm, topic, part);
	if (ci < 0 || fi < 0 || lm->logs[ci].log != cur || lm->futures[fi].log != fut) {
		pthread_mutex_unlock(&lm->lock);
		return 1; /* cancelled or deleted meanwhile */
	}
	int from = lm->logs[ci].dir, to = lm->futures[fi].dir;
	pthread_mutex_unlock(&lm->lock);
	sm_lm_suffixed_path(del, sizeof(del), lm->dirs[from].path, topic, part, "-delete");
	snprintf(final, sizeof(final), "%s/%s-%d", lm->dirs[to].path, topic, (int)part);
	sm_err_t err = sm_log_swap_future(cur, fut, final, del);
	if (err == SM_ERR__STATE)
		return 0; /* try again on the next pass */
	if (!err) {
		/* the old files go before the table says the move is over, so
		 * whoever sees it done finds the partition in one dir only */
		sm_log_info(NULL, SM_LM_LOGGER, "The current replica of %s-%d is replaced with the "
			    "future replica in %s; deleting %s", topic, (int)part, lm->dirs[to].path,
			    del);
		sm_lm_rmtree(del);
	}
	pthread_mutex_lock(&lm->lock);
	fi = sm_lm_find_future(lm, topic, part);
	sm_log_t *taken = fi >= 0 && lm->futures[fi].log == fut
				  ? sm_lm_take_future_locked(lm, topic, part) : NULL;
	ci = sm_lm_find(lm, topic, part);
	if (!err && ci >= 0 && lm->logs[ci].log == cur) {
		lm->dirs[lm->logs[ci].dir].nlogs--;
		lm->logs[ci].dir = to;
		lm->dirs[to].nlogs++;
	}
	if (sm_lm_find_future(lm, topic, part) < 0)
		sm_log_set_cleaning_paused(cur, 0);
	pthread_mutex_unlock(&lm->lock);
	if (err) {
		if (taken)
			sm_lm_drop_future(taken, sm_err_name(err));
		return 1;
	}
	sm_log_release(taken);
	if (lm->on_moved)
		lm->on_moved(lm->on_moved_opaque, cur);
	sm_log_manager_checkpoint(lm);
	return 1;
}

/* Bytes of one copy step: replica.fetch.max.bytes, but under a throttle
 * no more than a tenth of a second's worth, so the copy proceeds evenly at
 * the rate rather than in bursts of a megabyte and long sleeps. A step
 * still takes at least one whole batch (sm_log_copy_to). */
static int32_t sm_lm_move_step(sm_log_manager_t *lm)
{
	if (!sm_throttler_active(&lm->move_throttler))
		return lm->move_max_bytes;
	double tenth = sm_throttler_rate(&lm->move_throttler) / 10.0;
	if (tenth < 1)
		tenth = 1;
	return tenth < (double)lm->move_max_bytes ? (int32_t)tenth : lm->move_max_bytes;
}

void sm_log_manager_set_move_rate(sm_log_manager_t *lm, int64_t bytes_per_second)
{
	sm_throttler_set_rate(&lm->move_throttler, (double)bytes_per_second);
}

int sm_log_manager_move_once(sm_log_manager_t *lm, int *progress)
{
	*progress = 0;
	pthread_mutex_lock(&lm->lock);
	int n = lm->nfutures;
	sm_log_t **futs = sm_calloc((size_t)n + 1, sizeof(*futs));
	sm_log_t **curs = sm_calloc((size_t)n + 1, sizeof(*curs));
	for (int i = 0; i < n; i++) {
		futs[i] = sm_log_keep(lm->futures[i].log);
		int c = sm_lm_find(lm, sm_log_topic(futs[i]), sm_log_partition(futs[i]));
		curs[i] = c >= 0 ? sm_log_keep(lm->logs[c].log) : NULL;
	}
	pthread_mutex_unlock(&lm->lock);
	int left = 0;
	for (int i = 0; i < n; i++) {
		sm_log_t *fut = futs[i], *cur = curs[i];
		int done = 0;
		if (!cur) {
			/* the current log is gone: the move has nothing to copy */
			pthread_mutex_lock(&lm->lock);
			int fi = sm_lm_find_future(lm, sm_log_topic(fut), sm_log_partition(fut));
			sm_log_t *t = fi >= 0 && lm->futures[fi].log == fut
					      ? sm_lm_take_future_locked(lm, sm_log_topic(fut),
									 sm_log_partition(fut)) : NULL;
			pthread_mutex_unlock(&lm->lock);
			if (t)
				sm_lm_drop_future(t, "its current log is gone");
			done = 1;
		} else {
			int64_t copied = 0;
			sm_err_t err = sm_log_copy_to(cur, fut, sm_lm_move_step(lm), &copied);
			if (!err && copied)
				sm_throttler_maybe_throttle(&lm->move_throttler, (double)copied,
							    &lm->mover_stop);
			if (err) {
				pthread_mutex_lock(&lm->lock);
				int fi = sm_lm_find_future(lm, sm_log_topic(fut), sm_log_partition(fut));
				sm_log_t *t = fi >= 0 && lm->futures[fi].log == fut
						      ? sm_lm_take_future_locked(lm, sm_log_topic(fut),
										 sm_log_partition(fut))
						      : NULL;
				if (t)
					sm_log_set_cleaning_paused(cur, 0);
				pthread_mutex_unlock(&lm->lock);
				if (t) {
					sm_log_warn(NULL, SM_LM_LOGGER, "Copying %s-%d into %s failed: %s",
						    sm_log_topic(fut), (int)sm_log_partition(fut),
						    sm_log_dir(fut), sm_err_name(err));
					sm_lm_drop_future(t, sm_err_name(err));
				}
				done = 1;
			} else if (copied) {
				*progress = 1;
			} else if ((done = sm_lm_complete_move(lm, cur, fut))) {
				*progress = 1;
			}
		}
		if (!done)
			left++;
		sm_log_release(fut);
		sm_log_release(cur);
	}
	free(futs);
	free(curs);
	return left;
}

static void *sm_lm_mover_main(void *arg)
{
	sm_log_manager_t *lm = arg;
	sm_thread_role_set(SM_ROLE_ALTER_LOG_DIRS);
	pthread_mutex_lock(&lm->mover_lock);
	while (!lm->mover_stop) {
		lm->mover_kick = 0;
		pthread_mutex_unlock(&lm->mover_lock);
		int progress;
		int left = sm_log_manager_move_once(lm, &progress);
		pthread_mutex_lock(&lm->mover_lock);
		if (lm->mover_stop)
			break;
		if (left && progress)
			continue;
		if (lm->mover_kick)
			continue;
		if (left) {
			/* nothing to copy right now: look again soon (appends to
			 * the current logs do not wake this thread) */
			struct timespec ts;
			sm_clock_deadline_ts(CLOCK_REALTIME, 100, &ts);
			pthread_cond_timedwait(&lm->mover_cond, &lm->mover_lock, &ts);
		} else {
			pthread_cond_wait(&lm->mover_cond, &lm->mover_lock);
		}
	}
	pthread_mutex_unlock(&lm->mover_lock);
	return NULL;
}

static void sm_lm_start_mover(sm_log_manager_t *lm)
{
	if (lm->mover_running)
		return;
	lm->mover_stop = 0;
	if (pthread_create(&lm->mover, NULL, sm_lm_mover_main, lm) == 0) {
		pthread_setname_np(lm->mover, "alter-log-dirs");
		lm->mover_running = 1;
	}
}

static void sm_lm_stop_mover(sm_log_manager_t *lm)
{
	if (!lm->mover_running)
		return;
	pthread_mutex_lock(&lm->mover_lock);
	lm->mover_stop = 1;
	pthread_cond_signal(&lm->mover_cond);
	pthread_mutex_unlock(&lm->mover_lock);
	pthread_join(lm->mover, NULL);
	lm->mover_running = 0;
}

/* Startup, after every current log is loaded: a <topic>-<partition>.<uuid>
 * -future dir resumes its move when the current log exists, and becomes the
 * log when it does not (a crash between the two renames of a swap: the old
 * dir was already renamed -delete and removed). */
static sm_err_t sm_lm_load_futures(sm_log_manager_t *lm, int di)
{
	sm_lm_dir_t *d = &lm->dirs[di];
	DIR *dh = opendir(d->path);
	struct dirent *de;
	sm_err_t err = SM_ERR_NONE;
	while (!err && dh && (de = readdir(dh))) {
		size_t n = strlen(de->d_name);
		if (de->d_name[0] == '.' || n <= 7 || strcmp(de->d_name + n - 7, "-future"))
			continue;
		char base[256], topic[256], path[4096];
		int32_t part;
		snprintf(path, sizeof(path), "%s/%s", d->path, de->d_name);
		snprintf(base, sizeof(base), "%.*s", (int)(n - 7), de->d_name);
		char *dot = strrchr(base, '.');
		if (dot)
			*dot = '\0';
		if (!dot || !sm_lm_parse_dir_name(base, topic, sizeof(topic), &part)) {
			sm_log_warn(NULL, SM_LM_LOGGER, "Skipping %s: not a future log directory", path);
			continue;
		}
		int c = sm_lm_find(lm, topic, part);
		if (c < 0) {
			char final[4096];
			snprintf(final, sizeof(final), "%s/%s", d->path, base);
			sm_log_info(NULL, SM_LM_LOGGER, "Future log %s has no current log: it becomes "
				    "the log of %s-%d", path, topic, (int)part);
			if (rename(path, final) < 0) {
				sm_log_error(NULL, SM_LM_LOGGER, "Failed to rename %s to %s: %s", path,
					     final, strerror(errno));
				err = SM_ERR__IO;
				break;
			}
			sm_checkpoint_t none;
			sm_checkpoint_init(&none);
			err = sm_lm_load_one(lm, di, base, &none, &none);
			sm_checkpoint_clear(&none);
			continue;
		}
		if (sm_lm_find_future(lm, topic, part) >= 0 || lm->logs[c].dir == di) {
			sm_log_info(NULL, SM_LM_LOGGER, "Deleting stale future log %s", path);
			sm_lm_rmtree(path);
			continue;
		}
		sm_log_config_t cfg;
		sm_log_get_config(lm->logs[c].log, &cfg);
		sm_log_t *fut;
		if (sm_log_open(path, topic, part, &cfg, 0, -1, d->clean, &fut)) {
			sm_log_warn(NULL, SM_LM_LOGGER, "Deleting future log %s that does not load", path);
			sm_lm_rmtree(path);
			continue;
		}
		sm_log_info(NULL, SM_LM_LOGGER, "Resuming the move of %s-%d into %s", topic, (int)part,
			    d->path);
		sm_lm_add_future(lm, fut, di);
		sm_log_set_cleaning_paused(lm->logs[c].log, 1);
	}
	if (dh)
		closedir(dh);
	return err;
}

sm_err_t sm_log_manager_delete(sm_log_manager_t *lm, const char *topic, int32_t partition)
{
	pthread_mutex_lock(&lm->lock);
	int i = sm_lm_find(lm, topic, partition);
	if (i < 0) {
		pthread_mutex_unlock(&lm->lock);
		return SM_ERR__NOENT;
	}
	sm_lm_entry_t e = lm->logs[i];
	sm_lm_remove_at(lm, i);
	lm->dirs[e.dir].nlogs--;
	sm_log_t *fut = sm_lm_take_future_locked(lm, topic, partition);
	pthread_mutex_unlock(&lm->lock);
	if (fut)
		sm_lm_drop_future(fut, "its partition is deleted");

	sm_log_close(e.log);
	char uuid[33], suffix[80], path[4096];
	sm_lm_uuid_hex(uuid);
	snprintf(suffix, sizeof(suffix), "-%d.%s-delete", (int)partition, uuid);
	int room = 255 - (int)strlen(suffix); /* keep the name within NAME_MAX */
	snprintf(path, sizeof(path), "%s/%.*s%s", lm->dirs[e.dir].path, room, topic, suffix);
	sm_err_t err = SM_ERR_NONE;
	if (rename(sm_log_dir(e.log), path) < 0) {
		sm_log_error(NULL, SM_LM_LOGGER, "Failed to rename %s to %s: %s",
			     sm_log_dir(e.log), path, strerror(errno));
		err = SM_ERR__IO;
	} else {
		sm_log_info(NULL, SM_LM_LOGGER, "Log for partition %s-%d is renamed to %s and is "
			    "scheduled for deletion", topic, (int)partition, path);
		sm_lm_rmtree(path);
	}
	sm_log_release(e.log);
	sm_log_manager_checkpoint(lm);
	return err;
}

int sm_log_manager_list(sm_log_manager_t *lm, sm_log_t ***logsp)
{
	pthread_mutex_lock(&lm->lock);
	int n = lm->nlogs;
	sm_log_t **logs = sm_calloc((size_t)(n ? n : 1), sizeof(*logs));
	for (int i = 0; i < n; i++)
		logs[i] = sm_log_keep(lm->logs[i].log);
	pthread_mutex_unlock(&lm->lock);
	*logsp = logs;
	return n;
}

/* ---- log dir failure ---- */

/* Log's append lock held: only flag the dir and wake the scheduler. The dir
 * paths never change after sm_log_manager_new, so no manager lock is needed. */
static void sm_lm_on_log_failure(void *opaque, sm_log_t *log)
{
	sm_log_manager_t *lm = opaque;
	const char *ldir = sm_log_dir(log);
	int offline = sm_log_is_offline(log);
	for (int d = 0; d < lm->ndirs; d++) {
		size_t n = strlen(lm->dirs[d].path);
		if (strncmp(ldir, lm->dirs[d].path, n) || ldir[n] != '/')
			continue;
		if (offline)
			__atomic_store_n(&lm->dirs[d].failed, 1, __ATOMIC_RELEASE);
		else
			__atomic_store_n(&lm->dirs[d].no_space, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_lock(&lm->sched_lock);
	pthread_cond_signal(&lm->sched_cond);
	pthread_mutex_unlock(&lm->sched_lock);
}

/* A log rolled (its append lock held): kafka-scheduler flushes the rolled
 * segments (sm_log_flush_rolled from sm_log_manager_run_once), as Kafka's
 * scheduled "flush-log" task; while no scheduler runs, the roll flushes. */
static int sm_lm_on_log_roll(void *opaque, sm_log_t *log)
{
	sm_log_manager_t *lm = opaque;
	int queued;

	(void)log;
	pthread_mutex_lock(&lm->sched_lock);
	queued = lm->sched_running && !lm->sched_stop;
	if (queued)
		pthread_cond_signal(&lm->sched_cond);
	pthread_mutex_unlock(&lm->sched_lock);
	return queued;
}

/* Takes dir d offline (manager lock held). Returns 1 if it was online. */
static int sm_lm_take_offline_locked(sm_log_manager_t *lm, int d)
{
	SM_ASSERT_HELD(&lm->lock);
	if (__atomic_exchange_n(&lm->dirs[d].offline, 1, __ATOMIC_ACQ_REL))
		return 0;
	sm_log_error(NULL, SM_LM_LOGGER, "Stopping serving logs in dir %s: the log dir has "
		     "failed", lm->dirs[d].path);
	char names[1024];
	size_t used = 0;
	names[0] = '\0';
	for (int i = 0; i < lm->nlogs; i++) {
		sm_log_t *log = lm->logs[i].log;
		if (lm->logs[i].dir != d)
			continue;
		sm_log_set_offline(log);
		if (used + 2 < sizeof(names))
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s-%d",
						 used ? "," : "", sm_log_topic(log),
						 (int)sm_log_partition(log));
	}
	sm_log_error(NULL, SM_LM_LOGGER, "Logs for partitions %s are offline due to failure "
		     "on log directory %s", names, lm->dirs[d].path);
	/* future logs there go offline too: the mover drops their moves */
	for (int i = 0; i < lm->nfutures; i++)
		if (lm->futures[i].dir == d)
			sm_log_set_offline(lm->futures[i].log);
	return 1;
}

/* Comma-separated partitions of dir d into names (manager lock held); with
 * set_full >= 0 also sets or clears every such log's full state. */
static void sm_lm_dir_logs_locked(sm_log_manager_t *lm, int d, int set_full, char *names,
				  size_t size)
{
	size_t used = 0;
	names[0] = '\0';
	for (int i = 0; i < lm->nlogs; i++) {
		sm_log_t *log = lm->logs[i].log;
		if (lm->logs[i].dir != d)
			continue;
		if (set_full >= 0)
			sm_log_set_full(log, set_full);
		if (used + 2 < size)
			used += (size_t)snprintf(names + used, size - used, "%s%s-%d", used ? "," : "",
						 sm_log_topic(log), (int)sm_log_partition(log));
	}
}

/* A write in dir d found no space (manager lock held): every log of the dir
 * refuses appends until the probe finds space (docs/design/disk-full.md).
 * Also run when the dir is already full, for a log that failed between a
 * probe's success and the clearing of the flags. */
static void sm_lm_enter_full_locked(sm_log_manager_t *lm, int d, int64_t now_ms)
{
	char names[1024];
	int was = __atomic_exchange_n(&lm->dirs[d].full, 1, __ATOMIC_ACQ_REL);
	sm_lm_dir_logs_locked(lm, d, 1, names, sizeof(names));
	if (was)
		return;
	lm->dirs[d].next_probe_ms = now_ms + SM_LM_PROBE_INTERVAL_MS;
	sm_log_warn(NULL, SM_LM_LOGGER, "Log dir %s is full: appends to partitions %s are "
		    "refused with KAFKA_STORAGE_ERROR until space returns (probed every %d ms); "
		    "reads continue", lm->dirs[d].path, names, SM_LM_PROBE_INTERVAL_MS);
}

static void sm_lm_handle_failures(sm_log_manager_t *lm)
{
	int newly = 0, online = 0;
	int64_t now = sm_clock_wall_ms();
	pthread_mutex_lock(&lm->lock);
	for (int d = 0; d < lm->ndirs; d++) {
		if (__atomic_exchange_n(&lm->dirs[d].failed, 0, __ATOMIC_ACQ_REL))
			newly += sm_lm_take_offline_locked(lm, d);
		if (__atomic_exchange_n(&lm->dirs[d].no_space, 0, __ATOMIC_ACQ_REL) &&
		    !lm->dirs[d].offline)
			sm_lm_enter_full_locked(lm, d, now);
		online += !lm->dirs[d].offline;
	}
	pthread_mutex_unlock(&lm->lock);
	if (!newly)
		return;
	if (lm->on_failure)
		lm->on_failure(lm->on_failure_opaque, online);
}

void sm_log_manager_fail_dir(sm_log_manager_t *lm, int dir)
{
	if (dir < 0 || dir >= lm->ndirs)
		return;
	__atomic_store_n(&lm->dirs[dir].failed, 1, __ATOMIC_RELEASE);
	sm_lm_handle_failures(lm);
}

int sm_log_manager_dir_count(sm_log_manager_t *lm)
{
	return lm->ndirs;
}

const char *sm_log_manager_dir_path(sm_log_manager_t *lm, int dir)
{
	return dir >= 0 && dir < lm->ndirs ? lm->dirs[dir].path : NULL;
}

int sm_log_manager_dir_offline(sm_log_manager_t *lm, int dir)
{
	return dir >= 0 && dir < lm->ndirs &&
	       __atomic_load_n(&lm->dirs[dir].offline, __ATOMIC_ACQUIRE);
}

int sm_log_manager_dir_full(sm_log_manager_t *lm, int dir)
{
	return dir >= 0 && dir < lm->ndirs && __atomic_load_n(&lm->dirs[dir].full, __ATOMIC_ACQUIRE);
}

/* Writes and fsyncs SM_LM_PROBE_BYTES to a probe file in path, then removes
 * it. 0 when the dir has room again, else the errno. */
static int sm_lm_probe_space(const char *path)
{
	char file[4096];
	static const uint8_t zeros[65536];
	snprintf(file, sizeof(file), "%s/%s", path, SM_LM_PROBE_FILE);
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno;
	int err = 0;
	for (size_t done = 0; done < SM_LM_PROBE_BYTES && !err;) {
		ssize_t r = write(fd, zeros, sizeof(zeros));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			err = r < 0 ? errno : EIO;
		else
			done += (size_t)r;
	}
	if (!err && fsync(fd) < 0)
		err = errno;
	close(fd);
	unlink(file);
	return err;
}

/* kafka-scheduler: probes each full dir whose probe is due; on success the
 * dir's logs take appends again. */
static void sm_lm_probe_full_dirs(sm_log_manager_t *lm, int64_t now_ms)
{
	for (int d = 0; d < lm->ndirs; d++) {
		sm_lm_dir_t *dir = &lm->dirs[d];
		if (!__atomic_load_n(&dir->full, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&dir->offline, __ATOMIC_ACQUIRE) || now_ms < dir->next_probe_ms)
			continue;
		dir->next_probe_ms = now_ms + SM_LM_PROBE_INTERVAL_MS;
		int e = sm_lm_probe_space(dir->path);
		if (e == ENOSPC || e == EDQUOT)
			continue;
		if (e) {
			/* the dir fails in some other way: Kafka's rule applies */
			sm_log_error(NULL, SM_LM_LOGGER, "Probing full log dir %s failed: %s",
				     dir->path, strerror(e));
			__atomic_store_n(&dir->failed, 1, __ATOMIC_RELEASE);
			continue;
		}
		char names[1024];
		pthread_mutex_lock(&lm->lock);
		__atomic_store_n(&dir->full, 0, __ATOMIC_RELEASE);
		sm_lm_dir_logs_locked(lm, d, 0, names, sizeof(names));
		pthread_mutex_unlock(&lm->lock);
		sm_log_info(NULL, SM_LM_LOGGER, "Log dir %s has space again: appends to partitions "
			    "%s resume", dir->path, names);
	}
}

int sm_log_manager_list_dir(sm_log_manager_t *lm, int dir, sm_log_t ***logsp)
{
	pthread_mutex_lock(&lm->lock);
	sm_log_t **logs = sm_calloc((size_t)(lm->nlogs ? lm->nlogs : 1), sizeof(*logs));
	int n = 0;
	for (int i = 0; i < lm->nlogs; i++)
		if (lm->logs[i].dir == dir)
			logs[n++] = sm_log_keep(lm->logs[i].log);
	pthread_mutex_unlock(&lm->lock);
	*logsp = logs;
	return n;
}

/* ---- kafka-scheduler ---- */

int sm_log_manager_run_once(sm_log_manager_t *lm, int64_t now_ms, int force_retention)
{
	sm_lm_handle_failures(lm);
	sm_lm_probe_full_dirs(lm, now_ms);
	int retention = force_retention || now_ms - lm->last_retention_ms >= lm->retention_check_ms;
	int flush = lm->flush_check_ms > 0 && lm->flush_check_ms != INT64_MAX &&
		    now_ms - lm->last_flush_check_ms >= lm->flush_check_ms;
	if (retention)
		lm->last_retention_ms = now_ms;
	if (flush)
		lm->last_flush_check_ms = now_ms;
	sm_log_t **logs;
	int n = sm_log_manager_list(lm, &logs), deleted = 0;
	for (int i = 0; i < n; i++) {
		if (retention)
			deleted += sm_log_delete_old_segments(logs[i], now_ms);
		sm_log_delete_pending(logs[i], now_ms, 0);
		sm_log_flush_rolled(logs[i]);
		if (flush)
			sm_log_flush_if_due(logs[i], now_ms);
		sm_log_release(logs[i]);
	}
	free(logs);
	if (deleted > 0)
		sm_log_manager_checkpoint(lm); /* the log start offsets moved */
	sm_lm_handle_failures(lm);
	return deleted;
}

static void *sm_lm_sched_main(void *arg)
{
	sm_log_manager_t *lm = arg;
	sm_thread_role_set(SM_ROLE_SCHEDULER);
	int64_t tick = lm->retention_check_ms;
	if (lm->flush_check_ms > 0 && lm->flush_check_ms < tick)
		tick = lm->flush_check_ms;
	if (tick > 500) /* pending deletions and dir failures need a finer tick */
		tick = 500;
	if (tick < 10)
		tick = 10;
	pthread_mutex_lock(&lm->sched_lock);
	while (!lm->sched_stop) {
		struct timespec ts;
		sm_clock_deadline_ts(CLOCK_REALTIME, tick, &ts);
		pthread_cond_timedwait(&lm->sched_cond, &lm->sched_lock, &ts);
		if (lm->sched_stop)
			break;
		pthread_mutex_unlock(&lm->sched_lock);
		sm_log_manager_run_once(lm, sm_clock_wall_ms(), 0);
		pthread_mutex_lock(&lm->sched_lock);
	}
	pthread_mutex_unlock(&lm->sched_lock);
	return NULL;
}

void sm_log_manager_start_scheduler(sm_log_manager_t *lm, int64_t retention_check_ms,
				    int64_t flush_check_ms, sm_log_dir_failure_fn *on_failure,
				    void *opaque)
{
	if (lm->sched_running)
		return;
	lm->on_failure = on_failure;
	lm->on_failure_opaque = opaque;
	lm->retention_check_ms = retention_check_ms > 0 ? retention_check_ms : 300000;
	lm->flush_check_ms = flush_check_ms;
	lm->last_retention_ms = lm->last_flush_check_ms = sm_clock_wall_ms();
	lm->sched_stop = 0;
	sm_log_info(NULL, SM_LM_LOGGER, "Starting log cleanup with a period of %lld ms.",
		    (long long)lm->retention_check_ms);
	pthread_mutex_lock(&lm->sched_lock);
	if (pthread_create(&lm->sched, NULL, sm_lm_sched_main, lm) == 0) {
		pthread_setname_np(lm->sched, "kafka-scheduler");
		lm->sched_running = 1;
	}
	pthread_mutex_unlock(&lm->sched_lock);
	sm_lm_start_mover(lm);
}

static void sm_lm_stop_scheduler(sm_log_manager_t *lm)
{
	if (!lm->sched_running)
		return;
	pthread_mutex_lock(&lm->sched_lock);
	lm->sched_stop = 1;
	pthread_cond_signal(&lm->sched_cond);
	pthread_mutex_unlock(&lm->sched_lock);
	pthread_join(lm->sched, NULL);
	pthread_mutex_lock(&lm->sched_lock);
	lm->sched_running = 0;
	pthread_mutex_unlock(&lm->sched_lock);
	/* rolls from now on flush themselves; what rolled before is flushed
	 * here, so no recovery point is left behind */
	sm_log_t **logs;
	int n = sm_log_manager_list(lm, &logs);
	for (int i = 0; i < n; i++) {
		sm_log_flush_rolled(logs[i]);
		sm_log_release(logs[i]);
	}
	free(logs);
}

/* ---- checkpoints and shutdown ---- */

static void sm_lm_checkpoint_locked(sm_log_manager_t *lm)
{
	for (int d = 0; d < lm->ndirs; d++) {
		sm_checkpoint_t rp, lso;
		char path[4096];
		if (lm->dirs[d].lock_fd < 0 || lm->dirs[d].offline)
			continue;
		sm_checkpoint_init(&rp);
		sm_checkpoint_init(&lso);
		for (int i = 0; i < lm->nlogs; i++) {
			sm_log_t *log = lm->logs[i].log;
			if (lm->logs[i].dir != d)
				continue;
			sm_checkpoint_add(&rp, sm_log_topic(log), sm_log_partition(log),
					  sm_log_recovery_point(log));
			/* Kafka lists only logs whose start moved past the first segment. */
			if (sm_log_start_offset(log) > sm_log_first_segment_base(log))
				sm_checkpoint_add(&lso, sm_log_topic(log), sm_log_partition(log),
						  sm_log_start_offset(log));
		}
		snprintf(path, sizeof(path), "%s/%s", lm->dirs[d].path, SM_LM_RECOVERY_CKPT);
		sm_checkpoint_write(path, &rp);
		snprintf(path, sizeof(path), "%s/%s", lm->dirs[d].path, SM_LM_START_CKPT);
		sm_checkpoint_write(path, &lso);
		sm_checkpoint_clear(&rp);
		sm_checkpoint_clear(&lso);
	}
}

void sm_log_manager_checkpoint(sm_log_manager_t *lm)
{
	pthread_mutex_lock(&lm->lock);
	sm_lm_checkpoint_locked(lm);
	pthread_mutex_unlock(&lm->lock);
}

void sm_log_manager_shutdown(sm_log_manager_t *lm)
{
	sm_log_info(NULL, SM_LM_LOGGER, "Shutting down.");
	sm_lm_stop_mover(lm);
	sm_lm_stop_scheduler(lm);
	pthread_mutex_lock(&lm->lock);
	for (int i = 0; i < lm->nfutures; i++)
		sm_log_close(lm->futures[i].log);
	for (int i = 0; i < lm->nlogs; i++)
		sm_log_close(lm->logs[i].log);
	sm_lm_checkpoint_locked(lm);
	for (int d = 0; d < lm->ndirs; d++) {
		if (lm->dirs[d].lock_fd < 0)
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", lm->dirs[d].path, SM_LM_CLEAN_SHUTDOWN);
		/* an offline dir is recovered at the next start */
		if (!lm->dirs[d].offline)
			sm_checkpoint_write_file(path, "", 0);
		close(lm->dirs[d].lock_fd);
		lm->dirs[d].lock_fd = -1;
	}
	pthread_mutex_unlock(&lm->lock);
	sm_log_info(NULL, SM_LM_LOGGER, "Shutdown complete.");
}

void sm_log_manager_destroy(sm_log_manager_t *lm)
{
	if (!lm)
		return;
	sm_lm_stop_mover(lm);
	sm_lm_stop_scheduler(lm);
	for (int i = 0; i < lm->nlogs; i++)
		sm_log_release(lm->logs[i].log);
	free(lm->logs);
	free(lm->hbuckets);
	for (int i = 0; i < lm->nfutures; i++)
		sm_log_release(lm->futures[i].log);
	free(lm->futures);
	for (int i = 0; i < lm->npreferred; i++)
		free(lm->preferred[i].topic);
	free(lm->preferred);
	pthread_mutex_destroy(&lm->mover_lock);
	pthread_cond_destroy(&lm->mover_cond);
	sm_throttler_destroy(&lm->move_throttler);
	for (int d = 0; d < lm->ndirs; d++) {
		if (lm->dirs[d].lock_fd >= 0)
			close(lm->dirs[d].lock_fd);
		free(lm->dirs[d].path);
	}
	free(lm->dirs);
	pthread_mutex_destroy(&lm->lock);
	pthread_cond_destroy(&lm->create_cond);
	free(lm->creating);
	pthread_mutex_destroy(&lm->sched_lock);
	pthread_cond_destroy(&lm->sched_cond);
	free(lm);
}
