import Randomness

/// A group of a grouped linear layer: `outputs` consecutive output rows that see only the inputs
/// `inputStart ..< inputStart + inputCount`.
public struct LinearGroup: Sendable, Hashable, Codable {
    /// Output rows in this group (they follow the previous group's).
    public let outputs: Int
    /// First input these rows see.
    public let inputStart: Int
    /// Number of inputs these rows see.
    public let inputCount: Int

    /// A group of `outputs` rows connected to inputs `inputStart ..< inputStart + inputCount`.
    public init(outputs: Int, inputStart: Int, inputCount: Int) {
        self.outputs = outputs
        self.inputStart = inputStart
        self.inputCount = inputCount
    }
}

/// A linear layer whose output rows come in groups, each connected to one span of the inputs:
/// several independent towers side by side (a policy tower and a value tower) as one layer. The
/// weight is stored whole, [outputs, inputs] with zeros outside the groups, so checkpoints, the ONNX
/// graph and PyTorch see an ordinary `nn.Linear`; the zeros stay zero because their gradient is
/// always zero (and so is any optimizer's step for them).
struct GroupedLinearLayer: LayerUnit {
    let groups: [LinearGroup]

    var outputs: Int { groups.reduce(0) { $0 + $1.outputs } }

    func outputShape(for input: Shape) throws(NetworkShapeError) -> Shape {
        guard !groups.isEmpty else { throw NetworkShapeError("grouped linear layer needs at least one group") }
        for group in groups {
            guard group.outputs > 0, group.inputCount > 0, group.inputStart >= 0,
                group.inputStart + group.inputCount <= input.count
            else {
                throw NetworkShapeError(
                    "grouped linear layer: a group of \(group.outputs) outputs on inputs \(group.inputStart)..<\(group.inputStart + group.inputCount) does not fit \(input.count) inputs")
            }
        }
        return Shape(outputs)
    }

    /// The same parameters and arithmetic as a plain linear layer of all the rows: the kernel
    /// multiplies the whole matrix (zeros included), one GEMM rather than one per group.
    private var whole: LinearLayer { LinearLayer(outputs: outputs) }

    func parameterTensors(for input: Shape) -> [(name: String, shape: [Int])] { whole.parameterTensors(for: input) }

    func forwardMultiplyAdds(input: Shape, output: Shape) -> Int { whole.forwardMultiplyAdds(input: input, output: output) }

    func backwardMultiplyAdds(input: Shape, output: Shape, inputGradient: Bool) -> Int {
        whole.backwardMultiplyAdds(input: input, output: output, inputGradient: inputGradient)
    }

    /// Each group's block orthogonal on its own (as if it were its own layer), zeros elsewhere.
    func initialize(_ parameters: UnsafeMutablePointer<Float>, input: Shape, rng: inout Xoshiro256, gain: (Int) -> Float) {
        let inputs = input.count, total = outputs
        parameters.update(repeating: 0, count: total * inputs + total)
        var firstRow = 0
        for group in groups {
            let block = Initialization.orthogonal(rows: group.outputs, columns: group.inputCount, gain: 1, rng: &rng)
            for r in 0..<group.outputs {
                let rowGain = gain(firstRow + r)
                let target = parameters + (firstRow + r) * inputs + group.inputStart
                for c in 0..<group.inputCount { target[c] = block[r * group.inputCount + c] * rowGain }
            }
            firstRow += group.outputs
        }
    }

    func makeKernel(input: Shape, maxBatch: Int, sequenceStride: Int) -> (any LayerKernel)? {
        GroupedLinearKernel(inputs: input.count, groups: groups)
    }
}

/// A linear kernel whose weight gradient is kept to the groups' blocks.
final class GroupedLinearKernel: LayerKernel {
    let dense: LinearKernel
    let groups: [LinearGroup]

    init(inputs: Int, groups: [LinearGroup]) {
        dense = LinearKernel(inputs: inputs, outputs: groups.reduce(0) { $0 + $1.outputs })
        self.groups = groups
    }

    func forward(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        first: Int, count: Int, parameters: UnsafePointer<Float>
    ) {
        dense.forward(input: input, output: output, first: first, count: count, parameters: parameters)
    }

    func backward(
        input: UnsafePointer<Float>, output: UnsafePointer<Float>,
        outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
        count: Int, parameters: UnsafePointer<Float>, parameterGradient: UnsafeMutablePointer<Float>
    ) {
        // The input gradient needs no mask: the weight is zero outside the groups.
        dense.backward(
            input: input, output: output, outputGradient: outputGradient, inputGradient: inputGradient,
            count: count, parameters: parameters, parameterGradient: parameterGradient)
        let inputs = dense.inputs
        var firstRow = 0
        for group in groups {
            for r in firstRow..<(firstRow + group.outputs) {
                let row = parameterGradient + r * inputs
                row.update(repeating: 0, count: group.inputStart)
                let end = group.inputStart + group.inputCount
                (row + end).update(repeating: 0, count: inputs - end)
            }
            firstRow += group.outputs
        }
    }
}
