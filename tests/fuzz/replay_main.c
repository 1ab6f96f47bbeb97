/*
 * replay_main.c - main() of a harness built without libFuzzer: feeds every
 * file named on the command line (directories: every file in them) to
 * LLVMFuzzerTestOneInput(). Without arguments it replays the harness's
 * committed corpus and regression inputs,
 *   $SM_TOP_SRCDIR/tests/fuzz/corpus/<name>/ and .../regressions/<name>/,
 * which is how `make check` keeps every past finding fixed. It fails if the
 * corpus is missing or empty (a replay of nothing proves nothing); an input
 * that still breaks a decoder crashes it, or under the sanitizers aborts.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#ifndef SM_FUZZ_NAME
#error "SM_FUZZ_NAME must name the harness"
#endif
#ifndef SM_FUZZ_SRCDIR
#define SM_FUZZ_SRCDIR "."
#endif

static int sm_replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t cap = 4096, len = 0, n;
	uint8_t *buf = malloc(cap);
	while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap)
			buf = realloc(buf, cap *= 2);
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		fprintf(stderr, "%s: read error\n", path);
		free(buf);
		return -1;
	}
	/* An exact-size copy, so ASan catches a read just past the input. */
	uint8_t *in = malloc(len ? len : 1);
	memcpy(in, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(in, len);
	free(in);
	return 0;
}

/* Replays path (a file, or every regular file in a directory); adds the
 * number of inputs to *cnt. missing_ok: an absent directory is no error. */
static int sm_replay_path(const char *path, int missing_ok, int *cnt)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		if (missing_ok && errno == ENOENT)
			return 0;
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*cnt)++;
		return sm_replay_file(path);
	}
	struct dirent **ents;
	int n = scandir(path, &ents, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		char full[4096];
		if (ents[i]->d_name[0] != '.') {
			snprintf(full, sizeof(full), "%s/%s", path, ents[i]->d_name);
			if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
				(*cnt)++;
				if (sm_replay_file(full))
					rc = -1;
			}
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int main(int argc, char **argv)
{
	int cnt = 0, rc = 0;
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			if (sm_replay_path(argv[i], 0, &cnt))
				rc = 1;
		printf("fuzz_%s: replayed %d inputs\n", SM_FUZZ_NAME, cnt);
		return rc;
	}
	const char *top = getenv("SM_TOP_SRCDIR");
	char corpus[4096], regress[4096];
	snprintf(corpus, sizeof(corpus), "%s/tests/fuzz/corpus/%s", top ? top : SM_FUZZ_SRCDIR,
		 SM_FUZZ_NAME);
	snprintf(regress, sizeof(regress), "%s/tests/fuzz/regressions/%s",
		 top ? top : SM_FUZZ_SRCDIR, SM_FUZZ_NAME);
	if (sm_replay_path(corpus, 0, &cnt))
		rc = 1;
	int corpus_cnt = cnt;
	if (sm_replay_path(regress, 1, &cnt))
		rc = 1;
	printf("fuzz_%s: replayed %d corpus and %d regression inputs\n", SM_FUZZ_NAME, corpus_cnt,
	       cnt - corpus_cnt);
	if (corpus_cnt == 0) {
		fprintf(stderr, "fuzz_%s: no corpus in %s\n", SM_FUZZ_NAME, corpus);
		rc = 1;
	}
	return rc;
}
