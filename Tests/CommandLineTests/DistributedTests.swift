import Foundation
import RunArtifacts
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `a3c train` as ranks of an Open MPI job (mpirun on this machine, oversubscribed: 2 cores).
@Suite("Distributed training on Open MPI", .serialized)
struct DistributedTests {
    struct Outcome {
        let status: Int32
        let standardOutput: String
        let standardError: String
        let seconds: Double
        /// From the end of `during` (which signalled or killed something) to the end of the command.
        let secondsAfterDuring: Double
    }

    /// `quiet`: without mpirun's own notices (it names a rank that died in one of them).
    static func mpirun(quiet: Bool = true) -> [String] {
        var command = ["mpirun", "--oversubscribe"] + (quiet ? ["-q"] : [])
        if getuid() == 0 { command.append("--allow-run-as-root") }
        return command
    }

    static func temporaryRun(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("a3c-\(name)-\(UUID().uuidString)")
    }

    /// Starts `a3c arguments` as `ranks` ranks (or alone, for nil) and, while it runs, calls `during`.
    static func launch(
        ranks: Int?, _ arguments: [String], quiet: Bool = true, during: ((Process) throws -> Void)? = nil
    ) throws -> Outcome {
        let binary = CommandLineTests.binary.path
        return try run(ranks.map { mpirun(quiet: quiet) + ["-np", "\($0)", binary] + arguments } ?? [binary] + arguments, during: during)
    }

