import NeuralNet

/// The A3C loss over one rollout, summed over its steps as in the paper's algorithm S3:
/// L = Σ_t [ -log π(a_t|s_t) A_t - β H(π(·|s_t)) + c_v (R_t - V(s_t))² ], with A_t held constant.
///
/// The network's output rows are [logits for each action..., value], `actionCount + 1` wide and
/// contiguous. `gradient` writes dL/d(output) into the rows the backward pass reads.
public struct ActorCriticLoss: Sendable {
    /// Weight β of the entropy bonus, which keeps the policy from becoming deterministic too early.
    public var entropyBeta: Float
    /// Weight c_v of the squared value error.
    public var valueCoefficient: Float

    /// A loss with entropy weight `entropyBeta` and value weight `valueCoefficient`.
    public init(entropyBeta: Float, valueCoefficient: Float) {
        self.entropyBeta = entropyBeta
        self.valueCoefficient = valueCoefficient
    }

    /// The loss terms of one rollout, averaged per step (for logs; the gradient uses their sum).
    public struct Terms: Sendable, Hashable {
        /// Mean of -log π(a_t|s_t) A_t.
        public var policyLoss: Float = 0
        /// Mean of (R_t - V(s_t))², before the value coefficient.
        public var valueLoss: Float = 0
        /// Mean policy entropy H(π(·|s_t)).
        public var entropy: Float = 0
        /// Mean over steps of the largest action probability (how sure the policy is); 0 for a
        /// Gaussian policy.
        public var maxProbability: Float = 0
        /// Mean σ over steps and action dimensions of a Gaussian policy (how widely it explores);
        /// 0 for a categorical policy.
        public var actionStd: Float = 0
        /// Mean of the critic's targets R_t (with `returnSquareMean` and `valueErrorMean`, what the
        /// explained variance of the value function is pooled from over many rollouts).
        public var returnMean: Float = 0
        /// Mean of R_t².
        public var returnSquareMean: Float = 0
        /// Mean of R_t - V(s_t).
        public var valueErrorMean: Float = 0
        /// Share of the trunk's ReLU/ELU units (a neuron, or a convolution's filter) that were
        /// active in no row of the rollout (see `Network.deadUnitFraction`); the worker fills it in.
        public var deadUnitFraction: Float = 0
        /// PPO: share of rows whose probability ratio was outside [1 - ε, 1 + ε]; 0 otherwise.
        public var clipFraction: Float = 0
        /// PPO: mean of (r - 1) - log r over rows, r the probability ratio: an estimate of the KL
        /// divergence of the updated policy from the one that acted; 0 otherwise.
        public var approximateKL: Float = 0
        /// All terms zero.
        public init() {}

        /// Every term, declared once, in a fixed order: what the MPI wire sends and the
        /// accumulator averages.
        public static let fields: [WritableKeyPath<Terms, Float> & Sendable] = [
            \.policyLoss, \.valueLoss, \.entropy, \.maxProbability, \.actionStd, \.returnMean, \.returnSquareMean,
            \.valueErrorMean, \.deadUnitFraction, \.clipFraction, \.approximateKL,
        ]

        /// Turns the sums over a rollout's rows into means over its `count` rows (σ's sum, over
        /// action dimensions too, is the caller's to divide).
        @inlinable
        mutating func finish(count: Int) {
            let mean = 1 / Float(count)
            policyLoss *= mean
            valueLoss *= mean
            entropy *= mean
            maxProbability *= mean
            returnMean *= mean
            returnSquareMean *= mean
            valueErrorMean *= mean
            clipFraction *= mean
            approximateKL *= mean
        }

        /// Adds one row's target and value error.
        @inlinable
        mutating func addValue(target: Float, error: Float) {
            valueLoss += error * error
            returnMean += target
            returnSquareMean += target * target
            valueErrorMean += error
        }
    }

