// powercut-shim.c: an LD_PRELOAD library for the power-cut test (powercut.test.ts).
//
// For files under one directory (POWERCUT_DIR, an absolute path without a trailing slash) it
// appends to a log (POWERCUT_LOG, outside that directory) every operation that changes what a
// disk would keep, with the bytes written, and every sync, in the order they completed. The
// test's reconstructor (test/helpers/powercut.ts) replays the log on a copy of the directory
// taken while the daemon was stopped and keeps only what a sync covered: the image a power cut
// at the log's end may leave.
//
// Log records: one text line, then for W the bytes written.
//   O <ino> <new> <path>         an open of a file or directory under the dir (new: O_CREAT made it)
//   W <id> <ino> <offset> <len>  a write about to be made, followed by its <len> raw bytes
//   D <id> <rc>                  what that write returned (bytes written, or -1)
//   T <ino> <len>                ftruncate
//   A <ino> <mode> <off> <len>   fallocate
//   S <seq> <ino>                a sync (fsync, fdatasync, sync_file_range) begins (syncfs: ino 0)
//   E <seq> <ino> <rc>           it returned rc (only rc 0 covers anything)
//   N <path> / U <path> / R <old>\t<new> / X <path>   mkdir, unlink, rename, rmdir (after success)
//
// POWERCUT_SYNC_DELAY_US (optional): each logged sync sleeps this long after its S record and
// before the real call, a slow disk: it widens the window in which a commit can land while a
// sync that began before it runs (a 250 that waited for that sync would be lost: the test must
// see it).
//
// Why these choices:
// - fds are resolved to paths once, at open time (readlink of /proc/self/fd/N), and kept in a
//   table by fd with the inode. libuv closes files with a raw close syscall (not through
//   close(3)), so a table entry can outlive its file: every use checks the fd's inode (fstat)
//   before trusting the entry, and every open rewrites it.
// - SQLite's -shm is left out: it is rebuilt from the WAL when a database is opened after a crash.
// - Every record is written with raw syscalls (no stdio, no malloc, nothing interposed here)
//   under one mutex: SQLite's threads, libuv's pool and the daemon's worker threads all write,
//   and one record must not interleave with another.
// - A write is logged before the call and again (D) when it returned; a sync is logged when
//   it begins and when it ends, so that the reconstructor counts as covered only the writes
//   that had returned before the sync began (a write racing with a sync may or may not be in
//   it: treated as not).
// - Opens, truncations and name changes are logged after they succeeded: a SIGKILL between the
//   call and its record loses the record (a window of microseconds; the test's replay check
//   tolerates only an empty file created there).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_FD 65536

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char dir[4096];
static size_t dir_len;
static int log_fd = -1;
static unsigned long sync_seq;
static long sync_delay_us;
// fd -> inode of a file under the dir (0: not one of ours).
static ino_t fd_ino[MAX_FD];

static void init(void) {
  const char *d = getenv("POWERCUT_DIR");
  const char *l = getenv("POWERCUT_LOG");
  if (!d || !l || strlen(d) >= sizeof dir) return;
  strcpy(dir, d);
  dir_len = strlen(dir);
  const char *delay = getenv("POWERCUT_SYNC_DELAY_US");
  sync_delay_us = delay ? atol(delay) : 0;
  log_fd = (int)syscall(SYS_openat, AT_FDCWD, l, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  // Far from the daemon's fds: a low number could be taken for stdin/stdout by a child.
  if (log_fd >= 0) {
    int high = (int)syscall(SYS_fcntl, log_fd, F_DUPFD_CLOEXEC, 1000);
    if (high >= 0) {
      syscall(SYS_close, log_fd);
      log_fd = high;
    }
  }
}

static int active(void) {
  pthread_once(&once, init);
  return log_fd >= 0;
}

// Under the dir, and not SQLite's shared-memory index.
static int ours(const char *path) {
  size_t n = strlen(path);
  if (n < dir_len || memcmp(path, dir, dir_len) != 0 || (path[dir_len] != '/' && path[dir_len] != 0)) return 0;
  return !(n >= 4 && strcmp(path + n - 4, "-shm") == 0);
}

static void put(const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t w = syscall(SYS_write, log_fd, p, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) abort(); // a log with a hole would prove nothing
    p += w;
    len -= (size_t)w;
  }
}

// Formats one header line into a stack buffer (vsnprintf takes no locks, allocates nothing).
static void line(const char *fmt, ...) {
  char buf[8400];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0 || n >= (int)sizeof buf) abort();
  put(buf, (size_t)n);
}

