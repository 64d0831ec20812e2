import Randomness

/// Everything one kind of layer knows about itself: the shapes it takes and gives, its parameters
/// (layout, names, initial values), its arithmetic and the kernel that runs it. A new kind of layer
/// is one file with one such type, and one case in `LayerSpec` that names it.
protocol LayerUnit: Sendable {
    /// The output shape for a given input shape, or a message saying why the input does not fit.
    func outputShape(for input: Shape) throws(NetworkShapeError) -> Shape

    /// The parameter tensors, in the order they lie in the flat buffer: a name ("weight", "bias",
    /// PyTorch's where it has one) and a shape each; empty for layers without parameters.
    func parameterTensors(for input: Shape) -> [(name: String, shape: [Int])]

    /// Multiply-adds of a forward pass of one sample.
    func forwardMultiplyAdds(input: Shape, output: Shape) -> Int

    /// Multiply-adds of a backward pass of one sample: the parameter gradients, and the input
    /// gradient when `inputGradient` (every layer but the first needs it).
    func backwardMultiplyAdds(input: Shape, output: Shape, inputGradient: Bool) -> Int

    /// Writes the initial parameters at `parameters`; `gain(row)` scales the weights of output row `row`.
    func initialize(_ parameters: UnsafeMutablePointer<Float>, input: Shape, rng: inout Xoshiro256, gain: (Int) -> Float)

    /// The kernel for batches of up to `maxBatch` samples; nil when the rows pass through unchanged.
    /// Recurrent layers read row r's predecessor in time at row r - `sequenceStride`.
    func makeKernel(input: Shape, maxBatch: Int, sequenceStride: Int) -> (any LayerKernel)?
}

extension LayerUnit {
    func parameterTensors(for input: Shape) -> [(name: String, shape: [Int])] { [] }
    func forwardMultiplyAdds(input: Shape, output: Shape) -> Int { 0 }
    func backwardMultiplyAdds(input: Shape, output: Shape, inputGradient: Bool) -> Int { 0 }
    func initialize(_ parameters: UnsafeMutablePointer<Float>, input: Shape, rng: inout Xoshiro256, gain: (Int) -> Float) {}

    /// Parameters in all, for a given input shape.
    func parameterCount(for input: Shape) -> Int {
        parameterTensors(for: input).reduce(0) { $0 + $1.shape.reduce(1, *) }
    }
}

/// Orthogonal weights [rows, fanIn] with `gain(row)` per row, then `rows` zero biases: what the
/// linear and convolutional layers start from.
func initializeWeightsAndBias(
    _ parameters: UnsafeMutablePointer<Float>, rows: Int, fanIn: Int, rng: inout Xoshiro256, gain: (Int) -> Float
) {
    let weights = Initialization.orthogonal(rows: rows, columns: fanIn, gain: 1, rng: &rng)
    for r in 0..<rows {
        let rowGain = gain(r)
        for c in 0..<fanIn { parameters[r * fanIn + c] = weights[r * fanIn + c] * rowGain }
    }
    (parameters + rows * fanIn).update(repeating: 0, count: rows)
}
