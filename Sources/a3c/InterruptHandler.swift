import Atomics

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The first SIGINT or SIGTERM asks training to stop (the monitor polls `received` and stops the
/// workers, then the command writes its checkpoint); another one more than 2 seconds later exits at
/// once, leaving the last complete checkpoint (one within 2 seconds is the same request delivered
/// twice, as `timeout -s INT` does to the process and its group). The handler is installed with sigaction, so it also takes over a SIGINT
/// that a non-interactive shell set to "ignore" for a background job, and unblocks both signals,
/// which a parent may have left blocked: `kill -INT` then always works.
final class InterruptHandler {
    private static let signals: [Int32] = [SIGINT, SIGTERM]

    /// Installs `handler` (by default: ask training to stop, as above) for SIGINT and SIGTERM.
    init(handler: @escaping @convention(c) (Int32) -> Void = interruptSignalHandler) {
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for number in Self.signals { sigaddset(&unblock, number) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        for number in Self.signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = handler
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(number, &action, nil)
        }
    }

    /// The signal that asked training to stop, if one did.
    var received: String? {
        switch receivedSignal.load(ordering: .relaxed) {
        case 0: return nil
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        case let other: return "signal \(other)"
        }
    }

    /// Back to the default behaviour.
    func restore() {
        for number in Self.signals { signal(number, SIG_DFL) }
    }
}

// State the handler may touch: lock-free atomics and clock_gettime only (async-signal-safe).
private let receivedSignal = ManagedAtomic<Int32>(0)
private let signalCount = ManagedAtomic<Int>(0)
private let firstSignalNanoseconds = ManagedAtomic<Int>(0)

private func monotonicNanoseconds() -> Int {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return now.tv_sec * 1_000_000_000 + now.tv_nsec
}

private func interruptSignalHandler(_ number: Int32) {
    let now = monotonicNanoseconds()
    if signalCount.wrappingIncrementThenLoad(ordering: .relaxed) == 1 {
        firstSignalNanoseconds.store(now, ordering: .relaxed)
        receivedSignal.store(number, ordering: .relaxed)
        let message: StaticString = "\na3c: stopping the workers and writing a checkpoint (signal again to quit at once)\n"
        _ = write(STDERR_FILENO, message.utf8Start, message.utf8CodeUnitCount)
    } else if now - firstSignalNanoseconds.load(ordering: .relaxed) < 2_000_000_000 {
        // The same request twice: `timeout` and some shells signal the process and its group.
        return
    } else {
        let message: StaticString = "a3c: quitting without a final checkpoint\n"
        _ = write(STDERR_FILENO, message.utf8Start, message.utf8CodeUnitCount)
        _exit(130)
    }
}
