import ActorCritic
import ArgumentParser
import Environments
import Foundation
import NeuralNet
import Randomness
import RunArtifacts

/// `a3c bench --env ID`: the same game and preprocessing three ways, in one run: Gymnasium alone
/// in Python (random actions, one process per worker), the Swift bridge alone (random actions, no
/// learning), and the A3C trainer with its defaults for that environment.
struct TrainingBenchmark {
    let environmentID: String
    let workers: Int
    let trainSeconds: Double
    let environmentSeconds: Double
    let summaryJSON: String?

    struct Summary: Codable {
        var env: String
        var workers: Int
        var machine: String
        var gymnasiumAloneStepsPerSecond: Double?
        var bridgeAloneStepsPerSecond: Double
        var agentStepsPerSecond: Double
        var framesPerSecond: Double
        var trainSeconds: Double
        var trainerToGymnasium: Double?
        var trainerToBridge: Double

        enum CodingKeys: String, CodingKey {
            case env, workers, machine
            case gymnasiumAloneStepsPerSecond = "gymnasium_alone_steps_per_second"
            case bridgeAloneStepsPerSecond = "bridge_alone_steps_per_second"
            case agentStepsPerSecond = "agent_steps_per_second"
            case framesPerSecond = "frames_per_second"
            case trainSeconds = "train_seconds"
            case trainerToGymnasium = "trainer_to_gymnasium_ratio"
            case trainerToBridge = "trainer_to_bridge_ratio"
        }
    }

    func run() throws {
        let config = TrainingConfig.defaults(for: environmentID)
        let frameSkip = TrainingConfig.isPictureEnvironment(environmentID) ? config.frameSkip : 1
        print("# a3c bench --env \(environmentID)")
        print()
        print("- command: `a3c \(CommandLine.arguments.dropFirst().joined(separator: " "))`")
        print("- machine: \(MachineDescription.current)")
        print("- workers: \(workers); GEMM: \(Gemm.describe(Gemm.backend)); element-wise kernels: \(GradientClipping.kernelInstructionSet)")
        print()
        flushStandardOutput()

        let gymnasium = gymnasiumAlone()
        let bridge = try bridgeAlone(config: config)
        let trainer = try trainerSpeed(config: config)
        let summary = Summary(
            env: environmentID, workers: workers, machine: MachineDescription.current,
            gymnasiumAloneStepsPerSecond: gymnasium, bridgeAloneStepsPerSecond: bridge, agentStepsPerSecond: trainer,
            framesPerSecond: trainer * Double(frameSkip), trainSeconds: trainSeconds,
            trainerToGymnasium: gymnasium.map { trainer / $0 }, trainerToBridge: trainer / bridge)

        print("| what (\(workers) at once) | agent steps/s | frames/s | trainer / this |")
        print("|---|---:|---:|---:|")
        if let gymnasium {
            print("| Gymnasium alone in Python, random actions | \(formatCount(Int(gymnasium))) | \(formatCount(Int(gymnasium * Double(frameSkip)))) | \(formatNumber(trainer / gymnasium)) |")
        }
        print("| the bridge alone (Swift driving the hosts), random actions | \(formatCount(Int(bridge))) | \(formatCount(Int(bridge * Double(frameSkip)))) | \(formatNumber(trainer / bridge)) |")
        print("| **A3C training** (defaults, \(formatNumber(trainSeconds, decimals: 0)) s) | **\(formatCount(Int(trainer)))** | **\(formatCount(Int(trainer * Double(frameSkip))))** | 1 |")
        print()
        if let summaryJSON {
            try AtomicFile.write(try JSONFiles.encode(summary), to: URL(fileURLWithPath: summaryJSON))
        }
    }

    /// python/env_speed.py in the project's .venv; nil (with a note) when it cannot run.
    private func gymnasiumAlone() -> Double? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BridgeLocation.python)
        let script = URL(fileURLWithPath: BridgeLocation.hostScript).deletingLastPathComponent().appendingPathComponent("env_speed.py")
        process.arguments = [script.path, environmentID.replacingOccurrences(of: "gym:", with: ""), "--seconds", "\(environmentSeconds)", "--processes", "\(workers)"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let rate = json["steps_per_second"] as? Double
        else {
            print("(Gymnasium alone could not run: python/env_speed.py failed; is opencv-python-headless in .venv?)")
            return nil
        }
        return rate
    }

    /// One thread per worker, each with its own environment, random actions.
    private func bridgeAlone(config: TrainingConfig) throws -> Double {
        let spec = try EnvironmentRegistry.spec(environmentID, options: config.environmentOptions)
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: workers)
        counts.initialize(repeating: 0)
        defer { counts.deallocate() }
        let failures = UnsafeMutableBufferPointer<Bool>.allocate(capacity: workers)
        failures.initialize(repeating: false)
        defer { failures.deallocate() }
        let group = DispatchGroup()
        let seconds = environmentSeconds
        nonisolated(unsafe) let sharedCounts = counts
        nonisolated(unsafe) let sharedFailures = failures
        for index in 0..<workers {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    let environment = try spec.make()
                    defer { environment.close() }
                    var observation = [Float](repeating: 0, count: environment.observationSpace.count)
                    var rng = Xoshiro256(seed: UInt64(index + 1))
                    try observation.withUnsafeMutableBufferPointer { buffer in
                        try environment.reset(seed: UInt64(index + 1), into: buffer)
                        let start = ContinuousClock.now
                        var steps = 0
                        while (ContinuousClock.now - start).seconds < seconds {
                            if try environment.step(rng.nextInt(below: environment.actionCount), into: buffer).isDone {
                                try environment.reset(seed: nil, into: buffer)
                            }
                            steps += 1
                        }
                        sharedCounts[index] = steps
                    }
                } catch {
                    sharedFailures[index] = true
                }
            }.start()
        }
        group.wait()
        guard !failures.contains(true) else { throw ValidationError("\(environmentID): the environment failed in the bridge benchmark") }
        return Double(counts.reduce(0, +)) / seconds
    }

    /// Steps per second of the trainer between 10 s and 10 s + trainSeconds.
    private func trainerSpeed(config: TrainingConfig) throws -> Double {
        var config = config
        config.workers = workers
        config.seed = 1
        config.totalSteps = Int.max / 4
        config.targetReturn = 1e18  // never reached: the clock decides
        let trainer = try Trainer(config: config)
        let warmUp = min(10.0, trainSeconds)
        var window: (steps: Int, seconds: Double)?
        var rate = 0.0
        _ = try trainer.run(monitorInterval: 0.5) { trainer in
            let now = trainer.progress
            if window == nil && now.elapsedSeconds >= warmUp {
                window = (now.steps, now.elapsedSeconds)
            } else if let start = window, now.elapsedSeconds - start.seconds >= trainSeconds {
                rate = Double(now.steps - start.steps) / (now.elapsedSeconds - start.seconds)
                trainer.requestStop()
            }
        }
        return rate
    }
}
