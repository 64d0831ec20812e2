#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Randomness

/// A long short-term memory layer as PyTorch's `nn.LSTMCell` computes it: gates
/// i, f, g, o = σ, σ, tanh, σ of (x W_ih^T + b_ih + h W_hh^T + b_hh), c' = f c + i g, h' = o tanh(c').
/// Parameters, in this order and under PyTorch's names: weight_ih [4H, inputs], weight_hh [4H, H],
/// bias_ih [4H], bias_hh [4H], gate blocks in the order i, f, g, o.
struct LSTMLayer: LayerUnit {
    let hidden: Int

    func outputShape(for input: Shape) throws(NetworkShapeError) -> Shape {
        guard hidden > 0 else { throw NetworkShapeError("an LSTM needs at least one cell") }
        return Shape(hidden)
    }

    func parameterTensors(for input: Shape) -> [(name: String, shape: [Int])] {
        [("weight_ih", [4 * hidden, input.count]), ("weight_hh", [4 * hidden, hidden]), ("bias_ih", [4 * hidden]), ("bias_hh", [4 * hidden])]
    }

    func forwardMultiplyAdds(input: Shape, output: Shape) -> Int { 4 * hidden * (input.count + hidden) }

    func backwardMultiplyAdds(input: Shape, output: Shape, inputGradient: Bool) -> Int {
        // Weight gradients, the gradient into the previous step's h, and into the input.
        4 * hidden * (input.count + 2 * hidden) + (inputGradient ? 4 * hidden * input.count : 0)
    }

    /// Orthogonal rows in both weight matrices, zero biases.
    func initialize(_ parameters: UnsafeMutablePointer<Float>, input: Shape, rng: inout Xoshiro256, gain: (Int) -> Float) {
        let gates = 4 * hidden, inputs = input.count
        initializeWeightsAndBias(parameters, rows: gates, fanIn: inputs, rng: &rng, gain: gain)
        // That wrote 4H zero biases right after weight_ih, where weight_hh begins: weight_hh over it.
        initializeWeightsAndBias(parameters + gates * inputs, rows: gates, fanIn: hidden, rng: &rng, gain: gain)
        (parameters + gates * inputs + gates * hidden).update(repeating: 0, count: 2 * gates)
    }

    func makeKernel(input: Shape, maxBatch: Int, sequenceStride: Int) -> (any LayerKernel)? {
        LSTMKernel(inputs: input.count, hidden: hidden, maxBatch: maxBatch, stride: sequenceStride)
    }
}

/// The LSTM over rows laid out step by step: row r follows row r - `stride` in time (a rollout of
/// t_max steps of `stride` environments). Rows with no predecessor in the batch start from
/// `initialState`; rows marked in `episodeStarts` start from zeros. The backward pass runs
/// through time over every row (truncated at the batch's first step: the initial state is a constant).
/// Not thread-safe: one per `Network`.
final class LSTMKernel: LayerKernel, RecurrentKernel {
    let inputs: Int, hidden: Int, stride: Int
    /// Per row: the gates after their non-linearities [4H], the cell [H], tanh of the cell [H],
    /// and the predecessor's h and c as used (zeros at an episode start) [H] each.
    let gates: FloatBuffer, cells: FloatBuffer, tanhCells: FloatBuffer
    let previousH: FloatBuffer, previousC: FloatBuffer
    /// h and c [stride, H] each, for rows without a predecessor in the batch.
    let initialH: FloatBuffer, initialC: FloatBuffer
    let episodeStarts: UnsafeMutablePointer<Bool>
    /// Backward scratch: gradients of the gates' inputs [rows, 4H], and of h and c [rows, H].
    let gateGradients: FloatBuffer, hGradients: FloatBuffer, cGradients: FloatBuffer, hPreviousGradient: FloatBuffer

    init(inputs: Int, hidden: Int, maxBatch: Int, stride: Int) {
        self.inputs = inputs
        self.hidden = hidden
        self.stride = max(1, stride)
        gates = FloatBuffer(count: maxBatch * 4 * hidden)
        cells = FloatBuffer(count: maxBatch * hidden)
        tanhCells = FloatBuffer(count: maxBatch * hidden)
        previousH = FloatBuffer(count: maxBatch * hidden)
        previousC = FloatBuffer(count: maxBatch * hidden)
        initialH = FloatBuffer(count: self.stride * hidden)
        initialC = FloatBuffer(count: self.stride * hidden)
        episodeStarts = .allocate(capacity: maxBatch)
        episodeStarts.initialize(repeating: false, count: maxBatch)
        gateGradients = FloatBuffer(count: maxBatch * 4 * hidden)
        hGradients = FloatBuffer(count: maxBatch * hidden)
        cGradients = FloatBuffer(count: maxBatch * hidden)
        hPreviousGradient = FloatBuffer(count: self.stride * hidden)
    }

