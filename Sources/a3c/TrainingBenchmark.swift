import ActorCritic
import ArgumentParser
import Environments
import Foundation
import NeuralNet
import Randomness
import RunArtifacts

/// `a3c bench --env ID`: the same game in one run, from the physical limit down: the emulator alone
/// in Python (frame skip 4 and the max of the last two screens, nothing else, one process per
/// worker), Gymnasium alone with the same preprocessing, the Swift bridge alone (random actions,
/// no learning), the network alone (acting and learning on stored frames, no environment), and
/// the trainer with its defaults for that environment, at one environment per worker and at the
/// default number. The emulator and the network each measured alone give the ceiling for this
/// machine: the rate at which both would run if they shared the cores with nothing else.
struct TrainingBenchmark {
    let environmentID: String
    let workers: Int
    let trainSeconds: Double
    let environmentSeconds: Double
    let summaryJSON: String?
    /// A second network measured beside the default one, at its own defaults (`--network`).
    var comparedNetwork: NetworkArchitecture? = nil
    /// A second algorithm's training measured beside the default one's, at its own defaults (`--algo`).
    var comparedAlgorithm: Algorithm? = nil

    /// The second algorithm's row in the JSON summary.
    struct ComparedAlgorithm: Codable {
        var algorithm: String
        var network: String
        var envsPerWorker: Int
        var tMax: Int
        var epochs: Int
        var agentStepsPerSecond: Double
        var toDefaultAlgorithm: Double
        /// The precision its defaults take on this CPU ("fp32", "bf16").
        var precision: String
        /// Its training through the Python host (Atari with the native host built), and per precision.
        var pythonHostAgentStepsPerSecond: Double?
        var fp32AgentStepsPerSecond: Double?
        var bf16AgentStepsPerSecond: Double?

        enum CodingKeys: String, CodingKey {
            case algorithm, network, epochs, precision
            case envsPerWorker = "envs_per_worker"
            case tMax = "t_max"
            case agentStepsPerSecond = "agent_steps_per_second"
            case toDefaultAlgorithm = "to_default_algorithm_ratio"
            case pythonHostAgentStepsPerSecond = "python_host_agent_steps_per_second"
            case fp32AgentStepsPerSecond = "fp32_agent_steps_per_second"
            case bf16AgentStepsPerSecond = "bf16_agent_steps_per_second"
        }
    }

    /// The second network's rows in the JSON summary.
    struct ComparedNetwork: Codable {
        var network: String
        var envsPerWorker: Int
        var tMax: Int
        var networkAloneStepsPerSecond: Double
        var ceilingStepsPerSecond: Double?
        var agentStepsPerSecond: Double
        var trainerToCeiling: Double?
        var toDefaultNetwork: Double

        enum CodingKeys: String, CodingKey {
            case network
            case envsPerWorker = "envs_per_worker"
            case tMax = "t_max"
            case networkAloneStepsPerSecond = "network_alone_steps_per_second"
            case ceilingStepsPerSecond = "ceiling_steps_per_second"
            case agentStepsPerSecond = "agent_steps_per_second"
            case trainerToCeiling = "trainer_to_ceiling_ratio"
            case toDefaultNetwork = "to_default_network_ratio"
        }
    }

    /// The network alone at one precision.
    struct NetworkSpeed: Codable {
        var total: Double
        var acting: Double
        var learning: Double
        /// oneDNN's bf16 kernels, for bf16.
        var implementation: String?
    }

    struct Summary: Codable {
        var env: String
        var workers: Int
        var machine: String
        var envsPerWorker: Int
        var rawEnvStepsPerSecond: Double?
        var gymnasiumAloneStepsPerSecond: Double?
        var bridgeAloneStepsPerSecond: Double
        /// Atari with the native host built: it alone, and training through the Python host instead.
        var nativeHostStepsPerSecond: Double?
        var nativeHostToRawEnv: Double?
        var pythonHostAgentStepsPerSecond: Double?
        var nativeToPythonHostTraining: Double?
        /// Training per precision: the defaults' and the other one, where the CPU has bf16.
        var fp32AgentStepsPerSecond: Double?
        var bf16AgentStepsPerSecond: Double?
        var networkAloneStepsPerSecond: Double
        /// The network alone per precision, whole and in its acting and learning parts ("fp32", "bf16").
        var networkStepsPerSecond: [String: NetworkSpeed]?
        var ceilingStepsPerSecond: Double?
        var trainerToCeiling: Double?
        /// The precision the defaults take on this CPU ("fp32", "bf16").
        var precision: String
        var agentStepsPerSecond: Double
        var oneEnvPerWorkerAgentStepsPerSecond: Double
        var framesPerSecond: Double
        var trainSeconds: Double
        var trainerToRawEnv: Double?
        var trainerToGymnasium: Double?
        var trainerToBridge: Double
        var defaultToOneEnvPerWorker: Double
        var compared: ComparedNetwork?
        var comparedAlgorithm: ComparedAlgorithm?