// The inode this fd is tracked under, if the fd still is that file.
static ino_t tracked(int fd) {
  if (fd < 0 || fd >= MAX_FD || !active()) return 0;
  ino_t ino = __atomic_load_n(&fd_ino[fd], __ATOMIC_ACQUIRE);
  if (!ino) return 0;
  struct stat st;
  if (syscall(SYS_fstat, fd, &st) != 0 || st.st_ino != ino) {
    __atomic_store_n(&fd_ino[fd], 0, __ATOMIC_RELEASE);
    return 0;
  }
  return ino;
}

// Path of an absolute or cwd-relative name, for rename/unlink/mkdir (no *at with a dirfd here).
static int absolute(const char *path, char *out, size_t size) {
  if (path[0] == '/') return snprintf(out, size, "%s", path) < (int)size;
  char cwd[4096];
  if (syscall(SYS_getcwd, cwd, sizeof cwd) < 0) return 0;
  return snprintf(out, size, "%s/%s", cwd, path) < (int)size;
}

static void after_open(int fd, int existed) {
  if (fd < 0 || fd >= MAX_FD || !active()) return;
  char link[64], path[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = syscall(SYS_readlinkat, AT_FDCWD, link, path, sizeof path - 1);
  struct stat st;
  if (n <= 0 || syscall(SYS_fstat, fd, &st) != 0) {
    __atomic_store_n(&fd_ino[fd], 0, __ATOMIC_RELEASE);
    return;
  }
  path[n] = 0;
  if (!ours(path)) {
    __atomic_store_n(&fd_ino[fd], 0, __ATOMIC_RELEASE);
    return;
  }
  pthread_mutex_lock(&lock);
  __atomic_store_n(&fd_ino[fd], st.st_ino, __ATOMIC_RELEASE);
  line("O %lu %d %s\n", (unsigned long)st.st_ino, !existed, path);
  pthread_mutex_unlock(&lock);
}

// Whether the name exists before an open that may create it (the reconstructor needs to know
// that a name is new: its directory entry is durable only after a sync of the directory).
static int exists_at(int dirfd, const char *path, int flags) {
  if (!(flags & O_CREAT)) return 1;
  struct stat st;
  return syscall(SYS_newfstatat, dirfd, path, &st, 0) == 0;
}

#define REAL(name) \
  static __typeof__(name) *real_##name; \
  if (!real_##name) real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

static mode_t mode_arg(int flags, va_list ap) {
  return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...) {
  REAL(open);
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  int existed = exists_at(AT_FDCWD, path, flags);
  int fd = real_open(path, flags, mode);
  after_open(fd, existed);
  return fd;
}

int open64(const char *path, int flags, ...) {
  REAL(open64);
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  int existed = exists_at(AT_FDCWD, path, flags);
  int fd = real_open64(path, flags, mode);
  after_open(fd, existed);
  return fd;
}

int openat(int dirfd, const char *path, int flags, ...) {
  REAL(openat);
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  int existed = exists_at(dirfd, path, flags);
  int fd = real_openat(dirfd, path, flags, mode);
  after_open(fd, existed);
  return fd;
}

int openat64(int dirfd, const char *path, int flags, ...) {
  REAL(openat64);
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  int existed = exists_at(dirfd, path, flags);
  int fd = real_openat64(dirfd, path, flags, mode);
  after_open(fd, existed);
  return fd;
}

int creat(const char *path, mode_t mode) {
  return open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

int creat64(const char *path, mode_t mode) {
  return open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

// Fortified callers (_FORTIFY_SOURCE) reach these instead of open().
int __open_2(const char *path, int flags) {
  return open(path, flags);
}
int __open64_2(const char *path, int flags) {
  return open(path, flags);
}

// A write is logged twice: W with its bytes before the call, D with what it returned after.
// A SIGKILL can land between a call and its record; with both, the reconstructor knows which
// writes were in flight (they may or may not have reached the page cache) rather than missing
// one that did.
static unsigned long write_seq;

static unsigned long log_write(ino_t ino, off_t off, const struct iovec *iov, int iovcnt) {
  size_t len = 0;
  for (int i = 0; i < iovcnt; i++) len += iov[i].iov_len;
  pthread_mutex_lock(&lock);
  unsigned long id = ++write_seq;
  line("W %lu %lu %lld %zu\n", id, (unsigned long)ino, (long long)off, len);
  for (int i = 0; i < iovcnt; i++) put(iov[i].iov_base, iov[i].iov_len);
  pthread_mutex_unlock(&lock);
  return id;
}

static void log_done(unsigned long id, ssize_t r) {
  int saved = errno;
  pthread_mutex_lock(&lock);
  line("D %lu %lld\n", id, (long long)(r < 0 ? -1 : r));
  pthread_mutex_unlock(&lock);
  errno = saved;
}

// Where a write at the file position will begin: the position, or the end with O_APPEND.
// Writes of two threads through one fd at its position are not ordered here; neither SQLite
// (pwrite) nor libuv (its fs.write at the position, one at a time per file) does that.
static off_t position_of(int fd) {
  int fl = (int)syscall(SYS_fcntl, fd, F_GETFL);
  if (fl >= 0 && (fl & O_APPEND)) {
    struct stat st;
    return syscall(SYS_fstat, fd, &st) == 0 ? st.st_size : 0;
  }
  return (off_t)syscall(SYS_lseek, fd, 0, SEEK_CUR);
}

ssize_t write(int fd, const void *buf, size_t n) {
  REAL(write);
  ino_t ino = tracked(fd);
  if (!ino) return real_write(fd, buf, n);
  struct iovec v = {(void *)buf, n};
  unsigned long id = log_write(ino, position_of(fd), &v, 1);
  ssize_t r = real_write(fd, buf, n);
  log_done(id, r);
  return r;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
  REAL(pwrite);
  ino_t ino = tracked(fd);
  if (!ino) return real_pwrite(fd, buf, n, off);
  struct iovec v = {(void *)buf, n};
  unsigned long id = log_write(ino, off, &v, 1);
  ssize_t r = real_pwrite(fd, buf, n, off);
  log_done(id, r);
  return r;
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off) {
  REAL(pwrite64);
  ino_t ino = tracked(fd);
  if (!ino) return real_pwrite64(fd, buf, n, off);
  struct iovec v = {(void *)buf, n};
  unsigned long id = log_write(ino, off, &v, 1);
  ssize_t r = real_pwrite64(fd, buf, n, off);
  log_done(id, r);
  return r;
}

ssize_t writev(int fd, const struct iovec *iov, int cnt) {
  REAL(writev);
  ino_t ino = tracked(fd);
  if (!ino) return real_writev(fd, iov, cnt);
  unsigned long id = log_write(ino, position_of(fd), iov, cnt);
  ssize_t r = real_writev(fd, iov, cnt);
  log_done(id, r);
  return r;
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off) {
  REAL(pwritev);
  ino_t ino = tracked(fd);
  if (!ino) return real_pwritev(fd, iov, cnt, off);
  unsigned long id = log_write(ino, off, iov, cnt);
  ssize_t r = real_pwritev(fd, iov, cnt, off);
  log_done(id, r);
  return r;
}

ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off64_t off) {
  REAL(pwritev64);
  ino_t ino = tracked(fd);
  if (!ino) return real_pwritev64(fd, iov, cnt, off);
  unsigned long id = log_write(ino, off, iov, cnt);
  ssize_t r = real_pwritev64(fd, iov, cnt, off);
  log_done(id, r);
  return r;
}

ssize_t pwritev2(int fd, const struct iovec *iov, int cnt, off_t off, int flags) {
  REAL(pwritev2);
  ino_t ino = tracked(fd);
  if (!ino) return real_pwritev2(fd, iov, cnt, off, flags);
  unsigned long id = log_write(ino, off < 0 ? position_of(fd) : off, iov, cnt);
  ssize_t r = real_pwritev2(fd, iov, cnt, off, flags);
  log_done(id, r);
  return r;
}

int ftruncate(int fd, off_t len) {
  REAL(ftruncate);
  ino_t ino = tracked(fd);
  int r = real_ftruncate(fd, len);
  if (ino && r == 0) {
    pthread_mutex_lock(&lock);
    line("T %lu %lld\n", (unsigned long)ino, (long long)len);
    pthread_mutex_unlock(&lock);
  }
  return r;
}

int ftruncate64(int fd, off64_t len) {
  return ftruncate(fd, len);
}

int fallocate(int fd, int mode, off_t off, off_t len) {
  REAL(fallocate);
  ino_t ino = tracked(fd);
  int r = real_fallocate(fd, mode, off, len);
  if (ino && r == 0) {
    pthread_mutex_lock(&lock);
    line("A %lu %d %lld %lld\n", (unsigned long)ino, mode, (long long)off, (long long)len);
    pthread_mutex_unlock(&lock);
  }
  return r;
}

int fallocate64(int fd, int mode, off64_t off, off64_t len) {
  return fallocate(fd, mode, off, len);
}

int posix_fallocate(int fd, off_t off, off_t len) {
  return fallocate(fd, 0, off, len) == 0 ? 0 : errno;
}

static __thread int sync_fd;
static __thread off64_t sfr_off, sfr_n;
static __thread unsigned int sfr_flags;

static int do_fsync(void) {
  REAL(fsync);
  return real_fsync(sync_fd);
}
static int do_fdatasync(void) {
  REAL(fdatasync);
  return real_fdatasync(sync_fd);
}
static int do_syncfs(void) {
  REAL(syncfs);
  return real_syncfs(sync_fd);
}
static int do_sfr(void) {
  REAL(sync_file_range);
  return real_sync_file_range(sync_fd, sfr_off, sfr_n, sfr_flags);
}

// A sync: S before (what was logged until then is what it may cover), E after with its result.
static int logged_sync(int fd, ino_t ino, int (*call)(void)) {
  pthread_mutex_lock(&lock);
  unsigned long seq = ++sync_seq;
  line("S %lu %lu\n", seq, (unsigned long)ino);
  pthread_mutex_unlock(&lock);
  if (sync_delay_us > 0) {
    struct timespec ts = {sync_delay_us / 1000000, (sync_delay_us % 1000000) * 1000};
    syscall(SYS_nanosleep, &ts, NULL);
  }
  sync_fd = fd;
  int r = call();
  int saved = errno;
  pthread_mutex_lock(&lock);
  line("E %lu %lu %d\n", seq, (unsigned long)ino, r == 0 ? 0 : saved);
  pthread_mutex_unlock(&lock);
  errno = saved;
  return r;
}

int fsync(int fd) {
  ino_t ino = tracked(fd);
  if (!ino) {
    sync_fd = fd;
    return do_fsync();
  }
  return logged_sync(fd, ino, do_fsync);
}

int fdatasync(int fd) {
  ino_t ino = tracked(fd);
  if (!ino) {
    sync_fd = fd;
    return do_fdatasync();
  }
  return logged_sync(fd, ino, do_fdatasync);
}

// syncfs flushes the whole file system: logged with inode 0 when it is called at all.
int syncfs(int fd) {
  if (!active()) {
    sync_fd = fd;
    return do_syncfs();
  }
  return logged_sync(fd, 0, do_syncfs);
}

// sync_file_range promises nothing after a power cut (no metadata, no disk cache flush): logged
// as a sync that covers nothing (rc -1 in the E record), so that its use would show in the log.
int sync_file_range(int fd, off64_t off, off64_t n, unsigned int flags) {
  ino_t ino = tracked(fd);
  sync_fd = fd;
  sfr_off = off;
  sfr_n = n;
  sfr_flags = flags;
  int r = do_sfr();
  if (ino) {
    pthread_mutex_lock(&lock);
    unsigned long seq = ++sync_seq;
    line("S %lu %lu\nE %lu %lu -1\n", seq, (unsigned long)ino, seq, (unsigned long)ino);
    pthread_mutex_unlock(&lock);
  }
  return r;
}

static void name_op(char kind, const char *a, const char *b) {
  char pa[4096], pb[4096];
  if (!active() || !absolute(a, pa, sizeof pa) || !ours(pa)) {
    if (!b || !active() || !absolute(b, pb, sizeof pb) || !ours(pb)) return;
  }
  if (!absolute(a, pa, sizeof pa)) return;
  pthread_mutex_lock(&lock);
  if (b && absolute(b, pb, sizeof pb)) line("R %s\t%s\n", pa, pb);
  else line("%c %s\n", kind, pa);
  pthread_mutex_unlock(&lock);
}

int rename(const char *a, const char *b) {
  REAL(rename);
  int r = real_rename(a, b);
  if (r == 0) name_op('R', a, b);
  return r;
}

int unlink(const char *p) {
  REAL(unlink);
  int r = real_unlink(p);
  if (r == 0) name_op('U', p, NULL);
  return r;
}

int rmdir(const char *p) {
  REAL(rmdir);
  int r = real_rmdir(p);
  if (r == 0) name_op('X', p, NULL);
  return r;
}

int mkdir(const char *p, mode_t mode) {
  REAL(mkdir);
  int r = real_mkdir(p, mode);
  if (r == 0) name_op('N', p, NULL);
  return r;
}

// The *at forms, with a dirfd other than AT_FDCWD, are not resolved: the daemon (libuv, SQLite)
// uses the plain calls. Any use on our files would show as a change the strace check finds
// and the log does not.
