import Atomics
import Environments
import NeuralNet

/// What all workers share: the global parameters, the optimizer with its statistics, the step and
/// update counters, the episode tracker and the stop flag.
///
/// Concurrency: parameters and optimizer state are written lock-free by every worker (Hogwild);
/// counters and the flag are atomics; the tracker and the failure slot take mutexes.
final class SharedTraining: Sendable {
    let config: TrainingConfig
    let model: ActorCriticModel
    let environment: EnvironmentSpec
    let parameters: FloatBuffer
    let optimizer: any SharedOptimizer
    let schedule: LinearSchedule
    let targetReturn: Double?
    let tracker: EpisodeTracker
    let steps = ManagedAtomic<Int>(0)
    let updates = ManagedAtomic<Int>(0)
    let stopRequested = ManagedAtomic<Bool>(false)
    let solved = ManagedAtomic<Bool>(false)
    /// Non-finite gradients since the last applied one.
    let nonFiniteRun = ManagedAtomic<Int>(0)
    /// Non-finite gradients in a row after which training stops.
    static let nonFiniteLimit = 10
    let updateStatistics: UpdateAccumulator
    /// Running observation statistics, when the run normalises observations.
    let normalizer: ObservationNormalizer?
    /// Running statistics of the environments' discounted returns (width 1), when the run
    /// normalises rewards.
    let returnNormalizer: ObservationNormalizer?
    let startTime: ContinuousClock.Instant
    /// Wall time of earlier sessions of a resumed run.
    let earlierSeconds: Double
    private let firstFailure = Locked<String?>(nil)
    private let pendingHostRestarts = Locked<[HostRestart]>([])

    init(
        config: TrainingConfig, model: ActorCriticModel, environment: EnvironmentSpec,
        parameters: FloatBuffer, optimizer: any SharedOptimizer, targetReturn: Double?, tracker: EpisodeTracker,
        earlierSeconds: Double, normalizer: ObservationNormalizer? = nil, returnNormalizer: ObservationNormalizer? = nil
    ) {
        self.normalizer = normalizer
        self.returnNormalizer = returnNormalizer
        self.config = config
        self.model = model
        self.environment = environment
        self.parameters = parameters
        self.optimizer = optimizer
        // A schedule over 0 steps keeps the initial rate.
        self.schedule = LinearSchedule(
            initial: config.learningRate, totalSteps: config.learningRateSchedule == .linear ? config.totalSteps : 0)
        self.targetReturn = targetReturn
        self.tracker = tracker
        self.startTime = .now
        self.earlierSeconds = earlierSeconds
        updateStatistics = UpdateAccumulator(
            maxGradNorm: config.maxGradNorm, measuresDeadUnits: Network.rectifierUnits(of: model.network) > 0,
            clipsRatio: config.algorithm.updateRule == .ppo)
    }

    /// Seconds of training, earlier sessions included.
    var elapsedSeconds: Double {
        let duration = ContinuousClock.now - startTime
        return earlierSeconds + Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    var shouldStop: Bool { stopRequested.load(ordering: .relaxed) }

    func requestStop() { stopRequested.store(true, ordering: .relaxed) }

    /// Records a finished episode and stops training when the 100-episode mean reaches the target.
    func finishEpisode(worker: Int, episodeReturn: Double, length: Int) {
        let record = EpisodeRecord(
            globalStep: steps.load(ordering: .relaxed), wallSeconds: elapsedSeconds, worker: worker,
            episodeReturn: episodeReturn, length: length)
        if let mean = tracker.record(record), let targetReturn, mean >= targetReturn {
            solved.store(true, ordering: .relaxed)
            requestStop()
        }
    }

    /// Remembers the first worker failure and stops everyone.
    func fail(_ message: String) {
        firstFailure.withLock { if $0 == nil { $0 = message } }
        requestStop()
    }

    var failure: String? { firstFailure.withLock { $0 } }

    /// Notes that `worker` replaced its environment host, for the logs.
    func recordHostRestart(worker: Int, restart: Int, reason: String) {
        let record = HostRestart(
            globalStep: steps.load(ordering: .relaxed), wallSeconds: elapsedSeconds, worker: worker, restart: restart,
            allowed: config.maxHostRestarts, reason: reason)
        pendingHostRestarts.withLock { $0.append(record) }
    }

    /// Host restarts since the last call.
    func drainHostRestarts() -> [HostRestart] {
        pendingHostRestarts.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
    }
}

/// A worker replaced an environment host that died or hung.
public struct HostRestart: Sendable, Hashable {
    /// Global environment steps when the host was replaced.
    public let globalStep: Int
    /// Seconds of training, earlier sessions included, when the host was replaced.
    public let wallSeconds: Double
    /// Index of the worker whose host it was.
    public let worker: Int
    /// This worker's restarts so far, this one included.
    public let restart: Int
    /// Restarts each worker may make.
    public let allowed: Int
    /// What happened to the old host, in one line.
    public let reason: String
}