        enum CodingKeys: String, CodingKey {
            case env, workers, machine, compared, precision
            case comparedAlgorithm = "compared_algorithm"
            case envsPerWorker = "envs_per_worker"
            case rawEnvStepsPerSecond = "raw_env_steps_per_second"
            case oneEnvPerWorkerAgentStepsPerSecond = "one_env_per_worker_agent_steps_per_second"
            case trainerToRawEnv = "trainer_to_raw_env_ratio"
            case defaultToOneEnvPerWorker = "default_to_one_env_per_worker_ratio"
            case gymnasiumAloneStepsPerSecond = "gymnasium_alone_steps_per_second"
            case bridgeAloneStepsPerSecond = "bridge_alone_steps_per_second"
            case nativeHostStepsPerSecond = "native_host_steps_per_second"
            case nativeHostToRawEnv = "native_host_to_raw_env_ratio"
            case pythonHostAgentStepsPerSecond = "python_host_agent_steps_per_second"
            case nativeToPythonHostTraining = "native_to_python_host_training_ratio"
            case fp32AgentStepsPerSecond = "fp32_agent_steps_per_second"
            case bf16AgentStepsPerSecond = "bf16_agent_steps_per_second"
            case networkAloneStepsPerSecond = "network_alone_steps_per_second"
            case networkStepsPerSecond = "network_steps_per_second"
            case ceilingStepsPerSecond = "ceiling_steps_per_second"
            case trainerToCeiling = "trainer_to_ceiling_ratio"
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
        print(
            "- workers: \(workers); GEMM: \(Gemm.describe(Gemm.backend)); convolutions: \(ConvolutionBackend.current.summary); "
                + "element-wise kernels: \(GradientClipping.kernelInstructionSet)")
        print()
        flushStandardOutput()

