import Foundation
import NeuralNet
import Testing

/// The ELU layer's vector expm1 against expm1 in Double, through the network, on every kind of
/// input: both sides of the Cody-Waite reduction's steps, near zero, subnormals, the range where
/// the result rounds to -1, and NaN.
@Suite("Activation accuracy")
struct ActivationAccuracyTests {
    static func ulps(_ a: Float, _ b: Float) -> Int {
        func ordered(_ x: Float) -> Int { let i = Int(Int32(bitPattern: x.bitPattern)); return i < 0 ? Int(Int32.min) - i : i }
        return abs(ordered(a) - ordered(b))
    }

    /// One row of `inputs` through a network of `layer` alone: its output, then the input gradient
    /// that `gradient` on the output gives.
    static func pass(
        _ layer: LayerSpec, inputs: [Float], gradient: [Float]
    ) throws -> (output: [Float], inputGradient: [Float]) {
        let count = inputs.count
        let network = Network(spec: try NetworkSpec(inputShape: Shape(count), layers: [layer]), maxBatch: 1)
        let none: [Float] = [0]
        network.input(row: 0).update(from: inputs, count: count)
        none.withUnsafeBufferPointer { network.forward(parameters: $0.baseAddress!, count: 1) }
        let output = Array(UnsafeBufferPointer(start: network.output(row: 0), count: count))
        network.outputGradient(row: 0).update(from: gradient, count: count)
        var unused: [Float] = [0]
        none.withUnsafeBufferPointer { p in
            unused.withUnsafeMutableBufferPointer { g in
                network.backward(parameters: p.baseAddress!, gradient: g.baseAddress!, count: 1, computeInputGradient: true)
            }
        }
        return (output, Array(UnsafeBufferPointer(start: network.inputGradient(row: 0), count: count)))
    }

    @Test func eluIsWithinTwoUlpsOfExpm1AndItsGradientIsExact() throws {
        var inputs: [Float] = [0, -0.0, 1, 0.5, -Float.leastNonzeroMagnitude, -Float.leastNormalMagnitude, -1e-30,
                               -1e-7, -87, -88, -103, -1000, -.infinity, .infinity, 3e38]
        // A fine grid where the reduction changes k (every ln2/2) and a coarse one out to -100.
        for i in 0..<40_000 { inputs.append(-Float(i) * 5e-5) }
        for i in 0..<20_000 { inputs.append(-Float(i) * 5e-3 - 1e-4) }
        for e in -40...0 { inputs.append(-Float(pow(2.0, Double(e)))) }
        inputs.append(.nan)  // count 60,057: vector bodies and a tail
        let count = inputs.count
        let gradient = (0..<count).map { Float($0 % 7) - 3 }
        let (output, inputGradient) = try Self.pass(.elu, inputs: inputs, gradient: gradient)

        var worst = 0
        for (x, y) in zip(inputs, output) {
            if x.isNaN { #expect(y.isNaN); continue }
            let expected = x > 0 ? x : Float(expm1(Double(x)))
            let error = Self.ulps(y, expected)
            #expect(error <= 2, "elu(\(x)) = \(y), expm1 gives \(expected)")
            worst = max(worst, error)
        }
        #expect(worst <= 2)

        for i in 0..<count where !inputs[i].isNaN {
            let expected = inputs[i] > 0 ? gradient[i] : gradient[i] * (output[i] + 1)
            #expect(inputGradient[i] == expected, "gradient at \(inputs[i])")
        }
    }

    /// The vector ReLU is exactly `max(x, 0)` as Swift computes it, bit for bit: -0 becomes +0, NaN
    /// passes through; its gradient passes only where the output is above 0.
    @Test func reluIsExactlySwiftsMaxAndItsGradientIsExact() throws {
        var inputs: [Float] = [0, -0.0, 1, -1, .nan, -.nan, .infinity, -.infinity, Float.leastNonzeroMagnitude,
                               -Float.leastNonzeroMagnitude, Float.greatestFiniteMagnitude]
        for i in 0..<1_000 { inputs.append(Float(i % 37) - 18.5 + Float(i) * 1e-3) }
        inputs.append(-2)  // count 1,012: vector bodies and a tail
        let count = inputs.count
        let gradient = (0..<count).map { Float($0 % 7) - 3.5 }
        let (output, inputGradient) = try Self.pass(.relu, inputs: inputs, gradient: gradient)
        for (x, y) in zip(inputs, output) {
            #expect(y.bitPattern == max(x, 0).bitPattern, "relu(\(x)) = \(y)")
        }
        for i in 0..<count {
            let expected: Float = output[i] > 0 ? gradient[i] : 0
            #expect(inputGradient[i].bitPattern == expected.bitPattern, "gradient at \(inputs[i])")
        }
    }
}
