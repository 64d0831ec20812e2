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
    /// overwritten). Returns the norm of the gradient that was applied, before clipping, and
    /// whether training goes on.
    func push(gradient: FloatBuffer, steps: Int, worker: Int) -> (gradientNorm: Float, keepGoing: Bool)

    /// Releases every worker waiting in `push` (a worker failed): they stop.
    func cancel()
}

extension SharedTraining {
    /// Clips `gradient` and applies it to the global parameters at the rate for `stepsBefore`.
    func apply(_ gradient: UnsafeMutablePointer<Float>, stepsBefore: Int) -> Float {
        let maxNorm = config.maxGradNorm > 0 ? config.maxGradNorm : .infinity
        let norm = GradientClipping.clipGlobalNorm(gradient, count: parameters.count, maxNorm: maxNorm)
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

    func push(gradient: FloatBuffer, steps: Int, worker: Int) -> (gradientNorm: Float, keepGoing: Bool) {
        let stepsSoFar = shared.steps.wrappingIncrementThenLoad(by: steps, ordering: .relaxed)
        let norm = shared.apply(gradient.pointer, stepsBefore: stepsSoFar - steps)
        if stepsSoFar >= shared.config.totalSteps { shared.requestStop() }
        return (norm, !shared.shouldStop)
    }

    func cancel() {}
}

/// A2C: workers step in lock-step; each rollout ends at a barrier where the last worker to arrive
/// sums every worker's gradient in worker order, clips the sum and applies it once. The order of
/// arrival changes nothing, so a seed gives the same parameters whatever the scheduling.
/// Concurrency: all state is guarded by `condition`.
final class SynchronousSharing: GradientSharing, @unchecked Sendable {
    let shared: SharedTraining
    private let condition = NSCondition()
    private var gradients: [UnsafeMutablePointer<Float>?]
    private var arrived = 0
    private var generation = 0
    private var cancelled = false
    private var outcome: (gradientNorm: Float, keepGoing: Bool) = (0, true)

    init(shared: SharedTraining) {
        self.shared = shared
        gradients = Array(repeating: nil, count: shared.config.workers)
    }

    func pull(into local: FloatBuffer) { local.copy(from: shared.parameters) }

    func push(gradient: FloatBuffer, steps: Int, worker: Int) -> (gradientNorm: Float, keepGoing: Bool) {
        condition.lock()
        defer { condition.unlock() }
        guard !cancelled else { return (0, false) }
        gradients[worker] = gradient.pointer
        arrived += 1
        if arrived == gradients.count {
            let total = gradients[0]!
            let count = shared.parameters.count
            for other in gradients.dropFirst() {
                let source = other!
                for i in 0..<count { total[i] += source[i] }
            }
            let batchSteps = steps * gradients.count
            let stepsSoFar = shared.steps.wrappingIncrementThenLoad(by: batchSteps, ordering: .relaxed)
            let norm = shared.apply(total, stepsBefore: stepsSoFar - batchSteps)
            if stepsSoFar >= shared.config.totalSteps { shared.requestStop() }
            // Decided once for everyone, so all workers leave the loop after the same update.
            outcome = (norm, !shared.shouldStop)
            arrived = 0
            generation += 1
            condition.broadcast()
        } else {
            let waitingFor = generation
            while generation == waitingFor && !cancelled { condition.wait() }
            if cancelled { return (0, false) }
        }
        return outcome
    }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
