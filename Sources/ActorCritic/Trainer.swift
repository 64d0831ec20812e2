import Environments
import Foundation
import NeuralNet

/// Runs A3C: builds the global model and shared optimizer, starts one thread per worker, reports
/// progress from the calling thread, and returns when the target is reached, the step budget is
/// spent or `requestStop()` is called.
public final class Trainer: Sendable {
    public let config: TrainingConfig
    public let model: ActorCriticModel
    public let environment: EnvironmentSpec
    /// The target 100-episode mean in force (the config's, else the environment's threshold).
    public let targetReturn: Double?
    /// The global (shared) parameters.
    public let parameters: FloatBuffer
    public let optimizer: any SharedOptimizer
    private let shared: SharedTraining

    /// Checks the configuration, looks the environment up and builds the model.
    public init(config: TrainingConfig) throws {
        try config.validate()
        self.config = config
        environment = try EnvironmentRegistry.spec(config.environmentID)
        let probe = try environment.make()
        defer { probe.close() }
        model = try ActorCriticModel(
            architecture: config.network, observationShape: probe.observationSpace.shape,
            actionCount: probe.actionCount, hiddenSizes: config.hiddenSizes, activation: config.activation)
        targetReturn = config.targetReturn ?? environment.rewardThreshold
        parameters = FloatBuffer(count: model.parameterCount)
        model.initialize(parameters.pointer, seed: config.seed)
        switch config.optimizer {
        case .rmsprop:
            optimizer = SharedRMSProp(
                parameterCount: model.parameterCount, alpha: config.rmspropAlpha, epsilon: config.rmspropEpsilon)
        case .adam:
            optimizer = SharedAdam(parameterCount: model.parameterCount, epsilon: config.adamEpsilon)
        }
        shared = SharedTraining(
            config: config, model: model, environment: environment, parameters: parameters,
            optimizer: optimizer, targetReturn: targetReturn, tracker: EpisodeTracker())
    }

    /// Every finished episode so far.
    public var episodes: [EpisodeRecord] { shared.tracker.history }

    /// Asks the workers to stop after their current update (safe from any thread or a signal handler's queue).
    public func requestStop() { shared.requestStop() }

    /// A snapshot of the counters.
    public var progress: TrainingProgress {
        TrainingProgress(
            steps: shared.steps.load(ordering: .relaxed), totalSteps: config.totalSteps,
            episodes: shared.tracker.count, updates: shared.updates.load(ordering: .relaxed),
            meanReturn100: shared.tracker.recentMean, elapsedSeconds: shared.elapsedSeconds)
    }

    /// Trains to the end. `report` is called on this thread about every `reportInterval` seconds.
    public func run(
        reportInterval: Double = 1, report: ((TrainingProgress) -> Void)? = nil
    ) throws -> TrainingSummary {
        let started = shared.elapsedSeconds
        let finished = DispatchSemaphore(value: 0)
        let shared = shared
        var threads: [Thread] = []
        for index in 0..<config.workers {
            let thread = Thread {
                do {
                    let worker = try Worker(index: index, shared: shared)
                    worker.run()
                } catch {
                    shared.fail("worker \(index): \(error)")
                }
                finished.signal()
            }
            thread.name = "a3c-worker-\(index)"
            thread.stackSize = 8 << 20
            threads.append(thread)
        }
        threads.forEach { $0.start() }

        var running = config.workers
        var nextReport = started + reportInterval
        while running > 0 {
            let wait = max(0.001, min(0.05, nextReport - shared.elapsedSeconds))
            if finished.wait(timeout: .now() + wait) == .success {
                running -= 1
                continue
            }
            if let report, shared.elapsedSeconds >= nextReport {
                report(progress)
                nextReport += reportInterval
            }
        }
        if let failure = shared.failure { throw TrainingError(failure) }

        let steps = shared.steps.load(ordering: .relaxed)
        let wall = shared.elapsedSeconds - started
        let solved = shared.solved.load(ordering: .relaxed)
        return TrainingSummary(
            env: config.environmentID, steps: steps, episodes: shared.tracker.count,
            updates: shared.updates.load(ordering: .relaxed), wallSeconds: wall,
            meanReturn100: shared.tracker.recentMean, bestMeanReturn100: shared.tracker.bestMean,
            targetReturn: targetReturn, solved: solved, stepsPerSecond: wall > 0 ? Double(steps) / wall : 0,
            seed: config.seed, workers: config.workers,
            stopReason: solved ? "solved" : (steps >= config.totalSteps ? "step budget" : "interrupted"))
    }
}

/// A worker could not run (its environment failed, for instance).
public struct TrainingError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
