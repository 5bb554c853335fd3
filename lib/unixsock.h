/* unixsock — connecting to a local stream socket by path, the way every
 * control channel of the project is reached (emulator, switches' management,
 * guest monitors). */
#ifndef TB_UNIXSOCK_H
#define TB_UNIXSOCK_H

/* Connect to the AF_UNIX stream socket at PATH; a close-on-exec fd, or
 * -errno (-ENAMETOOLONG when PATH does not fit in sun_path). */
int unix_connect(const char *path) __attribute__((warn_unused_result));

#endif
