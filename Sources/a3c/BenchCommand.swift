import ActorCritic
import ArgumentParser
import Environments
import Foundation
import NeuralNet
import Randomness

/// `a3c bench`: CartPole time-to-solve, environment speed, and the network's training-step speed next
/// to the raw GEMM peak, all measured in one run.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure time-to-solve, environment steps/s and network GFLOP/s against the GEMM peak.",
        discussion: """
            Time-to-solve runs `a3c train --env CartPole-v1 --seed S` as a separate process per seed \
            (default settings) and times the whole process. GFLOP/s count 2 flops per multiply-add of \
            the forward and backward passes (no input gradient for the first layer). Results go to \
            standard output as a Markdown report.
            """)

    @Option(name: .long, help: "Seeds for the CartPole time-to-solve runs, comma-separated.")
    var seeds = "1,2,3"

    @Option(name: .long, help: "GEMM backends to measure: onednn, openblas or all.")
    var gemm = "all"

    @Option(name: .long, help: "Seconds per timing (each figure is the median of 5).")
    var seconds = 0.4

    @Flag(name: .customLong("skip-solve"), help: "Skip the CartPole time-to-solve runs.")
    var skipSolve = false

    @Option(name: .long, help: "Instead, benchmark training on this Gymnasium environment (ALE/Pong-v5, ...): Gymnasium alone, the bridge alone, and the trainer.")
    var env: String?

    @Option(name: .customLong("train-seconds"), help: "With --env: seconds of training to measure (after 10 s of warm-up).")
    var trainSeconds = 60.0

    @Option(name: .long, help: "With --env: workers (default: one per core).")
    var workers: Int?

    @Option(name: .long, help: "With --env: also measure this network (universe, paper-lstm, ...) at its own defaults, beside the environment's default network; with --algo, that algorithm's row uses it too.")
    var network: String?

    @Option(name: .long, help: "With --env: also measure training with this algorithm (ppo, a2c) at its own defaults (and --network's network, when given), beside the environment's default one.")
    var algo: String?

    @Option(name: .customLong("summary-json"), help: "With --env: also write the results as JSON (agent_steps_per_second, ...).")
    var summaryJSON: String?

    func validate() throws {
        guard seconds > 0 && seconds <= 60 else { throw ValidationError("--seconds must be in (0, 60]") }
        guard gemm == "all" || GemmBackend(rawValue: gemm) != nil else {
            throw ValidationError("--gemm must be onednn, openblas or all, got '\(gemm)'")
        }
        guard parsedSeeds != nil else { throw ValidationError("--seeds must be comma-separated integers") }
        guard trainSeconds >= 1 && trainSeconds <= 86_400 else { throw ValidationError("--train-seconds must be in [1, 86400]") }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        if let network {
            guard NetworkArchitecture(rawValue: network) != nil else {
                throw ValidationError(
                    "--network must be one of \(NetworkArchitecture.allCases.map(\.rawValue).joined(separator: ", ")), got '\(network)'")
            }
            guard env != nil else { throw ValidationError("--network goes with --env (the game to train it on)") }
        }
        if let algo {
            guard Algorithm(rawValue: algo) != nil else {
                throw ValidationError("--algo must be one of \(Algorithm.allCases.map(\.rawValue).joined(separator: ", ")), got '\(algo)'")
            }
            guard env != nil else { throw ValidationError("--algo goes with --env (the game to train on)") }
        }
    }

    private var parsedSeeds: [UInt64]? {
        let values = seeds.split(separator: ",").map { UInt64($0.trimmingCharacters(in: .whitespaces)) }
        return values.isEmpty || values.contains(nil) ? nil : values.map { $0! }
    }

    func run() throws {
        if let env {
            try TrainingBenchmark(
                environmentID: env, workers: workers ?? TrainingConfig.defaultWorkers, trainSeconds: trainSeconds,
                environmentSeconds: max(2, min(20, trainSeconds / 3)), summaryJSON: summaryJSON,
                comparedNetwork: network.flatMap(NetworkArchitecture.init(rawValue:)),
                comparedAlgorithm: algo.flatMap(Algorithm.init(rawValue:))
            ).run()
            return
        }
        let backends = gemm == "all" ? GemmBackend.allCases : [GemmBackend(rawValue: gemm)!]
        print("# a3c bench")
        print()
        print("- command: `a3c \(CommandLine.arguments.dropFirst().joined(separator: " "))`")
        print("- machine: \(MachineDescription.current)")
        print("- default GEMM backend: \(Gemm.backend.rawValue); measured: \(backends.map { Gemm.describe($0) }.joined(separator: ", "))")
        print("- date: \(ISO8601DateFormatter().string(from: Date()))")
        print()

        if !skipSolve { try timeToSolve(seeds: parsedSeeds!) }
        try environmentSpeed()
        networkSpeed(backends: backends)
    }

    // MARK: time to solve

    private func timeToSolve(seeds: [UInt64]) throws {
        print("## CartPole-v1 time to solve (default settings, whole process)")
        print()
        print("| seed | solved | steps | episodes | wall s (process) | steps/s |")
        print("|---:|:---:|---:|---:|---:|---:|")
        var times: [Double] = []
        var allSolved = true
        for seed in seeds {
            let summaryURL = FileManager.default.temporaryDirectory.appendingPathComponent("a3c-bench-\(UUID()).json")
            defer { try? FileManager.default.removeItem(at: summaryURL) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            process.arguments = ["train", "--env", "CartPole-v1", "--seed", "\(seed)", "--quiet", "--summary-json", summaryURL.path]
            process.standardOutput = FileHandle.nullDevice
            let start = ContinuousClock.now
            try process.run()
            process.waitUntilExit()
            let wall = (ContinuousClock.now - start).seconds
            guard process.terminationStatus == 0,
                let summary = try? JSONDecoder().decode(TrainingSummary.self, from: Data(contentsOf: summaryURL))
            else {
                throw ValidationError("training with seed \(seed) failed (exit \(process.terminationStatus))")
            }
            times.append(wall)
            allSolved = allSolved && summary.solved
            print(
                "| \(seed) | \(summary.solved ? "yes" : "no") | \(formatCount(summary.steps)) | \(formatCount(summary.episodes)) "
                    + "| \(formatNumber(wall)) | \(formatCount(Int(summary.stepsPerSecond))) |")
        }
        print()
        print("Median wall time: **\(formatNumber(median(times))) s**\(allSolved ? ", every seed solved" : ", NOT every seed solved").")
        print()
    }

    // MARK: environments

    private func environmentSpeed() throws {
        print("## Environment steps/s (one thread, uniform random actions, resets included)")
        print()
        print("| environment | steps/s |")
        print("|---|---:|")
        for spec in EnvironmentRegistry.native {
            guard let environment = try? spec.make() else { continue }
            var observation = [Float](repeating: 0, count: environment.observationSpace.count)
            var rng = Xoshiro256(seed: 1)
            let rate = try observation.withUnsafeMutableBufferPointer { buffer -> Double in
                try environment.reset(seed: 1, into: buffer)
                return try measureRate(seconds: seconds, batch: 10_000) {
                    for _ in 0..<10_000 {
                        if try environment.step(rng.nextInt(below: environment.actionCount), into: buffer).isDone {
                            try environment.reset(seed: nil, into: buffer)
                        }
                    }
                }
            }
            print("| \(spec.id) | \(formatCount(Int(rate))) |")
        }
        print()
    }

    // MARK: network

    private func networkSpeed(backends: [GemmBackend]) {
        let saved = Gemm.backend
        defer { Gemm.backend = saved }
        let cases: [(String, ActorCriticModel?, Int)] = [
            ("MLP 4-64-64-(2+1), CartPole, rollout of 8", try? ActorCriticModel(architecture: .mlp, observationShape: [4], actionCount: 2), 8),
            ("paper conv net 84x84x4, 6 actions, rollout of 5", try? ActorCriticModel(architecture: .paper, observationShape: [84, 84, 4], actionCount: 6), 5),
            ("paper conv net 84x84x4, 6 actions, batch of 32", try? ActorCriticModel(architecture: .paper, observationShape: [84, 84, 4], actionCount: 6), 32),
        ]
        print("## Network speed (one thread)")
        print()
        print("GEMM peak: single-precision 1024x1024x1024 product. Training step: forward and backward over")
        print("the batch. Acting: forward of one observation, as a worker does before every environment step.")
        print()
        print("| backend | network | training step GFLOP/s | % of GEMM peak | training steps/s | acting forwards/s |")
        print("|---|---|---:|---:|---:|---:|")
        for backend in backends {
            Gemm.backend = backend
            let peak = gemmPeak()
            print("| \(backend.rawValue) | GEMM peak | \(formatNumber(peak, decimals: 1)) | 100 | | |")
            for (name, model, batch) in cases {
                guard let model else { continue }
                let (trainRate, actRate) = trainingStepRate(model: model, batch: batch)
                let flops = Double(2 * (model.network.forwardMultiplyAdds + model.network.backwardMultiplyAdds) * batch)
                let gflops = trainRate * flops / 1e9
                print(
                    "| \(backend.rawValue) | \(name) | \(formatNumber(gflops, decimals: 1)) | \(formatNumber(100 * gflops / peak, decimals: 0)) "
                        + "| \(formatCount(Int(trainRate))) | \(formatCount(Int(actRate))) |")
            }
        }
        print()
    }

    private func gemmPeak() -> Double {
        let n = 1024
        let a = FloatBuffer(count: n * n), b = FloatBuffer(count: n * n), c = FloatBuffer(count: n * n)
        var rng = Xoshiro256(seed: 3)
        for i in 0..<(n * n) {
            a.pointer[i] = rng.nextUnitFloat()
            b.pointer[i] = rng.nextUnitFloat()
        }
        let rate = measureRate(seconds: seconds, batch: 1) {
            Gemm.multiply(
                transposeA: false, transposeB: false, m: n, n: n, k: n,
                a: a.pointer, lda: n, b: b.pointer, ldb: n, c: c.pointer, ldc: n)
        }
        return rate * 2 * Double(n * n * n) / 1e9
    }

    /// (training steps per second, single-observation forwards per second).
    private func trainingStepRate(model: ActorCriticModel, batch: Int) -> (Double, Double) {
        let network = Network(spec: model.network, maxBatch: batch)
        let parameters = FloatBuffer(count: model.parameterCount)
        let gradient = FloatBuffer(count: model.parameterCount)
        model.initialize(parameters.pointer, seed: 1)
        var rng = Xoshiro256(seed: 2)
        let inputs = batch * model.network.inputShape.count
        for i in 0..<inputs { network.input(row: 0)[i] = rng.nextUnitFloat() }
        let outputs = batch * model.network.outputShape.count
        for i in 0..<outputs { network.outputGradient(row: 0)[i] = Float(rng.uniform(-1, 1)) }
        let train = measureRate(seconds: seconds, batch: 1) {
            network.forward(parameters: parameters.pointer, count: batch)
            network.backward(parameters: parameters.pointer, gradient: gradient.pointer, count: batch)
        }
        let act = measureRate(seconds: seconds, batch: batch) {
            for row in 0..<batch { network.forward(parameters: parameters.pointer, first: row, count: 1) }
        }
        return (train, act)
    }
}

/// Repetitions of `body` (each worth `batch` units) per second: the median of 5 timings of about
/// `seconds` each, after a warm-up.
func measureRate(seconds: Double, batch: Int, _ body: () throws -> Void) rethrows -> Double {
    try body()
    var rates: [Double] = []
    for _ in 0..<5 {
        var repetitions = 0
        let start = ContinuousClock.now
        var elapsed = 0.0
        repeat {
            try body()
            repetitions += 1
            elapsed = (ContinuousClock.now - start).seconds
        } while elapsed < seconds
        rates.append(Double(repetitions * batch) / elapsed)
    }
    return median(rates)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

/// CPU model and core count, from /proc/cpuinfo.
enum MachineDescription {
    static var current: String {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let memory = Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30)
        var model = "unknown CPU"
        if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
            let name = line.split(separator: ":", maxSplits: 1).last
        {
            model = name.trimmingCharacters(in: .whitespaces)
        }
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.contains(" avx512f") == true ? ", AVX-512" : ""
        return "\(model)\(flags), \(cores) cores, \(formatNumber(memory, decimals: 0)) GiB"
    }
}
