import Foundation
import NeuralNet

/// PPO's loss over a minibatch of a rollout's rows (Schulman et al. 2017), per row i with r_i =
/// π(a_i|s_i) / π_old(a_i|s_i), A_i the (normalised) advantage, R_i the return and V_old,i the
/// value that acted:
///
///     L_i = -min(r_i A_i, clip(r_i, 1 - ε, 1 + ε) A_i) - β H(π(·|s_i)) + c_v max((V_i - R_i)², (V'_i - R_i)²)
///
/// with V'_i = V_old,i + clip(V_i - V_old,i, -ε, ε) (without value clipping, the first square
/// alone). The network's output rows are those of `ActorCriticLoss`; `gradient` writes dL/d(output).
public struct PPOLoss: Sendable {
    /// ε of the ratio (and of the value, with `clipValueLoss`).
    public var clipRange: Float
    /// Weight β of the entropy bonus.
    public var entropyBeta: Float
    /// Weight c_v of the value loss.
    public var valueCoefficient: Float
    /// The value loss is the larger of the plain and the clipped squared error.
    public var clipValueLoss: Bool

    /// A loss with these weights.
    public init(clipRange: Float, entropyBeta: Float, valueCoefficient: Float, clipValueLoss: Bool) {
        self.clipRange = clipRange
        self.entropyBeta = entropyBeta
        self.valueCoefficient = valueCoefficient
        self.clipValueLoss = clipValueLoss
    }

    /// The multiplier of d log π(a|s) in the surrogate's gradient: -r A where the unclipped term is
    /// the smaller one (it is what the minimum takes), else 0 (the clipped term does not depend on
    /// the parameters). Also returns the row's surrogate loss and whether r was outside the range.
    @inlinable
    func surrogate(logProbability: Float, behaviour: Float, advantage: Float) -> (weight: Float, loss: Float, clipped: Bool, kl: Float) {
        let logRatio = logProbability - behaviour
        let ratio = expf(logRatio)
        let unclipped = ratio * advantage
        let clippedRatio = min(max(ratio, 1 - clipRange), 1 + clipRange)
        let clippedTerm = clippedRatio * advantage
        let weight: Float = unclipped <= clippedTerm ? ratio * advantage : 0
        return (weight, -min(unclipped, clippedTerm), abs(ratio - 1) > clipRange, (ratio - 1) - logRatio)
    }

    /// dL/dV, the row's value loss, for value `value`, target `target` and the value that acted `behaviour`.
    @inlinable
    func valueTerm(value: Float, target: Float, behaviour: Float) -> (gradient: Float, loss: Float) {
        let plain = (value - target) * (value - target)
        guard clipValueLoss else { return (2 * valueCoefficient * (value - target), valueCoefficient * plain) }
        let kept = behaviour + min(max(value - behaviour, -clipRange), clipRange)
        let clipped = (kept - target) * (kept - target)
        // Where the clipped square is the larger, V' no longer moves with V.
        return plain >= clipped ? (2 * valueCoefficient * (value - target), valueCoefficient * plain) : (0, valueCoefficient * clipped)
    }

