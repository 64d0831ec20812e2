import Environments
import Foundation
import NeuralNet

/// Runs A3C: builds the global model and shared optimizer, starts one thread per worker, calls a
/// monitor on the calling thread while they run, and returns when the target is reached, the step
/// budget is spent or `requestStop()` is called.
public final class Trainer: Sendable {
    /// The validated configuration this run trains with.
    public let config: TrainingConfig
    /// The actor-critic network every worker runs.
    public let model: ActorCriticModel
    /// The spec the workers make their environments from.
    public let environment: EnvironmentSpec
    /// The target 100-episode mean in force (the config's, else the environment's threshold).
    public let targetReturn: Double?
    /// The global (shared) parameters.
    public let parameters: FloatBuffer
    /// The optimizer all workers share (RMSProp or Adam, as `config.optimizer` says).
    public let optimizer: any SharedOptimizer
    private let shared: SharedTraining
    private let sharing: any GradientSharing
    private let evaluation: PeriodicEvaluation?

    /// Checks the configuration, looks the environment up and builds the model; with `state`,
    /// continues that run (parameters, optimizer, counters, recent returns).
    public convenience init(config: TrainingConfig, resumingFrom state: TrainingState? = nil) throws {
        try config.validate()
        try self.init(
            config: config, environment: EnvironmentRegistry.spec(config.environmentID, options: config.environmentOptions),
            resumingFrom: state)
    }

    /// Trains on an environment of your own (an `Environment` in Swift, say) instead of a registered
    /// id; `config.environmentID` is then only its name in logs.
    public init(config: TrainingConfig, environment: EnvironmentSpec, resumingFrom state: TrainingState? = nil) throws {
        try config.validate()
        self.config = config
        self.environment = environment
        let probe = try environment.make()
        defer { probe.close() }
        try config.checkFits(actionSpace: probe.actionSpace, actionCount: probe.actionCount)
        model = try ActorCriticModel(config: config, environment: probe)
        targetReturn = config.targetReturn ?? environment.rewardThreshold ?? probe.rewardThreshold
        let parameters = FloatBuffer(count: model.parameterCount)
        self.parameters = parameters
        let optimizer: any SharedOptimizer
        switch config.optimizer {
        case .rmsprop:
            optimizer = SharedRMSProp(
                parameterCount: model.parameterCount, alpha: config.rmspropAlpha, epsilon: config.rmspropEpsilon)
        case .adam:
            optimizer = SharedAdam(parameterCount: model.parameterCount, epsilon: config.adamEpsilon)
        }
        self.optimizer = optimizer
        let tracker = EpisodeTracker(keepHistory: state == nil)
        if let state {
            guard state.parameters.count == model.parameterCount else {
                throw TrainingError(
                    "the checkpoint holds \(state.parameters.count) parameters but this network has \(model.parameterCount)")
            }
            state.parameters.withUnsafeBufferPointer { parameters.pointer.update(from: $0.baseAddress!, count: $0.count) }
            for (name, buffer) in optimizer.stateBuffers {
                guard let values = state.optimizerState[name], values.count == buffer.count else {
                    throw TrainingError("the checkpoint has no \(name) of \(buffer.count) values for the \(config.optimizer.rawValue) optimizer")
                }
                values.withUnsafeBufferPointer { buffer.pointer.update(from: $0.baseAddress!, count: $0.count) }
            }
            (optimizer as? SharedAdam)?.stepCount.store(state.optimizerSteps, ordering: .relaxed)
            tracker.restore(count: state.episodes, recentReturns: state.recentReturns, bestMean: state.bestMeanReturn100)
        } else {
            model.initialize(parameters.pointer, seed: config.seed)
        }
        shared = SharedTraining(
            config: config, model: model, environment: environment, parameters: parameters,
            optimizer: optimizer, targetReturn: targetReturn, tracker: tracker,
            earlierSeconds: state?.wallSeconds ?? 0,
            normalizer: config.normalizeObservations
                ? ObservationNormalizer(width: model.network.inputShape.count, statistics: state?.observationStatistics) : nil,
            returnNormalizer: config.normalizeRewards ? ObservationNormalizer(width: 1, statistics: state?.returnStatistics) : nil)
        evaluation = config.evalEvery == nil ? nil : PeriodicEvaluation(
            config: config, model: model, environment: environment, stepsSoFar: state?.steps ?? 0)
        switch config.algorithm {
        case .a3c: sharing = HogwildSharing(shared: shared)
        case .a2c: sharing = SynchronousSharing(shared: shared)
        }
        if let state {
            shared.steps.store(state.steps, ordering: .relaxed)
            shared.updates.store(state.updates, ordering: .relaxed)
        }
    }

    /// Every finished episode of this session (empty for a resumed run, which keeps only the window).
    public var episodes: [EpisodeRecord] { shared.tracker.history }

    /// Episodes finished since the last call, oldest first.
    public func drainEpisodes() -> [EpisodeRecord] { shared.tracker.drainPending() }

    /// Evaluations (`--eval-every`) finished since the last call, oldest first.
    public func drainEvaluations() -> [EvaluationRecord] { evaluation?.drain() ?? [] }

    /// Mean loss terms of the updates since the last call.
    public func drainUpdateStatistics() -> UpdateStatistics { shared.updateStatistics.drain() }

