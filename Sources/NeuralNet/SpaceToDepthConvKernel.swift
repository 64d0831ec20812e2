/// 2-D convolution for the shape of the Atari networks (kernel = 2 x stride, no padding, the input an
/// exact grid of stride x stride blocks) without im2col. The input is rearranged once into blocks
/// ("space to depth": [blockRows, blockColumns, stride * stride * channels], a permutation of the
/// same floats), after which the convolution is a 2 x 2 convolution with stride 1 over blocks:
/// four matrix products, one per block offset, each reading the block rows at a fixed shift.
///
/// Why: im2col copies every input value kernel² / stride² = 4 times into a buffer four times the
/// input's size, which on the paper's network cost more time than any layer's arithmetic but the
/// matrix products. The four products here read the blocks in place.
///
/// To run each product over all samples at once, outputs are computed on the padded grid
/// [blockRows, blockColumns] per sample (the last block row and column are discarded), so the block
/// read for output row r at offset (dy, dx) is always row r + dy * blockColumns + dx.
final class SpaceToDepthConvKernel: LayerKernel {
    let channels: Int, filters: Int, stride: Int
    let outHeight: Int, outWidth: Int
    let blockRows: Int, blockColumns: Int
    /// Floats in one block: stride x stride x channels.
    let depth: Int
    /// Blocks (and padded output rows) per sample.
    let blocksPerSample: Int
    /// Extra block rows after the last sample that the shifted products read.
    let tail: Int
    /// Blocks of every sample of the last forward passes, plus `tail` zero rows.
    let blocks: FloatBuffer
    /// Products on the padded grid, [samples x blocksPerSample, filters].
    let paddedOutput: FloatBuffer
    /// The weight per block offset: [4][filters, depth].
    let offsetWeights: FloatBuffer
    let offsetWeightGradients: FloatBuffer
    let blockGradient: FloatBuffer
    /// Samples per group in the backward pass: about 512 KiB of blocks.
    let samplesPerGroup: Int

    /// Whether a convolution has the shape this kernel handles.
    static func fits(input: Shape, kernel: Int, stride: Int, padding: Int) -> Bool {
        padding == 0 && kernel == 2 * stride && input.dimensions[0] % stride == 0
            && input.dimensions[1] % stride == 0 && input.dimensions[0] >= kernel && input.dimensions[1] >= kernel
    }

    init(input: Shape, filters: Int, stride: Int, maxBatch: Int) {
        channels = input.dimensions[2]
        self.filters = filters
        self.stride = stride
        blockRows = input.dimensions[0] / stride
        blockColumns = input.dimensions[1] / stride
        outHeight = blockRows - 1
        outWidth = blockColumns - 1
        depth = stride * stride * channels
        blocksPerSample = blockRows * blockColumns
        tail = blockColumns + 1
        blocks = FloatBuffer(count: (maxBatch * blocksPerSample + tail) * depth)
        paddedOutput = FloatBuffer(count: maxBatch * blocksPerSample * filters)
        offsetWeights = FloatBuffer(count: 4 * filters * depth)
        offsetWeightGradients = FloatBuffer(count: 4 * filters * depth)
        blockGradient = FloatBuffer(count: (maxBatch * blocksPerSample + tail) * depth)
        samplesPerGroup = max(1, (1 << 17) / (blocksPerSample * depth))
    }

    /// Block row shift of offset q = 2 * dy + dx.
    @inline(__always) private func shift(_ q: Int) -> Int { (q >> 1) * blockColumns + (q & 1) }

    func forward(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        first: Int, count: Int, parameters: UnsafePointer<Float>
    ) {
        let sampleBlocks = blocks.pointer + first * blocksPerSample * depth
        let inputCount = blocksPerSample * depth
        for sample in 0..<count {
            toBlocks(input + sample * inputCount, sampleBlocks + sample * inputCount)
        }
        packOffsetWeights(parameters)
        let rows = count * blocksPerSample
        let padded = paddedOutput.pointer + first * blocksPerSample * filters
        for q in 0..<4 {
            Gemm.multiply(
                transposeA: false, transposeB: true, m: rows, n: filters, k: depth,
                a: sampleBlocks + shift(q) * depth, lda: depth, b: offsetWeights.pointer + q * filters * depth, ldb: depth,
                beta: q == 0 ? 0 : 1, c: padded, ldc: filters)
        }
        // Keep the real outputs, add the bias.
        let bias = parameters + filters * 4 * depth
        for sample in 0..<count {
            for oy in 0..<outHeight {
                let source = padded + (sample * blocksPerSample + oy * blockColumns) * filters
                let target = output + (sample * outHeight + oy) * outWidth * filters
                for ox in 0..<outWidth {
                    for f in 0..<filters { target[ox * filters + f] = source[ox * filters + f] + bias[f] }
                }
            }
        }
    }