    /// Writes dL/d(output row j), scaled by `scale`, for j in 0 ..< `batch.count`: output row j holds
    /// the network's output for rollout row `batch[j]`, and `advantages[j]` is its advantage as the
    /// loss uses it. Returns the loss terms, averaged over the minibatch's rows.
    @inlinable
    public func gradient(
        rollout: Rollout, batch: UnsafeBufferPointer<Int32>, advantages: UnsafePointer<Float>, outputs: UnsafePointer<Float>,
        outputGradients: UnsafeMutablePointer<Float>, scale: Float, scratch: UnsafeMutablePointer<Float>
    ) -> ActorCriticLoss.Terms {
        var terms = ActorCriticLoss.Terms()
        let returns = rollout.returns.pointer, values = rollout.values.pointer
        let behaviour = rollout.actionLogProbabilities.pointer
        let count = batch.count
        switch rollout.policy {
        case .categorical(let actionCount):
            let width = actionCount + 1
            let p = scratch, logP = scratch + actionCount
            for j in 0..<count {
                let i = Int(batch[j])
                let output = outputs + j * width, row = outputGradients + j * width
                let entropy = Categorical.evaluate(logits: output, count: actionCount, probabilities: p, logProbabilities: logP)
                let action = Int(rollout.actions[i])
                let s = surrogate(logProbability: logP[action], behaviour: behaviour[i], advantage: advantages[j])
                // Categorical.policyGradient's "advantage" multiplies -d log π(a): the surrogate's weight.
                Categorical.policyGradient(
                    probabilities: p, logProbabilities: logP, entropy: entropy, count: actionCount, action: action,
                    advantage: s.weight, entropyBeta: entropyBeta, scale: scale, logitGradient: row)
                let v = valueTerm(value: output[actionCount], target: returns[i], behaviour: values[i])
                row[actionCount] = v.gradient * scale
                terms.add(surrogate: s, target: returns[i], value: output[actionCount], entropy: entropy)
                var best = p[0]
                for k in 1..<actionCount where p[k] > best { best = p[k] }
                terms.maxProbability += best
            }
        case .gaussian(let dimensions, let form):
            let width = 2 * dimensions + 1
            for j in 0..<count {
                let i = Int(batch[j])
                let output = outputs + j * width, row = outputGradients + j * width
                let action = UnsafePointer(rollout.continuousActions.pointer + i * dimensions)
                let logProbability = Gaussian.logProbability(action: action, row: output, count: dimensions, form: form)
                let s = surrogate(logProbability: logProbability, behaviour: behaviour[i], advantage: advantages[j])
                _ = Gaussian.policyGradient(
                    row: output, count: dimensions, form: form, action: action, advantage: s.weight,
                    entropyBeta: entropyBeta, scale: scale, gradient: row)
                let v = valueTerm(value: output[2 * dimensions], target: returns[i], behaviour: values[i])
                row[2 * dimensions] = v.gradient * scale
                let entropy = Gaussian.entropy(row: output, count: dimensions, form: form)
                terms.add(surrogate: s, target: returns[i], value: output[2 * dimensions], entropy: entropy)
                for k in 0..<dimensions { terms.actionStd += Gaussian.std(output[dimensions + k], form: form) }
            }
            terms.actionStd /= Float(count * dimensions)
        }
        terms.finish(count: count)
        return terms
    }

    /// The loss itself, summed over the minibatch's rows (for gradient checks): `outputs` as for
    /// `gradient`.
    public func value(
        rollout: Rollout, batch: [Int32], advantages: [Float], outputs: UnsafePointer<Float>
    ) -> Double {
        var total = 0.0
        let returns = rollout.returns.pointer, values = rollout.values.pointer
        let behaviour = rollout.actionLogProbabilities.pointer
        for (j, row) in batch.enumerated() {
            let i = Int(row)
            let logProbability: Float, entropy: Float, value: Float
            switch rollout.policy {
            case .categorical(let actionCount):
                var p = [Float](repeating: 0, count: actionCount), logP = p
                let output = outputs + j * (actionCount + 1)
                entropy = Categorical.evaluate(logits: output, count: actionCount, probabilities: &p, logProbabilities: &logP)
                logProbability = logP[Int(rollout.actions[i])]
                value = output[actionCount]
            case .gaussian(let dimensions, let form):
                let output = outputs + j * (2 * dimensions + 1)
                logProbability = Gaussian.logProbability(
                    action: rollout.continuousActions.pointer + i * dimensions, row: output, count: dimensions, form: form)
                entropy = Gaussian.entropy(row: output, count: dimensions, form: form)
                value = output[2 * dimensions]
            }
            total += Double(surrogate(logProbability: logProbability, behaviour: behaviour[i], advantage: advantages[j]).loss)
            total -= Double(entropyBeta * entropy)
            total += Double(valueTerm(value: value, target: returns[i], behaviour: values[i]).loss)
        }
        return total
    }
}

extension ActorCriticLoss.Terms {
    /// Adds one PPO row: its surrogate, value error and entropy (sums; `finish` makes them means).
    @inlinable
    mutating func add(surrogate s: (weight: Float, loss: Float, clipped: Bool, kl: Float), target: Float, value: Float, entropy: Float) {
        policyLoss += s.loss
        addValue(target: target, error: target - value)
        self.entropy += entropy
        if s.clipped { clipFraction += 1 }
        approximateKL += s.kl
    }
}
