import NeuralNet
import Randomness
import Testing

@Suite("Finite-difference gradient checks")
struct LayerGradientTests {
    @Test func linear() throws {
        let spec = try NetworkSpec(inputShape: Shape(7), layers: [.linear(outputs: 5)])
        GradientCheck(spec: spec, batch: 3, seed: 1).verify()
    }

    @Test func reluAwayFromTheKink() throws {
        let spec = try NetworkSpec(inputShape: Shape(11), layers: [.relu])
        GradientCheck(spec: spec, batch: 4, seed: 2, keepAwayFromZero: true).verify()
    }

    @Test func tanh() throws {
        let spec = try NetworkSpec(inputShape: Shape(9), layers: [.tanh])
        GradientCheck(spec: spec, batch: 3, seed: 3, inputRange: -2...2).verify()
    }

    /// Both sides of zero: ELU's derivative is continuous there (alpha 1), so no kink to avoid.
    @Test func elu() throws {
        let spec = try NetworkSpec(inputShape: Shape(9), layers: [.elu])
        GradientCheck(spec: spec, batch: 3, seed: 13, inputRange: -2...2).verify()
    }

    @Test func flattenThenLinear() throws {
        let spec = try NetworkSpec(inputShape: Shape(3, 2, 2), layers: [.flatten, .linear(outputs: 4)])
        #expect(spec.shapes[1] == Shape(12))
        GradientCheck(spec: spec, batch: 2, seed: 4).verify()
    }

    @Test func conv2DWithStrideAndPadding() throws {
        let spec = try NetworkSpec(
            inputShape: Shape(7, 9, 3), layers: [.conv2d(filters: 4, kernel: 3, stride: 2, padding: 1)])
        #expect(spec.outputShape == Shape(4, 5, 4))
        GradientCheck(spec: spec, batch: 2, seed: 5).verify()
    }

    @Test(arguments: ConvolutionBackend.allCases)
    func conv2DAtariStyleStrideFour(backend: ConvolutionBackend) throws {
        let spec = try NetworkSpec(
            inputShape: Shape(20, 20, 2), layers: [.conv2d(filters: 3, kernel: 8, stride: 4, padding: 0)])
        #expect(spec.outputShape == Shape(4, 4, 3))
        ConvolutionBackend.$taskBackend.withValue(backend) { GradientCheck(spec: spec, batch: 2, seed: 6).verify() }
    }

    /// oneDNN's passes in groups of rows (the weight gradient summed over the groups) and on rows
    /// folded (runs of stride pixels read as one pixel of more channels) are the same convolution.
    @Test(arguments: zip([1, 1, 4, 0], [false, true, true, true]))
    func oneDNNInGroupsAndFolded(groupRows: Int, fold: Bool) throws {
        try ConvolutionBackend.$taskBackend.withValue(.oneDNN) {
            try ConvolutionBackend.$taskGroupRows.withValue(groupRows) {
                try ConvolutionBackend.$taskFold.withValue(fold) {
                    let spec = try NetworkSpec(
                        inputShape: Shape(20, 20, 2), layers: [.conv2d(filters: 3, kernel: 8, stride: 4, padding: 0)])
                    GradientCheck(spec: spec, batch: 2, seed: 6).verify()
                    try batchedBackwardOfAtariLayersIsTheSumOfSingleSamples()
                }
            }
        }
    }

    /// An unpadded convolution that is not kernel = 2 x stride (im2col in ours).
    @Test(arguments: ConvolutionBackend.allCases)
    func conv2DKernelThreeStrideOne(backend: ConvolutionBackend) throws {
        let spec = try NetworkSpec(
            inputShape: Shape(6, 7, 3), layers: [.conv2d(filters: 4, kernel: 3, stride: 1, padding: 0)])
        ConvolutionBackend.$taskBackend.withValue(backend) { GradientCheck(spec: spec, batch: 3, seed: 8).verify() }
    }

    @Test func smallConvolutionalNetwork() throws {
        let spec = try NetworkSpec(
            inputShape: Shape(12, 12, 2),
            layers: [
                .conv2d(filters: 4, kernel: 4, stride: 2, padding: 0), .tanh,
                .conv2d(filters: 5, kernel: 3, stride: 1, padding: 1), .tanh,
                .flatten, .linear(outputs: 6), .tanh, .linear(outputs: 3),
            ])
        GradientCheck(spec: spec, batch: 3, seed: 7).verify(stride: 3)
    }

    /// The Atari layers over 9 frames of 84x84x4: the backward pass works through the samples in
    /// groups (a few frames at a time), and must give the sum of one-sample backward passes, for
    /// the parameters and the input alike.
    @Test(arguments: ConvolutionBackend.allCases)
    func batchedBackwardOfAtariLayersIsTheSumOfSingleSamples(backend: ConvolutionBackend) throws {
        try ConvolutionBackend.$taskBackend.withValue(backend) { try batchedBackwardOfAtariLayersIsTheSumOfSingleSamples() }
    }

