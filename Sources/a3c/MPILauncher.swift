import ArgumentParser
import Atomics
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `a3c train --ranks N [--hostfile F]`: starts the same command as N ranks under Open MPI's mpirun
/// and stands between mpirun and the user.
///
/// mpirun ends a job it is sent SIGINT or SIGTERM with status 1 whatever the ranks do, and passes
/// SIGUSR1 on to every rank; so Ctrl-C (or SIGTERM, SIGHUP) here becomes SIGUSR1 for mpirun: rank 0
/// ends the run as its budget would, every rank finishes, and the status is 0. A second signal more
/// than 2 seconds later becomes SIGTERM (rank 0 still writes its checkpoint). mpirun's notices,
/// boxes of several lines, are read off its standard error: the death of a rank becomes one line
/// naming it; others pass through as they are.
struct MPILauncher {
    let ranks: Int
    let hostfile: String?

    func run() throws {
        guard let mpirun = Self.findOnPath("mpirun") else {
            throw ValidationError("--ranks needs Open MPI's mpirun, which is not on PATH (scripts/setup.sh installs openmpi-bin)")
        }
        var command = [mpirun, "-np", "\(ranks)", "--stdin", "none"]
        // One machine: as many ranks as asked, whatever its cores (mpirun refuses more by default).
        command += hostfile.map { ["--hostfile", $0] } ?? ["--oversubscribe"]
        if getuid() == 0 { command.append("--allow-run-as-root") }
        command += [Self.executablePath(), "train", "--distributed"] + Self.argumentsForRanks(Array(CommandLine.arguments.dropFirst()))

        let status = try Self.runForwardingSignals(command)
        if status != 0 { throw ExitCode(status) }
    }

    /// This command's arguments without the launcher's own options and the subcommand name.
    static func argumentsForRanks(_ arguments: [String]) -> [String] {
        var kept: [String] = []
        var index = arguments.first == "train" ? 1 : 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--ranks" || argument == "--hostfile" {
                index += 2
                continue
            }
            if !argument.hasPrefix("--ranks=") && !argument.hasPrefix("--hostfile=") { kept.append(argument) }
            index += 1
        }
        return kept
    }

    private static func findOnPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// This binary, as every rank must start it (the same path on every machine).
    private static func executablePath() -> String {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return resolved }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }

    /// Runs `command` in a process group of its own (a terminal's Ctrl-C reaches this process only,
    /// which turns it into a stop request), with its standard error read through `MPINotices`.
    /// Returns its exit status.
    private static func runForwardingSignals(_ command: [String]) throws -> Int32 {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw ValidationError("could not start mpirun: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], STDERR_FILENO)
        posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
        posix_spawn_file_actions_addclose(&actions, pipeEnds[1])
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        // This process ignores SIGPIPE; mpirun and the ranks start with the usual dispositions.
        for number in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGUSR1] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var noneBlocked = sigset_t()
        sigemptyset(&noneBlocked)
        posix_spawnattr_setsigmask(&attributes, &noneBlocked)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        // Held until the handlers are in: a Ctrl-C in between would end this process and leave
        // mpirun, in its own group, running. The child starts with none blocked (above).
        var launcherSignalSet = sigset_t()
        sigemptyset(&launcherSignalSet)
        for number in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&launcherSignalSet, number) }
        pthread_sigmask(SIG_BLOCK, &launcherSignalSet, nil)

        var child: pid_t = 0
        let arguments = command.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        let spawned = posix_spawn(&child, command[0], &actions, &attributes, arguments, environ)
        close(pipeEnds[1])
        guard spawned == 0 else {
            pthread_sigmask(SIG_UNBLOCK, &launcherSignalSet, nil)
            close(pipeEnds[0])
            throw ValidationError("could not start \(command[0]): \(String(cString: strerror(spawned)))")
        }
        mpirunProcess.store(child, ordering: .relaxed)
        // Swift makes a global on its first use, which allocates: not inside the handler.
        _ = launcherArrivals
        // Installing unblocks them: a signal held since the spawn arrives now.
        InterruptHandler.install(launcherSignalHandler, for: [SIGINT, SIGTERM, SIGHUP])

        let notices = MPINotices()
        let readingDone = DispatchSemaphore(value: 0)
        let readEnd = pipeEnds[0]
        let reader = Thread {
            let input = FileHandle(fileDescriptor: readEnd, closeOnDealloc: true)
            while true {
                let chunk = input.availableData
                if chunk.isEmpty { break }
                notices.consume(chunk)
            }
            readingDone.signal()
        }
        reader.start()

        var status: Int32 = 0
        while waitpid(child, &status, 0) == -1 && errno == EINTR {}
        // Its process id may now be another process's.
        mpirunProcess.store(0, ordering: .relaxed)
        // Ranks on other machines may hold the pipe a moment longer; their last words are not worth a hang.
        _ = readingDone.wait(timeout: .now() + 2)
        notices.finish()
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }
}