        let raw = gymnasiumAlone(raw: true)
        let gymnasium = gymnasiumAlone(raw: false)
        // Atari: the bridge's Python host, then the native host where it is built (training uses it).
        let native = EnvironmentFamily.of(environmentID) == .atari && BridgeLocation.nativeAtariHost != nil
        var pythonHost = config, nativeHost = config
        pythonHost.atariHost = .python
        nativeHost.atariHost = .native
        let bridge = try bridgeAlone(config: pythonHost)
        let nativeAlone = native ? try bridgeAlone(config: nativeHost) : nil
        let speeds = try networkSpeeds(config: config, precision: .fp32)
        let network = speeds.total
        var networkSpeedsByPrecision = ["fp32": NetworkSpeed(total: speeds.total, acting: speeds.acting, learning: speeds.learning)]
        if Precision.bf16Available {
            let bf16 = try networkSpeeds(config: config, precision: .bf16)
            networkSpeedsByPrecision["bf16"] = NetworkSpeed(
                total: bf16.total, acting: bf16.acting, learning: bf16.learning, implementation: Precision.bf16Implementation)
        }
        // Per agent step, the cores spend 1/raw seconds emulating and 1/network seconds on the network.
        let ceiling = raw.map { 1 / (1 / $0 + 1 / network) }
        // The training rows name their host: the native one where it is built, whatever auto picks.
        let defaults = native ? nativeHost : config
        var single = defaults
        single.envsPerWorker = 1
        let oneEnvironment = try trainerSpeed(config: single)
        let trainer = try trainerSpeed(config: defaults)
        let pythonTrainer = native ? try trainerSpeed(config: pythonHost) : nil
        let otherPrecision = try otherPrecisionSpeed(defaults)
        let perPrecision = Self.perPrecision(defaults, trainer, otherPrecision)
        var compared: (config: TrainingConfig, network: Double, trainer: Double)?
        // The default network needs no second row; given with --algo, the network is that algorithm's too.
        if let comparedNetwork, comparedNetwork != config.network {
            let other = TrainingConfig.defaults(for: environmentID, network: comparedNetwork)
            compared = (other, try networkAlone(config: other), try trainerSpeed(config: other))
        }
        let comparedCeiling = compared.flatMap { c in raw.map { 1 / (1 / $0 + 1 / c.network) } }
        let otherAlgorithm = try comparedAlgorithm.map { algorithm in
            var other = TrainingConfig.defaults(for: environmentID, network: comparedNetwork, algorithm: algorithm)
            if native { other.atariHost = .native }
            var python = other
            python.atariHost = .python
            let trainer = try trainerSpeed(config: other)
            let pythonTrainer = native ? try trainerSpeed(config: python) : nil
            let precision = try otherPrecisionSpeed(other)
            return (
                config: other, trainer: trainer, python: pythonTrainer,
                otherPrecision: precision, perPrecision: Self.perPrecision(other, trainer, precision))
        }
        var summary = Summary(
            env: environmentID, workers: workers, machine: MachineDescription.current, envsPerWorker: config.envsPerWorker,
            rawEnvStepsPerSecond: raw, gymnasiumAloneStepsPerSecond: gymnasium, bridgeAloneStepsPerSecond: bridge,
            networkAloneStepsPerSecond: network, ceilingStepsPerSecond: ceiling, trainerToCeiling: ceiling.map { trainer / $0 },
            precision: defaults.resolvedPrecision.rawValue, agentStepsPerSecond: trainer, oneEnvPerWorkerAgentStepsPerSecond: oneEnvironment,
            framesPerSecond: trainer * Double(frameSkip), trainSeconds: trainSeconds,
            trainerToRawEnv: raw.map { trainer / $0 }, trainerToGymnasium: gymnasium.map { trainer / $0 },
            trainerToBridge: trainer / bridge, defaultToOneEnvPerWorker: trainer / oneEnvironment)
        summary.nativeHostStepsPerSecond = nativeAlone
        summary.networkStepsPerSecond = networkSpeedsByPrecision
        summary.nativeHostToRawEnv = nativeAlone.flatMap { n in raw.map { n / $0 } }
        summary.pythonHostAgentStepsPerSecond = pythonTrainer
        summary.nativeToPythonHostTraining = pythonTrainer.map { trainer / $0 }
        summary.fp32AgentStepsPerSecond = perPrecision.fp32
        summary.bf16AgentStepsPerSecond = perPrecision.bf16
        if let compared {
            summary.compared = ComparedNetwork(
                network: compared.config.network.rawValue, envsPerWorker: compared.config.envsPerWorker, tMax: compared.config.tMax,
                networkAloneStepsPerSecond: compared.network, ceilingStepsPerSecond: comparedCeiling,
                agentStepsPerSecond: compared.trainer, trainerToCeiling: comparedCeiling.map { compared.trainer / $0 },
                toDefaultNetwork: compared.trainer / trainer)
        }

        if let otherAlgorithm {
            let c = otherAlgorithm.config
            summary.comparedAlgorithm = ComparedAlgorithm(
                algorithm: c.algorithm.rawValue, network: c.network.rawValue, envsPerWorker: c.envsPerWorker, tMax: c.tMax,
                epochs: c.algorithm == .ppo ? c.epochs : 1, agentStepsPerSecond: otherAlgorithm.trainer,
                toDefaultAlgorithm: otherAlgorithm.trainer / trainer, precision: c.resolvedPrecision.rawValue,
                pythonHostAgentStepsPerSecond: otherAlgorithm.python, fp32AgentStepsPerSecond: otherAlgorithm.perPrecision.fp32,
                bf16AgentStepsPerSecond: otherAlgorithm.perPrecision.bf16)
        }