    private func batchedBackwardOfAtariLayersIsTheSumOfSingleSamples() throws {
        let spec = try NetworkSpec(
            inputShape: Shape(84, 84, 4),
            layers: [
                .conv2d(filters: 16, kernel: 8, stride: 4, padding: 0), .relu,
                .conv2d(filters: 32, kernel: 4, stride: 2, padding: 0), .relu, .flatten, .linear(outputs: 3),
            ])
        let batch = 9, width = spec.inputShape.count
        var rng = Xoshiro256(seed: 21)
        let parameters = (0..<spec.parameterCount).map { _ in Float(rng.uniform(-0.1, 0.1)) }
        let inputs = (0..<(batch * width)).map { _ in Float(rng.uniform(0, 1)) }
        let outputGradients = (0..<(batch * 3)).map { _ in Float(rng.uniform(-1, 1)) }

        let batched = Network(spec: spec, maxBatch: batch)
        batched.input(row: 0).update(from: inputs, count: inputs.count)
        for row in 0..<batch { batched.forward(parameters: parameters, first: row, count: 1) }
        batched.outputGradient(row: 0).update(from: outputGradients, count: outputGradients.count)
        var gradient = [Float](repeating: .nan, count: spec.parameterCount)
        batched.backward(parameters: parameters, gradient: &gradient, count: batch, computeInputGradient: true)

        var summed = [Float](repeating: 0, count: spec.parameterCount)
        let single = Network(spec: spec, maxBatch: 1)
        for row in 0..<batch {
            single.input(row: 0).update(from: Array(inputs[(row * width)..<((row + 1) * width)]), count: width)
            single.forward(parameters: parameters, count: 1)
            single.outputGradient(row: 0).update(from: Array(outputGradients[(row * 3)..<((row + 1) * 3)]), count: 3)
            var own = [Float](repeating: .nan, count: spec.parameterCount)
            single.backward(parameters: parameters, gradient: &own, count: 1, computeInputGradient: true)
            for i in summed.indices { summed[i] += own[i] }
            for i in 0..<width {
                let a = batched.inputGradient(row: row)[i], b = single.inputGradient(row: 0)[i]
                #expect(abs(a - b) <= 1e-5 * max(1, abs(b)), "sample \(row) input \(i): \(a) vs \(b)")
            }
        }
        for i in summed.indices {
            #expect(abs(gradient[i] - summed[i]) <= 1e-4 * max(1, abs(summed[i])), "parameter \(i): \(gradient[i]) vs \(summed[i])")
        }
    }

    /// The LSTM through time: 4 steps of 2 sequences from a non-zero initial state (carried from an
    /// earlier batch), with sequence 1 starting a new episode at step 2; a linear head on top.
    @Test func lstmThroughTimeWithInitialStateAndAnEpisodeStart() throws {
        let spec = try NetworkSpec(inputShape: Shape(4), layers: [.lstm(hidden: 3), .linear(outputs: 2)])
        #expect(spec.parameterCount == (4 * 3 * 4 + 4 * 3 * 3 + 2 * 4 * 3) + (2 * 3 + 2))
        GradientCheck(spec: spec, batch: 8, seed: 9, sequenceStride: 2) { network, parameters in
            var rng = Xoshiro256(seed: 10)
            for i in 0..<8 { network.input(row: 0)[i] = Float(rng.uniform(-1, 1)) }
            network.forward(parameters: parameters, count: 2)
            network.carryRecurrentState(fromRow: 0)
            network.markEpisodeStart(row: 5)
        }.verify(tolerance: 2e-3)
    }

    /// A row marked as an episode start forgets what came before it, and only that row's sequence.
    @Test func anEpisodeStartForgetsTheState() throws {
        let spec = try NetworkSpec(inputShape: Shape(2), layers: [.lstm(hidden: 3)])
        var rng = Xoshiro256(seed: 4)
        let parameters = (0..<spec.parameterCount).map { _ in Float(rng.uniform(-0.5, 0.5)) }
        let inputs = (0..<12).map { _ in Float(rng.uniform(-1, 1)) }
        func outputs(startAt row: Int?) -> [Float] {
            let network = Network(spec: spec, maxBatch: 6, sequenceStride: 2)
            #expect(network.isRecurrent)
            network.input(row: 0).update(from: inputs, count: inputs.count)
            if let row { network.markEpisodeStart(row: row) }
            network.forward(parameters: parameters, count: 6)
            return Array(UnsafeBufferPointer(start: network.output(row: 0), count: 18))
        }
        let plain = outputs(startAt: nil), restarted = outputs(startAt: 3)
        // Rows 0-2 and row 4 (the other sequence) are untouched; rows 3 and 5 change.
        #expect(Array(plain[0..<9]) == Array(restarted[0..<9]) && Array(plain[12..<15]) == Array(restarted[12..<15]))
        #expect(Array(plain[9..<12]) != Array(restarted[9..<12]) && Array(plain[15..<18]) != Array(restarted[15..<18]))
        // From zeros, row 3 is what row 1 would be with row 3's input as the first step.
        let fresh = Network(spec: spec, maxBatch: 1)
        fresh.input(row: 0).update(from: Array(inputs[6..<8]), count: 2)
        fresh.forward(parameters: parameters, count: 1)
        #expect(Array(UnsafeBufferPointer(start: fresh.output(row: 0), count: 3)) == Array(restarted[9..<12]))
    }

    /// An MLP under the LSTM, three sequences of two steps, the first restarting at step 1.
    @Test func lstmBelowAndAboveOtherLayers() throws {
        let spec = try NetworkSpec(
            inputShape: Shape(3), layers: [.linear(outputs: 5), .tanh, .lstm(hidden: 4), .linear(outputs: 3)])
        GradientCheck(spec: spec, batch: 6, seed: 12, sequenceStride: 3) { network, _ in
            network.markEpisodeStart(row: 3)
        }.verify(tolerance: 2e-3)
    }

    @Test func multilayerPerceptron() throws {
        let spec = try NetworkSpec(
            inputShape: Shape(4), layers: [.linear(outputs: 16), .tanh, .linear(outputs: 16), .tanh, .linear(outputs: 3)])
        GradientCheck(spec: spec, batch: 5, seed: 8).verify()
    }
}
