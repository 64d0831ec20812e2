import Atomics

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The first SIGINT or SIGTERM asks training to stop (the monitor polls `received` and stops the
/// workers, then the command writes its checkpoint); another one more than 2 seconds later exits at
/// once, leaving the last complete checkpoint (one within 2 seconds is the same request delivered
/// twice, as `timeout -s INT` does to the process and its group). SIGUSR1 asks the same and never
/// escalates: mpirun passes it on to every rank (it ends a job it is sent SIGINT or SIGTERM with
/// status 1 whatever the ranks do), and batch schedulers send it before a time limit. The handlers
/// are installed with sigaction, so they also take over a SIGINT that a non-interactive shell set to
/// "ignore" for a background job, and unblock the signals, which a parent may have left blocked.
final class InterruptHandler {
    private static let signals: [Int32] = [SIGINT, SIGTERM]

    /// Installs `handler` (by default: ask training to stop, as above) for SIGINT and SIGTERM, and
    /// the stop request for SIGUSR1 (ignored with `ignoringStopRequests`: a rank other than 0
    /// leaves ending the run to rank 0, which gets the same signal).
    /// `distributed`: rank 0 of an MPI job, where SIGINT and SIGTERM come from mpirun ending the
    /// job (it kills the ranks a moment later), so there is no second signal to give.
    init(
        handler: @escaping @convention(c) (Int32) -> Void = interruptSignalHandler, ignoringStopRequests: Bool = false,
        distributed: Bool = false
    ) {
        endedByLauncher.store(distributed, ordering: .relaxed)
        Self.catchStopRequests(ignoring: ignoringStopRequests)
        Self.install(handler, for: Self.signals)
    }

    /// Catches SIGUSR1 from now on, whose default action would end the process: a request that
    /// comes while the run is being set up is seen when it starts.
    static func catchStopRequests(ignoring: Bool) {
        touchHandlerState()
        install(ignoring ? { _ in } : stopRequestHandler, for: [SIGUSR1])
    }

    /// Installs `handler` for `numbers` with sigaction and unblocks them.
    static func install(_ handler: @escaping @convention(c) (Int32) -> Void, for numbers: [Int32]) {
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for number in numbers { sigaddset(&unblock, number) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        for number in numbers {
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
        case SIGUSR1: return "SIGUSR1"
        case let other: return "signal \(other)"
        }
    }

    /// Whether the signal received asks for a clean stop only (SIGUSR1): a distributed run then
    /// ends as at its budget, every rank finishing, instead of at once.
    var receivedStopRequestOnly: Bool { receivedSignal.load(ordering: .relaxed) == SIGUSR1 }

    /// Back to the default behaviour for SIGINT and SIGTERM; a late stop request (SIGUSR1, whose
    /// default would end the process while it writes its summary) is ignored.
    func restore() {
        for number in Self.signals { signal(number, SIG_DFL) }
        signal(SIGUSR1, SIG_IGN)
    }
}

// State the handlers may touch: lock-free atomics, clock_gettime, write and _exit (async-signal-safe).
private let receivedSignal = ManagedAtomic<Int32>(0)
private let interruptArrivals = SignalArrivals()
private let endedByLauncher = ManagedAtomic<Bool>(false)

/// Swift makes a global on its first use, which allocates: that must not happen inside a handler.
private func touchHandlerState() {
    _ = receivedSignal.load(ordering: .relaxed)
    _ = interruptArrivals
    _ = endedByLauncher.load(ordering: .relaxed)
}

/// A signal that asks for something, as it arrives: the first time, the same request delivered
/// twice (within 2 seconds: `timeout` and some shells signal the process and its group), or asked
/// again. Safe in a signal handler: atomics and clock_gettime only.
final class SignalArrivals: Sendable {
    enum Arrival { case first, duplicate, again }

    private let count = ManagedAtomic<Int>(0)
    private let firstNanoseconds = ManagedAtomic<Int>(0)

    func record() -> Arrival {
        let now = monotonicNanoseconds()
        if count.wrappingIncrementThenLoad(ordering: .relaxed) == 1 {
            firstNanoseconds.store(now, ordering: .relaxed)
            return .first
        }
        return now - firstNanoseconds.load(ordering: .relaxed) < 2_000_000_000 ? .duplicate : .again
    }
}

private func monotonicNanoseconds() -> Int {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return now.tv_sec * 1_000_000_000 + now.tv_nsec
}

private func stopRequestHandler(_ number: Int32) {
    // The first request of any kind is the one reported; this one never quits at once.
    if receivedSignal.compareExchange(expected: 0, desired: number, ordering: .relaxed).exchanged {
        let message: StaticString = "\na3c: stop requested (SIGUSR1): stopping the workers and writing a checkpoint\n"
        _ = write(STDERR_FILENO, message.utf8Start, message.utf8CodeUnitCount)
    }
}

private func interruptSignalHandler(_ number: Int32) {
    switch interruptArrivals.record() {
    case .first:
        receivedSignal.store(number, ordering: .relaxed)
        let message: StaticString = endedByLauncher.load(ordering: .relaxed)
            ? "\na3c: mpirun is ending the job: writing rank 0's checkpoint\n"
            : "\na3c: stopping the workers and writing a checkpoint (signal again to quit at once)\n"
        _ = write(STDERR_FILENO, message.utf8Start, message.utf8CodeUnitCount)
    case .duplicate:
        return
    case .again:
        let message: StaticString = "a3c: quitting without a final checkpoint\n"
        _ = write(STDERR_FILENO, message.utf8Start, message.utf8CodeUnitCount)
        _exit(130)
    }
}
