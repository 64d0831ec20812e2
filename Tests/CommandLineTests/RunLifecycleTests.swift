import Foundation
import RunArtifacts
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The life of a run as a user lives it: train, Ctrl-C, look at the files with the reference tools,
/// resume to the target, evaluate, record, plot; and broken input that must leave the run alone.
@Suite("Run directories end to end", .serialized)
struct RunLifecycleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func python(_ kind: String, _ path: String) throws -> [String: Any] {
        let process = Process()
        process.executableURL = Self.root.appendingPathComponent(".venv/bin/python")
        process.arguments = [Self.root.appendingPathComponent("scripts/read_artifacts.py").path, kind, path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "read_artifacts.py \(kind) \(path)")
        return (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    func json(_ url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
    }

    /// Every file under `directory` with its contents, to show that nothing changed.
    func snapshot(_ directory: URL) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: directory.path)
        while let path = enumerator?.nextObject() as? String {
            let url = directory.appendingPathComponent(path)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                result[path] = try Data(contentsOf: url)
            }
        }
        return result
    }

    /// The steps of metrics.csv's rows, in file order.
    func rowSteps(_ metrics: URL) throws -> [Int] {
        let lines = try String(contentsOf: metrics, encoding: .utf8).split(separator: "\n")
        let column = try #require(lines.first?.split(separator: ",").firstIndex(of: "global_step"))
        return lines.dropFirst().compactMap { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            return fields.count > column ? Int(fields[column]) : nil
        }
    }

    /// SIGKILLed well past a checkpoint, a run's metrics.csv has its rows up to the checkpoint (they
    /// were synced before it), and resuming cuts the rows past it, so the step column runs on
    /// from the checkpoint instead of going back.
    @Test func aKilledRunResumesWithoutAHoleOrARepeatInItsRows() throws {
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("a3c-killed-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: run) }
        let process = Process()
        process.executableURL = CommandLineTests.binary
        process.arguments = ["train", "--seed", "5", "--steps", "1000000000", "--target-return", "100000", "--checkpoint-every", "400000",
                             "--log-every", "0.05", "--quiet", "--out", run.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let checkpoint = run.appendingPathComponent("checkpoints/latest.safetensors"), metrics = run.appendingPathComponent("metrics.csv")
        // Kill once the rows are 200k steps past a checkpoint (and before the next one).
        var saved = 0
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            usleep(20_000)
            guard let steps = try? Checkpoint.read(checkpoint).state.steps else { continue }
            if let last = try? rowSteps(metrics).max(), last >= steps + 200_000, last < steps + 350_000 {
                kill(process.processIdentifier, SIGKILL)
                saved = steps
                break
            }
        }
        process.waitUntilExit()
        try #require(saved > 0, "no checkpoint with rows 200k steps past it within 120 s")
        let steps = try Checkpoint.read(checkpoint).state.steps
        let before = try rowSteps(metrics)
        #expect(before.contains { $0 <= steps && $0 > steps - 5_000 }, "no row within 5,000 steps before the checkpoint at \(steps)")

        let resumed = try CommandLineTests().run(["train", "--resume", run.path, "--steps", "\(steps + 300_000)", "--log-every", "0.05"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardOutput.contains("metrics.csv cut back to the checkpoint's step"), "\(resumed.standardOutput)")
        // Hogwild workers' games end a little out of order; a repeat would go back 200k steps.
        let after = try rowSteps(metrics)
        let largestDrop = zip(after, after.dropFirst()).map { $0.0 - $0.1 }.max() ?? 0
        #expect(largestDrop < 20_000, "the step column goes back by \(largestDrop)")
        #expect(after.filter { $0 <= steps }.count == before.filter { $0 <= steps }.count)

        // TensorBoard drops the killed run's events past the checkpoint: the resumed event file
        // starts its session at the checkpoint's step.
        let board = try python("tensorboard", run.path)
        let rates = try #require((board["scalars"] as? [String: [[Double]]])?["train/learning_rate"])
        let boardSteps = rates.map { Int($0[0]) }
        #expect(boardSteps.contains { $0 > steps + 100_000 }, "the resumed run's scalars reach past the kill")
        let boardDrop = zip(boardSteps, boardSteps.dropFirst()).map { $0.0 - $0.1 }.max() ?? 0
        #expect(boardDrop < 20_000, "TensorBoard's steps go back by \(boardDrop)")
    }

    @Test func interruptResumeEvaluateRecordPlot() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("a3c-run-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let run = base.appendingPathComponent("cartpole")

        // 1. Train with a target that cannot be reached, and interrupt it mid-run.
        let process = Process()
        process.executableURL = CommandLineTests.binary
        process.arguments = ["train", "--seed", "4", "--steps", "100000000", "--target-return", "100000", "--out", run.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let metrics = run.appendingPathComponent("metrics.csv")
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let text = (try? String(contentsOf: metrics, encoding: .utf8)) ?? ""
            if text.components(separatedBy: "\nupdate,").count >= 3 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        kill(process.processIdentifier, SIGINT)
        let stopDeadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < stopDeadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!process.isRunning, "a3c did not stop after SIGINT")
        if process.isRunning {
            process.terminate()
            return
        }
        #expect(process.terminationStatus == 0)
        let interrupted = try json(run.appendingPathComponent("summary.json"))
        #expect((interrupted["stop_reason"] as? String)?.contains("SIGINT") == true)
        let stoppedAt = try #require(interrupted["steps"] as? Int)
        #expect(stoppedAt > 0 && stoppedAt < 100_000_000)

        // 2. The checkpoint is there, complete, and Python's safetensors reads it.
        let checkpoint = run.appendingPathComponent("checkpoints/latest.safetensors")
        let loaded = try python("safetensors", checkpoint.path)
        let metadata = try #require(loaded["metadata"] as? [String: String])
        #expect(metadata["steps"] == "\(stoppedAt)")
        let tensors = try #require(loaded["tensors"] as? [String: [String: Any]])
        #expect(tensors["network.0.weight"]?["shape"] as? [Int] == [64, 4])
        #expect(tensors.keys.contains("optimizer.rmsprop.square_average"))

        // 3. TensorBoard's reader gets the scalars.
        let board = try python("tensorboard", run.path)
        let scalars = try #require(board["scalars"] as? [String: [[Double]]])
        for tag in ["episode/return", "episode/length", "loss/policy", "loss/value", "policy/entropy",
                    "policy/max_probability", "train/learning_rate", "train/steps_per_second"] {
            #expect(!(scalars[tag] ?? []).isEmpty, "no \(tag)")
        }
        let csv = try String(contentsOf: metrics, encoding: .utf8)
        let episodeRows = csv.split(separator: "\n").filter { $0.hasPrefix("episode,") }
        #expect(scalars["episode/return"]?.count == episodeRows.count)

        // 4. Resume: the same step count, then on to the target.
        let resumed = try CommandLineTests().run(["train", "--resume", run.path, "--target-return", "475"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardOutput.contains("from step \(formatted(stoppedAt))"), "\(resumed.standardOutput)")
        let final = try json(run.appendingPathComponent("summary.json"))
        #expect(final["solved"] as? Bool == true)
        #expect((final["steps"] as? Int ?? 0) >= stoppedAt)
        let config = try json(run.appendingPathComponent("config.json"))
        #expect((config["config"] as? [String: Any])?["seed"] as? Int == 4)
        // The option given on resuming is the run's config from now on.
        #expect((config["config"] as? [String: Any])?["target-return"] as? Double == 475)

        // 5. Evaluate, record, plot.
        let evaluation = try CommandLineTests().run(["eval", run.path, "--episodes", "5", "--greedy"])
        #expect(evaluation.status == 0)
        for word in ["mean", "std", "min", "max"] { #expect(evaluation.standardOutput.contains(word)) }
        let gif = base.appendingPathComponent("cartpole.gif")
        let recorded = try CommandLineTests().run(["record", run.path, "--out", gif.path, "--greedy", "--max-frames", "200"])
        #expect(recorded.status == 0, "\(recorded.standardError)")
        let picture = try python("gif", gif.path)
        #expect(picture["frames"] as? Int == 200)
        #expect(picture["size"] as? [Int] == [600, 400])
        let onnx = base.appendingPathComponent("policy.onnx")
        let exported = try CommandLineTests().run(["export", run.path, "--onnx", onnx.path])
        #expect(exported.status == 0, "\(exported.standardError)")
        #expect(exported.standardOutput.contains("policy_logits [batch, 2], value [batch, 1]"))
        #expect((try? Data(contentsOf: onnx))?.first == 0x08)  // field 1 (ir_version) comes first
        let mp4 = base.appendingPathComponent("cartpole.mp4")
        let encoded = try CommandLineTests().run(["record", run.path, "--out", mp4.path, "--greedy", "--max-frames", "60"])
        #expect(encoded.status == 0, "\(encoded.standardError)")
        let stream = try probeVideo(mp4)
        #expect(stream["codec_name"] as? String == "h264")
        #expect(stream["width"] as? Int == 600 && stream["height"] as? Int == 400)
        #expect(stream["pix_fmt"] as? String == "yuv420p")
        #expect(stream["nb_read_frames"] as? String == "60")
        for ext in ["svg", "png"] {
            let image = base.appendingPathComponent("curve.\(ext)")
            let plotted = try CommandLineTests().run(["plot", run.path, "--out", image.path])
            #expect(plotted.status == 0, "\(plotted.standardError)")
            let bytes = try Data(contentsOf: image)
            #expect(ext == "svg" ? String(decoding: bytes.prefix(4), as: UTF8.self) == "<svg" : bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        }

        // 6. Broken input: one line, non-zero, and the run directory exactly as it was.
        let before = try snapshot(run)
        let truncated = base.appendingPathComponent("truncated.safetensors")
        let bytes = try Data(contentsOf: checkpoint)
        try bytes.prefix(bytes.count / 2).write(to: truncated)
        for arguments in [
            ["eval", truncated.path],
            ["eval", base.appendingPathComponent("missing.safetensors").path],
            ["train", "--resume", run.path, "--hidden", "32,32"],
            ["train", "--resume", run.path, "--network", "mlp-lstm"],
            ["train", "--resume", run.path, "--gamma", "7"],
            // A discrete policy resumed on a continuous task, or given a continuous policy's σ.
            ["train", "--resume", run.path, "--env", "Pendulum-v1"],
            ["train", "--resume", run.path, "--std", "parameter"],
            ["train", "--resume", base.appendingPathComponent("nothing-here").path],
        ] {
            let result = try CommandLineTests().run(arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.standardError.split(separator: "\n").count == 1, "\(arguments): \(result.standardError)")
        }
        #expect(try snapshot(run) == before)
    }

    @Test func badConfigCreatesNoRunDirectory() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("a3c-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        let config = base.appendingPathComponent("bad.yaml")
        try "env: CartPole-v1\nlearning-rate: 0.1\n".write(to: config, atomically: true, encoding: .utf8)
        let out = base.appendingPathComponent("run")
        let result = try CommandLineTests().run(["train", "--config", config.path, "--out", out.path])
        #expect(result.status != 0)
        #expect(result.standardError.contains("learning-rate"))
        let outOfRange = try CommandLineTests().run(["train", "--lr", "-1", "--out", out.path])
        #expect(outOfRange.status != 0)
        // A continuous policy's option in a config file for a task with discrete actions.
        try "env: CartPole-v1\nstd: parameter\n".write(to: config, atomically: true, encoding: .utf8)
        let continuousOnly = try CommandLineTests().run(["train", "--config", config.path, "--out", out.path])
        #expect(continuousOnly.status != 0)
        #expect(continuousOnly.standardError == "a3c: error: --std parameter applies to continuous actions; CartPole-v1 has 2 discrete actions\n")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    private func formatted(_ value: Int) -> String {
        let digits = String(value)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return out
    }
}

@Suite("Training through the bridge", .serialized)
struct BridgeTrainingTests {
    /// Direct children of `pid`, from /proc.
    func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { child in
            guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && Int32(fields[1]) == pid
        }
    }

    /// Five hosts killed one after the other during a Pong run: each is replaced, the run ends by its
    /// budget, and every restart is a row in metrics.csv and a warning on stderr. With A2C the
    /// other worker, waiting for the lost rollout at the barrier, must not be left hanging.
    @Test(arguments: ["a3c", "a2c"])
    func killedHostsAreReplacedAndTheRunFinishesItsBudget(algorithm: String) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("a3c-restart-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let process = Process()
        process.executableURL = CommandLineTests.binary
        process.arguments = [
            "train", "--env", "ALE/Pong-v5", "--algo", algorithm, "--workers", "2", "--steps", "80000",
            "--max-host-restarts", "10", "--out", base.path, "--quiet",
        ]
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        var killed: Set<Int32> = []
        let deadline = Date().addingTimeInterval(90)
        while killed.count < 5 && process.isRunning && Date() < deadline {
            let csv = (try? String(contentsOf: base.appendingPathComponent("metrics.csv"), encoding: .utf8)) ?? ""
            let fresh = children(of: process.processIdentifier).filter { !killed.contains($0) }
            // Kill a host once training is under way and both hosts (a replaced one included) are up.
            if csv.contains("\nupdate,") && fresh.count == 2, let victim = fresh.randomElement() {
                kill(victim, SIGKILL)
                killed.insert(victim)
                Thread.sleep(forTimeInterval: 0.5)
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(killed.count == 5)
        let stopDeadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < stopDeadline { Thread.sleep(forTimeInterval: 0.1) }
        if process.isRunning { process.terminate() }
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(message)")
        let warnings = message.split(separator: "\n").filter { $0.hasPrefix("a3c: warning: worker") }
        #expect(warnings.count == 5, "\(message)")
        #expect(warnings.allSatisfy { $0.contains("killed by signal 9") && $0.contains("started a new host") })
        let csv = try String(contentsOf: base.appendingPathComponent("metrics.csv"), encoding: .utf8)
        let restarts = csv.split(separator: "\n").filter { $0.hasPrefix("host_restart,") }
        #expect(restarts.count == 5)
        let header = csv.split(separator: "\n").first?.split(separator: ",", omittingEmptySubsequences: false).count
        #expect(restarts.allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == header })
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: base.appendingPathComponent("summary.json"))) as? [String: Any]
        #expect((summary?["steps"] as? Int ?? 0) >= 80_000)
        #expect(summary?["stop_reason"] as? String == "step budget")
    }

    @Test func aDeadHostStopsTrainingWithOneLineAndNoOrphans() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("a3c-dead-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let process = Process()
        process.executableURL = CommandLineTests.binary
        process.arguments = [
            "train", "--env", "ALE/Pong-v5", "--workers", "2", "--steps", "10000000", "--max-host-restarts", "0",
            "--out", base.path, "--quiet",
        ]
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        var hosts: [Int32] = []
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            hosts = children(of: process.processIdentifier)
            let csv = (try? String(contentsOf: base.appendingPathComponent("metrics.csv"), encoding: .utf8)) ?? ""
            if hosts.count >= 2 && csv.contains("\nupdate,") { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(hosts.count == 2, "one host per worker")
        guard let victim = hosts.first else {
            process.terminate()
            return
        }
        kill(victim, SIGKILL)
        let stopDeadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < stopDeadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!process.isRunning, "a3c hung after its environment host died")
        if process.isRunning { process.terminate(); return }
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus != 0)
        let lines = message.split(separator: "\n").filter { $0.hasPrefix("a3c: error:") }
        #expect(lines.count == 1 && lines.first?.contains("killed by signal 9") == true, "\(message)")
        // The other host was closed, not orphaned; and what was learned is in a checkpoint.
        Thread.sleep(forTimeInterval: 0.5)
        for host in hosts.dropFirst() { #expect(kill(host, 0) != 0, "host \(host) outlived a3c") }
        #expect(FileManager.default.fileExists(atPath: base.appendingPathComponent("checkpoints/latest.safetensors").path))
    }
}

extension BridgeTrainingTests {
    @Test func trainingBenchmarkReportsAgentStepsPerSecond() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("a3c-bench-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: path) }
        let result = try CommandLineTests().run(["bench", "--env", "ALE/Pong-v5", "--train-seconds", "3", "--summary-json", path.path])
        #expect(result.status == 0, "\(result.standardError)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: path)) as? [String: Any] ?? [:]
        let agent = try #require(json["agent_steps_per_second"] as? Double)
        #expect(agent > 100)
        #expect(abs((json["frames_per_second"] as? Double ?? 0) - 4 * agent) < 1e-6)
        #expect((json["bridge_alone_steps_per_second"] as? Double ?? 0) > 100)
        #expect((json["gymnasium_alone_steps_per_second"] as? Double ?? 0) > 100)
        #expect(result.standardOutput.contains("A3C training"))
        let raw = try #require(json["raw_env_steps_per_second"] as? Double)
        #expect(raw > 100)
        #expect(abs((json["trainer_to_raw_env_ratio"] as? Double ?? 0) - agent / raw) < 1e-9)
        #expect((json["one_env_per_worker_agent_steps_per_second"] as? Double ?? 0) > 100)
        // scripts/setup.sh builds the native Atari host: it alone, and training through Python instead.
        let native = try #require(json["native_host_steps_per_second"] as? Double)
        #expect(native > 100)
        #expect(abs((json["native_host_to_raw_env_ratio"] as? Double ?? 0) - native / raw) < 1e-9)
        let python = try #require(json["python_host_agent_steps_per_second"] as? Double)
        #expect(abs((json["native_to_python_host_training_ratio"] as? Double ?? 0) - agent / python) < 1e-9)
        #expect(result.standardOutput.contains("the native host alone"))
        // The network alone per precision: fp32 always, bf16 where the CPU has it (with oneDNN's kernels).
        let precisions = try #require(json["network_steps_per_second"] as? [String: [String: Any]])
        #expect((precisions["fp32"]?["acting"] as? Double ?? 0) > 0 && (precisions["fp32"]?["learning"] as? Double ?? 0) > 0)
        if let bf16 = precisions["bf16"] {
            #expect((bf16["implementation"] as? String)?.isEmpty == false)
            #expect((json["bf16_agent_steps_per_second"] as? Double ?? 0) > 100)
        }
        // A3C's defaults train in fp32 on every CPU; their row is the fp32 one.
        #expect(json["precision"] as? String == "fp32")
        #expect(json["fp32_agent_steps_per_second"] as? Double == agent)
    }
}

/// ffprobe's description of the first video stream of `url`, every frame decoded and counted.
func probeVideo(_ url: URL) throws -> [String: Any] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
        "ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
        "-show_entries", "stream=codec_name,width,height,pix_fmt,nb_read_frames", "-of", "json", url.path,
    ]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
    return (object?["streams"] as? [[String: Any]])?.first ?? [:]
}
