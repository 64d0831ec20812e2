import CKernels

/// max(0, x), element by element.
struct ReLULayer: LayerUnit {
    func outputShape(for input: Shape) throws(NetworkShapeError) -> Shape { input }
    func makeKernel(input: Shape, maxBatch: Int, sequenceStride: Int) -> (any LayerKernel)? { ReLUKernel(width: input.count) }
}

/// tanh(x), element by element.
struct TanhLayer: LayerUnit {
    func outputShape(for input: Shape) throws(NetworkShapeError) -> Shape { input }
    func makeKernel(input: Shape, maxBatch: Int, sequenceStride: Int) -> (any LayerKernel)? { TanhKernel(width: input.count) }
}

/// x for x > 0, exp(x) - 1 otherwise (alpha 1): the activation of both reference A3C-LSTM networks.
struct ELULayer: LayerUnit {
    func outputShape(for input: Shape) throws(NetworkShapeError) -> Shape { input }
    func makeKernel(input: Shape, maxBatch: Int, sequenceStride: Int) -> (any LayerKernel)? { ELUKernel(width: input.count) }
}

/// A sample's values as one dimension: rows are already contiguous, so nothing runs.
struct FlattenLayer: LayerUnit {
    func outputShape(for input: Shape) throws(NetworkShapeError) -> Shape { Shape(input.count) }
    func makeKernel(input: Shape, maxBatch: Int, sequenceStride: Int) -> (any LayerKernel)? { nil }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// max(0, x), elementwise.
final class ReLUKernel: LayerKernel {
    let width: Int
    init(width: Int) { self.width = width }

    func forward(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        first: Int, count: Int, parameters: UnsafePointer<Float>
    ) {
        a3c_relu_forward(input, output, count * width)
    }

    func backward(
        input: UnsafePointer<Float>, output: UnsafePointer<Float>,
        outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
        count: Int, parameters: UnsafePointer<Float>, parameterGradient: UnsafeMutablePointer<Float>
    ) {
        guard let inputGradient else { return }
        a3c_relu_backward(output, outputGradient, inputGradient, count * width)
    }
}

/// tanh(x), elementwise.
final class TanhKernel: LayerKernel {
    let width: Int
    init(width: Int) { self.width = width }

    func forward(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        first: Int, count: Int, parameters: UnsafePointer<Float>
    ) {
        for i in 0..<(count * width) { output[i] = tanhf(input[i]) }
    }

    func backward(
        input: UnsafePointer<Float>, output: UnsafePointer<Float>,
        outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
        count: Int, parameters: UnsafePointer<Float>, parameterGradient: UnsafeMutablePointer<Float>
    ) {
        guard let inputGradient else { return }
        for i in 0..<(count * width) {
            let y = output[i]
            inputGradient[i] = outputGradient[i] * (1 - y * y)
        }
    }
}

/// x for x > 0, exp(x) - 1 otherwise, elementwise.
final class ELUKernel: LayerKernel {
    let width: Int
    init(width: Int) { self.width = width }

    func forward(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        first: Int, count: Int, parameters: UnsafePointer<Float>
    ) {
        a3c_elu_forward(input, output, count * width)
    }

    func backward(
        input: UnsafePointer<Float>, output: UnsafePointer<Float>,
        outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
        count: Int, parameters: UnsafePointer<Float>, parameterGradient: UnsafeMutablePointer<Float>
    ) {
        guard let inputGradient else { return }
        a3c_elu_backward(input, output, outputGradient, inputGradient, count * width)
    }
}