        func row(_ what: String, _ rate: Double, bold: Bool = false, trainer: Double = trainer) {
            let mark = bold ? "**" : ""
            print(
                "| \(mark)\(what)\(mark) | \(mark)\(formatCount(Int(rate)))\(mark) | \(formatCount(Int(rate * Double(frameSkip)))) "
                    + "| \(formatNumber(trainer / rate)) |")
        }
        print("| what (\(workers) at once) | agent steps/s | frames/s | trainer / this |")
        print("|---|---:|---:|---:|")
        if let raw {
            row(EnvironmentFamily.of(environmentID) == .atari ? "the emulator alone: frame skip 4, max of the last two screens (the limit)" : "the environment alone (the limit)", raw)
        }
        if let gymnasium { row("Gymnasium alone in Python, the same preprocessing, random actions", gymnasium) }
        row("the bridge alone (Swift driving \(config.envsPerWorker) environments per host\(native ? " in Python" : "")), random actions", bridge)
        if let nativeAlone {
            row("the native host alone (Swift driving \(config.envsPerWorker) games per host, ALE in C++), random actions", nativeAlone)
        }
        row("the network alone: acting and learning for \(config.envsPerWorker) environments per worker on stored frames", network)
        for name in ["fp32", "bf16"] {
            guard let speed = networkSpeedsByPrecision[name] else { continue }
            let kernels = speed.implementation.map { ", oneDNN \($0)" } ?? ""
            row("  \(name) products\(kernels): the network alone", speed.total)
            row("  \(name) products: acting only (the forward passes)", speed.acting)
            row("  \(name) products: learning only (backward, clipping, optimizer)", speed.learning)
        }
        if let ceiling {
            row("the ceiling: the emulator and the network sharing the cores, nothing else", ceiling)
        }
        let algorithm = config.algorithm.rawValue.uppercased()
        row("\(algorithm) training, 1 environment per worker (\(formatNumber(trainSeconds, decimals: 0)) s)", oneEnvironment)
        if let pythonTrainer {
            row("\(algorithm) training, defaults but the Python host (\(formatNumber(trainSeconds, decimals: 0)) s)", pythonTrainer)
        }
        row(
            "\(algorithm) training, defaults: \(config.envsPerWorker) environments per worker, \(defaults.resolvedPrecision.rawValue) products "
                + "(\(formatNumber(trainSeconds, decimals: 0)) s)", trainer, bold: true)
        if let otherPrecision {
            row("\(algorithm) training, defaults with \(otherPrecision.precision.rawValue) products (\(formatNumber(trainSeconds, decimals: 0)) s)", otherPrecision.rate)
        }
        let defaultNetwork = "\(config.network.rawValue) network"
        if let compared {
            let name = "\(compared.config.network.rawValue) network", n = compared.config.envsPerWorker
            let setUp = "\(n) environment\(n == 1 ? "" : "s") per worker, \(compared.config.tMax)-step rollouts"
            row("the \(name) alone: acting and learning, \(setUp), on stored frames", compared.network, trainer: compared.trainer)
            if let comparedCeiling {
                row("the ceiling with the \(name): the emulator and it sharing the cores", comparedCeiling, trainer: compared.trainer)
            }
            row("\(algorithm) training with the \(name), its defaults: \(setUp) (\(formatNumber(trainSeconds, decimals: 0)) s)", compared.trainer, bold: true, trainer: compared.trainer)
        }
        if let otherAlgorithm {
            let c = otherAlgorithm.config
            var setUp = "the \(c.network.rawValue) network, \(c.envsPerWorker) environments per worker, \(c.tMax)-step rollouts"
            if c.algorithm == .ppo { setUp += ", \(c.epochs) epochs of \(c.minibatches) minibatches" }
            setUp += ", \(c.resolvedPrecision.rawValue) products"
            row(
                "\(c.algorithm.rawValue.uppercased()) training, its defaults: \(setUp) (\(formatNumber(trainSeconds, decimals: 0)) s)",
                otherAlgorithm.trainer, bold: true, trainer: otherAlgorithm.trainer)
            let name = c.algorithm.rawValue.uppercased()
            if let python = otherAlgorithm.python {
                row("\(name) training, its defaults but the Python host", python, trainer: otherAlgorithm.trainer)
            }
            if let other = otherAlgorithm.otherPrecision {
                row("\(name) training, its defaults with \(other.precision.rawValue) products", other.rate, trainer: otherAlgorithm.trainer)
            }
        }
        print()
        if let otherAlgorithm {
            print(
                "\(otherAlgorithm.config.algorithm.rawValue.uppercased()) trains at \(formatNumber(otherAlgorithm.trainer / trainer))x "
                    + "\(algorithm)'s speed per agent step.")
        }
        if let compared {
            print("Rows above the \(compared.config.network.rawValue) network's are the \(defaultNetwork)'s; each \"trainer / this\" is its own network's trainer.")
        }
        if let raw { print("Training runs at \(formatNumber(trainer / raw)) of the emulator's speed alone.") }
        if let nativeAlone, let raw { print("The native host alone runs at \(formatNumber(nativeAlone / raw)) of the emulator's speed alone.") }
        if let pythonTrainer { print("Training with the native host is \(formatNumber(trainer / pythonTrainer))x training with the Python host.") }
        if let fp32 = perPrecision.fp32, let bf16 = perPrecision.bf16 {
            print("Training with bf16 products is \(formatNumber(bf16 / fp32))x training in fp32.")
        }
        if let other = otherAlgorithm {
            let name = other.config.algorithm.rawValue.uppercased()
            if let python = other.python { print("\(name) with the native host trains at \(formatNumber(other.trainer / python))x its speed with the Python host.") }
            if let fp32 = other.perPrecision.fp32, let bf16 = other.perPrecision.bf16 {
                print("\(name) with bf16 products trains at \(formatNumber(bf16 / fp32))x its speed in fp32.")
            }
        }
        if let ceiling { print("Training runs at \(formatNumber(trainer / ceiling)) of this machine's ceiling.") }
        print("The default is \(formatNumber(trainer / oneEnvironment))x one environment per worker.")
        if let compared {
            print(
                "The \(compared.config.network.rawValue) network trains at \(formatNumber(compared.trainer / trainer))x the \(defaultNetwork)'s speed"
                    + (comparedCeiling.map { ", \(formatNumber(compared.trainer / $0)) of its ceiling." } ?? "."))
        }
        print()
        if let summaryJSON {
            try AtomicFile.write(try JSONFiles.encode(summary), to: URL(fileURLWithPath: summaryJSON))
        }
    }

