// Hashing a file through a read-only mapping, guarded against the file shrinking underneath it.
//
// A mapped page past the end of a file that was truncated after mmap raises SIGBUS when touched; unguarded, that kills
// the process, and a model folder is exactly the input that may be written while it is checked. Here the touch happens
// only inside ws_b3_update_mapped, with a per-thread jump buffer armed: the SIGBUS handler sees the fault address inside
// the thread's armed range and jumps back, and the call returns an error. Any other SIGBUS goes to the handler that was
// there before (the Swift runtime's backtracer, or the default action). Only C code of this file and of blake3.c runs
// between sigsetjmp and the fault: no lock is held, nothing is allocated.
#define _GNU_SOURCE
#include "CWeightSealBLAKE3.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static struct sigaction previous_action;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static int install_failed;

static __thread sigjmp_buf *volatile armed_jump;
static __thread const char *volatile armed_low;
static __thread const char *volatile armed_high;

static void on_sigbus(int sig, siginfo_t *info, void *context) {
    const char *address = info ? (const char *)info->si_addr : NULL;
    sigjmp_buf *jump = armed_jump;
    // Only a fault the kernel raised (si_code > 0) at an address this thread armed; a SIGBUS sent by a process
    // (kill, sigqueue: si_code <= 0) is never taken for one, whatever address it names.
    if (jump && info && info->si_code > 0 && address >= armed_low && address < armed_high) {
        armed_jump = NULL;
        siglongjmp(*jump, 1);
    }
    // Not ours: hand it on as if this handler had never been installed.
    if (previous_action.sa_flags & SA_SIGINFO) {
        if (previous_action.sa_sigaction) {
            previous_action.sa_sigaction(sig, info, context);
            return;
        }
    } else if (previous_action.sa_handler == SIG_IGN) {
        return;
    } else if (previous_action.sa_handler != SIG_DFL) {
        previous_action.sa_handler(sig);
        return;
    }
    // Default action: restore it and raise the signal again, so that the process ends as it would have (a fault,
    // or a SIGBUS sent to it).
    struct sigaction fallback;
    memset(&fallback, 0, sizeof fallback);
    fallback.sa_handler = SIG_DFL;
    sigemptyset(&fallback.sa_mask);
    sigaction(sig, &fallback, NULL);
    raise(sig);
}

static void install(void) {
    // The previous action is read before ours is in place: a SIGBUS in between still finds it.
    if (sigaction(SIGBUS, NULL, &previous_action) != 0) {
        install_failed = 1;
        return;
    }
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigbus;
    // SA_NODEFER: the jump leaves the handler without sigreturn, so SIGBUS must not stay blocked in this thread.
    action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGBUS, &action, NULL) != 0) install_failed = 1;
}

/// The file's size now, or -1.
static int64_t file_size(int fd) {
    struct stat st;
    return fstat(fd, &st) == 0 ? (int64_t)st.st_size : -1;
}

/// Whether every page of [map, map + bytes) is in the page cache.
static int resident(void *map, size_t bytes, size_t page) {
    unsigned char vector[1024];
    size_t pages = (bytes + page - 1) / page;
    for (size_t first = 0; first < pages; first += sizeof vector) {
        size_t count = pages - first < sizeof vector ? pages - first : sizeof vector;
        size_t span = count * page;
        if (first * page + span > bytes) span = bytes - first * page;
        if (mincore((char *)map + first * page, span, vector) != 0) return 0;
        for (size_t i = 0; i < count; i++) {
            if (!(vector[i] & 1)) return 0;
        }
    }
    return 1;
}

/// Hashes one window [offset, offset + length) through its own mapping; 0, WS_B3_MAP_FAULT or WS_B3_MAP_UNAVAILABLE.
static int hash_window(int fd, uint64_t offset, size_t length, int require_resident, size_t page,
                       ws_b3_hasher *first, ws_b3_hasher *second, size_t step) {
    uint64_t aligned = offset - offset % (uint64_t)page;
    size_t lead = (size_t)(offset - aligned);
    size_t span = lead + length;
    void *map = mmap(NULL, span, PROT_READ, MAP_SHARED, fd, (off_t)aligned);
    if (map == MAP_FAILED) return WS_B3_MAP_UNAVAILABLE;
    if (require_resident) {
        // Only pages already in the page cache are hashed from the mapping: a cold file is read with pread, which
        // keeps several reads in flight (docs/performance.md, cold reads).
        if (!resident(map, span, page)) {
            munmap(map, span);
            return WS_B3_MAP_UNAVAILABLE;
        }
#ifdef MADV_POPULATE_READ
        // The pages are there: fill the page tables in one call rather than one fault at a time (Linux 5.14+;
        // older kernels refuse it and the pages fault in as they are touched).
        madvise(map, span, MADV_POPULATE_READ);
#endif
    }
    const char *base = (const char *)map + lead;
    sigjmp_buf jump;
    int result = 0;
    if (sigsetjmp(jump, 0) == 0) {
        armed_low = (const char *)map;
        armed_high = (const char *)map + span;
        armed_jump = &jump;
        for (size_t done = 0; done < length;) {
            size_t n = length - done < step ? length - done : step;
            if (first) ws_b3_update(first, base + done, n);
            if (second) ws_b3_update(second, base + done, n);
            done += n;
        }
        armed_jump = NULL;
        // Shrunk while hashed, but only within the last page (zeros read, no fault): the bytes were not the file's.
        if (file_size(fd) < (int64_t)(offset + length)) result = WS_B3_MAP_FAULT;
    } else {
        // A fault with the file still as long as the range is a read error on the page (disk, network file system).
        result = file_size(fd) < (int64_t)(offset + length) ? WS_B3_MAP_FAULT : WS_B3_MAP_IO_ERROR;
    }
    armed_low = NULL;
    armed_high = NULL;
    munmap(map, span);
    return result;
}

int ws_b3_update_mapped(int fd, uint64_t offset, size_t length, int require_resident,
                        ws_b3_hasher *first, ws_b3_hasher *second, size_t step, size_t *hashed) {
    *hashed = 0;
    if (length == 0) return 0;
    pthread_once(&install_once, install);
    if (install_failed) return WS_B3_MAP_UNAVAILABLE;
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0) return WS_B3_MAP_UNAVAILABLE;
    if (step == 0) step = length;
    // A window at a time: what the process maps (and counts as resident) stays a few MiB per worker.
    size_t window = WS_B3_MAP_WINDOW;
    while (*hashed < length) {
        size_t n = length - *hashed < window ? length - *hashed : window;
        int result = hash_window(fd, offset + *hashed, n, require_resident, (size_t)page, first, second, step);
        if (result != 0) return result;
        *hashed += n;
    }
    return 0;
}
