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
    if (jump && address >= armed_low && address < armed_high) {
        armed_jump = NULL;
        siglongjmp(*jump, 1);
    }
    // Not ours: hand it on as if this handler had never been installed.
    if (previous_action.sa_flags & SA_SIGINFO) {
        if (previous_action.sa_sigaction) {
            previous_action.sa_sigaction(sig, info, context);
            return;
        }
    } else if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN) {
        previous_action.sa_handler(sig);
        return;
    }
    // Default action: restore it and return; the faulting access runs again and the process ends as it would have.
    struct sigaction fallback;
    memset(&fallback, 0, sizeof fallback);
    fallback.sa_handler = SIG_DFL;
    sigemptyset(&fallback.sa_mask);
    sigaction(sig, &fallback, NULL);
}

static void install(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigbus;
    // SA_NODEFER: the jump leaves the handler without sigreturn, so SIGBUS must not stay blocked in this thread.
    action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGBUS, &action, &previous_action) != 0) install_failed = 1;
}

int ws_b3_update_mapped(int fd, uint64_t offset, size_t length, int require_resident,
                        ws_b3_hasher *first, ws_b3_hasher *second, size_t step) {
    if (length == 0) return 0;
    pthread_once(&install_once, install);
    if (install_failed) return WS_B3_MAP_UNAVAILABLE;
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0) return WS_B3_MAP_UNAVAILABLE;
    uint64_t aligned = offset - offset % (uint64_t)page;
    size_t lead = (size_t)(offset - aligned);
    size_t span = lead + length;
    void *map = mmap(NULL, span, PROT_READ, MAP_SHARED | (require_resident ? MAP_POPULATE : 0), fd, (off_t)aligned);
    if (map == MAP_FAILED) return WS_B3_MAP_UNAVAILABLE;
    if (require_resident) {
        // Only pages already in the page cache are hashed from the mapping: a cold file is read with pread, which
        // keeps several reads in flight (docs/performance.md, cold reads).
        size_t pages = (span + (size_t)page - 1) / (size_t)page;
        unsigned char vector[4096];
        for (size_t first_page = 0; first_page < pages; first_page += sizeof vector) {
            size_t count = pages - first_page < sizeof vector ? pages - first_page : sizeof vector;
            size_t bytes = count * (size_t)page;
            if (first_page * (size_t)page + bytes > span) bytes = span - first_page * (size_t)page;
            if (mincore((char *)map + first_page * (size_t)page, bytes, vector) != 0) {
                munmap(map, span);
                return WS_B3_MAP_UNAVAILABLE;
            }
            for (size_t i = 0; i < count; i++) {
                if (!(vector[i] & 1)) {
                    munmap(map, span);
                    return WS_B3_MAP_UNAVAILABLE;
                }
            }
        }
    }
    if (step == 0) step = length;
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
    } else {
        result = WS_B3_MAP_FAULT;
    }
    armed_low = NULL;
    armed_high = NULL;
    munmap(map, span);
    return result;
}
