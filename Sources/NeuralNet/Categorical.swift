#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A categorical distribution given by logits: softmax, log-softmax, entropy, sampling, and the
/// gradients the actor-critic loss needs. Functions work on one row of `count` logits.
public enum Categorical {
    /// Writes log-softmax into `logProbabilities` and softmax into `probabilities`; returns the entropy.
    @inlinable
    public static func evaluate(
        logits: UnsafePointer<Float>, count: Int,
        probabilities: UnsafeMutablePointer<Float>, logProbabilities: UnsafeMutablePointer<Float>
    ) -> Float {
        var maximum = logits[0]
        for i in 1..<count where logits[i] > maximum { maximum = logits[i] }
        var sum: Float = 0
        for i in 0..<count {
            let e = expf(logits[i] - maximum)
            probabilities[i] = e
            sum += e
        }
        let logSum = logf(sum)
        let inverse = 1 / sum
        var entropy: Float = 0
        for i in 0..<count {
            let logP = logits[i] - maximum - logSum
            logProbabilities[i] = logP
            probabilities[i] *= inverse
            entropy -= probabilities[i] * logP
        }
        return entropy
    }

    /// The index whose cumulative probability first exceeds `uniform` (in [0, 1)).
    @inlinable
    public static func sample(probabilities: UnsafePointer<Float>, count: Int, uniform: Float) -> Int {
        var cumulative: Float = 0
        for i in 0..<(count - 1) {
            cumulative += probabilities[i]
            if uniform < cumulative { return i }
        }
        return count - 1
    }

    /// The most likely index (the first one on ties).
    @inlinable
    public static func argmax(_ values: UnsafePointer<Float>, count: Int) -> Int {
        var best = 0
        for i in 1..<count where values[i] > values[best] { best = i }
        return best
    }

    /// Gradient with respect to the logits of `-advantage * log pi(action) - entropyBeta * H(pi)`,
    /// written into `logitGradient` (scaled by `scale`).
    @inlinable
    public static func policyGradient(
        probabilities: UnsafePointer<Float>, logProbabilities: UnsafePointer<Float>, entropy: Float,
        count: Int, action: Int, advantage: Float, entropyBeta: Float, scale: Float,
        logitGradient: UnsafeMutablePointer<Float>
    ) {
        // d(-A log pi_a)/dz_i = A (pi_i - [i == a]);  d(-beta H)/dz_i = beta pi_i (log pi_i + H)
        for i in 0..<count {
            let p = probabilities[i]
            var g = advantage * p + entropyBeta * p * (logProbabilities[i] + entropy)
            if i == action { g -= advantage }
            logitGradient[i] = g * scale
        }
    }
}
