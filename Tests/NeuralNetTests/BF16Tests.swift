import CKernels
import NeuralNet
import Randomness
import Testing

/// bf16 matrix products (`Precision.bf16`): every layer kind's forward and backward against fp32
/// within what bf16's 8-bit mantissa allows, and fp32 untouched by them bit for bit.
@Suite("bf16 products")
struct BF16Tests {
    /// Sides of 16 or more, so that the products run in bf16 (skinnier ones stay fp32).
    /// Each with the relative error it may have: 1 % where units are smooth; ReLU's convolutions more,
    /// as the few units whose input is within bf16's rounding of 0 switch and pass or stop a whole
    /// gradient (the same network with tanh stays within 1 %).
    static let networks: [(name: String, spec: NetworkSpec, batch: Int, stride: Int?, tolerance: Double)] = [
        ("linear layers", try! NetworkSpec(inputShape: Shape(40), layers: [.linear(outputs: 32), .tanh, .linear(outputs: 24)]), 24, nil, 1e-2),
        ("the paper's convolutions", try! NetworkSpec(
            inputShape: Shape(84, 84, 4),
            layers: [.conv2d(filters: 16, kernel: 8, stride: 4, padding: 0), .relu, .conv2d(filters: 32, kernel: 4, stride: 2, padding: 0), .relu, .flatten, .linear(outputs: 16)]), 16, nil, 1e-1),
        ("the paper's convolutions, tanh", try! NetworkSpec(
            inputShape: Shape(84, 84, 4),
            layers: [.conv2d(filters: 16, kernel: 8, stride: 4, padding: 0), .tanh, .conv2d(filters: 32, kernel: 4, stride: 2, padding: 0), .tanh, .flatten, .linear(outputs: 16)]), 16, nil, 1e-2),
        ("a padded convolution", try! NetworkSpec(
            inputShape: Shape(12, 12, 16), layers: [.conv2d(filters: 32, kernel: 3, stride: 1, padding: 1), .elu, .flatten, .linear(outputs: 16)]), 16, nil, 1e-2),
        ("an LSTM through time", try! NetworkSpec(inputShape: Shape(32), layers: [.lstm(hidden: 32), .linear(outputs: 16)]), 32, 16, 1e-2),
        ("grouped towers", try! NetworkSpec(
            inputShape: Shape(48),
            layers: [.groupedLinear(groups: [LinearGroup(outputs: 32, inputStart: 0, inputCount: 48), LinearGroup(outputs: 32, inputStart: 0, inputCount: 48)]), .relu, .linear(outputs: 16)]), 16, nil, 1e-2),
    ]

    struct Pass: Equatable {
        var output: [Float], parameters: [Float], inputs: [Float]
    }

    static func pass(_ check: GradientCheck) -> Pass {
        _ = check.loss(parameters: check.parameters, inputs: check.inputs)
        let output = Array(UnsafeBufferPointer(start: check.network.output(row: 0), count: check.lossWeights.count))
        let (parameters, inputs) = check.analytical()
        return Pass(output: output, parameters: parameters, inputs: inputs)
    }

    /// ||a - b|| / ||b||.
    static func relativeError(_ a: [Float], _ b: [Float]) -> Double {
        var difference = 0.0, norm = 0.0
        for (x, y) in zip(a, b) {
            difference += Double(x - y) * Double(x - y)
            norm += Double(y) * Double(y)
        }
        return (difference / max(norm, 1e-30)).squareRoot()
    }

    @Test(
        .enabled(if: Precision.bf16Available, "this CPU has no bf16 arithmetic"),
        arguments: ConvolutionBackend.allCases, networks.indices)
    func forwardAndBackwardAreFP32sWithinBF16Rounding(backend: ConvolutionBackend, index: Int) throws {
        try ConvolutionBackend.$taskBackend.withValue(backend) { try forwardAndBackwardAreFP32sWithinBF16Rounding(index: index) }
    }

