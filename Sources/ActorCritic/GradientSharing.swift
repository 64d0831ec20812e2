import Foundation
import NeuralNet

extension SharedTraining {
    /// Counts `steps` more agent steps, asks everyone to stop once the budget is spent, and returns
    /// the count before them (what the learning rate of this update is taken at).
    func count(steps: Int) -> Int {
        let stepsSoFar = self.steps.wrappingIncrementThenLoad(by: steps, ordering: .relaxed)
        if stepsSoFar >= config.totalSteps { requestStop() }
        return stepsSoFar - steps
    }

    /// Clips `gradient` and applies it to the global parameters at the rate for `stepsBefore`.
    ///
    /// A gradient with a NaN or infinite norm is dropped instead: applied, it would poison the
    /// shared parameters and the optimizer's moments for every worker for good. After
    /// `nonFiniteLimit` such gradients in a row the run stops, its parameters still the last good ones.
    func apply(_ gradient: UnsafeMutablePointer<Float>, stepsBefore: Int) -> Float {
        let maxNorm = config.maxGradNorm > 0 ? config.maxGradNorm : .infinity
        let norm = GradientClipping.clipGlobalNorm(gradient, count: parameters.count, maxNorm: maxNorm)
        guard norm.isFinite else {
            let run = nonFiniteRun.wrappingIncrementThenLoad(ordering: .relaxed)
            if run >= Self.nonFiniteLimit {
                fail("the loss gradient was NaN or infinite in \(run) updates in a row (the last at step \(stepsBefore)); "
                    + "none of them was applied, so the checkpoint holds the last good parameters")
            }
            return norm
        }
        nonFiniteRun.store(0, ordering: .relaxed)
        optimizer.apply(gradient: gradient, to: parameters.pointer, learningRate: schedule.value(at: stepsBefore))
        updates.wrappingIncrement(ordering: .relaxed)
        return norm
    }
}

/// A3C: every worker applies its own gradient to the shared parameters as soon as it has it,
/// without locks, and reads whatever the parameters are when its next rollout starts.
/// Concurrency: Hogwild writes by design; the counters are atomics.
final class HogwildSharing: InProcessHub {
    let shared: SharedTraining

    init(shared: SharedTraining) { self.shared = shared }

    func push(gradient: FloatBuffer, steps: Int, worker: Int, terms: ActorCriticLoss.Terms) -> PushOutcome {
        let norm = shared.apply(gradient.pointer, stepsBefore: shared.count(steps: steps))
        shared.updateStatistics.add(terms, gradientNorm: norm, isNewUpdate: true)
        return PushOutcome(gradientNorm: norm, keepGoing: !shared.shouldStop, appliedHere: true, approximateKL: terms.approximateKL)
    }

    func dropRollout(worker: Int, gradient: FloatBuffer) -> PushOutcome {
        PushOutcome(gradientNorm: 0, keepGoing: !shared.shouldStop, appliedHere: false)
    }

    func cancel(worker: Int) {}
}

/// A2C: workers step in lock-step; each rollout ends at a barrier where the last worker to arrive
/// sums every worker's gradient in worker order, clips the sum and applies it once. The order of
/// arrival changes nothing, so a seed and a worker count give the same parameters whatever the
/// scheduling, as long as the step budget ends the run (a target return is checked as episodes
/// finish, whose order between workers is the scheduler's).
/// Concurrency: all state is guarded by `condition`.
final class SynchronousSharing: InProcessHub, @unchecked Sendable {
    let shared: SharedTraining
    /// Across MPI ranks: where this rank's sum meets the others'.
    let ranks: RankReduction?
    /// Global index of this process's first worker.
    let firstWorker: Int
    private let condition = NSCondition()
    private var gradients: [UnsafeMutablePointer<Float>?]
    private var arrived = 0
    private var stepsArrived = 0
    /// Each arrived worker's approximate KL (nil: it brought no gradient), summed in worker order.
    private var kls: [Float?]
    private var generation = 0
    private var cancelled = false
    /// Across ranks: the last update was made (every rank leaves after the same one).
    private var finished = false
    private var outcome = PushOutcome(gradientNorm: 0, keepGoing: true, appliedHere: false)

    /// Environments whose rollouts make one update: every worker's, on every rank.
    let environmentsPerUpdate: Int
    /// What the workers add to and normalise with (observations, then returns, where the run
    /// normalises them), merged into the run's statistics at each update in worker order (across
    /// ranks, every rank's totals: `RankReduction.reduceStatistics`).
    private let barrierStatistics: [BarrierStatistics]
    private let observationBarrier: BarrierStatistics?, returnBarrier: BarrierStatistics?

