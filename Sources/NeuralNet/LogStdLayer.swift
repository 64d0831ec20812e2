import Randomness

/// The learned, state-independent log standard deviations of a Gaussian policy: `count` parameters
/// put into every row before its last value, so [mean..., value] becomes [mean..., log σ..., value]
/// (the layout the policy head reads whatever form σ takes). Stored as "log_std", starting at 0 (σ = 1).
struct LogStdLayer: LayerUnit {
    let count: Int

    func outputShape(for input: Shape) throws(NetworkShapeError) -> Shape {
        guard count > 0 else { throw NetworkShapeError("the log-std layer needs at least one dimension") }
        guard input.dimensions.count == 1, input.count >= 2 else {
            throw NetworkShapeError("the log-std layer goes after a head of means and a value, got \(input)")
        }
        return Shape(input.count + count)
    }

    func parameterTensors(for input: Shape) -> [(name: String, shape: [Int])] { [("log_std", [count])] }

    func initialize(_ parameters: UnsafeMutablePointer<Float>, input: Shape, rng: inout Xoshiro256, gain: (Int) -> Float) {
        parameters.update(repeating: 0, count: count)
    }

    func makeKernel(input: Shape, maxBatch: Int, sequenceStride: Int) -> (any LayerKernel)? {
        LogStdKernel(inputs: input.count, count: count)
    }
}

/// [head..., value] -> [head..., log σ..., value].
final class LogStdKernel: LayerKernel {
    let inputs: Int
    let count: Int

    init(inputs: Int, count: Int) {
        self.inputs = inputs
        self.count = count
    }

    func forward(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        first: Int, count rows: Int, parameters: UnsafePointer<Float>
    ) {
        let width = inputs + count, head = inputs - 1
        for r in 0..<rows {
            let source = input + r * inputs, target = output + r * width
            target.update(from: source, count: head)
            (target + head).update(from: parameters, count: count)
            target[width - 1] = source[head]
        }
    }

    func backward(
        input: UnsafePointer<Float>, output: UnsafePointer<Float>,
        outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
        count rows: Int, parameters: UnsafePointer<Float>, parameterGradient: UnsafeMutablePointer<Float>
    ) {
        let width = inputs + count, head = inputs - 1
        parameterGradient.update(repeating: 0, count: count)
        for r in 0..<rows {
            let source = outputGradient + r * width
            for j in 0..<count { parameterGradient[j] += source[head + j] }
            if let inputGradient {
                let target = inputGradient + r * inputs
                target.update(from: source, count: head)
                target[head] = source[width - 1]
            }
        }
    }
}
