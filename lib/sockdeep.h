/* sockdeep — deeper send buffers on another process's Unix sockets.
 *
 * A frame on its way between a guest and a switch crosses Unix datagram
 * and seqpacket sockets that belong to programs we do not build (UML and
 * the vde_plug it starts).  Each such socket has the kernel's default
 * send buffer (208 KiB: about 90 full-size frames not yet read by the
 * other side), and a sender that finds it full drops the frame.  These
 * functions reach into the process with pidfd_getfd (root, or ptrace
 * rights over it) and set SO_SNDBUFFORCE.  Library code: returns counts
 * or -errno, does not print. */
#ifndef TB_SOCKDEEP_H
#define TB_SOCKDEEP_H

#include <sys/types.h>

/* The send buffer of a Unix socket on a frame's path (the emulator's
 * ports, NIC plugs, a guest's NIC sockets): room for thousands of frames,
 * so that a reader that is late for a while makes the frames wait in its
 * queue instead of being dropped by the sender.  (The switches' own ports
 * get less: switch_plugin.c says why.) */
#define SOCKDEEP_BYTES (8 << 20)

/* Give our own socket FD a send buffer of BYTES (SO_SNDBUFFORCE as root,
 * else up to net.core.wmem_max). */
void sockdeep_fd(int fd, int bytes);

/* If our FD is a Unix datagram or seqpacket socket whose send buffer is
 * smaller than BYTES, deepen it: 1 if it did, else 0. */
int sockdeep_unix_fd(int fd, int bytes);

/* Set the send buffer of every Unix datagram or seqpacket socket of PID
 * that is smaller than BYTES.  Returns how many were changed, or -errno
 * when the process cannot be reached. */
int sockdeep_process(pid_t pid, int bytes);

/* The same for PID and for each of its direct children whose name
 * (/proc/CHILD/comm) is COMM.  Returns the total changed, or -errno when
 * PID itself cannot be reached. */
int sockdeep_process_and_children(pid_t pid, const char *comm, int bytes);

#endif
