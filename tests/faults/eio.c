/* A disk that answers I/O errors, for tests: preloaded into a server process
 * (LD_PRELOAD), it fails reads, writes and syncs of the files whose path contains
 * $HYPEE_FAULT_MATCH with EIO while the file $HYPEE_FAULT_SWITCH exists. The switch file
 * holds the operations to fail: "read", "write", "sync" (any of them, on one line). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static int failing(int fd, const char *operation) {
    const char *switch_path = getenv("HYPEE_FAULT_SWITCH");
    const char *match = getenv("HYPEE_FAULT_MATCH");
    if (!switch_path || !match) return 0;
    int saved = errno;
    int control = open(switch_path, O_RDONLY | O_CLOEXEC);
    if (control < 0) { errno = saved; return 0; }
    char wanted[64] = {0};
    static ssize_t (*unfaulted_read)(int, void *, size_t) = NULL;
    if (!unfaulted_read) unfaulted_read = dlsym(RTLD_NEXT, "read");
    ssize_t got = unfaulted_read(control, wanted, sizeof wanted - 1);
    close(control);
    if (got <= 0 || !strstr(wanted, operation)) { errno = saved; return 0; }
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t length = readlink(link, path, sizeof path - 1);
    errno = saved;
    if (length <= 0) return 0;
    path[length] = 0;
    return strstr(path, match) != NULL;
}

#define REAL(name) static __typeof__(name) *real = NULL; if (!real) real = dlsym(RTLD_NEXT, #name)

ssize_t pread64(int fd, void *buf, size_t count, off_t offset) {
    REAL(pread64);
    if (failing(fd, "read")) { errno = EIO; return -1; }
    return real(fd, buf, count, offset);
}
ssize_t pread(int fd, void *buf, size_t count, off_t offset) {
    REAL(pread);
    if (failing(fd, "read")) { errno = EIO; return -1; }
    return real(fd, buf, count, offset);
}
ssize_t read(int fd, void *buf, size_t count) {
    REAL(read);
    if (failing(fd, "read")) { errno = EIO; return -1; }
    return real(fd, buf, count);
}
ssize_t pwrite64(int fd, const void *buf, size_t count, off_t offset) {
    REAL(pwrite64);
    if (failing(fd, "write")) { errno = EIO; return -1; }
    return real(fd, buf, count, offset);
}
ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset) {
    REAL(pwrite);
    if (failing(fd, "write")) { errno = EIO; return -1; }
    return real(fd, buf, count, offset);
}
ssize_t write(int fd, const void *buf, size_t count) {
    REAL(write);
    if (failing(fd, "write")) { errno = EIO; return -1; }
    return real(fd, buf, count);
}
int fsync(int fd) {
    REAL(fsync);
    if (failing(fd, "sync")) { errno = EIO; return -1; }
    return real(fd);
}
int fdatasync(int fd) {
    REAL(fdatasync);
    if (failing(fd, "sync")) { errno = EIO; return -1; }
    return real(fd);
}