    deinit { episodeStarts.deallocate() }

    func forward(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        first: Int, count: Int, parameters: UnsafePointer<Float>
    ) {
        // A step's rows need the previous step's: one step at a time.
        var start = first
        while start < first + count {
            let end = min(first + count, (start / stride + 1) * stride)
            forwardStep(
                input: input + (start - first) * inputs, output: output + (start - first) * hidden, first: start,
                count: end - start, parameters: parameters)
            start = end
        }
    }

    /// Rows `first ..< first + count`, all in one step (their predecessors are computed).
    private func forwardStep(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        first: Int, count: Int, parameters: UnsafePointer<Float>
    ) {
        let h4 = 4 * hidden
        let weightIH = parameters, weightHH = parameters + h4 * inputs
        let biasIH = weightHH + h4 * hidden, biasHH = biasIH + h4
        // The predecessor of each row, as this pass uses it.
        for k in 0..<count {
            let r = first + k
            let hp = previousH.pointer + r * hidden, cp = previousC.pointer + r * hidden
            if episodeStarts[r] {
                hp.update(repeating: 0, count: hidden)
                cp.update(repeating: 0, count: hidden)
            } else if r < stride {
                hp.update(from: initialH.pointer + r * hidden, count: hidden)
                cp.update(from: initialC.pointer + r * hidden, count: hidden)
            } else {
                // Row r - stride's h is this layer's output there, before `output`.
                hp.update(from: UnsafePointer(output) + (k - stride) * hidden, count: hidden)
                cp.update(from: cells.pointer + (r - stride) * hidden, count: hidden)
            }
        }
        let z = gates.pointer + first * h4
        Gemm.multiply(
            transposeA: false, transposeB: true, m: count, n: h4, k: inputs,
            a: input, lda: inputs, b: weightIH, ldb: inputs, c: z, ldc: h4)
        Gemm.multiply(
            transposeA: false, transposeB: true, m: count, n: h4, k: hidden,
            a: previousH.pointer + first * hidden, lda: hidden, b: weightHH, ldb: hidden, beta: 1, c: z, ldc: h4)
        for k in 0..<count {
            let r = first + k
            let zr = z + k * h4, c = cells.pointer + r * hidden, tc = tanhCells.pointer + r * hidden
            let cp = previousC.pointer + r * hidden, h = output + k * hidden
            for j in 0..<h4 { zr[j] += biasIH[j] + biasHH[j] }
            for j in 0..<hidden {
                let i = sigmoid(zr[j]), f = sigmoid(zr[hidden + j]), g = tanhf(zr[2 * hidden + j]), o = sigmoid(zr[3 * hidden + j])
                zr[j] = i
                zr[hidden + j] = f
                zr[2 * hidden + j] = g
                zr[3 * hidden + j] = o
                c[j] = f * cp[j] + i * g
                tc[j] = tanhf(c[j])
                h[j] = o * tc[j]
            }
        }
    }

