#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Atomics
import CKernels

/// Adam (Kingma and Ba 2015) with moments and step count shared by all workers, as pytorch-a3c's
/// SharedAdam: each `apply` takes the next step number atomically and uses it for bias correction.
///
/// Concurrency: `apply` from any number of threads at once, lock-free; the moment updates may
/// interleave (Hogwild), the step counter does not.
public final class SharedAdam: SharedOptimizer, @unchecked Sendable {
    /// Number of parameters (and of entries in each moment buffer) this optimizer updates.
    public let parameterCount: Int
    /// Decay rate of the first moment (default 0.9).
    public let beta1: Float
    /// Decay rate of the second moment (default 0.999).
    public let beta2: Float
    /// Added to the root of the second moment so the step never divides by zero (default 1e-8).
    public let epsilon: Float
    /// First moment (mean of gradients).
    public let firstMoment: FloatBuffer
    /// Second moment (mean of squared gradients).
    public let secondMoment: FloatBuffer
    /// Updates applied so far, by all workers.
    public let stepCount = ManagedAtomic<Int>(0)

    /// Zeroed moments and step count for `parameterCount` parameters; betas must be in [0, 1).
    public init(parameterCount: Int, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        precondition(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "Adam betas must be in [0, 1)")
        precondition(epsilon > 0, "Adam epsilon must be positive")
        self.parameterCount = parameterCount
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        firstMoment = FloatBuffer(count: parameterCount)
        secondMoment = FloatBuffer(count: parameterCount)
    }

    /// Takes the next shared step number and does one bias-corrected Adam step in place, without locking.
    public func apply(gradient: UnsafePointer<Float>, to parameters: UnsafeMutablePointer<Float>, learningRate: Float) {
        let step = stepCount.wrappingIncrementThenLoad(ordering: .relaxed)
        let correction1 = 1 - pow(Double(beta1), Double(step))
        let correction2 = 1 - pow(Double(beta2), Double(step))
        let stepSize = Float(Double(learningRate) * correction2.squareRoot() / correction1)
        let scaledEpsilon = epsilon * Float(correction2.squareRoot())
        // lr * m_hat / (sqrt(v_hat) + eps), with both corrections folded into the step size and epsilon.
        a3c_adam_step(
            parameters, gradient, firstMoment.pointer, secondMoment.pointer, parameterCount, stepSize, beta1, beta2,
            scaledEpsilon)
    }

    /// Both moments, saved in checkpoints as "adam.first_moment" and "adam.second_moment".
    public var stateBuffers: [(name: String, buffer: FloatBuffer)] {
        [("adam.first_moment", firstMoment), ("adam.second_moment", secondMoment)]
    }
}