    func backward(
        input: UnsafePointer<Float>, output: UnsafePointer<Float>,
        outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
        count: Int, parameters: UnsafePointer<Float>, parameterGradient: UnsafeMutablePointer<Float>
    ) {
        // The output gradient on the padded grid, zero where outputs were discarded.
        let padded = paddedOutput.pointer
        padded.update(repeating: 0, count: count * blocksPerSample * filters)
        for sample in 0..<count {
            for oy in 0..<outHeight {
                (padded + (sample * blocksPerSample + oy * blockColumns) * filters).update(
                    from: outputGradient + (sample * outHeight + oy) * outWidth * filters, count: outWidth * filters)
            }
        }
        // dW(q)[filters, depth] = dY^T x blocks shifted by q, a group of samples at a time so that
        // the four products over the group's blocks find them in cache (a whole rollout's blocks
        // are megabytes).
        var firstSample = 0
        while firstSample < count {
            let samples = min(samplesPerGroup, count - firstSample)
            let rowsStart = firstSample * blocksPerSample
            for q in 0..<4 {
                Gemm.multiply(
                    transposeA: true, transposeB: false, m: filters, n: depth, k: samples * blocksPerSample,
                    a: padded + rowsStart * filters, lda: filters, b: blocks.pointer + (rowsStart + shift(q)) * depth, ldb: depth,
                    beta: firstSample == 0 ? 0 : 1, c: offsetWeightGradients.pointer + q * filters * depth, ldc: depth)
            }
            firstSample += samples
        }
        unpackOffsetWeightGradients(into: parameterGradient)
        sumRows(outputGradient, rowCount: count * outHeight * outWidth, width: filters, into: parameterGradient + filters * 4 * depth)

        guard let inputGradient else { return }
        // dBlocks shifted by q += dY x W(q); then the blocks go back to the input layout.
        packOffsetWeights(parameters)
        let gradientBlocks = blockGradient.pointer
        let inputCount = blocksPerSample * depth
        firstSample = 0
        while firstSample < count {
            let samples = min(samplesPerGroup, count - firstSample)
            let rowsStart = firstSample * blocksPerSample
            let groupRows = samples * blocksPerSample
            // The unshifted product writes the group's rows; the shifted ones add to them and to the
            // tail after (which receives only zeros: those outputs were discarded).
            (gradientBlocks + (rowsStart + groupRows) * depth).update(repeating: 0, count: tail * depth)
            for q in 0..<4 {
                Gemm.multiply(
                    transposeA: false, transposeB: false, m: groupRows, n: depth, k: filters,
                    a: padded + rowsStart * filters, lda: filters, b: offsetWeights.pointer + q * filters * depth, ldb: depth,
                    beta: q == 0 ? 0 : 1, c: gradientBlocks + (rowsStart + shift(q)) * depth, ldc: depth)
            }
            // A block only receives from its own sample's outputs: the group's samples are complete.
            for sample in firstSample..<(firstSample + samples) {
                fromBlocks(gradientBlocks + sample * inputCount, inputGradient + sample * inputCount)
            }
            firstSample += samples
        }
    }

    /// [H, W, C] -> [blockRows, blockColumns, stride, stride, C]; rows of stride x C floats move whole.
    private func toBlocks(_ image: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>) {
        let span = stride * channels
        let width = blockColumns * stride
        var out = target
        for by in 0..<blockRows {
            for bx in 0..<blockColumns {
                for sy in 0..<stride {
                    let source = image + ((by * stride + sy) * width + bx * stride) * channels
                    for i in 0..<span { out[i] = source[i] }
                    out += span
                }
            }
        }
    }

    /// The inverse of `toBlocks`. (Written out, not shared with it through a closure: that cost
    /// about a tenth of the network's speed, measured with `a3c bench`.)
    private func fromBlocks(_ source: UnsafePointer<Float>, _ image: UnsafeMutablePointer<Float>) {
        let span = stride * channels
        let width = blockColumns * stride
        var from = source
        for by in 0..<blockRows {
            for bx in 0..<blockColumns {
                for sy in 0..<stride {
                    let target = image + ((by * stride + sy) * width + bx * stride) * channels
                    for i in 0..<span { target[i] = from[i] }
                    from += span
                }
            }
        }
    }

    /// W[f, ky, kx, c] with ky = dy * stride + sy, kx = dx * stride + sx -> W(q = 2dy + dx)[f, sy, sx, c].
    private func packOffsetWeights(_ weight: UnsafePointer<Float>) {
        forEachOffsetSpan { packed, original in
            let target = offsetWeights.pointer + packed, source = weight + original
            for i in 0..<(stride * channels) { target[i] = source[i] }
        }
    }

    private func unpackOffsetWeightGradients(into gradient: UnsafeMutablePointer<Float>) {
        forEachOffsetSpan { packed, original in
            let target = gradient + original, source = offsetWeightGradients.pointer + packed
            for i in 0..<(stride * channels) { target[i] = source[i] }
        }
    }

    /// Calls `body` for each contiguous run of stride x channels weights with its offset in the
    /// packed and in the original layout.
    @inline(__always)
    private func forEachOffsetSpan(_ body: (_ packed: Int, _ original: Int) -> Void) {
        let kernel = 2 * stride
        for q in 0..<4 {
            let dy = q >> 1, dx = q & 1
            for f in 0..<filters {
                for sy in 0..<stride {
                    let packed = (q * filters + f) * depth + sy * stride * channels
                    let original = ((f * kernel + dy * stride + sy) * kernel + dx * stride) * channels
                    body(packed, original)
                }
            }
        }
    }
}
