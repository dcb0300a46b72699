#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc structs (stat, dirent) are attributed to CoreFoundation's module
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value reachable only under a pthread mutex, with one condition variable to wait for it to change: the hand-off
/// of a shared stream's blocks between its owner and helper (``StreamShare``) waits on it. Other engine state is in
/// `Mutex`es (``HashRun``, ``FileJob``), which have no condition.
///
/// The state is passed `inout` only for the length of a closure, never across a wait: ``next(_:)`` calls its closure
/// again after every change instead.
final class ConditionMutex<State>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var state: State

    init(_ state: State) {
        self.state = state
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` with the state under the lock, then wakes every waiter.
    func update<R>(_ body: (inout State) -> R) -> R {
        pthread_mutex_lock(mutex)
        defer {
            pthread_cond_broadcast(cond)
            pthread_mutex_unlock(mutex)
        }
        return body(&state)
    }

    /// Calls `step` with the state under the lock until it returns a value, waiting for a change between calls;
    /// then wakes every waiter and returns that value.
    func next<R>(_ step: (inout State) -> R?) -> R {
        pthread_mutex_lock(mutex)
        defer {
            pthread_cond_broadcast(cond)
            pthread_mutex_unlock(mutex)
        }
        while true {
            if let r = step(&state) { return r }
            pthread_cond_wait(cond, mutex)
        }
    }
}

/// Seconds on a monotonic clock.
func monotonicSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}
