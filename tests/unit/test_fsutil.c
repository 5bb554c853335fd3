/* Unit tests of lib/fsutil: a copy is byte for byte, replaces what was
 * there, and failures come back as -errno; a program finds itself and the
 * programs beside it. */
#include "tests/check.h"
#include "fsutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/tbfsutilXXXXXX";

TEST(copies_every_byte_over_several_buffers)
{
	char a[512], b[512];
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	size_t len = 200000;     /* more than one 64 KiB read */
	char *data = malloc(len), *back = malloc(len + 1);
	for (size_t i = 0; i < len; i++)
		data[i] = (char)(i * 131 + (i >> 9));
	check_put_file(a, data, len);
	CHECK_EQ_INT(fs_copy_file(a, b), 0);
	CHECK_EQ_U64(check_get_file(b, back, len + 1), len);
	CHECK(memcmp(data, back, len) == 0);
	/* a shorter source replaces the whole file */
	check_put_file(a, "xyz", 3);
	CHECK_EQ_INT(fs_copy_file(a, b), 0);
	CHECK_EQ_U64(check_get_file(b, back, len + 1), 3);
	CHECK(memcmp(back, "xyz", 3) == 0);
	free(data);
	free(back);
}

TEST(errors_are_negative_errno)
{
	char a[512], b[512];
	snprintf(a, sizeof(a), "%s/missing", dir);
	snprintf(b, sizeof(b), "%s/out", dir);
	CHECK_EQ_INT(fs_copy_file(a, b), -ENOENT);
	CHECK(access(b, F_OK) < 0);     /* nothing made for a missing source */
	snprintf(a, sizeof(a), "%s/a", dir);
	check_put_file(a, "1", 1);
	snprintf(b, sizeof(b), "%s/no/such/dir", dir);
	CHECK_EQ_INT(fs_copy_file(a, b), -ENOENT);
}

TEST(own_path_and_siblings)
{
	char *self = fs_self_exe("none");
	const char *base = strrchr(self, '/');
	CHECK(base != NULL);
	CHECK_EQ_STR(base ? base + 1 : self, "test_fsutil");
	/* a program beside this one is found by its full path ... */
	char *me = fs_sibling_program("test_fsutil");
	CHECK_EQ_STR(me, self);
	/* ... a missing one or a path is left as given (to PATH or as is) */
	char *none = fs_sibling_program("tb-no-such-program");
	CHECK_EQ_STR(none, "tb-no-such-program");
	char *path = fs_sibling_program("/bin/true");
	CHECK_EQ_STR(path, "/bin/true");
	free(self);
	free(me);
	free(none);
	free(path);
}

TEST(build_files)
{
	/* this test runs from BUILD/tests: a file of the same build is found
	 * from BUILD, a missing one is NULL */
	char *self = fs_self_exe("none");
	char *found = fs_build_file("tests/test_fsutil");
	CHECK(found != NULL);
	char *a = realpath(self, NULL), *b = found ? realpath(found, NULL) : NULL;
	CHECK(a && b && strcmp(a, b) == 0);
	CHECK(fs_build_file("tests/tb-no-such-file") == NULL);
	/* the path alone, whether or not the file exists: BUILD/REL, no ".." */
	char *dirp = fs_build_path("images");
	char *bin = strrchr(self, '/');
	CHECK(dirp != NULL && bin != NULL && strstr(dirp, "..") == NULL);
	if (dirp && bin) {
		*bin = 0;                           /* BUILD/tests */
		char *build = strrchr(self, '/');
		CHECK(build != NULL);
		if (build) {
			*build = 0;                 /* BUILD */
			char want[4200];
			snprintf(want, sizeof(want), "%s/images", self);
			CHECK_EQ_STR(dirp, want);
		}
	}
	free(dirp);
	free(self);
	free(found);
	free(a);
	free(b);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	int rc = run_tests();
	check_rm_tree(dir);
	return rc;
}
