import CKernels

/// Global-norm gradient clipping: if ||g|| > maxNorm, g ← g · maxNorm / ||g||.
public enum GradientClipping {
    /// Clips `gradient` in place and returns its norm before clipping.
    @discardableResult
    public static func clipGlobalNorm(_ gradient: UnsafeMutablePointer<Float>, count: Int, maxNorm: Float) -> Float {
        let norm = Float(a3c_sum_of_squares(gradient, count).squareRoot())
        if norm > maxNorm && norm > 0 {
            a3c_scale(gradient, count, maxNorm / norm)
        }
        return norm
    }

    /// The instruction set the element-wise kernels use here ("avx512", "avx2" or "portable").
    public static var kernelInstructionSet: String { String(cString: a3c_kernels_isa()) }
}

/// A learning rate falling linearly from `initial` to 0 over `totalSteps` environment steps.
public struct LinearSchedule: Sendable, Hashable {
    /// The learning rate at step 0.
    public let initial: Float
    /// Environment steps over which the rate falls to 0; 0 or less keeps it at `initial` throughout.
    public let totalSteps: Int

    /// A schedule falling from `initial` to 0 over `totalSteps` environment steps.
    public init(initial: Float, totalSteps: Int) {
        self.initial = initial
        self.totalSteps = totalSteps
    }

    /// The rate after `step` steps (0 once the budget is spent).
    @inlinable
    public func value(at step: Int) -> Float {
        guard totalSteps > 0 else { return initial }
        return initial * max(0, 1 - Float(step) / Float(totalSteps))
    }
}
