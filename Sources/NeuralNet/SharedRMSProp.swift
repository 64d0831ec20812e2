import CKernels

/// RMSProp with one set of statistics shared by all workers, as in the A3C paper (Mnih et al. 2016,
/// section 4 and algorithm S3): g = alpha g + (1 - alpha) dθ², θ ← θ - η dθ / sqrt(g + ε),
/// with ε inside the square root. The paper's values: alpha 0.99, ε 0.1.
///
/// Concurrency: `apply` from any number of threads at once, lock-free; updates may interleave (Hogwild).
public final class SharedRMSProp: SharedOptimizer, @unchecked Sendable {
    /// Number of parameters (and of square-average entries) this optimizer updates.
    public let parameterCount: Int
    /// Decay of the running average of squared gradients (the paper's 0.99).
    public let alpha: Float
    /// Added to the average inside the square root, for stability (the paper's 0.1).
    public let epsilon: Float
    /// Running average of squared gradients, one per parameter.
    public let squareAverage: FloatBuffer

    /// Zeroed statistics for `parameterCount` parameters; `alpha` must be in [0, 1), `epsilon` positive.
    public init(parameterCount: Int, alpha: Float = 0.99, epsilon: Float = 0.1) {
        precondition(alpha >= 0 && alpha < 1, "RMSProp alpha must be in [0, 1)")
        precondition(epsilon > 0, "RMSProp epsilon must be positive")
        self.parameterCount = parameterCount
        self.alpha = alpha
        self.epsilon = epsilon
        squareAverage = FloatBuffer(count: parameterCount)
    }

    /// Does one RMSProp step in place with the shared square average, without locking.
    public func apply(gradient: UnsafePointer<Float>, to parameters: UnsafeMutablePointer<Float>, learningRate: Float) {
        a3c_rmsprop_step(parameters, gradient, squareAverage.pointer, parameterCount, learningRate, alpha, epsilon)
    }

    /// The square average, saved in checkpoints as "rmsprop.square_average".
    public var stateBuffers: [(name: String, buffer: FloatBuffer)] { [("rmsprop.square_average", squareAverage)] }
}