    /// Writes dL/d(output row i) for every row of `rollout`, scaled by `scale`, and returns the loss
    /// terms. The rollout holds what `Rollout.evaluate` stored while acting and what
    /// `computeReturns` derived. A worker sums over steps (the paper) and takes the mean over its
    /// environments (scale 1 / environments), so more environments lower the variance, not the scale.
    @inlinable
    public func gradient(
        rollout: Rollout, outputs: UnsafePointer<Float>, outputGradients: UnsafeMutablePointer<Float>, scale: Float
    ) -> Terms {
        if case .gaussian(let dimensions, let form) = rollout.policy {
            return gaussianGradient(rollout: rollout, dimensions: dimensions, form: form, outputs: outputs, outputGradients: outputGradients, scale: scale)
        }
        var terms = Terms()
        let actionCount = rollout.actionCount
        let width = actionCount + 1
        let probabilities = rollout.probabilities.pointer, logProbabilities = rollout.logProbabilities.pointer
        let entropies = rollout.entropies.pointer, actions = rollout.actions
        let returns = rollout.returns.pointer, advantages = rollout.advantages.pointer
        let count = rollout.rows
        for t in 0..<count {
            let row = outputGradients + t * width
            let p = probabilities + t * actionCount
            let logP = logProbabilities + t * actionCount
            let action = Int(actions[t])
            Categorical.policyGradient(
                probabilities: p, logProbabilities: logP, entropy: entropies[t], count: actionCount,
                action: action, advantage: advantages[t], entropyBeta: entropyBeta, scale: scale,
                logitGradient: row)
            let value = outputs[t * width + actionCount]
            let error = returns[t] - value
            row[actionCount] = -2 * valueCoefficient * error * scale
            terms.policyLoss -= logP[action] * advantages[t]
            terms.addValue(target: returns[t], error: error)
            terms.entropy += entropies[t]
            var best = p[0]
            for i in 1..<actionCount where p[i] > best { best = p[i] }
            terms.maxProbability += best
        }
        terms.finish(count: count)
        return terms
    }

    /// `gradient` for a diagonal Gaussian policy: rows [μ..., s..., value]; `maxProbability` is 0.
    @inlinable
    func gaussianGradient(
        rollout: Rollout, dimensions: Int, form: Gaussian.Form, outputs: UnsafePointer<Float>,
        outputGradients: UnsafeMutablePointer<Float>, scale: Float
    ) -> Terms {
        var terms = Terms()
        let width = 2 * dimensions + 1
        let entropies = rollout.entropies.pointer, actions = UnsafePointer(rollout.continuousActions.pointer)
        let returns = rollout.returns.pointer, advantages = rollout.advantages.pointer
        let count = rollout.rows
        for t in 0..<count {
            let output = outputs + t * width, row = outputGradients + t * width
            let action = actions + t * dimensions
            let logProbability = Gaussian.policyGradient(
                row: output, count: dimensions, form: form, action: action, advantage: advantages[t],
                entropyBeta: entropyBeta, scale: scale, gradient: row)
            let error = returns[t] - output[2 * dimensions]
            row[2 * dimensions] = -2 * valueCoefficient * error * scale
            terms.policyLoss -= logProbability * advantages[t]
            terms.addValue(target: returns[t], error: error)
            terms.entropy += entropies[t]
            for j in 0..<dimensions { terms.actionStd += Gaussian.std(output[dimensions + j], form: form) }
        }
        terms.finish(count: count)
        terms.actionStd /= Float(count * dimensions)
        return terms
    }

    /// The loss value of a Gaussian policy (sum over steps), for gradient checks: `actions` holds
    /// `dimensions` Floats per row.
    public func value(
        outputs: UnsafePointer<Float>, continuousActions actions: [Float], returns: [Float], advantages: [Float],
        dimensions: Int, form: Gaussian.Form
    ) -> Double {
        var total = 0.0
        for t in 0..<returns.count {
            let row = outputs + t * (2 * dimensions + 1)
            let logP = actions.withUnsafeBufferPointer {
                Gaussian.logProbability(action: $0.baseAddress! + t * dimensions, row: row, count: dimensions, form: form)
            }
            let error = Double(returns[t] - row[2 * dimensions])
            total += -Double(logP) * Double(advantages[t])
            total += -Double(entropyBeta) * Double(Gaussian.entropy(row: row, count: dimensions, form: form))
            total += Double(valueCoefficient) * error * error
        }
        return total
    }

    /// The loss value itself (sum over steps), for gradient checks.
    public func value(
        outputs: UnsafePointer<Float>, actions: [Int], returns: [Float], advantages: [Float],
        actionCount: Int
    ) -> Double {
        var total = 0.0
        var probabilities = [Float](repeating: 0, count: actionCount)
        var logProbabilities = [Float](repeating: 0, count: actionCount)
        for t in 0..<actions.count {
            let row = outputs + t * (actionCount + 1)
            let entropy = Categorical.evaluate(
                logits: row, count: actionCount, probabilities: &probabilities, logProbabilities: &logProbabilities)
            let error = Double(returns[t] - row[actionCount])
            total += -Double(logProbabilities[actions[t]]) * Double(advantages[t])
            total += -Double(entropyBeta) * Double(entropy)
            total += Double(valueCoefficient) * error * error
        }
        return total
    }
}
