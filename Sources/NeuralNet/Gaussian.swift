#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A diagonal Gaussian policy over `count` action dimensions, read off a network output row laid
/// out [μ..., s..., value]: σ = softplus(s) (the A3C paper's form, σ from the state) or σ = exp(s)
/// (a learned log σ; see `LayerSpec.logStd`). Log-probabilities, entropy and the loss gradient with
/// respect to μ and s, written out by hand.
public enum Gaussian {
    /// How the row's second block gives σ.
    public enum Form: String, Sendable, Hashable, Codable, CaseIterable {
        /// σ = softplus(s), s computed from the state by the network's head.
        case state
        /// σ = exp(s), s a learned parameter the same for every state.
        case parameter
    }

    /// Keeps σ away from zero, where log-probabilities blow up.
    public static let minimumStd: Float = 1e-4
    /// 0.5 log(2π).
    @usableFromInline static let halfLogTwoPi: Float = 0.918_938_5

    /// σ from s in `form`.
    @inlinable
    public static func std(_ s: Float, form: Form) -> Float {
        switch form {
        case .state: return softplus(s) + minimumStd
        case .parameter: return expf(min(max(s, minimumLogStd), maximumLogStd)) + minimumStd
        }
    }

    /// Bounds of a learned log σ: beyond them σ stays put (and its gradient is zero), so that a
    /// log σ pushed far out cannot overflow exp or collapse σ.
    public static let minimumLogStd: Float = -20, maximumLogStd: Float = 2

    /// dσ/ds.
    @inlinable
    static func stdDerivative(_ s: Float, form: Form) -> Float {
        switch form {
        case .state: return 1 / (1 + expf(-s))
        case .parameter: return s < minimumLogStd || s > maximumLogStd ? 0 : expf(s)
        }
    }

    /// log(1 + e^s), without overflow for large s.
    @inlinable
    public static func softplus(_ s: Float) -> Float {
        s > 20 ? s : log1pf(expf(s))
    }

    /// The entropy Σ_j (0.5 + 0.5 log 2π + log σ_j) of the policy in `row` (μ then s, `count` each).
    @inlinable
    public static func entropy(row: UnsafePointer<Float>, count: Int, form: Form) -> Float {
        var total: Float = 0
        for j in 0..<count { total += 0.5 + halfLogTwoPi + logf(std(row[count + j], form: form)) }
        return total
    }

    /// log π(action | row).
    @inlinable
    public static func logProbability(action: UnsafePointer<Float>, row: UnsafePointer<Float>, count: Int, form: Form) -> Float {
        var total: Float = 0
        for j in 0..<count {
            let sigma = std(row[count + j], form: form)
            let z = (action[j] - row[j]) / sigma
            total += -0.5 * z * z - logf(sigma) - halfLogTwoPi
        }
        return total
    }

    /// Writes μ + σ ε into `action`, with ε standard normal from `normal()`.
    @inlinable
    public static func sample(row: UnsafePointer<Float>, count: Int, form: Form, into action: UnsafeMutablePointer<Float>, normal: () -> Float) {
        for j in 0..<count { action[j] = row[j] + std(row[count + j], form: form) * normal() }
    }

    /// Gradient of `scale` x [-advantage log π(action) - β H] with respect to μ and s, written into
    /// `gradient` (μ's then s's, `count` each); returns log π(action), which it computes on the way.
    @inlinable @discardableResult
    public static func policyGradient(
        row: UnsafePointer<Float>, count: Int, form: Form, action: UnsafePointer<Float>, advantage: Float,
        entropyBeta: Float, scale: Float, gradient: UnsafeMutablePointer<Float>
    ) -> Float {
        var logProbability: Float = 0
        for j in 0..<count {
            let s = row[count + j]
            let sigma = std(s, form: form)
            let difference = action[j] - row[j]
            let z2 = difference * difference / (sigma * sigma)
            // d(-log π)/dμ = -(a - μ)/σ²; d(-log π)/dσ = (1 - z²)/σ; dH/dσ = 1/σ.
            gradient[j] = -advantage * difference / (sigma * sigma) * scale
            let dSigma = (advantage * (1 - z2) - entropyBeta) / sigma
            gradient[count + j] = dSigma * stdDerivative(s, form: form) * scale
            logProbability += -0.5 * z2 - logf(sigma) - halfLogTwoPi
        }
        return logProbability
    }
}
