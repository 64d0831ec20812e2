/// An optimizer whose statistics live in shared memory and are updated by every worker (A3C's
/// "shared statistics"). `apply` is called concurrently by many threads without locks: parameters
/// and statistics race by design (Hogwild, Recht et al. 2011).
public protocol SharedOptimizer: AnyObject, Sendable {
    /// Number of parameters this optimizer was built for.
    var parameterCount: Int { get }

    /// Updates `parameters` in place from `gradient` with learning rate `learningRate`.
    func apply(gradient: UnsafePointer<Float>, to parameters: UnsafeMutablePointer<Float>, learningRate: Float)

    /// The optimizer's state buffers by name (for checkpoints).
    var stateBuffers: [(name: String, buffer: FloatBuffer)] { get }
}

/// The optimizers `a3c train --optimizer` offers.
public enum OptimizerKind: String, Sendable, CaseIterable, Codable {
    /// The A3C paper's RMSProp: square average from 0, ε inside the root.
    case rmsprop
    /// TensorFlow's RMSProp (openai/baselines, Stable-Baselines3's `RMSpropTFLike`): square
    /// average from 1, ε inside the root.
    case rmspropTF = "rmsprop-tf"
    /// PyTorch's and Keras's RMSProp: square average from 0, ε added to the root.
    case rmspropTorch = "rmsprop-torch"
    case adam

    /// One of the RMSProp forms.
    public var isRMSProp: Bool { self != .adam }

    /// The shared optimizer of this kind for `parameterCount` parameters; `epsilon` is RMSProp's or
    /// Adam's, as the kind is.
    public func make(parameterCount: Int, rmspropAlpha: Float, epsilon: Float) -> any SharedOptimizer {
        switch self {
        case .rmsprop: SharedRMSProp(parameterCount: parameterCount, alpha: rmspropAlpha, epsilon: epsilon)
        case .rmspropTF: SharedRMSProp(parameterCount: parameterCount, alpha: rmspropAlpha, epsilon: epsilon, initialSquareAverage: 1)
        case .rmspropTorch:
            SharedRMSProp(parameterCount: parameterCount, alpha: rmspropAlpha, epsilon: epsilon, epsilonOutsideRoot: true)
        case .adam: SharedAdam(parameterCount: parameterCount, epsilon: epsilon)
        }
    }
}
