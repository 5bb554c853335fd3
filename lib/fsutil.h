/* fsutil — small file operations two or more commands need.
 * Library code: returns 0 or -errno, does not print. */
#ifndef TB_FSUTIL_H
#define TB_FSUTIL_H

/* Copy the regular file FROM to TO (created or truncated, mode 0644). */
int fs_copy_file(const char *from, const char *to) __attribute__((warn_unused_result));

/* The running program's path (a new string), or FALLBACK (copied) when
 * /proc/self/exe cannot be read. */
char *fs_self_exe(const char *fallback);

/* The full path of a program: a bare NAME is looked up first beside the
 * running program (a build's bin/), then left to PATH (NAME, copied). */
char *fs_sibling_program(const char *name);

/* REL under the running program's build directory (the parent of its bin/,
 * e.g. "images"): a new string, or NULL when the program's path is not
 * known.  fs_build_file: the same, NULL also when that file does not exist. */
char *fs_build_path(const char *rel);
char *fs_build_file(const char *rel);

#endif
