import NeuralNet
import Randomness
import Testing

/// Finite-difference checks of a network's backward pass, in the engine's own Float arithmetic.
/// The loss is L = Σ output ⊙ weights for fixed random weights, so dL/d(output) = weights.
struct GradientCheck {
    let network: Network
    let parameters: [Float]
    let inputs: [Float]
    let lossWeights: [Float]
    let batch: Int

    /// `sequenceStride` and `prepare` are for recurrent networks: rows per step in time, and what
    /// to do to the network (its initial state, episode starts) once the parameters are known.
    init(spec: NetworkSpec, batch: Int, seed: UInt64, inputRange: ClosedRange<Float> = -1...1,
         keepAwayFromZero: Bool = false, sequenceStride: Int? = nil,
         prepare: (Network, [Float]) -> Void = { _, _ in }) {
        var rng = Xoshiro256(seed: seed)
        network = Network(spec: spec, maxBatch: batch, sequenceStride: sequenceStride)
        var parameters = [Float](repeating: 0, count: spec.parameterCount)
        parameters.withUnsafeMutableBufferPointer { buffer in
            Initialization.initialize(spec, parameters: buffer.baseAddress!, rng: &rng) { _, _ in 1 }
        }
        // Non-zero biases so that they matter in the check.
        for i in parameters.indices where parameters[i] == 0 { parameters[i] = Float(rng.uniform(-0.3, 0.3)) }
        self.parameters = parameters
        inputs = (0..<(batch * spec.inputShape.count)).map { _ in
            var x = Float(rng.uniform(Double(inputRange.lowerBound), Double(inputRange.upperBound)))
            if keepAwayFromZero && abs(x) < 0.1 { x += x < 0 ? -0.1 : 0.1 }
            return x
        }
        lossWeights = (0..<(batch * spec.outputShape.count)).map { _ in Float(rng.uniform(-1, 1)) }
        self.batch = batch
        prepare(network, parameters)
    }

    func loss(parameters: [Float], inputs: [Float]) -> Double {
        network.input(row: 0).update(from: inputs, count: inputs.count)
        parameters.withUnsafeBufferPointer { network.forward(parameters: $0.baseAddress!, count: batch) }
        let output = network.output(row: 0)
        var total = 0.0
        for i in lossWeights.indices { total += Double(output[i]) * Double(lossWeights[i]) }
        return total
    }

    /// Analytical parameter and input gradients from the backward pass.
    func analytical() -> (parameters: [Float], inputs: [Float]) {
        _ = loss(parameters: parameters, inputs: inputs)
        network.outputGradient(row: 0).update(from: lossWeights, count: lossWeights.count)
        var gradient = [Float](repeating: .nan, count: parameters.count)
        parameters.withUnsafeBufferPointer { p in
            gradient.withUnsafeMutableBufferPointer { g in
                network.backward(parameters: p.baseAddress!, gradient: g.baseAddress!, count: batch, computeInputGradient: true)
            }
        }
        let inputGradient = Array(UnsafeBufferPointer(start: network.inputGradient(row: 0), count: inputs.count))
        return (gradient, inputGradient)
    }

    /// Compares every (or every `stride`-th) derivative with a central difference.
    func verify(step: Float = 1e-2, tolerance: Double = 2e-2, stride: Int = 1, sourceLocation: SourceLocation = #_sourceLocation) {
        let (parameterGradient, inputGradient) = analytical()
        var checked = 0
        for i in Swift.stride(from: 0, to: parameters.count, by: stride) {
            var plus = parameters, minus = parameters
            plus[i] += step
            minus[i] -= step
            let numeric = (loss(parameters: plus, inputs: inputs) - loss(parameters: minus, inputs: inputs)) / Double(2 * step)
            let analytic = Double(parameterGradient[i])
            #expect(
                abs(numeric - analytic) <= tolerance * max(1, abs(numeric)),
                "parameter \(i): backward \(analytic), finite difference \(numeric)", sourceLocation: sourceLocation)
            checked += 1
        }
        for i in Swift.stride(from: 0, to: inputs.count, by: stride) {
            var plus = inputs, minus = inputs
            plus[i] += step
            minus[i] -= step
            let numeric = (loss(parameters: parameters, inputs: plus) - loss(parameters: parameters, inputs: minus)) / Double(2 * step)
            let analytic = Double(inputGradient[i])
            #expect(
                abs(numeric - analytic) <= tolerance * max(1, abs(numeric)),
                "input \(i): backward \(analytic), finite difference \(numeric)", sourceLocation: sourceLocation)
            checked += 1
        }
        #expect(checked > 0)
    }
}
