import Randomness

/// 2-D convolution on [height, width, channels] samples (NHWC rows): weight [filters, kernel,
/// kernel, channels], bias [filters]. Runs as four GEMMs over blocks where kernel = 2 x stride fits
/// the input exactly (the Atari networks), through im2col otherwise.
struct Conv2DLayer: LayerUnit {
    let filters: Int, kernel: Int, stride: Int, padding: Int

    func outputShape(for input: Shape) throws(NetworkShapeError) -> Shape {
        guard input.dimensions.count == 3 else {
            throw NetworkShapeError("conv2d needs [height, width, channels] input, got \(input)")
        }
        guard filters > 0, kernel > 0, stride > 0, padding >= 0 else {
            throw NetworkShapeError("conv2d needs positive filters, kernel and stride")
        }
        guard input.dimensions[0] + 2 * padding >= kernel, input.dimensions[1] + 2 * padding >= kernel else {
            throw NetworkShapeError("conv2d kernel \(kernel) is larger than its input \(input)")
        }
        let height = (input.dimensions[0] + 2 * padding - kernel) / stride + 1
        let width = (input.dimensions[1] + 2 * padding - kernel) / stride + 1
        return Shape(height, width, filters)
    }

    func parameterTensors(for input: Shape) -> [(name: String, shape: [Int])] {
        [("weight", [filters, kernel, kernel, input.dimensions[2]]), ("bias", [filters])]
    }

    func forwardMultiplyAdds(input: Shape, output: Shape) -> Int {
        output.dimensions[0] * output.dimensions[1] * filters * kernel * kernel * input.dimensions[2]
    }

    func backwardMultiplyAdds(input: Shape, output: Shape, inputGradient: Bool) -> Int {
        forwardMultiplyAdds(input: input, output: output) * (inputGradient ? 2 : 1)
    }

    func initialize(_ parameters: UnsafeMutablePointer<Float>, input: Shape, rng: inout Xoshiro256, gain: (Int) -> Float) {
        initializeWeightsAndBias(parameters, rows: filters, fanIn: kernel * kernel * input.dimensions[2], rng: &rng, gain: gain)
    }

    func makeKernel(input: Shape, maxBatch: Int, sequenceStride: Int) -> (any LayerKernel)? {
        if ConvolutionBackend.inEffect == .oneDNN, padding == 0,
            let primitives = OneDNNConvKernel(input: input, filters: filters, kernel: kernel, stride: stride, maxBatch: maxBatch)
        {
            return primitives
        }
        if SpaceToDepthConvKernel.fits(input: input, kernel: kernel, stride: stride, padding: padding) {
            return SpaceToDepthConvKernel(input: input, filters: filters, stride: stride, maxBatch: maxBatch)
        }
        return Conv2DKernel(input: input, filters: filters, kernel: kernel, stride: stride, padding: padding, maxBatch: maxBatch)
    }
}

/// 2-D convolution on NHWC rows through im2col and one matrix product:
/// columns[samples * outH * outW, kernel * kernel * channels] x W^T[.., filters] = output[.., filters],
/// which is already the NHWC layout of the next layer. The columns stay in scratch for the backward pass.
final class Conv2DKernel: LayerKernel {
    let height: Int, width: Int, channels: Int
    let filters: Int, kernel: Int, stride: Int, padding: Int
    let outHeight: Int, outWidth: Int
    /// Length of one column row: one receptive field.
    let patch: Int
    /// Receptive fields per sample.
    let positions: Int
    let columns: FloatBuffer
    let columnGradient: FloatBuffer

    init(input: Shape, filters: Int, kernel: Int, stride: Int, padding: Int, maxBatch: Int) {
        height = input.dimensions[0]
        width = input.dimensions[1]
        channels = input.dimensions[2]
        self.filters = filters
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        outHeight = (height + 2 * padding - kernel) / stride + 1
        outWidth = (width + 2 * padding - kernel) / stride + 1
        patch = kernel * kernel * channels
        positions = outHeight * outWidth
        columns = FloatBuffer(count: maxBatch * positions * patch)
        columnGradient = FloatBuffer(count: maxBatch * positions * patch)
    }