    /// `localWorkers` (default: the config's) meet at the barrier, numbered from `firstWorker`;
    /// `totalWorkers` (default: the same) make each update, over every rank.
    init(
        shared: SharedTraining, ranks: RankReduction? = nil, localWorkers: Int? = nil, firstWorker: Int = 0,
        totalWorkers: Int? = nil
    ) {
        self.shared = shared
        self.ranks = ranks
        self.firstWorker = firstWorker
        environmentsPerUpdate = (totalWorkers ?? localWorkers ?? shared.config.workers) * shared.config.envsPerWorker
        gradients = Array(repeating: nil, count: localWorkers ?? shared.config.workers)
        kls = Array(repeating: nil, count: gradients.count)
        let workers = gradients.count
        observationBarrier = shared.normalizer.map { BarrierStatistics(owner: $0, workers: workers) }
        returnBarrier = shared.returnNormalizer.map { BarrierStatistics(owner: $0, workers: workers) }
        barrierStatistics = [observationBarrier, returnBarrier].compactMap { $0 }
    }

    func observationStatistics(worker: Int) -> (any RunningStatistics)? { observationBarrier?.slot(worker - firstWorker) }

    func returnStatistics(worker: Int) -> (any RunningStatistics)? { returnBarrier?.slot(worker - firstWorker) }

    func push(gradient: FloatBuffer, steps: Int, worker: Int, terms: ActorCriticLoss.Terms) -> PushOutcome {
        let outcome = exchange(gradient: gradient, steps: steps, worker: worker, kl: terms.approximateKL)
        shared.updateStatistics.add(terms, gradientNorm: outcome.gradientNorm, isNewUpdate: outcome.appliedHere)
        return outcome
    }

    /// `kl` nil: the worker brings no gradient (`dropRollout`), and no KL to the mean.
    private func exchange(gradient: FloatBuffer, steps: Int, worker: Int, kl: Float?) -> PushOutcome {
        let stopped = PushOutcome(gradientNorm: 0, keepGoing: false, appliedHere: false)
        condition.lock()
        defer { condition.unlock() }
        guard !cancelled && !finished else { return stopped }
        gradients[worker - firstWorker] = gradient.pointer
        arrived += 1
        stepsArrived += steps
        kls[worker - firstWorker] = kl
        if arrived == gradients.count {
            let total = gradients[0]!
            let count = shared.parameters.count
            for other in gradients.dropFirst() {
                let source = other!
                for i in 0..<count { total[i] += source[i] }
            }
            var steps = stepsArrived
            var (klSum, contributors) = kls.reduce((Float(0), 0)) { sum, kl in kl.map { (sum.0 + $0, sum.1 + 1) } ?? sum }
            var reduced = true
            if let ranks {
                do {
                    let decided = try ranks.reduce(
                        total, steps: stepsArrived, stopHere: shared.shouldStop, kl: klSum, contributors: contributors)
                    // Every local worker is here: each has added its last rollout's observations.
                    try ranks.reduceStatistics(barrierStatistics)
                    (steps, klSum, contributors) = (decided.steps, decided.kl, decided.contributors)
                    finished = decided.stop
                } catch {
                    shared.fail("\(error)")
                    (finished, reduced) = (true, false)
                }
            }
            if ranks == nil { for statistics in barrierStatistics { statistics.settle() } }
            let stepsBefore = shared.count(steps: steps)
            // A sum that never met the other ranks' is not applied: the parameters stay everyone's.
            let norm = reduced ? shared.apply(total, stepsBefore: stepsBefore) : 0
            // Decided once for everyone (across ranks: by rank 0, or by the budget, which every
            // rank counts alike), so all workers leave the loop after the same update.
            if stepsBefore + steps >= shared.config.totalSteps { finished = true }
            let keepGoing = ranks == nil ? !shared.shouldStop : !finished
            if !keepGoing { shared.requestStop() }
            outcome = PushOutcome(
                gradientNorm: norm, keepGoing: keepGoing, appliedHere: false,
                approximateKL: contributors > 0 ? klSum / Float(contributors) : 0)
            arrived = 0
            stepsArrived = 0
            generation += 1
            condition.broadcast()
            var mine = outcome
            mine.appliedHere = true
            return mine
        } else {
            let waitingFor = generation
            while generation == waitingFor && !cancelled { condition.wait() }
            if cancelled { return stopped }
        }
        return outcome
    }

    /// The others are waiting for this worker: it arrives with nothing (a zero gradient, no steps).
    func dropRollout(worker: Int, gradient: FloatBuffer) -> PushOutcome {
        gradient.fill(0)
        return exchange(gradient: gradient, steps: 0, worker: worker, kl: nil)
    }

    /// A rank > 0 tells rank 0, which ends the run for every rank.
    func workerFailed(_ worker: Int, message: String) {
        guard let ranks, ranks.job.rank > 0 else { return }
        ParameterServer.reportFailure(worker: worker, message: message, job: ranks.job)
    }

    /// In one process, releases the others. Across ranks the others (on every rank) wait for this
    /// worker's share at each update until rank 0 ends the run: it goes on arriving with nothing
    /// (and this rank asks for the end) until then.
    func cancel(worker: Int) {
        guard ranks != nil else {
            condition.lock()
            cancelled = true
            condition.broadcast()
            condition.unlock()
            return
        }
        shared.requestStop()
        let empty = FloatBuffer(count: shared.parameters.count)
        while exchange(gradient: empty, steps: 0, worker: worker, kl: nil).keepGoing { empty.fill(0) }
    }
}
