// io_fault_shim: an LD_PRELOAD library that fails write(2), pwrite(2) and
// fsync(2)/fdatasync(2) on chosen files, at chosen moments, for the store
// fault tests (tests/faults/store_faults_test.py).
//
// REPORTD_FAULT_MATCH: a substring of the path (as /proc/self/fd shows it)
//   of the files to fail, e.g. "/state/reportd.db" (the -wal file matches too).
// REPORTD_FAULT_FILE: a control file the test rewrites while the process
//   runs; each line "OP ERRNO [COUNT]" arms a fault: OP is write, pwrite or
//   fsync (fsync covers fdatasync; write covers writev), ERRNO is EIO,
//   ENOSPC or EDQUOT, COUNT how many calls fail (default: every call while
//   the line is there). An empty or missing file fails nothing. The file is
//   read again whenever its mtime or size changes.
// Each failure is counted in REPORTD_FAULT_FILE.hits ("OP N" lines), so the
// test knows a fault really fired.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum { kWrite, kPwrite, kFsync, kOps };
static const char* const kNames[kOps] = {"write", "pwrite", "fsync"};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct timespec seen_mtime;
static off_t seen_size = -1;
static int armed_errno[kOps];
static long armed_left[kOps];  // < 0: unlimited
static long hits[kOps];
static __thread int inside;  // our own calls (reading the control file) pass

typedef ssize_t (*write_fn)(int, const void*, size_t);
typedef ssize_t (*writev_fn)(int, const struct iovec*, int);
typedef ssize_t (*pwrite_fn)(int, const void*, size_t, off_t);
typedef int (*fsync_fn)(int);

static void* next(const char* name) { return dlsym(RTLD_NEXT, name); }

static int errno_named(const char* s) {
  if (strcmp(s, "ENOSPC") == 0) return ENOSPC;
  if (strcmp(s, "EDQUOT") == 0) return EDQUOT;
  return EIO;
}

// Re-reads the control file when it changed. Called with mu held.
static void reload(const char* path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    memset(armed_errno, 0, sizeof armed_errno);
    seen_size = -1;
    return;
  }
  if (st.st_size == seen_size && st.st_mtim.tv_sec == seen_mtime.tv_sec &&
      st.st_mtim.tv_nsec == seen_mtime.tv_nsec)
    return;
  seen_size = st.st_size;
  seen_mtime = st.st_mtim;
  memset(armed_errno, 0, sizeof armed_errno);
  FILE* f = fopen(path, "r");
  if (!f) return;
  char op[32], err[32];
  long count;
  char line[128];
  while (fgets(line, sizeof line, f)) {
    int n = sscanf(line, "%31s %31s %ld", op, err, &count);
    if (n < 2) continue;
    for (int i = 0; i < kOps; ++i) {
      if (strcmp(op, kNames[i]) != 0) continue;
      armed_errno[i] = errno_named(err);
      armed_left[i] = n == 3 ? count : -1;
    }
  }
  fclose(f);
}

static void record_hits(const char* path) {
  char name[4096];
  snprintf(name, sizeof name, "%s.hits", path);
  FILE* f = fopen(name, "w");
  if (!f) return;
  for (int i = 0; i < kOps; ++i) fprintf(f, "%s %ld\n", kNames[i], hits[i]);
  fclose(f);
}

// The errno to fail this call with, or 0 to let it through.
static int fault_for(int op, int fd) {
  const char* match = getenv("REPORTD_FAULT_MATCH");
  const char* control = getenv("REPORTD_FAULT_FILE");
  if (inside || !match || !control || fd < 0) return 0;
  char link[64], target[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  inside = 1;
  ssize_t n = readlink(link, target, sizeof target - 1);
  int result = 0;
  if (n > 0) {
    target[n] = '\0';
    if (strstr(target, match) != NULL) {
      pthread_mutex_lock(&mu);
      reload(control);
      if (armed_errno[op] != 0 && armed_left[op] != 0) {
        result = armed_errno[op];
        if (armed_left[op] > 0) --armed_left[op];
        ++hits[op];
        record_hits(control);
      }
      pthread_mutex_unlock(&mu);
    }
  }
  inside = 0;
  return result;
}

ssize_t write(int fd, const void* buf, size_t len) {
  int e = fault_for(kWrite, fd);
  if (e) {
    errno = e;
    return -1;
  }
  return ((write_fn)next("write"))(fd, buf, len);
}

ssize_t writev(int fd, const struct iovec* iov, int count) {
  int e = fault_for(kWrite, fd);
  if (e) {
    errno = e;
    return -1;
  }
  return ((writev_fn)next("writev"))(fd, iov, count);
}

ssize_t pwrite(int fd, const void* buf, size_t len, off_t at) {
  int e = fault_for(kPwrite, fd);
  if (e) {
    errno = e;
    return -1;
  }
  return ((pwrite_fn)next("pwrite"))(fd, buf, len, at);
}

ssize_t pwrite64(int fd, const void* buf, size_t len, off_t at) {
  int e = fault_for(kPwrite, fd);
  if (e) {
    errno = e;
    return -1;
  }
  return ((pwrite_fn)next("pwrite64"))(fd, buf, len, at);
}

int fsync(int fd) {
  int e = fault_for(kFsync, fd);
  if (e) {
    errno = e;
    return -1;
  }
  return ((fsync_fn)next("fsync"))(fd);
}

int fdatasync(int fd) {
  int e = fault_for(kFsync, fd);
  if (e) {
    errno = e;
    return -1;
  }
  return ((fsync_fn)next("fdatasync"))(fd);
}