    /// Runs `command` (looked up on PATH) and, while it runs, calls `during`. The command starts
    /// with no signal blocked: the test's threads block them, a child inherits that, and mpirun
    /// never unblocks the SIGUSR1 it passes on to the ranks.
    static func run(_ command: [String], during: ((Process) throws -> Void)? = nil) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execvp(sys.argv[1], sys.argv[1:])",
        ] + command
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        let start = Date()
        try process.run()
        // Read while it runs: a full pipe would stall it.
        nonisolated(unsafe) var outData = Data(), errData = Data()
        let readers = DispatchGroup()
        DispatchQueue.global().async(group: readers) { outData = output.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: readers) { errData = error.fileHandleForReading.readDataToEndOfFile() }
        // No run may outlive its test: a stop that does nothing is a failure, not a hang.
        let watchdog = DispatchWorkItem { Self.stop(process) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 240, execute: watchdog)
        defer { watchdog.cancel() }
        do {
            try during?(process)
        } catch {
            Self.stop(process)
            throw error
        }
        let duringEnded = Date()
        process.waitUntilExit()
        let ended = Date()
        readers.wait()
        return Outcome(
            status: process.terminationStatus, standardOutput: String(decoding: outData, as: UTF8.self),
            standardError: String(decoding: errData, as: UTF8.self), seconds: ended.timeIntervalSince(start),
            secondsAfterDuring: ended.timeIntervalSince(duringEnded))
    }

    /// Ends a launch that must not go on: SIGTERM twice (mpirun ends its job on the first; the
    /// launcher passes the second on as SIGTERM), then SIGKILL.
    static func stop(_ process: Process) {
        let pid = process.processIdentifier
        for (signal, wait) in [(SIGTERM, 2.5), (SIGTERM, 10.0), (SIGKILL, 0.0)] where process.isRunning {
            kill(pid, signal)
            let deadline = Date().addingTimeInterval(wait)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        }
    }

    static func summary(_ run: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("summary.json"))) as! [String: Any]
    }

    /// Episodes per worker in a run's metrics.csv.
    static func episodesPerWorker(_ run: URL) throws -> [Int: Int] {
        let text = try String(contentsOf: run.appendingPathComponent("metrics.csv"), encoding: .utf8)
        var counts: [Int: Int] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("episode,") {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            counts[Int(fields[3])!, default: 0] += 1
        }
        return counts
    }

    @Test func cartPoleSolvedByThreeRanksOfOneWorker() throws {
        let run = Self.temporaryRun("mpi-cartpole")
        defer { try? FileManager.default.removeItem(at: run) }
        let outcome = try Self.launch(ranks: 3, ["train", "--workers", "1", "--seed", "1", "--out", run.path])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        // mpirun gives rank 0 a terminal: the progress line's text lands on standard output.
        let printed = outcome.standardOutput + outcome.standardError
        #expect(printed.contains("3 ranks (1 worker on rank 0, 1 on each other rank)"), "\(printed)")
        let summary = try Self.summary(run)
        #expect(summary["solved"] as? Bool == true)
        #expect((summary["mean_return_100"] as? Double ?? 0) >= 475)
        // Rank 0 logs every rank's games; the workers are numbered across ranks.
        let workers = try Self.episodesPerWorker(run)
        #expect(Set(workers.keys) == [0, 1, 2], "\(workers)")
        // Only rank 0 writes: one run directory, one summary line.
        #expect(outcome.standardOutput.components(separatedBy: "solved: CartPole-v1").count == 2, "\(outcome.standardOutput)")
    }

    /// A2C and PPO (DD-PPO: each minibatch's gradient summed over the ranks; with a target KL, the
    /// mean KL of both ranks ends the passes) on 2 ranks of 1 worker: rank 0 checks at the end that
    /// rank 1's parameters are its own, bit for bit, and they are those of one process with 2
    /// workers, the same seed and budget.
    @Test(arguments: [("a2c", 40_000, [String]()), ("ppo", 40_960, []), ("ppo", 40_960, ["--target-kl", "0.0001"])])
    func synchronousRanksHoldTheParametersOfOneProcess(algorithm: String, steps: Int, extra: [String]) throws {
        let name = algorithm + (extra.isEmpty ? "" : "-kl")
        let distributed = Self.temporaryRun("mpi-\(name)"), alone = Self.temporaryRun("\(name)-alone")
        defer {
            try? FileManager.default.removeItem(at: distributed)
            try? FileManager.default.removeItem(at: alone)
        }
        let common = ["train", "--algo", algorithm, "--envs-per-worker", "4", "--seed", "7", "--steps", "\(steps)",
                      "--target-return", "10000", "--quiet"] + extra
        let ranks = try Self.launch(ranks: 2, common + ["--workers", "1", "--out", distributed.path])
        #expect(ranks.status == 0, "\(ranks.standardError)")
        let single = try Self.launch(ranks: nil, common + ["--workers", "2", "--out", alone.path])
        #expect(single.status == 0, "\(single.standardError)")
        let fromRanks = try Checkpoint.read(distributed.appendingPathComponent("checkpoints/latest.safetensors"))
        let fromOne = try Checkpoint.read(alone.appendingPathComponent("checkpoints/latest.safetensors"))
        #expect(fromRanks.state.steps == steps && fromOne.state.steps == steps)
        #expect(fromRanks.state.updates == fromOne.state.updates && fromRanks.state.updates > 100)
        // The target KL ended some passes early: fewer than 16 updates for each of the 40 rollouts.
        if !extra.isEmpty { #expect(fromOne.state.updates < 39 * 16 + 1, "\(fromOne.state.updates) updates") }
        #expect(fromRanks.state.parameters.count == fromOne.state.parameters.count)
        let differing = zip(fromRanks.state.parameters, fromOne.state.parameters).filter { $0.0.bitPattern != $0.1.bitPattern }.count
        #expect(differing == 0, "\(differing) of \(fromOne.state.parameters.count) parameters differ")
        #expect(try Self.episodesPerWorker(distributed).keys.sorted() == [0, 1])
    }

    /// Synchronous ranks that normalise observations and rewards share the running statistics:
    /// rank 0's count every rank's observations, and rank 0 finds rank 1's statistics (with its
    /// parameters) bit-identical to its own at the end, or fails the run.
    @Test func a2cRanksShareTheirRunningStatistics() throws {
        let run = Self.temporaryRun("mpi-a2c-normalised")
        defer { try? FileManager.default.removeItem(at: run) }
        let outcome = try Self.launch(
            ranks: 2,
            ["train", "--algo", "a2c", "--workers", "1", "--envs-per-worker", "4", "--t-max", "8", "--normalize-observations", "--normalize-rewards",
             "--seed", "3", "--steps", "40000", "--target-return", "100000", "--out", run.path, "--quiet"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let state = try Checkpoint.read(run.appendingPathComponent("checkpoints/latest.safetensors")).state
        let observations = try #require(state.observationStatistics).count
        // Every environment's first observation and one per step, the last update's too, both ranks'.
        #expect(abs(observations - Double(state.steps + 2 * 4)) < 0.01, "\(observations) of \(state.steps)")
        #expect(abs(try #require(state.returnStatistics).count - Double(state.steps)) < 0.01)
    }

    /// A rank killed mid-run: mpirun ends the job within seconds, naming the rank, and rank 0's
    /// checkpoint is whole (written on the SIGTERM mpirun sends it, atomically).
    @Test func aKilledRankStopsTheRunAndTheCheckpointIsKept() throws {
        let run = Self.temporaryRun("mpi-kill")
        defer { try? FileManager.default.removeItem(at: run) }
        let outcome = try Self.launch(
            ranks: 3,
            ["train", "--workers", "1", "--seed", "3", "--steps", "1000000000", "--target-return", "100000",
             "--checkpoint-every", "1000000000", "--out", run.path, "--quiet"],
            quiet: false
        ) { _ in
            // Rank 2 is the process started with OMPI_COMM_WORLD_RANK=2 writing into this run.
            var victim: pid_t?
            for _ in 0..<600 where victim == nil {
                Thread.sleep(forTimeInterval: 0.05)
                guard FileManager.default.fileExists(atPath: run.appendingPathComponent("metrics.csv").path) else { continue }
                victim = Self.rankProcess(2, writingInto: run)
            }
            let pid = try #require(victim, "rank 2 not found")
            Thread.sleep(forTimeInterval: 1)
            kill(pid, SIGKILL)
        }
        let stopped = outcome.secondsAfterDuring
        #expect(stopped < 10, "the job took \(stopped) s to end")
        #expect(outcome.status != 0)
        #expect(outcome.standardError.contains("process rank 2"), "\(outcome.standardError)")
        // No periodic checkpoint in this run: this one was written on mpirun's SIGTERM.
        let checkpoint = try Checkpoint.read(run.appendingPathComponent("checkpoints/latest.safetensors"))
        #expect(checkpoint.state.steps > 0)
        let summary = try Self.summary(run)
        #expect(summary["stop_reason"] as? String == "interrupted (SIGTERM)")
    }

    static func rankProcess(_ rank: Int, writingInto run: URL) -> pid_t? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = Int32(entry),
                let command = try? String(contentsOfFile: "/proc/\(entry)/cmdline", encoding: .utf8),
                command.contains(run.path), !command.hasPrefix("mpirun"),
                let environment = FileManager.default.contents(atPath: "/proc/\(entry)/environ")
            else { continue }
            let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") { return pid }
        }
        return nil
    }

    /// A distributed run resumes in one process, and that run resumes distributed again.
    @Test func checkpointsResumeAcrossModes() throws {
        let run = Self.temporaryRun("mpi-resume")
        defer { try? FileManager.default.removeItem(at: run) }
        let first = try Self.launch(
            ranks: 2, ["train", "--workers", "1", "--seed", "5", "--steps", "30000", "--target-return", "100000", "--out", run.path, "--quiet"])
        #expect(first.status == 0, "\(first.standardError)")
        #expect(try Self.summary(run)["steps"] as? Int ?? 0 >= 30_000)
        let alone = try Self.launch(ranks: nil, ["train", "--resume", run.path, "--steps", "60000", "--quiet"])
        #expect(alone.status == 0, "\(alone.standardError)")
        #expect(try Self.summary(run)["steps"] as? Int ?? 0 >= 60_000)
        // Rank 0 only serves: every step of this part is rank 1's (with a worker of its own, rank 0
        // can take nearly all of them on two busy cores).
        let again = try Self.launch(ranks: 2, ["train", "--resume", run.path, "--steps", "90000", "--server-workers", "0", "--quiet"])
        #expect(again.status == 0, "\(again.standardError)")
        let steps = try Self.summary(run)["steps"] as? Int ?? 0
        #expect(steps >= 90_000 && steps < 95_000, "\(steps)")
    }

    /// A worker that fails on a rank other than 0 (its environment host killed, no restarts
    /// allowed) ends every rank: rank 0 says which in one line, and keeps its checkpoint. For A2C
    /// the ranks meet at every update, so none may be left waiting for the failed one.
    @Test(arguments: ["a3c", "a2c"])
    func aWorkerFailingOnAnotherRankEndsTheRun(algorithm: String) throws {
        let run = Self.temporaryRun("mpi-worker-fails-\(algorithm)")
        defer { try? FileManager.default.removeItem(at: run) }
        let outcome = try Self.run(
            [CommandLineTests.binary.path, "train", "--ranks", "2", "--algo", algorithm, "--env", "LunarLander-v3",
             "--workers", "1", "--envs-per-worker", "2", "--max-host-restarts", "0", "--out", run.path] + Self.endless
        ) { _ in
            // Rank 1's worker is acting once rank 0 has logged one of its games: its one child is
            // then the worker's environment host.
            for _ in 0..<1200 where !Self.logsGame(ofWorker: 1, run) { Thread.sleep(forTimeInterval: 0.05) }
            let rank = try #require(Self.rankProcess(1, writingInto: run), "rank 1 not found")
            let host = try #require(Self.children(of: rank).first, "rank 1's environment host not found")
            kill(host, SIGKILL)
        }
        let seconds = outcome.secondsAfterDuring
        #expect(seconds < 10, "the run took \(seconds) s to end")
        #expect(outcome.status != 0)
        let errors = outcome.standardError.split(separator: "\n").filter { $0.hasPrefix("a3c: error:") }
        #expect(errors.count == 1 && errors[0].contains("rank 1, worker 1") && errors[0].contains("killed by signal 9"),
                "\(outcome.standardError)")
        #expect(try Checkpoint.read(run.appendingPathComponent("checkpoints/latest.safetensors")).state.steps > 0)
    }

    /// A worker's environment host on rank 1 killed while the worker starts, under load: rank 0
    /// must never block on an answer to a rank that is going away, so every job ends, in one line.
    @Test func hostsKilledOnRankOneWhileStartingEndEveryJob() throws {
        let busy = (0..<3).map { _ in
            let loop = Process()
            loop.executableURL = URL(fileURLWithPath: "/bin/sh")
            loop.arguments = ["-c", "while :; do :; done"]
            // Not the test's pipes: a loop that outlived the test would keep `swift test` waiting.
            loop.standardOutput = FileHandle.nullDevice
            loop.standardError = FileHandle.nullDevice
            try? loop.run()
            return loop
        }
        // SIGKILL: the loops inherit the test process's blocked signals, SIGTERM among them.
        defer { busy.forEach { kill($0.processIdentifier, SIGKILL) } }
        var times: [Double] = []
        for attempt in 0..<Self.killLoopRounds {
            let run = Self.temporaryRun("mpi-kill-loop-\(attempt)")
            defer { try? FileManager.default.removeItem(at: run) }
            nonisolated(unsafe) var killed = false
            let outcome = try Self.run(
                [CommandLineTests.binary.path, "train", "--ranks", "2", "--env", "LunarLander-v3", "--workers", "2",
                 "--max-host-restarts", "0", "--out", run.path] + Self.endless
            ) { _ in
                // The first host rank 1 starts, as soon as it is there.
                for _ in 0..<2400 where !killed {
                    if let rank = Self.rankProcess(1, writingInto: run), let host = Self.children(of: rank).first {
                        killed = kill(host, SIGKILL) == 0
                    } else {
                        usleep(5_000)
                    }
                }
            }
            try #require(killed, "round \(attempt): rank 1's environment host not found")
            times.append(outcome.secondsAfterDuring)
            #expect(outcome.secondsAfterDuring < 60, "round \(attempt): the job took \(outcome.secondsAfterDuring) s to end")
            #expect(outcome.status != 0)
            let errors = outcome.standardError.split(separator: "\n").filter { $0.contains("error") }
            #expect(errors.count == 1 && errors[0].contains("rank 1"), "round \(attempt): \(outcome.standardError)")
        }
        print("killed hosts on rank 1, \(times.count) jobs: ended within \(times.max() ?? 0) s of the kill (median \(times.sorted()[times.count / 2]) s)")
    }

    /// Rounds of the kill loop: 20 by default (A3C_KILL_LOOP_ROUNDS sets it).
    static let killLoopRounds = Int(ProcessInfo.processInfo.environment["A3C_KILL_LOOP_ROUNDS"] ?? "") ?? 20

    /// Whether the run's metrics.csv (perhaps being written) has a game of `worker`.
    static func logsGame(ofWorker worker: Int, _ run: URL) -> Bool {
        let text = (try? String(contentsOf: run.appendingPathComponent("metrics.csv"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").contains { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            return fields.count > 5 && fields[0] == "episode" && fields[3] == "\(worker)"
        }
    }

    /// The processes `pid` started, from whichever of its threads.
    static func children(of pid: pid_t) -> [pid_t] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { task in
            ((try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? "")
                .split(separator: " ").compactMap { pid_t($0) }
        }
    }

    /// Waits until the run in `run` has logged (its ranks are training), then a moment more.
    static func waitUntilTraining(_ run: URL) throws {
        for _ in 0..<600 {
            if FileManager.default.fileExists(atPath: run.appendingPathComponent("metrics.csv").path) {
                Thread.sleep(forTimeInterval: 1)
                return
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw CancellationError()
    }

    static let endless = ["--steps", "1000000000", "--target-return", "100000", "--checkpoint-every", "1000000000", "--quiet"]

    /// Ctrl-C to `a3c train --ranks`: every rank finishes as at the end of its budget, the status is
    /// 0, and the final checkpoint is the exact state the summary describes.
    @Test func ctrlCStopsEveryRankCleanly() throws {
        let run = Self.temporaryRun("mpi-ctrl-c")
        defer { try? FileManager.default.removeItem(at: run) }
        let outcome = try Self.run(
            [CommandLineTests.binary.path, "train", "--ranks", "3", "--workers", "1", "--seed", "2", "--out", run.path] + Self.endless
        ) { process in
            try Self.waitUntilTraining(run)
            kill(process.processIdentifier, SIGINT)
        }
        let stopped = outcome.secondsAfterDuring
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(stopped < 10, "every rank took \(stopped) s to stop")
        let summary = try Self.summary(run)
        #expect(summary["stop_reason"] as? String == "interrupted (SIGUSR1)")
        let checkpoint = try Checkpoint.read(run.appendingPathComponent("checkpoints/latest.safetensors"))
        #expect(checkpoint.state.steps == summary["steps"] as? Int)
        #expect(try Self.episodesPerWorker(run).keys.sorted() == [0, 1, 2])
        #expect(outcome.standardOutput.contains("--resume \(run.path) --ranks 3"), "\(outcome.standardOutput)")
        // mpirun's notice of passing the signal on is not the user's business.
        #expect(!outcome.standardError.contains("Forwarding signal"), "\(outcome.standardError)")
    }

    /// SIGUSR1 to mpirun itself (which passes it on; SIGINT and SIGTERM make it exit 1 whatever the
    /// ranks do) stops synchronous A2C ranks together: status 0, parameters still identical.
    @Test func stopRequestToMpirunEndsA2CRanksTogether() throws {
        let run = Self.temporaryRun("mpi-a2c-usr1")
        defer { try? FileManager.default.removeItem(at: run) }
        let outcome = try Self.launch(
            ranks: 2, ["train", "--algo", "a2c", "--workers", "1", "--envs-per-worker", "4", "--seed", "4", "--out", run.path] + Self.endless
        ) { process in
            try Self.waitUntilTraining(run)
            kill(process.processIdentifier, SIGUSR1)
        }
        // Rank 0 compares every rank's parameters with its own at the end, and fails the run if they differ.
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(try Self.summary(run)["stop_reason"] as? String == "interrupted (SIGUSR1)")
        let checkpoint = try Checkpoint.read(run.appendingPathComponent("checkpoints/latest.safetensors"))
        #expect(checkpoint.state.updates > 0)
    }

    /// `a3c train --ranks` turns mpirun's notice of a killed rank (a box of several lines) into one
    /// line naming it; the job ends within seconds and rank 0's checkpoint is kept.
    @Test func theLauncherNamesAKilledRankInOneLine() throws {
        let run = Self.temporaryRun("mpi-launcher-kill")
        defer { try? FileManager.default.removeItem(at: run) }
        let outcome = try Self.run(
            [CommandLineTests.binary.path, "train", "--ranks", "3", "--workers", "1", "--seed", "3", "--out", run.path] + Self.endless
        ) { _ in
            try Self.waitUntilTraining(run)
            kill(try #require(Self.rankProcess(2, writingInto: run), "rank 2 not found"), SIGKILL)
        }
        let stopped = outcome.secondsAfterDuring
        #expect(stopped < 10, "the job took \(stopped) s to end")
        #expect(outcome.status != 0)
        let lines = outcome.standardError.split(separator: "\n")
        let naming = lines.filter { $0.contains("rank 2") }
        #expect(naming.count == 1 && naming[0].hasPrefix("a3c: error: rank 2") && naming[0].contains("signal 9"), "\(outcome.standardError)")
        #expect(!lines.contains { $0.hasPrefix("-----") }, "\(outcome.standardError)")
        let checkpoint = try Checkpoint.read(run.appendingPathComponent("checkpoints/latest.safetensors"))
        #expect(checkpoint.state.steps > 0)
    }

    /// Bad input on rank 0 ends every rank; rank 0 says why in one line of its own.
    @Test func badInputEndsEveryRank() throws {
        let outcome = try Self.launch(ranks: 2, ["train", "--gamma", "2"])
        #expect(outcome.status != 0)
        #expect(outcome.standardError.split(separator: "\n").filter { $0.hasPrefix("a3c: error:") }.count == 1, "\(outcome.standardError)")
        #expect(outcome.seconds < 30)
        let dedicated = try Self.launch(ranks: 2, ["train", "--algo", "a2c", "--server-workers", "0"])
        #expect(dedicated.status != 0)
        #expect(dedicated.standardError.contains("--server-workers 0"), "\(dedicated.standardError)")
        // The launcher's own options, checked before mpirun starts.
        for (arguments, cause) in [
            (["--hostfile", "/nonexistent/hosts"], "--hostfile goes with --ranks"),
            (["--ranks", "2", "--hostfile", "/nonexistent/hosts"], "--hostfile /nonexistent/hosts: there is no readable file"),
            (["--ranks", "0"], "--ranks must be between 1 and 4096"),
            (["--ranks", "2", "--distributed"], "--ranks starts mpirun itself"),
        ] {
            let refused = try Self.launch(ranks: nil, ["train"] + arguments)
            #expect(refused.status != 0)
            #expect(refused.standardError.hasPrefix("a3c: error: ") && refused.standardError.contains(cause), "\(refused.standardError)")
            #expect(refused.standardError.split(separator: "\n").count == 1, "\(refused.standardError)")
        }
    }
}

/// Two machines on this one: network namespaces joined by a veth pair, each with a hostname of its
/// own, and an agent that mpirun uses instead of ssh to start its daemon "on" the other host. Ranks
/// there reach rank 0 only over TCP, as on separate machines. Needs root, ip and unshare.
struct NamespaceHosts {
    static var available: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare")
    }

    let names: [String]
    let addresses = ["10.77.0.1", "10.77.0.2"]
    let directory: URL

    init() throws {
        let tag = "a3c\(getpid() % 100_000)"
        names = ["\(tag)a", "\(tag)b"]
        directory = DistributedTests.temporaryRun("hosts")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let (a, b) = (names[0], names[1])
        do {
            try makeHosts(a, b)
        } catch {
            tearDown()
            throw error
        }
    }

    private func makeHosts(_ a: String, _ b: String) throws {
        try Self.shell("""
            ip netns add \(a) && ip netns add \(b) && ip link add \(a)v type veth peer name \(b)v && \
            ip link set \(a)v netns \(a) && ip link set \(b)v netns \(b) && \
            ip -n \(a) addr add \(addresses[0])/24 dev \(a)v && ip -n \(b) addr add \(addresses[1])/24 dev \(b)v && \
            ip -n \(a) link set \(a)v up && ip -n \(b) link set \(b)v up && ip -n \(a) link set lo up && ip -n \(b) link set lo up
            """)
        // mpirun runs "<agent> <host> <command for a shell>", as it would run ssh.
        let agent = """
            #!/bin/sh
            host=$1; shift
            case "$host" in \(addresses[0])) ns=\(a) ;; \(addresses[1])) ns=\(b) ;; *) echo "no host $host" >&2; exit 1 ;; esac
            A3C_REMOTE_COMMAND="$*" exec ip netns exec "$ns" unshare --uts sh -c 'hostname "$0" && exec sh -c "$A3C_REMOTE_COMMAND"' "$ns"
            """
        try agent.write(to: agentURL, atomically: true, encoding: .utf8)
        chmod(agentURL.path, 0o755)
        try "\(addresses[0]) slots=1\n\(addresses[1]) slots=2\n".write(to: hostfileURL, atomically: true, encoding: .utf8)
    }

    var agentURL: URL { directory.appendingPathComponent("agent.sh") }
    var hostfileURL: URL { directory.appendingPathComponent("hostfile") }

    /// `command` run on the first host, where mpirun starts rank 0.
    func onFirstHost(_ command: [String]) -> [String] {
        ["env", "OMPI_MCA_plm_rsh_agent=\(agentURL.path)", "ip", "netns", "exec", names[0], "unshare", "--uts",
         "sh", "-c", "hostname \(names[0]) && exec \"$@\"", "sh"] + command
    }

    func tearDown() {
        _ = try? Self.shell("ip netns del \(names[0]); ip netns del \(names[1])")
        try? FileManager.default.removeItem(at: directory)
    }

    @discardableResult
    static func shell(_ script: String) throws -> String {
        let outcome = try DistributedTests.run(["sh", "-c", script])
        guard outcome.status == 0 else { throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: outcome.standardError]) }
        return outcome.standardOutput
    }

    /// The network namespace of a process, as the kernel names it.
    static func networkNamespace(of pid: pid_t) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net")
    }
}