// What the signal handler may touch: atomics, clock_gettime, kill and write (async-signal-safe).
private let mpirunProcess = ManagedAtomic<Int32>(0)
private let launcherArrivals = SignalArrivals()

private func launcherSignalHandler(_ number: Int32) {
    let process = mpirunProcess.load(ordering: .relaxed)
    // kill(0, ...) would signal this process's whole group.
    guard process > 0 else { return }
    switch launcherArrivals.record() {
    case .first:
        kill(process, SIGUSR1)
    case .duplicate:
        return
    case .again:
        // Asked twice: mpirun's own ending (its SIGTERM to every rank; rank 0 still checkpoints).
        let message: StaticString = "a3c: ending every rank now\n"
        _ = write(STDERR_FILENO, message.utf8Start, message.utf8CodeUnitCount)
        kill(process, SIGTERM)
    }
}

/// mpirun's standard error, line by line: Open MPI's notices come as boxes between lines of dashes;
/// the ones that say a rank died or failed become one line of ours, the rest pass through.
/// Concurrency: its lock orders the reading thread's chunks and `finish()`, which may come while that thread still reads.
final class MPINotices: @unchecked Sendable {
    private var pending = Data()
    private var box: [String]?
    /// A rank already said why it failed (its own "a3c: ..." line).
    private var rankExplained = false
    private let lock = NSLock()

    func consume(_ chunk: Data) {
        lock.lock()
        defer { lock.unlock() }
        pending.append(chunk)
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
            pending.removeSubrange(pending.startIndex...newline)
            handle(line)
        }
    }

    /// What is left when mpirun is gone: a last line without its newline, a box never closed.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if !pending.isEmpty { handle(String(decoding: pending, as: UTF8.self)) }
        pending.removeAll()
        if let open = box { emit(["-----"] + open) }
        box = nil
    }

    private func handle(_ line: String) {
        let isRule = line.count >= 20 && line.allSatisfy { $0 == "-" }
        if var open = box {
            if isRule {
                box = nil
                let text = open.joined(separator: " ").split(whereSeparator: \.isWhitespace).joined(separator: " ")
                if let translated = Self.translate(text, rankExplained: rankExplained) {
                    if !translated.isEmpty { emit([translated]) }
                } else {
                    emit([line] + open + [line])
                }
            } else {
                open.append(line)
                box = open
            }
            return
        }
        if isRule {
            box = []
            return
        }
        // mpirun reports passing the stop request on; and a rank reading from a peer that died
        // (shared memory, errno 3: no such process) only repeats what the death notice says.
        if line.hasPrefix("mpirun: Forwarding signal") || (line.contains("Read -1, expected") && line.contains("errno = 3")) {
            return
        }
        if line.hasPrefix("a3c: error") || line.hasPrefix("a3c: rank") { rankExplained = true }
        emit([line])
    }

    /// write(2), not FileHandle: a closed standard error (`2>&1 | head`) must not end the launcher
    /// while mpirun runs.
    private func emit(_ lines: [String]) {
        let text = lines.map { $0 + "\n" }.joined()
        _ = text.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    }

    /// One line for a notice this knows ("" to drop it), nil to pass it through as it is.
    static func translate(_ text: String, rankExplained: Bool) -> String? {
        if let death = text.firstMatch(of: #/process rank (\d+) with PID (\d+) on node (\S+) exited on signal (\d+) \(([^)]*)\)/#) {
            // Open MPI 4.1 names PID 0 when its daemon had not recorded the process's.
            let place = death.2 == "0" ? "on \(death.3)" : "PID \(death.2) on \(death.3)"
            return "a3c: error: rank \(death.1) (\(place)) ended on signal \(death.4) (\(death.5)); the other ranks were stopped"
        }
        if text.contains("Primary job") && text.contains("non-zero exit code") { return "" }
        if text.contains("exited with non-zero status"),
            let failed = text.firstMatch(of: #/Process name: \[\[\d+,\d+\],(\d+)\] Exit code: (\d+)/#)
        {
            return rankExplained ? "" : "a3c: error: rank \(failed.1) exited with status \(failed.2); the other ranks were stopped"
        }
        // a3c's ranks say why in a line of their own before they abort (it may come after this).
        if text.contains("MPI_ABORT was invoked on rank") { return "" }
        if text.contains("not enough slots available") {
            return "a3c: error: --ranks asks for more ranks than the hostfile's machines have slots (give each line slots=N)"
        }
        return nil
    }
}
