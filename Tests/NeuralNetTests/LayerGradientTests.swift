import NeuralNet
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

    @Test func conv2DAtariStyleStrideFour() throws {
        let spec = try NetworkSpec(
            inputShape: Shape(20, 20, 2), layers: [.conv2d(filters: 3, kernel: 8, stride: 4, padding: 0)])
        #expect(spec.outputShape == Shape(4, 4, 3))
        GradientCheck(spec: spec, batch: 2, seed: 6).verify()
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

    @Test func multilayerPerceptron() throws {
        let spec = try NetworkSpec(
            inputShape: Shape(4), layers: [.linear(outputs: 16), .tanh, .linear(outputs: 16), .tanh, .linear(outputs: 3)])
        GradientCheck(spec: spec, batch: 5, seed: 8).verify()
    }
}
