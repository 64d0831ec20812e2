/// A layer's batched forward and hand-written backward pass on raw rows.
/// Parameters are passed in (they live in a flat buffer the layer does not own); scratch memory,
/// if any, is the kernel's own and sized for the network's largest batch.
/// Not thread-safe: each `Network` has its own kernels.
protocol LayerKernel: AnyObject {
    /// `output[s] = f(input[s])` for samples `first ..< first + count`; pointers already point at sample `first`.
    func forward(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        first: Int, count: Int, parameters: UnsafePointer<Float>)

    /// Gradients for samples `0 ..< count`, whose forward pass is still in the buffers.
    /// Overwrites `parameterGradient` (this layer's slice) and, when given, `inputGradient`.
    func backward(
        input: UnsafePointer<Float>, output: UnsafePointer<Float>,
        outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
        count: Int, parameters: UnsafePointer<Float>, parameterGradient: UnsafeMutablePointer<Float>)
}

/// Adds `bias` to each of `rows` rows of width `width`.
@inline(__always)
func addBias(_ bias: UnsafePointer<Float>, to rows: UnsafeMutablePointer<Float>, rowCount: Int, width: Int) {
    for row in 0..<rowCount {
        let target = rows + row * width
        for j in 0..<width { target[j] += bias[j] }
    }
}

/// `sums[j] = sum over rows of rows[row, j]`.
@inline(__always)
func sumRows(_ rows: UnsafePointer<Float>, rowCount: Int, width: Int, into sums: UnsafeMutablePointer<Float>) {
    sums.update(repeating: 0, count: width)
    for row in 0..<rowCount {
        let source = rows + row * width
        for j in 0..<width { sums[j] += source[j] }
    }
}