    func backward(
        input: UnsafePointer<Float>, output: UnsafePointer<Float>,
        outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
        count: Int, parameters: UnsafePointer<Float>, parameterGradient: UnsafeMutablePointer<Float>
    ) {
        let h4 = 4 * hidden
        let weightIH = parameters, weightHH = parameters + h4 * inputs
        let dH = hGradients.pointer, dC = cGradients.pointer, dZ = gateGradients.pointer
        dH.update(from: outputGradient, count: count * hidden)
        dC.update(repeating: 0, count: count * hidden)
        // Step by step from the last: a step's rows are complete once the next step has passed
        // its gradients back.
        var stepEnd = count
        while stepEnd > 0 {
            let stepStart = ((stepEnd - 1) / stride) * stride
            for r in stepStart..<stepEnd {
                let gr = gates.pointer + r * h4, dz = dZ + r * h4
                let dh = dH + r * hidden, dc = dC + r * hidden
                let tc = tanhCells.pointer + r * hidden, cp = previousC.pointer + r * hidden
                let linked = r >= stride && !episodeStarts[r]
                for j in 0..<hidden {
                    let i = gr[j], f = gr[hidden + j], g = gr[2 * hidden + j], o = gr[3 * hidden + j]
                    let cellGradient = dc[j] + dh[j] * o * (1 - tc[j] * tc[j])
                    dz[j] = cellGradient * g * i * (1 - i)
                    dz[hidden + j] = cellGradient * cp[j] * f * (1 - f)
                    dz[2 * hidden + j] = cellGradient * i * (1 - g * g)
                    dz[3 * hidden + j] = dh[j] * tc[j] * o * (1 - o)
                    if linked { dC[(r - stride) * hidden + j] += cellGradient * f }
                }
            }
            // Into the previous step's h, for rows that have one in the batch.
            let linkedStart = max(stepStart, stride)
            if linkedStart < stepEnd {
                let rows = stepEnd - linkedStart
                Gemm.multiply(
                    transposeA: false, transposeB: false, m: rows, n: hidden, k: h4,
                    a: dZ + linkedStart * h4, lda: h4, b: weightHH, ldb: hidden, c: hPreviousGradient.pointer, ldc: hidden)
                for k in 0..<rows where !episodeStarts[linkedStart + k] {
                    let target = dH + (linkedStart + k - stride) * hidden, source = hPreviousGradient.pointer + k * hidden
                    for j in 0..<hidden { target[j] += source[j] }
                }
            }
            stepEnd = stepStart
        }
        // Parameter gradients over all rows at once.
        Gemm.multiply(
            transposeA: true, transposeB: false, m: h4, n: inputs, k: count,
            a: dZ, lda: h4, b: input, ldb: inputs, c: parameterGradient, ldc: inputs)
        Gemm.multiply(
            transposeA: true, transposeB: false, m: h4, n: hidden, k: count,
            a: dZ, lda: h4, b: previousH.pointer, ldb: hidden, c: parameterGradient + h4 * inputs, ldc: hidden)
        let biasGradient = parameterGradient + h4 * inputs + h4 * hidden
        sumRows(dZ, rowCount: count, width: h4, into: biasGradient)
        (biasGradient + h4).update(from: biasGradient, count: h4)
        guard let inputGradient else { return }
        Gemm.multiply(
            transposeA: false, transposeB: false, m: count, n: inputs, k: h4,
            a: dZ, lda: h4, b: weightIH, ldb: inputs, c: inputGradient, ldc: inputs)
    }

    // MARK: RecurrentKernel

    func markEpisodeStart(row: Int, _ starts: Bool) { episodeStarts[row] = starts }

    func clearEpisodeStarts(count: Int) { episodeStarts.update(repeating: false, count: count) }

    func carryState(fromRow first: Int, output: UnsafePointer<Float>) {
        initialH.pointer.update(from: output + first * hidden, count: stride * hidden)
        initialC.pointer.update(from: cells.pointer + first * hidden, count: stride * hidden)
    }

    func copyState(fromRow source: Int, toRow target: Int, output: UnsafeMutablePointer<Float>) {
        (output + target * hidden).update(from: output + source * hidden, count: hidden)
        (cells.pointer + target * hidden).update(from: cells.pointer + source * hidden, count: hidden)
    }

    func resetState(slot: Int) {
        (initialH.pointer + slot * hidden).update(repeating: 0, count: hidden)
        (initialC.pointer + slot * hidden).update(repeating: 0, count: hidden)
    }

    var stateWidth: Int { 2 * hidden }

    func saveState(slot: Int, into state: UnsafeMutablePointer<Float>) {
        state.update(from: initialH.pointer + slot * hidden, count: hidden)
        (state + hidden).update(from: initialC.pointer + slot * hidden, count: hidden)
    }

    func loadState(slot: Int, from state: UnsafePointer<Float>) {
        (initialH.pointer + slot * hidden).update(from: state, count: hidden)
        (initialC.pointer + slot * hidden).update(from: state + hidden, count: hidden)
    }
}

@inline(__always)
private func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

/// A kernel whose rows depend on earlier rows (see `LSTMKernel`).
protocol RecurrentKernel: AnyObject {
    func markEpisodeStart(row: Int, _ starts: Bool)
    func clearEpisodeStarts(count: Int)
    /// Rows `first ..< first + stride` become the initial state of the next batch.
    func carryState(fromRow first: Int, output: UnsafePointer<Float>)
    /// Row `target` holds row `source`'s h and c, as if it had computed them.
    func copyState(fromRow source: Int, toRow target: Int, output: UnsafeMutablePointer<Float>)
    func resetState(slot: Int)
    /// Floats of state per sequence.
    var stateWidth: Int { get }
    /// Writes the state sequence `slot` starts the next batch from.
    func saveState(slot: Int, into state: UnsafeMutablePointer<Float>)
    /// Sequence `slot` starts the next batch from `state` (as `saveState` wrote it).
    func loadState(slot: Int, from state: UnsafePointer<Float>)
}