    func forward(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        first: Int, count: Int, parameters: UnsafePointer<Float>
    ) {
        let sampleColumns = columns.pointer + first * positions * patch
        let inputCount = height * width * channels
        for sample in 0..<count {
            gatherColumns(from: input + sample * inputCount, into: sampleColumns + sample * positions * patch)
        }
        let weight = parameters, bias = parameters + filters * patch
        Gemm.multiply(
            transposeA: false, transposeB: true, m: count * positions, n: filters, k: patch,
            a: sampleColumns, lda: patch, b: weight, ldb: patch, c: output, ldc: filters)
        addBias(bias, to: output, rowCount: count * positions, width: filters)
    }

    func backward(
        input: UnsafePointer<Float>, output: UnsafePointer<Float>,
        outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
        count: Int, parameters: UnsafePointer<Float>, parameterGradient: UnsafeMutablePointer<Float>
    ) {
        let rows = count * positions
        // dW[filters, patch] = dY^T x columns
        Gemm.multiply(
            transposeA: true, transposeB: false, m: filters, n: patch, k: rows,
            a: outputGradient, lda: filters, b: columns.pointer, ldb: patch, c: parameterGradient, ldc: patch)
        sumRows(outputGradient, rowCount: rows, width: filters, into: parameterGradient + filters * patch)
        guard let inputGradient else { return }
        // dColumns = dY x W, then scattered back onto the input positions.
        Gemm.multiply(
            transposeA: false, transposeB: false, m: rows, n: patch, k: filters,
            a: outputGradient, lda: filters, b: parameters, ldb: patch, c: columnGradient.pointer, ldc: patch)
        let inputCount = height * width * channels
        inputGradient.update(repeating: 0, count: count * inputCount)
        for sample in 0..<count {
            scatterColumns(
                from: columnGradient.pointer + sample * positions * patch, into: inputGradient + sample * inputCount)
        }
    }

    /// One sample's receptive fields, one row each; zeros where the kernel overhangs the padding.
    private func gatherColumns(from image: UnsafePointer<Float>, into rows: UnsafeMutablePointer<Float>) {
        let span = kernel * channels
        var row = rows
        for oy in 0..<outHeight {
            for ox in 0..<outWidth {
                let x0 = ox * stride - padding
                let fullWidth = x0 >= 0 && x0 + kernel <= width
                for ky in 0..<kernel {
                    let target = row + ky * span
                    let y = oy * stride - padding + ky
                    if y < 0 || y >= height {
                        target.update(repeating: 0, count: span)
                    } else if fullWidth {
                        // kernel x channels floats are contiguous in NHWC.
                        copyFloats(from: image + (y * width + x0) * channels, to: target, count: span)
                    } else {
                        for kx in 0..<kernel {
                            let x = x0 + kx
                            if x < 0 || x >= width {
                                (target + kx * channels).update(repeating: 0, count: channels)
                            } else {
                                (target + kx * channels).update(from: image + (y * width + x) * channels, count: channels)
                            }
                        }
                    }
                }
                row += patch
            }
        }
    }

    /// The adjoint of `gatherColumns`: adds each row's entries onto the input positions they came from.
    private func scatterColumns(from rows: UnsafePointer<Float>, into image: UnsafeMutablePointer<Float>) {
        var row = rows
        for oy in 0..<outHeight {
            for ox in 0..<outWidth {
                let x0 = ox * stride - padding
                for ky in 0..<kernel {
                    let y = oy * stride - padding + ky
                    guard y >= 0 && y < height else { continue }
                    let source = row + ky * kernel * channels
                    for kx in 0..<kernel {
                        let x = x0 + kx
                        guard x >= 0 && x < width else { continue }
                        let target = image + (y * width + x) * channels
                        let from = source + kx * channels
                        for c in 0..<channels { target[c] += from[c] }
                    }
                }
                row += patch
            }
        }
    }
}

/// A short copy inlined into the im2col loop: a call to memmove for each 32-float receptive-field
/// row cost more than the copy itself (a tenth of all training time on Atari).
@inline(__always)
private func copyFloats(from source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + 16 <= count {
        UnsafeMutableRawPointer(target + i).storeBytes(
            of: UnsafeRawPointer(source + i).loadUnaligned(as: SIMD16<Float>.self), as: SIMD16<Float>.self)
        i += 16
    }
    while i < count {
        target[i] = source[i]
        i += 1
    }
}
