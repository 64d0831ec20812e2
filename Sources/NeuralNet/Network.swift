/// A runnable instance of a `NetworkSpec`: kernels, activations and their gradients for up to
/// `maxBatch` samples. Parameters are not inside: every call takes a pointer to a flat parameter
/// buffer laid out by the spec, so one network can run on a worker's local copy or on shared memory.
///
/// Forward passes may run one sample at a time into rows `first ..< first + count` (acting in the
/// environment), and one backward pass then uses all rows `0 ..< count` (learning from the rollout)
/// without recomputing anything.
///
/// Not thread-safe: one per thread.
public final class Network {
    /// The layers this network runs; it also fixes the layout of the flat parameter buffer.
    public let spec: NetworkSpec
    /// Number of sample rows the activation and gradient buffers hold.
    public let maxBatch: Int

    private struct Step {
        let kernel: any LayerKernel
        let inputBuffer: Int
        let outputBuffer: Int
        let parameterOffset: Int
    }

    private let steps: [Step]
    /// Recurrent kernels and the activation buffer each writes.
    private let recurrent: [(kernel: any RecurrentKernel, outputBuffer: Int)]
    /// Rows per step in time for recurrent layers.
    public let sequenceStride: Int
    /// activations[b] holds maxBatch rows of width widths[b].
    private let activations: [FloatBuffer]
    private let activationGradients: [FloatBuffer]
    private let widths: [Int]

    /// Builds kernels and buffers for up to `maxBatch` samples. Recurrent layers read row r's
    /// predecessor in time at row r - `sequenceStride` (a worker's environment count; by default
    /// every row is its own sequence, continuing the state set for it).
    public init(spec: NetworkSpec, maxBatch: Int, sequenceStride: Int? = nil) {
        precondition(maxBatch > 0, "maxBatch must be positive")
        self.spec = spec
        self.maxBatch = maxBatch
        var widths = [spec.inputShape.count]
        var steps: [Step] = []
        var recurrent: [(any RecurrentKernel, Int)] = []
        let stride = sequenceStride ?? maxBatch
        self.sequenceStride = stride
        for (index, layer) in spec.layers.enumerated() {
            let input = spec.shapes[index]
            let output = spec.shapes[index + 1]
            // Layers without a kernel (flatten) pass the same rows on under a new shape: no buffer of their own.
            guard let kernel = layer.unit.makeKernel(input: input, maxBatch: maxBatch, sequenceStride: stride) else { continue }
            widths.append(output.count)
            if let memory = kernel as? any RecurrentKernel { recurrent.append((memory, widths.count - 1)) }
            steps.append(
                Step(
                    kernel: kernel, inputBuffer: widths.count - 2, outputBuffer: widths.count - 1,
                    parameterOffset: spec.parameterOffsets[index]))
        }
        self.steps = steps
        self.recurrent = recurrent
        self.widths = widths
        activations = widths.map { FloatBuffer(count: $0 * maxBatch) }
        activationGradients = widths.map { FloatBuffer(count: $0 * maxBatch) }
    }

    /// Where sample `row`'s input goes.
    @inlinable public func input(row: Int) -> UnsafeMutablePointer<Float> { inputRows + row * inputWidth }

    /// Sample `row`'s output, after `forward`.
    @inlinable public func output(row: Int) -> UnsafeMutablePointer<Float> { outputRows + row * outputWidth }

    /// Where the loss gradient for sample `row`'s output goes, before `backward`.
    @inlinable public func outputGradient(row: Int) -> UnsafeMutablePointer<Float> {
        outputGradientRows + row * outputWidth
    }

    /// The gradient with respect to the inputs, after `backward(..., computeInputGradient: true)`.
    public func inputGradient(row: Int) -> UnsafeMutablePointer<Float> {
        activationGradients[0].pointer + row * inputWidth
    }

    @usableFromInline var inputRows: UnsafeMutablePointer<Float> { activations[0].pointer }
    @usableFromInline var outputRows: UnsafeMutablePointer<Float> { activations[activations.count - 1].pointer }
    @usableFromInline var outputGradientRows: UnsafeMutablePointer<Float> {
        activationGradients[activationGradients.count - 1].pointer
    }
    @usableFromInline var inputWidth: Int { widths[0] }
    @usableFromInline var outputWidth: Int { widths[widths.count - 1] }

    /// Runs rows `first ..< first + count` forward.
    public func forward(parameters: UnsafePointer<Float>, first: Int = 0, count: Int) {
        precondition(first >= 0 && count > 0 && first + count <= maxBatch, "batch outside the network's rows")
        for step in steps {
            step.kernel.forward(
                input: activations[step.inputBuffer].pointer + first * widths[step.inputBuffer],
                output: activations[step.outputBuffer].pointer + first * widths[step.outputBuffer],
                first: first, count: count, parameters: parameters + step.parameterOffset)
        }
    }

    /// Back-propagates the output gradients of rows `0 ..< count` and overwrites `gradient`
    /// (a flat buffer laid out like the parameters) with the parameter gradients.
    public func backward(
        parameters: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, count: Int,
        computeInputGradient: Bool = false
    ) {
        precondition(count > 0 && count <= maxBatch, "batch outside the network's rows")
        for (index, step) in steps.enumerated().reversed() {
            let needsInputGradient = index > 0 || computeInputGradient
            step.kernel.backward(
                input: activations[step.inputBuffer].pointer,
                output: activations[step.outputBuffer].pointer,
                outputGradient: activationGradients[step.outputBuffer].pointer,
                inputGradient: needsInputGradient ? activationGradients[step.inputBuffer].pointer : nil,
                count: count, parameters: parameters + step.parameterOffset,
                parameterGradient: gradient + step.parameterOffset)
        }
    }

    // MARK: recurrent state

    /// The network has a recurrent layer (an LSTM) and keeps state between batches.
    public var isRecurrent: Bool { !recurrent.isEmpty }

    /// Row `row` starts an episode (or not): recurrent layers start it from zeros.
    public func markEpisodeStart(row: Int, _ starts: Bool = true) {
        for r in recurrent { r.kernel.markEpisodeStart(row: row, starts) }
    }

    /// No row of the first `count` starts an episode.
    public func clearEpisodeStarts(count: Int) {
        for r in recurrent { r.kernel.clearEpisodeStarts(count: count) }
    }

    /// The state after rows `first ..< first + sequenceStride` is where the next batch starts.
    public func carryRecurrentState(fromRow first: Int) {
        for r in recurrent { r.kernel.carryState(fromRow: first, output: activations[r.outputBuffer].pointer) }
    }

    /// Row `target` takes row `source`'s recurrent state, so that the row `sequenceStride` after
    /// `target` continues from `source` (a truncated episode's last observation, valued in a spare row).
    public func copyRecurrentState(fromRow source: Int, toRow target: Int) {
        for r in recurrent { r.kernel.copyState(fromRow: source, toRow: target, output: activations[r.outputBuffer].pointer) }
    }

    /// Sequence `slot` (an environment) starts from zeros.
    public func resetRecurrentState(slot: Int) {
        for r in recurrent { r.kernel.resetState(slot: slot) }
    }
}
