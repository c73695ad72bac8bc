// no_timerfd_shim: an LD_PRELOAD library whose timerfd_create(2) fails with
// ENOSYS, for the libfaketime tests (dst_night.py). Asio then waits for its
// timers with epoll_wait's timeout, which libfaketime scales with its
// speed-up; libfaketime's timerfd_settime does not convert Asio's timers
// correctly (a timer already due, set as an absolute 1 ns, never fires),
// so without this a sped-up daemon stalls. reportd itself needs no timerfd.
#define _GNU_SOURCE
#include <errno.h>
#include <sys/timerfd.h>

int timerfd_create(int clockid, int flags) {
  (void)clockid;
  (void)flags;
  errno = ENOSYS;
  return -1;
}