    /// python/env_speed.py in the project's .venv; nil (with a note) when it cannot run.
    private func gymnasiumAlone(raw: Bool) -> Double? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BridgeLocation.python)
        let script = URL(fileURLWithPath: BridgeLocation.hostScript).deletingLastPathComponent().appendingPathComponent("env_speed.py")
        process.arguments = [script.path, EnvironmentFamily.gymnasiumName(environmentID), "--seconds", "\(environmentSeconds)", "--processes", "\(workers)"] + (raw ? ["--raw"] : [])
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
            print(
                raw
                    ? "(the emulator alone could not run: python/env_speed.py --raw failed; run scripts/setup.sh)"
                    : "(Gymnasium alone could not run: python/env_speed.py failed; is opencv-python-headless in .venv?)")
            return nil
        }
        return rate
    }

    /// Agent steps per second of what a worker computes per rollout without its environments, on all
    /// workers at once: copying the parameters, t_max batched forward passes and the bootstrap one,
    /// the backward pass, clipping and the optimizer (at learning rate 0, so the numbers stay put).
    private func networkAlone(config: TrainingConfig, precision: Precision = .fp32) throws -> Double {
        try networkSpeeds(config: config, precision: precision).total
    }

    /// `networkAlone`, and the rates of its acting part (the forward passes) and its learning part
    /// (backward, clipping, optimizer) each on its own, in agent steps per second of their time.
    private func networkSpeeds(config: TrainingConfig, precision: Precision) throws -> (total: Double, acting: Double, learning: Double) {
        let model = try Trainer(config: config).model
        let n = config.envsPerWorker, tMax = config.tMax
        let seconds = environmentSeconds
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: workers)
        counts.initialize(repeating: 0)
        defer { counts.deallocate() }
        let parts = UnsafeMutableBufferPointer<Double>.allocate(capacity: 2 * workers)
        parts.initialize(repeating: 0)
        defer { parts.deallocate() }
        nonisolated(unsafe) let sharedCounts = counts
        nonisolated(unsafe) let sharedParts = parts
        let start = DispatchGroup(), done = DispatchGroup()
        let go = DispatchSemaphore(value: 0)
        for worker in 0..<workers {
            start.enter()
            done.enter()
            let thread = Thread {
                Subnormals.flushToZeroOnThisThread()
                Gemm.setPrecisionOnThisThread(precision)
                let network = Network(spec: model.network, maxBatch: (tMax + 1) * n, sequenceStride: n)
                let shared = FloatBuffer(count: model.parameterCount), local = FloatBuffer(count: model.parameterCount)
                let gradient = FloatBuffer(count: model.parameterCount)
                model.initialize(shared.pointer, seed: UInt64(worker + 1))
                let optimizer = config.makeOptimizer(parameterCount: model.parameterCount)
                var rng = Xoshiro256(seed: UInt64(worker + 7))
                for i in 0..<((tMax + 1) * n * model.network.inputShape.count) { network.input(row: 0)[i] = rng.nextUnitFloat() }
                for i in 0..<(tMax * n * model.network.outputShape.count) {
                    network.outputGradient(row: 0)[i] = Float(rng.uniform(-0.1, 0.1))
                }
                var acting = 0.0, learning = 0.0
                func rollout() {
                    let begin = ContinuousClock.now
                    local.copy(from: shared)
                    for t in 0...tMax { network.forward(parameters: local.pointer, first: t * n, count: n) }
                    let middle = ContinuousClock.now
                    network.backward(parameters: local.pointer, gradient: gradient.pointer, count: tMax * n)
                    _ = GradientClipping.clipGlobalNorm(gradient.pointer, count: gradient.count, maxNorm: config.maxGradNorm)
                    optimizer.apply(gradient: gradient.pointer, to: shared.pointer, learningRate: 0)
                    acting += (middle - begin).seconds
                    learning += (ContinuousClock.now - middle).seconds
                }
                rollout()
                acting = 0
                learning = 0
                start.leave()
                go.wait()
                let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
                var steps = 0
                while ContinuousClock.now < deadline {
                    rollout()
                    steps += tMax * n
                }
                sharedCounts[worker] = steps
                sharedParts[2 * worker] = acting
                sharedParts[2 * worker + 1] = learning
                done.leave()
            }
            thread.stackSize = 1 << 22
            thread.start()
        }
        start.wait()
        let begin = ContinuousClock.now
        for _ in 0..<workers { go.signal() }
        done.wait()
        let elapsed = (ContinuousClock.now - begin).seconds
        let steps = Double(counts.reduce(0, +))
        // Each part as if all workers did only it: the steps over the workers' mean time in it.
        let acting = (0..<workers).reduce(0.0) { $0 + parts[2 * $1] } / Double(workers)
        let learning = (0..<workers).reduce(0.0) { $0 + parts[2 * $1 + 1] } / Double(workers)
        return (steps / elapsed, steps / max(acting, 1e-9), steps / max(learning, 1e-9))
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
                    let count = config.envsPerWorker
                    let environments = try spec.makeVector(count: count)
                    defer { environments.close() }
                    let width = environments.observationSpace.count
                    var observations = [Float](repeating: 0, count: count * width)
                    var finals = observations
                    var results = [StepResult](repeating: StepResult(reward: 0, terminated: false, truncated: false), count: count)
                    var actions = [Int32](repeating: 0, count: count)
                    var rng = Xoshiro256(seed: UInt64(index + 1))
                    try environments.reset(seeds: (0..<count).map { UInt64(index * count + $0 + 1) }, into: &observations)
                    let start = ContinuousClock.now
                    var steps = 0
                    while (ContinuousClock.now - start).seconds < seconds {
                        for e in 0..<count { actions[e] = Int32(rng.nextInt(below: environments.actionCount)) }
                        try environments.step(actions, into: &observations, finalObservations: &finals, results: &results)
                        steps += count
                    }
                    sharedCounts[index] = steps
                } catch {
                    sharedFailures[index] = true
                }
            }.start()
        }
        group.wait()
        guard !failures.contains(true) else { throw ValidationError("\(environmentID): the environment failed in the bridge benchmark") }
        return Double(counts.reduce(0, +)) / seconds
    }

    /// Steps per second of the trainer over trainSeconds, from its first step after 10 s of warm-up.
    /// The window opens only once steps are counted and closes only once more are, so a slow start
    /// (environment hosts importing Python on a loaded machine) delays the window instead of emptying it.
    /// Training at the precision the defaults do not take (fp32 beside bf16, bf16 beside fp32), where
    /// the CPU has bf16; nil elsewhere.
    private func otherPrecisionSpeed(_ config: TrainingConfig) throws -> (precision: Precision, rate: Double)? {
        guard Precision.bf16Available else { return nil }
        var other = config
        other.precision = config.resolvedPrecision == .bf16 ? .fp32 : .bf16
        return (other.resolvedPrecision, try trainerSpeed(config: other))
    }

    /// The defaults' rate and the other precision's, by precision.
    private static func perPrecision(
        _ config: TrainingConfig, _ rate: Double, _ other: (precision: Precision, rate: Double)?
    ) -> (fp32: Double?, bf16: Double?) {
        let own = config.resolvedPrecision
        func at(_ p: Precision) -> Double? { own == p ? rate : other.flatMap { $0.precision == p ? $0.rate : nil } }
        return (at(.fp32), at(.bf16))
    }

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
            if window == nil && now.elapsedSeconds >= warmUp && now.steps > 0 {
                window = (now.steps, now.elapsedSeconds)
            } else if let start = window, now.elapsedSeconds - start.seconds >= trainSeconds, now.steps > start.steps {
                rate = Double(now.steps - start.steps) / (now.elapsedSeconds - start.seconds)
                trainer.requestStop()
            }
        }
        return rate
    }
}
