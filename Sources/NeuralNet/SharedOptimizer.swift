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
    case rmsprop
    case adam
}
