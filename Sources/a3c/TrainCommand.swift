import ActorCritic
import ArgumentParser
import Environments
import Foundation
import NeuralNet

/// `a3c train`: runs A3C and prints progress and a summary.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an A3C agent.",
        discussion: """
            Stops when the mean return of the last 100 training episodes reaches the target \
            (by default the environment's reward threshold: 475 for CartPole-v1) or when the step \
            budget is spent. The learning rate falls linearly to 0 over the budget.
            """)

    private static let defaults = TrainingConfig()

    @Option(name: .long, help: "Environment id (see `a3c envs`).")
    var env = defaults.environmentID

    @Option(name: .long, help: "Actor-learner threads (default: one per core, \(TrainingConfig.defaultWorkers) here).")
    var workers: Int?

    @Option(name: .long, help: "Budget of environment steps, all workers together.")
    var steps = defaults.totalSteps

    @Option(name: .long, help: "Seed for the network, the environments and sampling (default: drawn at random and reported).")
    var seed: UInt64?

    @Option(name: .long, help: "Initial learning rate, annealed linearly to 0 over the budget.")
    var lr = defaults.learningRate

    @Option(name: .customLong("t-max"), help: "Steps per rollout before each update.")
    var tMax = defaults.tMax

    @Option(name: .long, help: "Discount factor.")
    var gamma = defaults.gamma

    @Option(name: .customLong("entropy-beta"), help: "Weight of the entropy bonus.")
    var entropyBeta = defaults.entropyBeta

    @Option(name: .customLong("value-coef"), help: "Weight c_v of the value loss c_v (R - V)^2.")
    var valueCoefficient = defaults.valueCoefficient

    @Option(name: .customLong("max-grad-norm"), help: "Clip each update's gradient to this global norm (0: off).")
    var maxGradNorm = defaults.maxGradNorm

    @Option(name: .customLong("gae-lambda"), help: "Use GAE with this lambda instead of n-step returns (default: off).")
    var gaeLambda: Float?

    @Option(name: .long, help: "Shared optimizer: rmsprop (the paper's) or adam.")
    var optimizer = defaults.optimizer

    @Option(name: .customLong("rmsprop-alpha"), help: "RMSProp decay.")
    var rmspropAlpha = defaults.rmspropAlpha

    @Option(name: .customLong("rmsprop-epsilon"), help: "RMSProp epsilon, inside the square root.")
    var rmspropEpsilon = defaults.rmspropEpsilon

    @Option(name: .customLong("target-return"), parsing: .unconditional, help: "Stop when the 100-episode mean return reaches this (default: the environment's threshold).")
    var targetReturn: Double?

    @Option(name: .long, help: "Network: mlp (vector observations) or paper (84x84 frame stacks).")
    var network = defaults.network

    @Option(name: .long, help: "Hidden layer sizes of the MLP, comma-separated.")
    var hidden = defaults.hiddenSizes.map(String.init).joined(separator: ",")

    @Option(name: .long, help: "Non-linearity of the MLP: tanh or relu.")
    var activation = defaults.activation

    @Option(name: .customLong("summary-json"), help: "Also write the summary to this JSON file.")
    var summaryJSON: String?

    @Flag(name: .long, help: "Print only the summary.")
    var quiet = false

    func validate() throws {
        do {
            try makeConfig(seed: 1).validate()
        } catch {
            throw ValidationError(error.description)
        }
    }

    func makeConfig(seed: UInt64) throws(ConfigurationError) -> TrainingConfig {
        var config = TrainingConfig()
        config.environmentID = env
        config.workers = workers ?? TrainingConfig.defaultWorkers
        config.totalSteps = steps
        config.seed = seed
        config.learningRate = lr
        config.tMax = tMax
        config.gamma = gamma
        config.entropyBeta = entropyBeta
        config.valueCoefficient = valueCoefficient
        config.maxGradNorm = maxGradNorm
        config.gaeLambda = gaeLambda
        config.optimizer = optimizer
        config.rmspropAlpha = rmspropAlpha
        config.rmspropEpsilon = rmspropEpsilon
        config.targetReturn = targetReturn
        config.network = network
        config.activation = activation
        let sizes = hidden.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 != nil }) else {
            throw ConfigurationError("--hidden must be comma-separated integers, got '\(hidden)'")
        }
        config.hiddenSizes = sizes.map { $0! }
        return config
    }

    func run() throws {
        let config = try makeConfig(seed: seed ?? UInt64.random(in: 1...999_999))
        let trainer = try Trainer(config: config)
        if !quiet {
            print(
                "a3c: \(config.environmentID), \(config.workers) workers, \(config.network.rawValue) network "
                    + "(\(formatCount(trainer.model.parameterCount)) parameters), seed \(config.seed), "
                    + "target \(trainer.targetReturn.map { formatNumber($0) } ?? "none"), "
                    + "budget \(formatCount(config.totalSteps)) steps")
        }
        var lastSteps = 0
        var lastTime = 0.0
        let summary = try trainer.run { progress in
            guard !quiet else { return }
            let rate = Double(progress.steps - lastSteps) / max(progress.elapsedSeconds - lastTime, 1e-9)
            lastSteps = progress.steps
            lastTime = progress.elapsedSeconds
            print(
                "steps \(formatCount(progress.steps))  \(formatCount(Int(rate))) steps/s  "
                    + "episodes \(formatCount(progress.episodes))  "
                    + "mean100 \(progress.meanReturn100.map { formatNumber($0, decimals: 1) } ?? "-")  "
                    + "\(formatNumber(progress.elapsedSeconds, decimals: 1)) s")
            flushStandardOutput()
        }
        print(
            "\(summary.solved ? "solved" : "not solved"): \(summary.env) mean100 "
                + "\(summary.meanReturn100.map { formatNumber($0, decimals: 1) } ?? "-") after "
                + "\(formatCount(summary.steps)) steps, \(formatCount(summary.episodes)) episodes, "
                + "\(formatNumber(summary.wallSeconds)) s (\(formatCount(Int(summary.stepsPerSecond))) steps/s); "
                + "stopped: \(summary.stopReason)")
        if let summaryJSON {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try writeAtomically(try encoder.encode(summary), to: summaryJSON)
        }
    }
}

extension OptimizerKind: ExpressibleByArgument {}
extension NetworkArchitecture: ExpressibleByArgument {}
extension Activation: ExpressibleByArgument {}
