/*
 * Power-cut simulation for SQLite files (LD_PRELOAD). A kill -9 loses nothing the process wrote: the
 * kernel still holds it. A power cut loses everything written since the file's last fsync. This shim
 * keeps, beside each watched file F, a "durable image" F.durable that holds exactly what an fsync made
 * durable: writes are remembered as dirty ranges, and fsync/fdatasync copies those ranges (and the
 * file's size) into F.durable. After kill -9, replacing F with F.durable is the state a power cut at
 * that instant would leave (the worst case a disk may give: nothing unsynced survives).
 *
 * Watched: files whose path starts with $POWERCUT_PREFIX (the database file, its -wal and -journal),
 * except the -shm wal-index, which SQLite rebuilds from the WAL after every crash.
 *
 *   cc -shared -fPIC -O2 -o power-cut.so power-cut.c -ldl -lpthread
 *   LD_PRELOAD=./power-cut.so POWERCUT_PREFIX=/data/medbill.sqlite node …
 *
 * Only what SQLite's unix VFS uses is handled: open/openat, write/pwrite (and lseek+write), ftruncate,
 * fsync/fdatasync, unlink, close. Test tooling for bench/campaign and test/his/power-cut.test.ts.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define MAX_FD 65536
#define MAX_FILES 16

typedef struct {
  off_t off;
  off_t len;
} range_t;

typedef struct {
  char path[4096];
  char durable[4112];
  range_t *dirty;
  size_t ndirty, cap;
  int size_dirty; /* ftruncate or a write may have changed the size */
  int used;
} file_t;

/* A watched descriptor and the inode it was opened on. libuv closes descriptors with syscall(SYS_close),
 * past this shim's close(): a number may come back as a socket or another file, so every use checks
 * that the descriptor still is that inode. */
typedef struct {
  file_t *f;
  dev_t dev;
  ino_t ino;
} fdent_t;

static file_t files[MAX_FILES];
static fdent_t by_fd[MAX_FD];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static const char *prefix;
static size_t prefix_len;
static int inited;

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static ssize_t (*real_pread)(int, void *, size_t, off_t);
static int (*real_ftruncate)(int, off_t);
static int (*real_ftruncate64)(int, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_close)(int);
static int (*real_unlink)(const char *);

static void init(void) {
  if (inited) return;
  real_open = dlsym(RTLD_NEXT, "open");
  real_open64 = dlsym(RTLD_NEXT, "open64");
  real_openat = dlsym(RTLD_NEXT, "openat");
  real_openat64 = dlsym(RTLD_NEXT, "openat64");
  real_write = dlsym(RTLD_NEXT, "write");
  real_pwrite = dlsym(RTLD_NEXT, "pwrite");
  real_pwrite64 = dlsym(RTLD_NEXT, "pwrite64");
  real_pread = dlsym(RTLD_NEXT, "pread");
  real_ftruncate = dlsym(RTLD_NEXT, "ftruncate");
  real_ftruncate64 = dlsym(RTLD_NEXT, "ftruncate64");
  real_fsync = dlsym(RTLD_NEXT, "fsync");
  real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
  real_close = dlsym(RTLD_NEXT, "close");
  real_unlink = dlsym(RTLD_NEXT, "unlink");
  prefix = getenv("POWERCUT_PREFIX");
  prefix_len = prefix ? strlen(prefix) : 0;
  inited = 1;
}

static int watched(const char *path) {
  if (!prefix_len || !path || strncmp(path, prefix, prefix_len) != 0) return 0;
  size_t n = strlen(path);
  if (n >= 4 && strcmp(path + n - 4, "-shm") == 0) return 0;
  if (n >= 8 && strcmp(path + n - 8, ".durable") == 0) return 0;
  return 1;
}

