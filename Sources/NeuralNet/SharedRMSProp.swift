import CKernels

/// RMSProp with one set of statistics shared by all workers, as in the A3C paper (Mnih et al. 2016,
/// section 4 and algorithm S3): g = alpha g + (1 - alpha) dθ², θ ← θ - η dθ / sqrt(g + ε),
/// with ε inside the square root. The paper's values: alpha 0.99, ε 0.1.
///
/// Two variants of the references: TensorFlow's (openai/baselines' A2C, Stable-Baselines3's
/// `RMSpropTFLike`) starts g at 1 instead of 0, so the first steps are about η dθ and not η
/// sign(dθ); PyTorch's and Keras's put ε outside the root, θ ← θ - η dθ / (sqrt(g) + ε).
///
/// Concurrency: `apply` from any number of threads at once, lock-free; updates may interleave (Hogwild).
public final class SharedRMSProp: SharedOptimizer, @unchecked Sendable {
    /// Number of parameters (and of square-average entries) this optimizer updates.
    public let parameterCount: Int
    /// Decay of the running average of squared gradients (the paper's 0.99).
    public let alpha: Float
    /// Added to the average inside the square root, for stability (the paper's 0.1).
    public let epsilon: Float
    /// ε is added to the root (PyTorch's and Keras's form) instead of to the average under it.
    public let epsilonOutsideRoot: Bool
    /// Running average of squared gradients, one per parameter.
    public let squareAverage: FloatBuffer

    /// Statistics for `parameterCount` parameters, the square average at `initialSquareAverage`
    /// (TensorFlow's: 1); `alpha` must be in [0, 1), `epsilon` positive.
    public init(
        parameterCount: Int, alpha: Float = 0.99, epsilon: Float = 0.1, initialSquareAverage: Float = 0,
        epsilonOutsideRoot: Bool = false
    ) {
        precondition(alpha >= 0 && alpha < 1, "RMSProp alpha must be in [0, 1)")
        precondition(epsilon > 0, "RMSProp epsilon must be positive")
        precondition(initialSquareAverage >= 0, "RMSProp's square average cannot start below 0")
        self.parameterCount = parameterCount
        self.alpha = alpha
        self.epsilon = epsilon
        self.epsilonOutsideRoot = epsilonOutsideRoot
        squareAverage = FloatBuffer(count: parameterCount)
        if initialSquareAverage != 0 { squareAverage.fill(initialSquareAverage) }
    }

    /// Does one RMSProp step in place with the shared square average, without locking.
    public func apply(gradient: UnsafePointer<Float>, to parameters: UnsafeMutablePointer<Float>, learningRate: Float) {
        a3c_rmsprop_step(
            parameters, gradient, squareAverage.pointer, parameterCount, learningRate, alpha, epsilon, epsilonOutsideRoot ? 1 : 0)
    }

    /// The square average, saved in checkpoints as "rmsprop.square_average".
    public var stateBuffers: [(name: String, buffer: FloatBuffer)] { [("rmsprop.square_average", squareAverage)] }
}
