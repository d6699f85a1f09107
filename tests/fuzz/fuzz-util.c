/* SPDX-License-Identifier: MIT */
/* fuzz-util: the private directory of fuzz.h. */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

static char dir[256];

void fuzz_empty_dir(const char *path_of_dir)
{
	DIR *d = opendir(path_of_dir);
	struct dirent *e;
	char path[512];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", path_of_dir, e->d_name);
		(void)unlink(path);
	}
	closedir(d);
}

static void remove_dir(void)
{
	fuzz_empty_dir(dir);
	(void)rmdir(dir);
}

const char *fuzz_dir(void)
{
	const char *base = getenv("TMPDIR");

	if (dir[0] != '\0')
		return dir;
	/* run.sh points TMPDIR at a directory it removes afterwards, so a
	 * target that crashed leaves nothing behind. */
	if (base == NULL || base[0] == '\0')
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	if (snprintf(dir, sizeof(dir), "%s/sao-fuzz.XXXXXX", base) >= (int)sizeof(dir))
		fuzz_fail("TMPDIR", "too long");
	if (mkdtemp(dir) == NULL)
		fuzz_fail("mkdtemp", dir);
	atexit(remove_dir);
	return dir;
}