/* Copies [off, off+len) of src into dst at the same offset. */
static void copy_range(int src, int dst, off_t off, off_t len) {
  char buf[65536];
  while (len > 0) {
    ssize_t want = len < (off_t)sizeof buf ? (ssize_t)len : (ssize_t)sizeof buf;
    ssize_t got = real_pread(src, buf, want, off);
    if (got <= 0) return;
    if (real_pwrite(dst, buf, got, off) != got) return;
    off += got;
    len -= got;
  }
}

static file_t *file_for(const char *path, int fd) {
  for (int i = 0; i < MAX_FILES; i++)
    if (files[i].used && strcmp(files[i].path, path) == 0) return &files[i];
  for (int i = 0; i < MAX_FILES; i++) {
    if (files[i].used) continue;
    file_t *f = &files[i];
    memset(f, 0, sizeof *f);
    f->used = 1;
    snprintf(f->path, sizeof f->path, "%s", path);
    snprintf(f->durable, sizeof f->durable, "%s.durable", path);
    /* Whatever an earlier process wrote and never fsynced is still in the kernel's page cache (a
     * kill -9 or an abrupt exit loses nothing), and this process's next fsync makes it durable:
     * so the whole file starts dirty. After a simulated power cut file and image are equal anyway. */
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
      f->dirty = malloc(256 * sizeof(range_t));
      f->cap = 256;
      f->dirty[0].off = 0;
      f->dirty[0].len = st.st_size;
      f->ndirty = 1;
      f->size_dirty = 1;
    }
    return f;
  }
  return NULL;
}

static void note_open(int fd, const char *path) {
  if (fd < 0 || fd >= MAX_FD) return;
  if (!watched(path)) {
    by_fd[fd].f = NULL;
    return;
  }
  char abs[4096];
  const char *p = path;
  if (path[0] != '/' && getcwd(abs, sizeof abs - strlen(path) - 2)) {
    strcat(abs, "/");
    strcat(abs, path);
    p = abs;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) return;
  pthread_mutex_lock(&mu);
  by_fd[fd].f = file_for(p, fd);
  by_fd[fd].dev = st.st_dev;
  by_fd[fd].ino = st.st_ino;
  pthread_mutex_unlock(&mu);
}

/* The watched file behind fd, or NULL (not watched, or the number now names something else). */
static file_t *tracked(int fd) {
  if (fd < 0 || fd >= MAX_FD || !by_fd[fd].f) return NULL;
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_dev != by_fd[fd].dev || st.st_ino != by_fd[fd].ino) {
    by_fd[fd].f = NULL;
    return NULL;
  }
  return by_fd[fd].f;
}

static void note_write(file_t *f, off_t off, ssize_t n) {
  if (n <= 0 || off < 0) return;
  pthread_mutex_lock(&mu);
  {
    f->size_dirty = 1;
    if (f->ndirty && f->dirty[f->ndirty - 1].off + f->dirty[f->ndirty - 1].len == off) {
      f->dirty[f->ndirty - 1].len += n;
    } else {
      if (f->ndirty == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 256;
        f->dirty = realloc(f->dirty, f->cap * sizeof(range_t));
      }
      f->dirty[f->ndirty].off = off;
      f->dirty[f->ndirty].len = n;
      f->ndirty++;
    }
  }
  pthread_mutex_unlock(&mu);
}

