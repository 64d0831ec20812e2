import Atomics
import Environments
import Foundation
import NeuralNet

/// An A3C actor-learner rank's view of the run: rank 0's parameter server. Each rollout's gradient
/// goes to rank 0 with the games finished and the observations counted since the last one, and the
/// answer brings the parameters to act with next, the step count and whether to stop.
///
/// Concurrency: each worker uses only its own slot (buffers, pending games); the statistics
/// copies take their locks; counters are atomics. MPI runs with MPI_THREAD_MULTIPLE.
final class RemoteHub: TrainingHub, @unchecked Sendable {
    /// One worker's buffers, touched only by that worker's thread.
    private final class Slot {
        let parameters: FloatBuffer
        var received = false
        /// Rank 0 has counted this worker out (it answered "stop", or heard it leave).
        var countedOut = false
        var writer = WireWriter()
        var incoming: [UInt8] = []
        var episodes: [(worker: Int, episodeReturn: Double, length: Int)] = []
        var restarts: [(worker: Int, restart: Int, reason: String)] = []

        init(parameterCount: Int) { parameters = FloatBuffer(count: parameterCount) }
    }

    let config: TrainingConfig
    let model: ActorCriticModel
    let environment: EnvironmentSpec
    let job: MPI.Job
    /// Global index of this rank's first worker.
    let firstWorker: Int
    private let slots: [Slot]
    private let steps: ManagedAtomic<Int>
    private let stopped = ManagedAtomic<Bool>(false)
    private let forwardedObservations: ForwardedStatistics?
    private let forwardedReturns: ForwardedStatistics?
    func observationStatistics(worker: Int) -> (any RunningStatistics)? { forwardedObservations }
    func returnStatistics(worker: Int) -> (any RunningStatistics)? { forwardedReturns }

    init(
        config: TrainingConfig, model: ActorCriticModel, environment: EnvironmentSpec, state: TrainingState?, job: MPI.Job,
        firstWorker: Int
    ) {
        self.config = config
        self.model = model
        self.environment = environment
        self.job = job
        self.firstWorker = firstWorker
        slots = (0..<config.workers).map { _ in Slot(parameterCount: model.parameterCount) }
        steps = ManagedAtomic(state?.steps ?? 0)
        forwardedObservations = config.normalizeObservations
            ? ForwardedStatistics(width: model.network.inputShape.count, statistics: state?.observationStatistics) : nil
        forwardedReturns = config.normalizeRewards ? ForwardedStatistics(width: 1, statistics: state?.returnStatistics) : nil
    }

    var stepCount: Int { steps.load(ordering: .relaxed) }
    var environmentsPerUpdate: Int { config.envsPerWorker }
    var shouldStop: Bool { stopped.load(ordering: .relaxed) }

    private func slot(_ worker: Int) -> Slot { slots[worker - firstWorker] }

    func pull(into local: FloatBuffer, worker: Int) {
        let slot = slot(worker)
        if !slot.received {
            slot.writer.reset()
            slot.writer.appendHeader(.pull, rank: job.rank, worker: worker)
            exchange(slot, worker: worker)
        }
        local.copy(from: slot.parameters)
    }

    func push(gradient: FloatBuffer, steps: Int, worker: Int, terms: ActorCriticLoss.Terms) -> PushOutcome {
        let slot = slot(worker)
        // Told to stop already (its first pull came after the end): rank 0 expects nothing more.
        guard !slot.countedOut else { return PushOutcome(gradientNorm: 0, keepGoing: false, appliedHere: false) }
        slot.writer.reset()
        slot.writer.appendHeader(.gradient, rank: job.rank, worker: worker)
        slot.writer.append(Int64(steps))
        slot.writer.append(terms)
        appendReports(slot, into: &slot.writer)
        forwardedObservations?.drain(into: &slot.writer)
        forwardedReturns?.drain(into: &slot.writer)
        slot.writer.append(gradient.pointer, count: gradient.count)
        exchange(slot, worker: worker)
        // The norm is rank 0's; this rank's logs are rank 0's too.
        return PushOutcome(gradientNorm: 0, keepGoing: !shouldStop, appliedHere: true)
    }

    func dropRollout(worker: Int, gradient: FloatBuffer) -> PushOutcome {
        PushOutcome(gradientNorm: 0, keepGoing: !shouldStop, appliedHere: false)
    }

    func finishEpisode(worker: Int, episodeReturn: Double, length: Int) {
        slot(worker).episodes.append((worker, episodeReturn, length))
    }

    func recordHostRestart(worker: Int, restart: Int, reason: String) {
        slot(worker).restarts.append((worker, restart, reason))
    }

    func cancel(worker: Int) {}

    /// Tells rank 0 that `worker` failed (it stops the run and says so).
    func workerFailed(_ worker: Int, message: String) {
        ParameterServer.reportFailure(worker: worker, message: message, job: job)
        slot(worker).countedOut = true
        stopped.store(true, ordering: .relaxed)
    }

    /// Once this rank's workers have ended: those rank 0 has not counted out (they stopped before
    /// their first message) leave, so that rank 0 waits for no one.
    func leave() {
        for (offset, slot) in slots.enumerated() where !slot.countedOut {
            var writer = WireWriter()
            writer.appendHeader(.done, rank: job.rank, worker: firstWorker + offset)
            try? writer.send(to: 0, tag: WireTag.server)
            slot.countedOut = true
        }
    }


    private func appendReports(_ slot: Slot, into writer: inout WireWriter) {
        writer.appendReports(episodes: slot.episodes, restarts: slot.restarts)
        slot.episodes.removeAll(keepingCapacity: true)
        slot.restarts.removeAll(keepingCapacity: true)
    }

    /// Sends the slot's message to rank 0 and takes its answer. A failure of MPI itself (rank 0
    /// gone) stops this rank: there is no one left to learn for.
    private func exchange(_ slot: Slot, worker: Int) {
        do {
            try slot.writer.send(to: 0, tag: WireTag.server)
            let (_, _, count) = try MPI.receive(into: &slot.incoming, from: 0, tag: worker)
            try slot.incoming.withUnsafeBytes { (raw) in
                var reader = WireReader(UnsafeRawBufferPointer(rebasing: raw[0..<count]))
                let stop = try reader.read(UInt8.self) != 0
                steps.store(Int(try reader.read(Int64.self)), ordering: .relaxed)
                if let forwardedObservations { forwardedObservations.replace(with: try reader.readStatistics()) }
                if let forwardedReturns { forwardedReturns.replace(with: try reader.readStatistics()) }
                try reader.read(slot.parameters.count, into: slot.parameters.pointer)
                if stop {
                    stopped.store(true, ordering: .relaxed)
                    slot.countedOut = true
                }
            }
            slot.received = true
        } catch {
            if MPI.terminating.load(ordering: .relaxed) { _exit(0) }
            FileHandle.standardError.write(Data("a3c: rank \(job.rank): \(error)\n".utf8))
            MPI.abort(code: 1)
        }
    }
}
