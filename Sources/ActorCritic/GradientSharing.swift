import Foundation
import NeuralNet

/// How workers share what they learn: where a worker reads the parameters it acts with, and what
/// happens to the gradient of its rollout. A3C applies each gradient at once, lock-free (Hogwild);
/// A2C waits for every worker and applies their sum; a distributed run would reduce across
/// processes here. The worker loop is the same for all of them.
protocol GradientSharing: AnyObject, Sendable {
    /// Copies the parameters to act with into `local`.
    func pull(into local: FloatBuffer)

    /// Hands over the loss gradient of one rollout of `steps` agent steps (the buffer may be
    /// overwritten) and returns what became of it.
    func push(gradient: FloatBuffer, steps: Int, worker: Int) -> PushOutcome

    /// Tells that this worker's rollout was lost (its environment host died) and there is no
    /// gradient from it this time; returns whether training goes on.
    func dropRollout(worker: Int, gradient: FloatBuffer) -> Bool

    /// Releases every worker waiting in `push` (a worker failed): they stop.
    func cancel()
}

/// What became of a pushed gradient.
struct PushOutcome {
    /// Norm of the gradient that was applied, before clipping.
    var gradientNorm: Float
    /// Training goes on.
    var keepGoing: Bool
    /// This worker applied the update (A2C: one worker applies each update for all).
    var appliedHere: Bool
}

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
final class HogwildSharing: GradientSharing {
    let shared: SharedTraining

    init(shared: SharedTraining) { self.shared = shared }

    func pull(into local: FloatBuffer) { local.copy(from: shared.parameters) }

    func push(gradient: FloatBuffer, steps: Int, worker: Int) -> PushOutcome {
        let norm = shared.apply(gradient.pointer, stepsBefore: shared.count(steps: steps))
        return PushOutcome(gradientNorm: norm, keepGoing: !shared.shouldStop, appliedHere: true)
    }

    func dropRollout(worker: Int, gradient: FloatBuffer) -> Bool { !shared.shouldStop }

    func cancel() {}
}

/// A2C: workers step in lock-step; each rollout ends at a barrier where the last worker to arrive
/// sums every worker's gradient in worker order, clips the sum and applies it once. The order of
/// arrival changes nothing, so a seed and a worker count give the same parameters whatever the
/// scheduling, as long as the step budget ends the run (a target return is checked as episodes
/// finish, whose order between workers is the scheduler's).
/// Concurrency: all state is guarded by `condition`.
final class SynchronousSharing: GradientSharing, @unchecked Sendable {
    let shared: SharedTraining
    private let condition = NSCondition()
    private var gradients: [UnsafeMutablePointer<Float>?]
    private var arrived = 0
    private var stepsArrived = 0
    private var generation = 0
    private var cancelled = false
    private var outcome = PushOutcome(gradientNorm: 0, keepGoing: true, appliedHere: false)

    init(shared: SharedTraining) {
        self.shared = shared
        gradients = Array(repeating: nil, count: shared.config.workers)
    }

    func pull(into local: FloatBuffer) { local.copy(from: shared.parameters) }

    func push(gradient: FloatBuffer, steps: Int, worker: Int) -> PushOutcome {
        let stopped = PushOutcome(gradientNorm: 0, keepGoing: false, appliedHere: false)
        condition.lock()
        defer { condition.unlock() }
        guard !cancelled else { return stopped }
        gradients[worker] = gradient.pointer
        arrived += 1
        stepsArrived += steps
        if arrived == gradients.count {
            let total = gradients[0]!
            let count = shared.parameters.count
            for other in gradients.dropFirst() {
                let source = other!
                for i in 0..<count { total[i] += source[i] }
            }
            let norm = shared.apply(total, stepsBefore: shared.count(steps: stepsArrived))
            // Decided once for everyone, so all workers leave the loop after the same update.
            outcome = PushOutcome(gradientNorm: norm, keepGoing: !shared.shouldStop, appliedHere: false)
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
    func dropRollout(worker: Int, gradient: FloatBuffer) -> Bool {
        gradient.fill(0)
        return push(gradient: gradient, steps: 0, worker: worker).keepGoing
    }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
