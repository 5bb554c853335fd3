/* fsutil — small file operations two or more commands need.
 * Library code: returns 0 or -errno, does not print. */
#ifndef TB_FSUTIL_H
#define TB_FSUTIL_H

/* Copy the regular file FROM to TO (created or truncated, mode 0644). */
int fs_copy_file(const char *from, const char *to) __attribute__((warn_unused_result));

#endif
