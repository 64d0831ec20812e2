import Randomness

/// Fully connected: y = x W^T + b, W stored [outputs, inputs] as PyTorch's `nn.Linear` stores it.
struct LinearLayer: LayerUnit {
    let outputs: Int

    func outputShape(for input: Shape) throws(NetworkShapeError) -> Shape {
        guard outputs > 0 else { throw NetworkShapeError("linear layer needs at least one output") }
        return Shape(outputs)
    }

    func parameterTensors(for input: Shape) -> [(name: String, shape: [Int])] {
        [("weight", [outputs, input.count]), ("bias", [outputs])]
    }

    func forwardMultiplyAdds(input: Shape, output: Shape) -> Int { outputs * input.count }

    func backwardMultiplyAdds(input: Shape, output: Shape, inputGradient: Bool) -> Int {
        outputs * input.count * (inputGradient ? 2 : 1)
    }

    func initialize(_ parameters: UnsafeMutablePointer<Float>, input: Shape, rng: inout Xoshiro256, gain: (Int) -> Float) {
        initializeWeightsAndBias(parameters, rows: outputs, fanIn: input.count, rng: &rng, gain: gain)
    }

    func makeKernel(input: Shape, maxBatch: Int, sequenceStride: Int) -> (any LayerKernel)? { LinearKernel(inputs: input.count, outputs: outputs) }
}

/// y = x W^T + b with W stored [outputs, inputs].
final class LinearKernel: LayerKernel {
    let inputs: Int
    let outputs: Int

    init(inputs: Int, outputs: Int) {
        self.inputs = inputs
        self.outputs = outputs
    }

    func forward(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        first: Int, count: Int, parameters: UnsafePointer<Float>
    ) {
        let weight = parameters, bias = parameters + outputs * inputs
        Gemm.multiply(
            transposeA: false, transposeB: true, m: count, n: outputs, k: inputs,
            a: input, lda: inputs, b: weight, ldb: inputs, c: output, ldc: outputs)
        addBias(bias, to: output, rowCount: count, width: outputs)
    }

    func backward(
        input: UnsafePointer<Float>, output: UnsafePointer<Float>,
        outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
        count: Int, parameters: UnsafePointer<Float>, parameterGradient: UnsafeMutablePointer<Float>
    ) {
        // dW[outputs, inputs] = dY^T x X
        Gemm.multiply(
            transposeA: true, transposeB: false, m: outputs, n: inputs, k: count,
            a: outputGradient, lda: outputs, b: input, ldb: inputs, c: parameterGradient, ldc: inputs)
        sumRows(outputGradient, rowCount: count, width: outputs, into: parameterGradient + outputs * inputs)
        if let inputGradient {
            // dX[count, inputs] = dY x W
            Gemm.multiply(
                transposeA: false, transposeB: false, m: count, n: inputs, k: outputs,
                a: outputGradient, lda: outputs, b: parameters, ldb: inputs, c: inputGradient, ldc: inputs)
        }
    }
}