    private func forwardAndBackwardAreFP32sWithinBF16Rounding(index: Int) throws {
        let (name, spec, batch, stride, tolerance) = Self.networks[index]
        let check = GradientCheck(spec: spec, batch: batch, seed: 31, sequenceStride: stride)
        let fp32 = Self.pass(check)
        let bf16 = Gemm.withPrecision(.bf16) { Self.pass(check) }
        // bf16 keeps 8 bits of mantissa: each input is within 2^-9 of itself, and sums of products
        // of many such inputs stay within a few times that, relative to their size.
        for (what, a, b) in [("outputs", bf16.output, fp32.output), ("parameter gradients", bf16.parameters, fp32.parameters),
                             ("input gradients", bf16.inputs, fp32.inputs)] {
            let error = Self.relativeError(a, b)
            #expect(error < tolerance, "\(name): \(what) differ by \(error) relative to fp32")
            #expect(error > 1e-7, "\(name): \(what) equal fp32's: the products did not run in bf16")
        }
        // fp32 afterwards on the same thread: the same bits as before.
        #expect(Self.pass(check) == fp32, "\(name): fp32 changed after a bf16 pass")
        #expect(Gemm.precisionOnThisThread == .fp32)
    }

    /// A product with every transpose and non-trivial alpha, beta and leading dimensions against a
    /// double-precision reference of the bf16-rounded inputs: only the accumulation's rounding differs.
    @Test(
        .enabled(if: Precision.bf16Available, "this CPU has no bf16 arithmetic"),
        arguments: [(false, false), (true, false), (false, true), (true, true)])
    func productsMatchTheRoundedInputsExactly(transposeA: Bool, transposeB: Bool) throws {
        let m = 37, n = 29, k = 45, lda = (transposeA ? m : k) + 3, ldb = (transposeB ? k : n) + 5, ldc = n + 2
        var rng = Xoshiro256(seed: 5)
        let a = (0..<((transposeA ? k : m) * lda)).map { _ in Float(rng.uniform(-1, 1)) }
        let b = (0..<((transposeB ? n : k) * ldb)).map { _ in Float(rng.uniform(-1, 1)) }
        let c0 = (0..<(m * ldc)).map { _ in Float(rng.uniform(-1, 1)) }
        func rounded(_ x: [Float]) -> [Float] {
            var half = [UInt16](repeating: 0, count: x.count), back = x
            a3c_to_bf16(x, &half, x.count)
            a3c_from_bf16(half, &back, x.count)
            return back
        }
        let ra = rounded(a), rb = rounded(b)
        var c = c0
        Gemm.withPrecision(.bf16) {
            Gemm.multiply(
                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb,
                beta: 2, c: &c, ldc: ldc)
        }
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let x = transposeA ? ra[p * lda + i] : ra[i * lda + p]
                    let y = transposeB ? rb[j * ldb + p] : rb[p * ldb + j]
                    sum += Double(x) * Double(y)
                }
                let expected: Double = 0.5 * sum + 2 * Double(c0[i * ldc + j])
                let got = Double(c[i * ldc + j])
                #expect(abs(got - expected) < 1e-4, "C[\(i), \(j)]: \(got) vs \(expected)")
            }
            // The padding between rows is left alone.
            for j in n..<ldc { #expect(c[i * ldc + j] == c0[i * ldc + j]) }
        }
    }

    /// Long arrays take the vector converter where the CPU has one: the same bits as rounding each
    /// value to nearest even by hand, ties included.
    @Test func longConversionsRoundAsEachValueAlone() {
        var rng = Xoshiro256(seed: 9)
        var values = (0..<1_003).map { _ in Float(rng.uniform(-1000, 1000)) }
        for i in stride(from: 0, to: values.count, by: 7) {
            values[i] = Float(bitPattern: (values[i].bitPattern & 0xFFFF_0000) | 0x8000)  // an exact tie
        }
        var half = [UInt16](repeating: 0, count: values.count)
        a3c_to_bf16(values, &half, values.count)
        for (value, got) in zip(values, half) {
            let bits = value.bitPattern
            let expected = UInt16((bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
            #expect(got == expected, "\(value)")
        }
    }

    @Test func roundingIsToNearestEven() {
        let values: [Float] = [1, 1 + 1.0 / 256, 1 + 1.0 / 128 + 1.0 / 256, 1 + 3.0 / 512, -2.5, .infinity]
        var half = [UInt16](repeating: 0, count: values.count), back = values
        a3c_to_bf16(values, &half, values.count)
        a3c_from_bf16(half, &back, values.count)
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: to even, 1. 1 + 3 * 2^-8 rounds up to 1 + 2^-6.
        let expected: [Float] = [1, 1, 1 + 1.0 / 64, 1 + 1.0 / 128, -2.5, .infinity]
        #expect(back == expected)
        var nan: [Float] = [.nan], nanHalf: [UInt16] = [0]
        a3c_to_bf16(nan, &nanHalf, 1)
        a3c_from_bf16(nanHalf, &nan, 1)
        #expect(nan[0].isNaN)
    }
}
