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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let binary = CommandLineTests.binary.path
        process.arguments = ranks.map { mpirun(quiet: quiet) + ["-np", "\($0)", binary] + arguments } ?? [binary] + arguments
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
        try during?(process)
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(start)
        readers.wait()
        return Outcome(
            status: process.terminationStatus, standardOutput: String(decoding: outData, as: UTF8.self),
            standardError: String(decoding: errData, as: UTF8.self), seconds: seconds)
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

    /// A2C on 2 ranks of 1 worker: rank 0 checks at the end that rank 1's parameters are its own,
    /// bit for bit, and they are those of one process with 2 workers, the same seed and budget.
    @Test func a2cRanksHoldTheParametersOfOneProcess() throws {
        let distributed = Self.temporaryRun("mpi-a2c"), alone = Self.temporaryRun("a2c-alone")
        defer {
            try? FileManager.default.removeItem(at: distributed)
            try? FileManager.default.removeItem(at: alone)
        }
        let common = ["train", "--algo", "a2c", "--envs-per-worker", "4", "--seed", "7", "--steps", "40000",
                      "--target-return", "10000", "--quiet"]
        let ranks = try Self.launch(ranks: 2, common + ["--workers", "1", "--out", distributed.path])
        #expect(ranks.status == 0, "\(ranks.standardError)")
        let single = try Self.launch(ranks: nil, common + ["--workers", "2", "--out", alone.path])
        #expect(single.status == 0, "\(single.standardError)")
        let fromRanks = try Checkpoint.read(distributed.appendingPathComponent("checkpoints/latest.safetensors"))
        let fromOne = try Checkpoint.read(alone.appendingPathComponent("checkpoints/latest.safetensors"))
        #expect(fromRanks.state.steps == 40_000 && fromOne.state.steps == 40_000)
        #expect(fromRanks.state.updates == fromOne.state.updates && fromRanks.state.updates > 100)
        #expect(fromRanks.state.parameters.count == fromOne.state.parameters.count)
        let differing = zip(fromRanks.state.parameters, fromOne.state.parameters).filter { $0.0.bitPattern != $0.1.bitPattern }.count
        #expect(differing == 0, "\(differing) of \(fromOne.state.parameters.count) parameters differ")
        #expect(try Self.episodesPerWorker(distributed).keys.sorted() == [0, 1])
    }

    /// A rank killed mid-run: mpirun ends the job within seconds, naming the rank, and rank 0's
    /// checkpoint is whole (written on the SIGTERM mpirun sends it, atomically).
    @Test func aKilledRankStopsTheRunAndTheCheckpointIsKept() throws {
        let run = Self.temporaryRun("mpi-kill")
        defer { try? FileManager.default.removeItem(at: run) }
        var killedAt: Date?
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
            killedAt = Date()
        }
        let stopped = Date().timeIntervalSince(try #require(killedAt))
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
        let again = try Self.launch(ranks: 2, ["train", "--resume", run.path, "--steps", "90000", "--quiet"])
        #expect(again.status == 0, "\(again.standardError)")
        let steps = try Self.summary(run)["steps"] as? Int ?? 0
        #expect(steps >= 90_000 && steps < 95_000, "\(steps)")
        #expect(try Self.episodesPerWorker(run).keys.contains(1))
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
        let normalised = try Self.launch(ranks: 2, ["train", "--algo", "a2c", "--envs-per-worker", "2", "--normalize-observations"])
        #expect(normalised.status != 0)
        #expect(normalised.standardError.contains("not yet shared across ranks"), "\(normalised.standardError)")
    }
}