extension DistributedTests {
    /// 3 ranks over two hosts (rank 0 on one, ranks 1 and 2 on the other), started with a hostfile:
    /// CartPole solved with every rank's games; then a rank killed on the second host ends the job
    /// in seconds with one line naming it.
    @Test(.enabled(if: NamespaceHosts.available, "needs root, ip and unshare"))
    func ranksOnTwoHostsLearnAndAKilledOneIsNamed() throws {
        let hosts = try NamespaceHosts()
        defer { hosts.tearDown() }
        let solved = Self.temporaryRun("two-hosts"), killed = Self.temporaryRun("two-hosts-kill")
        defer {
            try? FileManager.default.removeItem(at: solved)
            try? FileManager.default.removeItem(at: killed)
        }
        let launch = [CommandLineTests.binary.path, "train", "--ranks", "3", "--hostfile", hosts.hostfileURL.path, "--workers", "1"]
        let outcome = try Self.run(hosts.onFirstHost(launch + ["--seed", "1", "--out", solved.path, "--quiet"]))
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(try Self.summary(solved)["solved"] as? Bool == true)
        #expect(try Self.episodesPerWorker(solved).keys.sorted() == [0, 1, 2])

        var namespaces: [String?] = []
        let stopped = try Self.run(hosts.onFirstHost(launch + ["--seed", "3", "--out", killed.path] + Self.endless)) { _ in
            try Self.waitUntilTraining(killed)
            let zero = try #require(Self.rankProcess(0, writingInto: killed), "rank 0 not found")
            let two = try #require(Self.rankProcess(2, writingInto: killed), "rank 2 not found")
            namespaces = [NamespaceHosts.networkNamespace(of: zero), NamespaceHosts.networkNamespace(of: two)]
            kill(two, SIGKILL)
        }
        #expect(namespaces.count == 2 && namespaces[0] != nil && namespaces[0] != namespaces[1], "ranks 0 and 2: \(namespaces)")
        let seconds = stopped.secondsAfterDuring
        #expect(seconds < 10, "the job took \(seconds) s to end")
        #expect(stopped.status != 0)
        let naming = stopped.standardError.split(separator: "\n").filter { $0.contains("rank 2") }
        #expect(naming.count == 1 && naming[0].contains("on \(hosts.addresses[1])"), "\(stopped.standardError)")
        #expect(try Checkpoint.read(killed.appendingPathComponent("checkpoints/latest.safetensors")).state.steps > 0)
    }
}