    /// Environment hosts the workers replaced since the last call (they died or hung).
    public func drainHostRestarts() -> [HostRestart] { shared.drainHostRestarts() }

    /// The learning rate in force now.
    public var learningRate: Float { shared.schedule.value(at: shared.steps.load(ordering: .relaxed)) }

    /// Asks the workers to stop after their current update. Safe from any thread.
    public func requestStop() { shared.requestStop() }

    /// The target was reached.
    public var isSolved: Bool { shared.solved.load(ordering: .relaxed) }

    /// A snapshot of the counters.
    public var progress: TrainingProgress {
        TrainingProgress(
            steps: shared.steps.load(ordering: .relaxed), totalSteps: config.totalSteps,
            episodes: shared.tracker.count, updates: shared.updates.load(ordering: .relaxed),
            meanReturn100: shared.tracker.recentMean, elapsedSeconds: shared.elapsedSeconds)
    }

    /// Best 100-episode mean so far.
    public var bestMeanReturn100: Double? { shared.tracker.bestMean }

    /// A copy of everything needed to continue. While workers run, parameters and statistics may be
    /// mid-update (as any Hogwild reader sees them); after `run` returns it is exact.
    public func snapshot() -> TrainingState {
        var optimizerState: [String: [Float]] = [:]
        for (name, buffer) in optimizer.stateBuffers { optimizerState[name] = buffer.array }
        var state = TrainingState(
            parameters: parameters.array, optimizerState: optimizerState,
            optimizerSteps: (optimizer as? SharedAdam)?.stepCount.load(ordering: .relaxed) ?? 0,
            steps: shared.steps.load(ordering: .relaxed), updates: shared.updates.load(ordering: .relaxed),
            episodes: shared.tracker.count, wallSeconds: shared.elapsedSeconds,
            recentReturns: shared.tracker.recentReturns, bestMeanReturn100: shared.tracker.bestMean)
        state.observationStatistics = shared.normalizer?.statistics
        state.returnStatistics = shared.returnNormalizer?.statistics
        return state
    }

    /// Trains to the end. `monitor` runs on this thread about every `monitorInterval` seconds
    /// (progress lines, logs, checkpoints) and once more after the workers have stopped.
    public func run(
        monitorInterval: Double = 1, monitor: ((Trainer) -> Void)? = nil
    ) throws -> TrainingSummary {
        let started = shared.elapsedSeconds
        let stepsAtStart = shared.steps.load(ordering: .relaxed)
        let finished = DispatchSemaphore(value: 0)
        let shared = shared, sharing = sharing
        if shared.steps.load(ordering: .relaxed) >= config.totalSteps { shared.requestStop() }
        var threads: [Thread] = []
        for index in 0..<config.workers {
            let thread = Thread {
                Subnormals.flushToZeroOnThisThread()
                do {
                    let worker = try Worker(index: index, shared: shared, sharing: sharing)
                    try worker.run()
                } catch {
                    shared.fail("worker \(index): \(error)")
                }
                // A worker that stops (a stop asked for before its first rollout, say) must not leave
                // the others waiting for it at an A2C barrier.
                sharing.cancel()
                finished.signal()
            }
            thread.name = "a3c-worker-\(index)"
            thread.stackSize = 8 << 20
            threads.append(thread)
        }
        threads.forEach { $0.start() }

        var running = config.workers
        var nextCall = started + monitorInterval
        while running > 0 {
            let wait = max(0.001, min(0.05, nextCall - shared.elapsedSeconds))
            if finished.wait(timeout: .now() + wait) == .success {
                running -= 1
                continue
            }
            if let evaluation {
                if let error = evaluation.error {
                    shared.fail(error)
                    sharing.cancel()
                }
                evaluation.poll(
                    steps: shared.steps.load(ordering: .relaxed), elapsedSeconds: { shared.elapsedSeconds },
                    snapshot: snapshot)
            }
            if shared.elapsedSeconds >= nextCall {
                monitor?(self)
                nextCall = shared.elapsedSeconds + monitorInterval
            }
        }
        evaluation?.finish()
        if let error = evaluation?.error { shared.fail(error) }
        monitor?(self)
        if let failure = shared.failure { throw TrainingError(failure) }

        let steps = shared.steps.load(ordering: .relaxed)
        let wall = shared.elapsedSeconds - started
        let solved = isSolved
        return TrainingSummary(
            env: config.environmentID, steps: steps, episodes: shared.tracker.count,
            updates: shared.updates.load(ordering: .relaxed), wallSeconds: wall,
            meanReturn100: shared.tracker.recentMean, bestMeanReturn100: shared.tracker.bestMean,
            targetReturn: targetReturn, solved: solved,
            stepsPerSecond: wall > 0 ? Double(steps - stepsAtStart) / wall : 0,
            seed: config.seed, workers: config.workers,
            stopReason: solved ? "solved" : (steps >= config.totalSteps ? "step budget" : "interrupted"))
    }
}

/// A worker could not run (its environment failed, for instance), or a run cannot continue.
public struct TrainingError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in one line.
    public let description: String
    /// An error with the one-line message `description`.
    public init(_ description: String) { self.description = description }
}
