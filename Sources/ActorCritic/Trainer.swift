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
    /// What steps the environments when another process does (for the log), e.g. "native ALE 0.12.1".
    public let environmentHost: String?
    /// The target 100-episode mean in force (the config's, else the environment's threshold).
    public let targetReturn: Double?
    /// The global (shared) parameters.
    public let parameters: FloatBuffer
    /// The optimizer all workers share (RMSProp or Adam, as `config.optimizer` says).
    public let optimizer: any SharedOptimizer
    private let shared: SharedTraining
    private let hub: any TrainingHub
    /// This process's part in a distributed run; nil for a run in one process.
    public let role: DistributedRole?
    private let server: ParameterServer?
    private let evaluation: PeriodicEvaluation?
    private let sessionStartState = Locked<(seconds: Double, steps: Int)>((0, 0))
    private var sessionStart: (seconds: Double, steps: Int) { sessionStartState.withLock { $0 } }

    /// Checks the configuration, looks the environment up and builds the model; with `state`,
    /// continues that run (parameters, optimizer, counters, recent returns).
    public convenience init(config: TrainingConfig, resumingFrom state: TrainingState? = nil, role: DistributedRole? = nil) throws {
        try config.validate()
        try self.init(
            config: config, environment: EnvironmentRegistry.spec(config.environmentID, options: config.environmentOptions),
            resumingFrom: state, role: role)
    }

    /// Trains on an environment of your own (an `Environment` in Swift, say) instead of a registered
    /// id; `config.environmentID` is then only its name in logs.
    /// With `role`, this process is one rank of a distributed run (see `DistributedRole`).
    public init(
        config: TrainingConfig, environment: EnvironmentSpec, resumingFrom state: TrainingState? = nil,
        role: DistributedRole? = nil
    ) throws {
        try config.validate()
        self.role = role
        self.config = config
        self.environment = environment
        let probe = try environment.make()
        defer { probe.close() }
        environmentHost = probe.hostDescription
        try config.checkFits(actionSpace: probe.actionSpace, actionCount: probe.actionCount)
        model = try ActorCriticModel(config: config, environment: probe)
        targetReturn = config.targetReturn ?? environment.rewardThreshold ?? probe.rewardThreshold
        let parameters = FloatBuffer(count: model.parameterCount)
        self.parameters = parameters
        let optimizer = config.makeOptimizer(parameterCount: model.parameterCount)
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
            model.initialize(parameters.pointer, seed: config.seed, initialStd: config.initialStd)
        }
        shared = SharedTraining(
            config: config, model: model, environment: environment, parameters: parameters,
            // Another rank's games are a part of the run's: rank 0, which sees them all, judges the target.
            optimizer: optimizer, targetReturn: role?.isActor == true ? nil : targetReturn, tracker: tracker,
            earlierSeconds: state?.wallSeconds ?? 0,
            normalizer: config.normalizeObservations
                ? ObservationNormalizer(width: model.network.inputShape.count, statistics: state?.observationStatistics) : nil,
            returnNormalizer: config.normalizeRewards ? ObservationNormalizer(width: 1, statistics: state?.returnStatistics) : nil)
        // Rank 0 evaluates for the whole run.
        evaluation = config.evalEvery == nil || role?.isActor == true ? nil : PeriodicEvaluation(
            config: config, model: model, environment: environment, stepsSoFar: state?.steps ?? 0)
        (hub, server) = try Self.makeHub(sharing: config.algorithm.sharing, role: role, shared: shared, state: state)
        if let state {
            shared.steps.store(state.steps, ordering: .relaxed)
            shared.updates.store(state.updates, ordering: .relaxed)
        }
    }

    /// Where the workers' gradients go: the shared parameters in this process (Hogwild, or a
    /// barrier), rank 0's server, or a barrier across ranks; and, on rank 0, the server the other
    /// ranks talk to.
    private static func makeHub(
        sharing: SharingMode, role: DistributedRole?, shared: SharedTraining, state: TrainingState?
    ) throws -> (any TrainingHub, ParameterServer?) {
        let config = shared.config, model = shared.model
        switch (sharing, role) {
        case (.hogwild, nil): return (HogwildSharing(shared: shared), nil)
        case (.synchronous, nil): return (SynchronousSharing(shared: shared), nil)
        case (.hogwild, .server(let job, _)):
            return (HogwildSharing(shared: shared), ParameterServer(shared: shared, job: job, workersPerRank: config.workers))
        case (.synchronous, .server(let job, let serverWorkers)):
            guard serverWorkers > 0 else {
                throw TrainingError(
                    "--server-workers 0: synchronous \(shared.config.algorithm.rawValue.uppercased()) needs workers on rank 0 too (A3C can serve alone)")
            }
            let hub = SynchronousSharing(
                shared: shared, ranks: RankReduction(job: job, parameterCount: model.parameterCount), localWorkers: serverWorkers,
                totalWorkers: role!.totalWorkers(workersPerRank: config.workers))
            return (hub, ParameterServer(shared: shared, job: job, workersPerRank: config.workers))
        case (.hogwild, .actor(let job, let firstWorker, _)):
            let hub = RemoteHub(
                config: config, model: model, environment: shared.environment, state: state, job: job, firstWorker: firstWorker)
            return (hub, nil)
        case (.synchronous, .actor(let job, let firstWorker, _)):
            let ranks = RankReduction(job: job, parameterCount: model.parameterCount)
            ranks.report = { [shared] in ParameterServer.report(from: shared, job: job) }
            let hub = SynchronousSharing(
                shared: shared, ranks: ranks, firstWorker: firstWorker, totalWorkers: role!.totalWorkers(workersPerRank: config.workers))
            return (hub, nil)
        }
    }

    /// Joins a distributed run as rank `job.rank` (> 0): takes the settings and the state rank 0
    /// announces and returns a trainer that runs this rank's workers for it; nil when rank 0 does
    /// not start the run (it says why).
    public static func joining(_ job: MPI.Job) throws -> Trainer? {
        guard let announcement = try Announcement.receive() else { return nil }
        return try Trainer(
            config: announcement.config, resumingFrom: announcement.state,
            role: .actor(job, firstWorker: announcement.firstWorker(ofRank: job.rank), serverWorkers: announcement.serverWorkers))
    }

    /// Rank 0, when the run cannot start (bad input): tells the other ranks, which then end. Does
    /// nothing once the run was announced.
    public static func refuseDistributedRun() {
        try? Announcement.broadcastOnce(nil)
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
        sessionStartState.withLock { $0 = (started, stepsAtStart) }
        if case .server(_, let serverWorkers) = role {
            try Announcement.broadcastOnce(Announcement(config: config, state: snapshot(), serverWorkers: serverWorkers))
        }
        let finished = DispatchSemaphore(value: 0)
        let threads = startThreads(finished: finished)
        watch(threads: threads, finished: finished, from: started, monitorInterval: monitorInterval, monitor: monitor)
        finishRole()
        evaluation?.finish()
        if let error = evaluation?.error { shared.fail(error) }
        monitor?(self)
        if let failure = shared.failure { throw TrainingError(failure) }

        return summary(since: (started, stepsAtStart))
    }

    /// Starts this process's workers (and a distributed rank 0's server thread); each signals
    /// `finished` when it ends. Returns how many were started.
    private func startThreads(finished: DispatchSemaphore) -> Int {
        let shared = shared, hub = hub, server = server
        let (localWorkers, firstWorker) =
            switch role {
            case nil: (config.workers, 0)
            case .server(_, let serverWorkers): (serverWorkers, 0)
            case .actor(_, let firstWorker, _): (config.workers, firstWorker)
            }
        var threads: [Thread] = []
        for index in firstWorker..<(firstWorker + localWorkers) {
            let precision = config.resolvedPrecision
            let thread = Thread {
                Subnormals.flushToZeroOnThisThread()
                Gemm.setPrecisionOnThisThread(precision)
                do {
                    let worker = try Worker(index: index, hub: hub)
                    try worker.run()
                } catch {
                    shared.fail("worker \(index): \(error)")
                    hub.workerFailed(index, message: "\(error)")
                }
                // A worker that stops (a stop asked for before its first rollout, say) must not leave
                // the others waiting for it at an A2C barrier.
                hub.cancel(worker: index)
                finished.signal()
            }
            thread.name = "a3c-worker-\(index)"
            thread.stackSize = 8 << 20
            threads.append(thread)
        }
        if let server {
            // The other ranks' messages, until each has been told to stop.
            let thread = Thread {
                do { try server.serve() } catch { shared.fail("\(error)") }
                finished.signal()
            }
            thread.name = "a3c-parameter-server"
            threads.append(thread)
        }
        threads.forEach { $0.start() }
        return threads.count
    }

    /// Until all `threads` have ended: the server's watch over silent ranks, the periodic
    /// evaluation, and `monitor` every `monitorInterval` seconds.
    private func watch(
        threads: Int, finished: DispatchSemaphore, from started: Double, monitorInterval: Double, monitor: ((Trainer) -> Void)?
    ) {
        let shared = shared
        var running = threads
        var nextCall = started + monitorInterval
        var stopSeen: Double?
        var serverInterrupted = false
        while running > 0 {
            let wait = max(0.001, min(0.05, nextCall - shared.elapsedSeconds))
            if finished.wait(timeout: .now() + wait) == .success {
                running -= 1
                continue
            }
            // Remote workers learn of the stop with the answer to their next message, however
            // long their rollout takes; a rank that died ends the job (mpirun). Past the silence
            // limit after the stop, the ones still to ask (or a synchronous rank whose
            // collective failed) are no longer waited for.
            if let server, shared.shouldStop {
                stopSeen = stopSeen ?? shared.elapsedSeconds
                if shared.elapsedSeconds - stopSeen! > DistributedRole.silenceLimit && !serverInterrupted {
                    server.interrupt()
                    serverInterrupted = true
                }
            }
            if let server, !serverInterrupted, let rank = server.rankSilent(longerThan: DistributedRole.silenceLimit) {
                shared.fail("rank \(rank) sent nothing for \(Int(DistributedRole.silenceLimit)) s: it died or hangs")
                server.interrupt()
                serverInterrupted = true
            }
            if let evaluation {
                if let error = evaluation.error { shared.fail(error) }
                evaluation.poll(
                    steps: shared.steps.load(ordering: .relaxed), elapsedSeconds: { shared.elapsedSeconds },
                    snapshot: snapshot)
            }
            if shared.elapsedSeconds >= nextCall {
                monitor?(self)
                nextCall = shared.elapsedSeconds + monitorInterval
            }
        }
    }

    /// A distributed rank's last word once its threads have ended.
    private func finishRole() {
        switch (role, config.algorithm.sharing) {
        case (.actor, .hogwild): (hub as? RemoteHub)?.leave()
        case (.actor(let job, _, _), .synchronous): ParameterServer.reportDone(job: job, shared: shared)
        case (.server, .synchronous):
            // Every rank applied the same updates: their parameters must be rank 0's, bit for bit.
            if let diverged = server?.ranksDiverged().first, shared.failure == nil {
                shared.fail(
                    "rank \(diverged.rank)'s parameters or running statistics after \(diverged.updates) updates differ from rank 0's after "
                        + "\(shared.updates.load(ordering: .relaxed))")
            }
        default: break
        }
    }

    /// Where the run stands now, as the summary it would end with: `run` returns this at the end;
    /// a distributed rank 0 writes it when a signal ends the job before its workers stop.
    public func summary(since start: (seconds: Double, steps: Int)? = nil) -> TrainingSummary {
        let (started, stepsAtStart) = start ?? sessionStart
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

/// This process's part in a run spread over MPI ranks.
public enum DistributedRole: Sendable {
    /// Rank 0: owns the parameters, the optimizer, the run directory and the logs, serves the other
    /// ranks, and runs `serverWorkers` workers of its own (0: it only serves; A3C only).
    case server(MPI.Job, serverWorkers: Int)
    /// A rank > 0: runs the config's workers, numbered from `firstWorker`, for rank 0, with what
    /// rank 0 announced.
    case actor(MPI.Job, firstWorker: Int, serverWorkers: Int)

    /// A rank > 0.
    var isActor: Bool { if case .actor = self { true } else { false } }

    /// Workers of the whole run, over every rank.
    func totalWorkers(workersPerRank: Int) -> Int {
        switch self {
        case .server(let job, let serverWorkers), .actor(let job, _, let serverWorkers):
            serverWorkers + (job.size - 1) * workersPerRank
        }
    }

    /// Rank 0 gives up on an A3C rank it has heard nothing from for this long (seconds): longer
    /// than an environment host may take to start (120 s) before its worker replaces it.
    public static let silenceLimit = 150.0
}

/// A worker could not run (its environment failed, for instance), or a run cannot continue.
public struct TrainingError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in one line.
    public let description: String
    /// An error with the one-line message `description`.
    public init(_ description: String) { self.description = description }
}
