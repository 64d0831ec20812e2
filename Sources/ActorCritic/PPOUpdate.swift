import NeuralNet
import Randomness

/// PPO's update (`PPOLoss`): `epochs` passes over the rollout, each a fresh shuffle of its rows cut
/// into `minibatches` parts; each part is run forward again with the parameters of the moment, its
/// gradient is pushed to the hub, and the next part starts from the parameters the push made.
/// With synchronous sharing, the k-th part of every worker (of every rank) makes one update
/// together, so a minibatch is the k-th part of all of them and its loss is their mean.
///
/// A recurrent network's minibatches are whole environments instead of rows: each runs through
/// its rollout from the state it started with, its state reset where an episode ended, as while
/// acting (`Rollout.loadSequences`).
///
/// With a target KL, the passes end after the first one whose last update's approximate KL (the
/// mean over every worker, `PushOutcome.approximateKL`) was above it, as CleanRL checks it; every
/// worker sees the same mean and stops at the same update.
///
/// Advantages are normalised over the worker's part of each minibatch. One per worker, used on
/// its thread only.
final class PPOUpdate: UpdateRule {
    let loss: PPOLoss
    let epochs: Int, minibatches: Int
    let normalizeAdvantages: Bool
    let targetKL: Float
    let clipSchedule: LinearSchedule
    /// The loss is the mean over a minibatch's rows, every worker's part together: 1 / (parts x rows).
    let parts: Int
    /// Runs the parts again: rows 0 ..< part size.
    let learner: Network
    let gradient: FloatBuffer
    /// The rollout's rows, shuffled for each pass (a recurrent part's rows, in its sequences' order).
    let order: UnsafeMutablePointer<Int32>
    let rows: Int
    /// Recurrent networks: the environments of one part, and every environment, shuffled for each pass.
    let sequences: Int
    var environmentOrder: [Int]
    /// The part's advantages as the loss takes them.
    let advantages: FloatBuffer
    /// Probabilities and log-probabilities of one row.
    let scratch: FloatBuffer
    var rng: Xoshiro256

    init(hub: any TrainingHub, worker: Int, environmentCount: Int) {
        let config = hub.config
        loss = PPOLoss(
            clipRange: config.clipRange, entropyBeta: config.entropyBeta, valueCoefficient: config.valueCoefficient,
            clipValueLoss: config.clipValueLoss)
        epochs = config.epochs
        minibatches = config.minibatches
        normalizeAdvantages = config.normalizeAdvantages
        targetKL = config.targetKL ?? .infinity
        clipSchedule = LinearSchedule(
            initial: config.clipRange, totalSteps: config.clipRangeSchedule == .linear ? config.totalSteps : 0)
        parts = max(1, hub.environmentsPerUpdate / environmentCount)
        rows = config.tMax * environmentCount
        environmentOrder = Array(0..<environmentCount)
        let largest: Int
        if Network.recurrentStateWidth(of: hub.model.network) > 0 {
            // Validation makes the environments a multiple of the minibatches.
            sequences = environmentCount / minibatches
            largest = config.tMax * sequences
            learner = Network(spec: hub.model.network, maxBatch: largest, sequenceStride: sequences)
        } else {
            sequences = 0
            largest = (rows + minibatches - 1) / minibatches
            learner = Network(spec: hub.model.network, maxBatch: largest)
        }
        gradient = FloatBuffer(count: hub.model.parameterCount)
        order = .allocate(capacity: rows)
        order.initialize(repeating: 0, count: rows)
        advantages = FloatBuffer(count: largest)
        scratch = FloatBuffer(count: 2 * hub.model.actionCount)
        let session = config.seed &+ UInt64(hub.stepCount) &* 0x9E37_79B9_7F4A_7C15
        rng = Xoshiro256(seed: session, stream: 0x5050_0000 &+ UInt64(worker))
    }

    deinit { order.deallocate() }

    func learn(from rollout: Rollout, network: Network, parameters: FloatBuffer, hub: any TrainingHub, worker: Int) -> Bool {
        var loss = self.loss
        loss.clipRange = clipSchedule.value(at: hub.stepCount)
        for i in 0..<rows { order[i] = Int32(i) }
        var first = true
        for _ in 0..<epochs {
            // One minibatch is the whole rollout, in its own order.
            if minibatches > 1 { sequences > 0 ? shuffleEnvironments() : shuffle() }
            var start = 0
            for part in 0..<minibatches {
                // The first part runs with the parameters that acted; each later one with the last update's.
                if !first { hub.pull(into: parameters, worker: worker) }
                let batch: UnsafeBufferPointer<Int32>
                if sequences > 0 {
                    rollout.loadSequences(environmentOrder[(part * sequences)..<((part + 1) * sequences)], into: learner, rows: order)
                    batch = UnsafeBufferPointer(start: order, count: rollout.steps * sequences)
                } else {
                    let size = rows / minibatches + (part < rows % minibatches ? 1 : 0)
                    batch = UnsafeBufferPointer(start: order + start, count: size)
                    start += size
                    for j in 0..<size {
                        learner.input(row: j).update(from: rollout.observation(row: Int(batch[j])), count: rollout.observationWidth)
                    }
                }
                let size = batch.count
                learner.forward(parameters: parameters.pointer, first: 0, count: size)
                prepareAdvantages(rollout: rollout, batch: batch)
                var terms = loss.gradient(
                    rollout: rollout, batch: batch, advantages: advantages.pointer, outputs: learner.output(row: 0),
                    outputGradients: learner.outputGradient(row: 0), scale: 1 / Float(size * parts), scratch: scratch.pointer)
                terms.deadUnitFraction = learner.deadUnitFraction(count: size)
                learner.backward(parameters: parameters.pointer, gradient: gradient.pointer, count: size)
                // The rollout's steps count with its first update, so a run stopped in the middle of
                // a rollout's passes has counted what it acted.
                let outcome = hub.push(gradient: gradient, steps: first ? rows : 0, worker: worker, terms: terms)
                first = false
                if !outcome.keepGoing { return false }
                if part == minibatches - 1 && outcome.approximateKL > targetKL { return true }
            }
        }
        return true
    }

    /// Every update the rollout would have made, with nothing in it: the others meet this worker at
    /// each, and it ends the passes where they do.
    func dropRollout(hub: any TrainingHub, worker: Int) -> Bool {
        for _ in 0..<epochs {
            for part in 0..<minibatches {
                let outcome = hub.dropRollout(worker: worker, gradient: gradient)
                if !outcome.keepGoing { return false }
                if part == minibatches - 1 && outcome.approximateKL > targetKL { return true }
            }
        }
        return true
    }

    /// Fisher-Yates over `order`.
    private func shuffle() {
        for i in stride(from: rows - 1, to: 0, by: -1) {
            let j = rng.nextInt(below: i + 1)
            (order[i], order[j]) = (order[j], order[i])
        }
    }

    /// Fisher-Yates over `environmentOrder`.
    private func shuffleEnvironments() {
        for i in stride(from: environmentOrder.count - 1, to: 0, by: -1) {
            environmentOrder.swapAt(i, rng.nextInt(below: i + 1))
        }
    }

    /// The part's advantages, normalised (`Returns.normalize`) when the run says so.
    private func prepareAdvantages(rollout: Rollout, batch: UnsafeBufferPointer<Int32>) {
        let a = advantages.pointer, source = rollout.advantages.pointer
        for j in batch.indices { a[j] = source[Int(batch[j])] }
        if normalizeAdvantages { Returns.normalize(a, count: batch.count) }
    }
}
