import NeuralNet
import Randomness
import Testing

/// Forward passes against direct, obviously-correct loops.
@Suite("Forward passes against reference loops")
struct ForwardReferenceTests {
    /// (height, width, channels, filters, kernel, stride, padding): with padding (im2col), and the
    /// Atari shapes kernel = 2 x stride on an exact grid of blocks (space to depth).
    static let convolutions = [(9, 8, 3, 5, 4, 2, 1), (20, 16, 3, 5, 8, 4, 0), (10, 12, 6, 4, 4, 2, 0)]

    @Test(arguments: GemmBackend.allCases, convolutions.indices)
    func conv2DMatchesDirectConvolution(backend: GemmBackend, shape: Int) throws {
        try Gemm.$taskBackend.withValue(backend) { try conv2DMatchesDirectConvolution(Self.convolutions[shape]) }
    }

    /// oneDNN's convolution primitives (the padded shape stays with our kernels).
    @Test(arguments: convolutions.indices)
    func oneDNNConvolutionMatchesDirectConvolution(shape: Int) throws {
        try ConvolutionBackend.$taskBackend.withValue(.oneDNN) { try conv2DMatchesDirectConvolution(Self.convolutions[shape]) }
    }

    private func conv2DMatchesDirectConvolution(_ shape: (Int, Int, Int, Int, Int, Int, Int)) throws {
        let (height, width, channels, filters, kernel, stride, padding) = shape
        let spec = try NetworkSpec(
            inputShape: Shape(height, width, channels),
            layers: [.conv2d(filters: filters, kernel: kernel, stride: stride, padding: padding)])
        var rng = Xoshiro256(seed: 11)
        let parameters = (0..<spec.parameterCount).map { _ in Float(rng.uniform(-1, 1)) }
        let batch = 2
        let input = (0..<(batch * height * width * channels)).map { _ in Float(rng.uniform(-1, 1)) }
        let network = Network(spec: spec, maxBatch: batch)
        network.input(row: 0).update(from: input, count: input.count)
        // Row by row, as acting does: each pass must leave the other rows' results alone.
        for row in (0..<batch).reversed() { network.forward(parameters: parameters, first: row, count: 1) }

        let outH = spec.outputShape.dimensions[0], outW = spec.outputShape.dimensions[1]
        let output = network.output(row: 0)
        for b in 0..<batch {
            for oy in 0..<outH {
                for ox in 0..<outW {
                    for f in 0..<filters {
                        var sum = Double(parameters[filters * kernel * kernel * channels + f])
                        for ky in 0..<kernel {
                            for kx in 0..<kernel {
                                let y = oy * stride - padding + ky, x = ox * stride - padding + kx
                                guard y >= 0, y < height, x >= 0, x < width else { continue }
                                for c in 0..<channels {
                                    let w = parameters[((f * kernel + ky) * kernel + kx) * channels + c]
                                    let v = input[((b * height + y) * width + x) * channels + c]
                                    sum += Double(w) * Double(v)
                                }
                            }
                        }
                        let got = output[((b * outH + oy) * outW + ox) * filters + f]
                        #expect(abs(Double(got) - sum) < 1e-4, "b\(b) y\(oy) x\(ox) f\(f)")
                    }
                }
            }
        }
    }

    @Test(arguments: GemmBackend.allCases)
    func gemmTranspositions(backend: GemmBackend) {
        Gemm.$taskBackend.withValue(backend) { gemmTranspositions() }
    }

    private func gemmTranspositions() {
        var rng = Xoshiro256(seed: 12)
        let (m, n, k) = (5, 7, 3)
        let a = (0..<(m * k)).map { _ in Float(rng.uniform(-1, 1)) }
        let b = (0..<(k * n)).map { _ in Float(rng.uniform(-1, 1)) }
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                // Stored transposed when flagged, so op(A) and op(B) are always the same matrices.
                let storedA = transposeA ? transpose(a, rows: m, columns: k) : a
                let storedB = transposeB ? transpose(b, rows: k, columns: n) : b
                var c = [Float](repeating: 1, count: m * n)
                Gemm.multiply(
                    transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 2,
                    a: storedA, lda: transposeA ? m : k, b: storedB, ldb: transposeB ? k : n,
                    beta: 0.5, c: &c, ldc: n)
                for i in 0..<m {
                    for j in 0..<n {
                        var sum: Float = 0
                        for p in 0..<k { sum += a[i * k + p] * b[p * n + j] }
                        #expect(abs(c[i * n + j] - (2 * sum + 0.5)) < 1e-5)
                    }
                }
            }
        }
    }

    private func transpose(_ matrix: [Float], rows: Int, columns: Int) -> [Float] {
        var out = [Float](repeating: 0, count: matrix.count)
        for r in 0..<rows { for c in 0..<columns { out[c * rows + r] = matrix[r * columns + c] } }
        return out
    }

    @Test func rowByRowForwardEqualsBatchedForward() throws {
        let spec = try NetworkSpec(
            inputShape: Shape(10, 10, 2),
            layers: [.conv2d(filters: 4, kernel: 4, stride: 2, padding: 0), .relu, .flatten, .linear(outputs: 3)])
        var rng = Xoshiro256(seed: 13)
        let parameters = (0..<spec.parameterCount).map { _ in Float(rng.uniform(-1, 1)) }
        let batch = 4
        let input = (0..<(batch * 200)).map { _ in Float(rng.uniform(-1, 1)) }
        let batched = Network(spec: spec, maxBatch: batch)
        batched.input(row: 0).update(from: input, count: input.count)
        batched.forward(parameters: parameters, count: batch)
        let rowwise = Network(spec: spec, maxBatch: batch)
        rowwise.input(row: 0).update(from: input, count: input.count)
        for row in 0..<batch { rowwise.forward(parameters: parameters, first: row, count: 1) }
        for i in 0..<(batch * 3) {
            #expect(abs(batched.output(row: 0)[i] - rowwise.output(row: 0)[i]) < 1e-5)
        }
    }
}