/* fsync: what was written to the file so far is now durable. */
static void make_durable(int fd, file_t *f) {
  pthread_mutex_lock(&mu);
  if (f->ndirty || f->size_dirty) {
    int d = real_open(f->durable, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (d >= 0) {
      struct stat st;
      if (fstat(fd, &st) == 0) {
        for (size_t i = 0; i < f->ndirty; i++) {
          off_t end = f->dirty[i].off + f->dirty[i].len;
          if (end > st.st_size) end = st.st_size;
          if (end > f->dirty[i].off) copy_range(fd, d, f->dirty[i].off, end - f->dirty[i].off);
        }
        real_ftruncate(d, st.st_size);
      }
      real_close(d);
    }
    f->ndirty = 0;
    f->size_dirty = 0;
  }
  pthread_mutex_unlock(&mu);
}

static mode_t mode_arg(int flags, va_list ap) {
  return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

/* open, open64, openat, openat64: the same wrapper around each (mode only with O_CREAT/O_TMPFILE). */
#define WRAP_OPEN(name, real)                                   \
  int name(const char *path, int flags, ...) {                  \
    init();                                                     \
    va_list ap;                                                 \
    va_start(ap, flags);                                        \
    mode_t m = mode_arg(flags, ap);                             \
    va_end(ap);                                                 \
    int fd = real(path, flags, m);                              \
    note_open(fd, path);                                        \
    return fd;                                                  \
  }
#define WRAP_OPENAT(name, real)                                 \
  int name(int dirfd, const char *path, int flags, ...) {       \
    init();                                                     \
    va_list ap;                                                 \
    va_start(ap, flags);                                        \
    mode_t m = mode_arg(flags, ap);                             \
    va_end(ap);                                                 \
    int fd = real(dirfd, path, flags, m);                       \
    if (dirfd == AT_FDCWD || path[0] == '/') note_open(fd, path);        \
    return fd;                                                  \
  }
WRAP_OPEN(open, real_open)
WRAP_OPEN(open64, real_open64)
WRAP_OPENAT(openat, real_openat)
WRAP_OPENAT(openat64, real_openat64)

ssize_t write(int fd, const void *buf, size_t n) {
  init();
  file_t *f = tracked(fd);
  if (!f) return real_write(fd, buf, n);
  off_t off = lseek(fd, 0, SEEK_CUR);
  ssize_t r = real_write(fd, buf, n);
  note_write(f, off, r);
  return r;
}

#define WRAP_PWRITE(name, real)                                 \
  ssize_t name(int fd, const void *buf, size_t n, off_t off) {  \
    init();                                                     \
    file_t *f = tracked(fd);                                    \
    ssize_t r = real(fd, buf, n, off);                          \
    if (f) note_write(f, off, r);                               \
    return r;                                                   \
  }
WRAP_PWRITE(pwrite, real_pwrite)
WRAP_PWRITE(pwrite64, real_pwrite64)

static void note_truncate(int fd) {
  file_t *f = tracked(fd);
  if (!f) return;
  pthread_mutex_lock(&mu);
  f->size_dirty = 1;
  pthread_mutex_unlock(&mu);
}

#define WRAP_FTRUNCATE(name, real)                              \
  int name(int fd, off_t len) {                                 \
    init();                                                     \
    int r = real(fd, len);                                      \
    if (r == 0) note_truncate(fd);                              \
    return r;                                                   \
  }
WRAP_FTRUNCATE(ftruncate, real_ftruncate)
WRAP_FTRUNCATE(ftruncate64, real_ftruncate64)

#define WRAP_SYNC(name, real)                                   \
  int name(int fd) {                                            \
    init();                                                     \
    file_t *f = tracked(fd);                                    \
    int r = real(fd);                                           \
    if (r == 0 && f) make_durable(fd, f);                       \
    return r;                                                   \
  }
WRAP_SYNC(fsync, real_fsync)
WRAP_SYNC(fdatasync, real_fdatasync)

int close(int fd) {
  init();
  /* Its unsynced writes stay pending on the file until some fsync of it. */
  if (fd >= 0 && fd < MAX_FD) by_fd[fd].f = NULL;
  return real_close(fd);
}

int unlink(const char *path) {
  init();
  int r = real_unlink(path);
  if (r == 0 && watched(path)) {
    pthread_mutex_lock(&mu);
    for (int i = 0; i < MAX_FILES; i++)
      if (files[i].used && strcmp(files[i].path, path) == 0) {
        real_unlink(files[i].durable);
        files[i].ndirty = 0;
        files[i].size_dirty = 0;
      }
    pthread_mutex_unlock(&mu);
  }
  return r;
}
