import Environments
import NeuralNet
import Randomness

/// A trained actor acting one observation at a time: sampled from π (as in training) or greedy.
/// Not thread-safe: one per thread.
public final class Policy {
    /// The network layout and action count the parameters belong to.
    public let model: ActorCriticModel
    private let network: Network
    private let parameters: FloatBuffer
    private let probabilities: FloatBuffer
    private let logProbabilities: FloatBuffer
    /// The observation as the environment gave it (the network reads it normalised, when it is).
    private let raw: FloatBuffer
    /// Shift and scale of each observation element, for a policy trained on normalised observations.
    private let normalization: (shift: FloatBuffer, scale: FloatBuffer)?

    /// A policy running a copy of `parameters` on `model`'s network; the count must match the
    /// model's. `observationStatistics`: those it was trained with, when it normalised observations.
    public init(model: ActorCriticModel, parameters: [Float], observationStatistics: ObservationNormalizer.Statistics? = nil) {
        precondition(parameters.count == model.parameterCount, "parameter count does not match the model")
        self.model = model
        network = Network(spec: model.network, maxBatch: 1)
        raw = FloatBuffer(count: model.network.inputShape.count)
        if let statistics = observationStatistics {
            let shift = FloatBuffer(count: raw.count), scale = FloatBuffer(count: raw.count)
            statistics.coefficients(shift: shift.pointer, scale: scale.pointer)
            normalization = (shift, scale)
        } else {
            normalization = nil
        }
        self.parameters = FloatBuffer(parameters)
        // Probabilities of a discrete policy, or a continuous policy's action.
        probabilities = FloatBuffer(count: model.actionCount)
        logProbabilities = FloatBuffer(count: model.actionCount)
    }

    /// Where the next observation goes.
    public var observation: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: raw.pointer, count: raw.count)
    }

    /// The network's forward pass on the current observation (normalised first, when it is).
    private func forward() {
        let input = network.input(row: 0)
        input.update(from: raw.pointer, count: raw.count)
        if let normalization {
            ObservationNormalizer.normalize(
                input, count: 1, width: raw.count, shift: normalization.shift.pointer, scale: normalization.scale.pointer,
                sums: nil, squares: nil)
        }
        network.forward(parameters: parameters.pointer, count: 1)
    }

    /// The action for the observation in `observation`.
    public func act(greedy: Bool, rng: inout Xoshiro256) -> Int {
        forward()
        // A recurrent policy goes on from the state after this observation.
        if network.isRecurrent { network.carryRecurrentState(fromRow: 0) }
        let output = network.output(row: 0)
        if greedy { return Categorical.argmax(output, count: model.actionCount) }
        _ = Categorical.evaluate(
            logits: output, count: model.actionCount, probabilities: probabilities.pointer,
            logProbabilities: logProbabilities.pointer)
        return Categorical.sample(probabilities: probabilities.pointer, count: model.actionCount, uniform: rng.nextUnitFloat())
    }

    /// Acts on the observation in `observation` and steps `environment` with the action: a
    /// discrete index, or a continuous vector (greedy: the Gaussian's mean) clipped to the
    /// environment's bounds.
    public func step(_ environment: any Environment, greedy: Bool, rng: inout Xoshiro256) throws -> StepResult {
        guard case .gaussian(let dimensions, let form) = model.policy else {
            return try environment.step(act(greedy: greedy, rng: &rng), into: observation)
        }
        forward()
        if network.isRecurrent { network.carryRecurrentState(fromRow: 0) }
        let output = network.output(row: 0), action = probabilities.pointer
        if greedy {
            action.update(from: output, count: dimensions)
        } else {
            Gaussian.sample(row: output, count: dimensions, form: form, into: action) { Float(rng.nextGaussian()) }
        }
        if case .box(let low, let high) = environment.actionSpace {
            for j in 0..<dimensions { action[j] = Swift.min(Swift.max(action[j], low[j]), high[j]) }
        }
        return try environment.step(continuous: action, into: observation)
    }

    /// A new episode: a recurrent policy forgets what it saw (nothing to do for a feed-forward one).
    public func startEpisode() {
        network.resetRecurrentState(slot: 0)
    }

    /// The critic's value of the observation in `observation` (for a recurrent policy, in its
    /// current state, which this leaves as it was).
    public func value() -> Float {
        forward()
        return network.output(row: 0)[model.valueIndex]
    }
}

/// Scores of whole games played by a policy.
public struct EvaluationResult: Sendable, Codable {
    /// Each game's total score (unclipped), in the order played.
    public var scores: [Double]
    /// Each game's length in agent steps, in the same order.
    public var lengths: [Int]

    /// Mean score (0 when no game was played).
    public var mean: Double { scores.reduce(0, +) / Double(Swift.max(scores.count, 1)) }
    /// Population standard deviation.
    public var standardDeviation: Double {
        let m = mean
        return (scores.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(Swift.max(scores.count, 1))).squareRoot()
    }
    /// Lowest score (NaN when no game was played).
    public var min: Double { scores.min() ?? .nan }
    /// Highest score (NaN when no game was played).
    public var max: Double { scores.max() ?? .nan }
}

/// Plays games with a policy and reports their real scores (unclipped, whole games).
public enum Evaluator {
    /// Plays `episodes` games on `environment`. `frame` is called with each picture when given
    /// (the first before any step). When `shouldContinue` returns false (asked before every step),
    /// the games so far are returned.
    public static func evaluate(
        policy: Policy, environment: any Environment, episodes: Int, greedy: Bool, seed: UInt64,
        frame: ((RGBFrame) -> Void)? = nil, shouldContinue: (() -> Bool)? = nil
    ) throws -> EvaluationResult {
        var rng = Xoshiro256(seed: seed, stream: 77)
        var result = EvaluationResult(scores: [], lengths: [])
        let observation = policy.observation
        try environment.reset(seed: seed, into: observation)
        policy.startEpisode()
        for _ in 0..<episodes {
            var score = 0.0, length = 0
            if let frame, let picture = environment.render() { frame(picture) }
            while true {
                if let shouldContinue, !shouldContinue() { return result }
                let step = try policy.step(environment, greedy: greedy, rng: &rng)
                score += step.score
                length += 1
                if let frame, let picture = environment.render() { frame(picture) }
                if step.isDone {
                    try environment.reset(seed: nil, into: observation)
                    policy.startEpisode()
                    if step.gameOver { break }
                }
            }
            result.scores.append(score)
            result.lengths.append(length)
        }
        return result
    }
}
