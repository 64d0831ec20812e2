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
    /// ReLU and ELU layers: the activation buffer each writes, its units (a convolution's filters
    /// for [height, width, channels] activations, else its neurons) and the positions of each.
    private let rectifiers: [(buffer: Int, units: Int, positions: Int)]
    /// Per unit of the widest rectifier layer: its largest output in the rows seen so far.
    private let unitMaxima: UnsafeMutablePointer<Float>

    /// Builds kernels and buffers for up to `maxBatch` samples. Recurrent layers read row r's
    /// predecessor in time at row r - `sequenceStride` (a worker's environment count; by default
    /// every row is its own sequence, continuing the state set for it). With `inputs`, the input
    /// rows are that buffer's (a rollout's observations, say, at least `maxBatch` rows), not its own.
    public init(spec: NetworkSpec, maxBatch: Int, sequenceStride: Int? = nil, inputs: FloatBuffer? = nil) {
        precondition(maxBatch > 0, "maxBatch must be positive")
        precondition((inputs?.count ?? .max) >= maxBatch * spec.inputShape.count, "input rows shorter than maxBatch")
        self.spec = spec
        self.maxBatch = maxBatch
        var widths = [spec.inputShape.count]
        var steps: [Step] = []
        var recurrent: [(any RecurrentKernel, Int)] = []
        var rectifiers: [(buffer: Int, units: Int, positions: Int)] = []
        let stride = sequenceStride ?? maxBatch
        self.sequenceStride = stride
        for (index, layer) in spec.layers.enumerated() {
            let input = spec.shapes[index]
            let output = spec.shapes[index + 1]
            // Layers without a kernel (flatten) pass the same rows on under a new shape: no buffer of their own.
            guard let kernel = layer.unit.makeKernel(input: input, maxBatch: maxBatch, sequenceStride: stride) else { continue }
            widths.append(output.count)
            if let memory = kernel as? any RecurrentKernel { recurrent.append((memory, widths.count - 1)) }
            if let (units, positions) = Self.rectifierUnits(layer, input: input) {
                rectifiers.append((widths.count - 1, units, positions))
            }
            steps.append(
                Step(
                    kernel: kernel, inputBuffer: widths.count - 2, outputBuffer: widths.count - 1,
                    parameterOffset: spec.parameterOffsets[index]))
        }
        self.steps = steps
        self.recurrent = recurrent
        self.widths = widths
        self.rectifiers = rectifiers
        let widest = rectifiers.map(\.units).max() ?? 0
        unitMaxima = .allocate(capacity: widest)
        unitMaxima.initialize(repeating: 0, count: widest)
        activations = [inputs ?? FloatBuffer(count: widths[0] * maxBatch)]
            + widths.dropFirst().map { FloatBuffer(count: $0 * maxBatch) }
        activationGradients = widths.map { FloatBuffer(count: $0 * maxBatch) }
    }

    deinit { unitMaxima.deallocate() }

    // MARK: dead units

    /// A ReLU or ELU layer's units for its input shape: a convolution's filters (the last of three
    /// dimensions) at each of its positions, or one unit per value; nil for other layers.
    static func rectifierUnits(_ layer: LayerSpec, input: Shape) -> (units: Int, positions: Int)? {
        guard layer == .relu || layer == .elu else { return nil }
        let dimensions = input.dimensions
        if dimensions.count == 3 { return (dimensions[2], dimensions[0] * dimensions[1]) }
        return (input.count, 1)
    }

    /// ReLU and ELU units in the whole network (0: `deadUnitFraction` has nothing to count).
    public static func rectifierUnits(of spec: NetworkSpec) -> Int {
        spec.layers.indices.reduce(0) { $0 + (rectifierUnits(spec.layers[$1], input: spec.shapes[$1])?.units ?? 0) }
    }

    /// The share of ReLU and ELU units, over all such layers, whose output was positive in none
    /// of rows `0 ..< count` after the last forward passes (a filter counts as active when it is
    /// positive at any position); 0 for a network without them. Such a unit passes no gradient
    /// (ReLU) or only its saturated tail's (ELU).
    public func deadUnitFraction(count: Int) -> Float {
        precondition(count > 0 && count <= maxBatch, "batch outside the network's rows")
        var dead = 0, units = 0
        for layer in rectifiers {
            let values = UnsafePointer(activations[layer.buffer].pointer)
            let maxima = unitMaxima
            // A running maximum vectorises; ReLU's outputs are never below 0, ELU's above -1.
            maxima.update(repeating: -1, count: layer.units)
            for sample in 0..<(count * layer.positions) {
                let row = values + sample * layer.units
                for u in 0..<layer.units { maxima[u] = max(maxima[u], row[u]) }
            }
            for u in 0..<layer.units where !(maxima[u] > 0) { dead += 1 }
            units += layer.units
        }
        return units == 0 ? 0 : Float(dead) / Float(units)
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

    /// Floats of recurrent state per sequence of a network of `spec`: every recurrent layer's (an
    /// LSTM's h and c).
    public static func recurrentStateWidth(of spec: NetworkSpec) -> Int {
        spec.layers.reduce(0) { width, layer in
            if case .lstm(let hidden) = layer { width + 2 * hidden } else { width }
        }
    }

    /// Writes the state sequence `slot` starts its next batch from (`recurrentStateWidth(of:)` Floats).
    public func saveRecurrentState(slot: Int, into state: UnsafeMutablePointer<Float>) {
        var offset = 0
        for r in recurrent {
            r.kernel.saveState(slot: slot, into: state + offset)
            offset += r.kernel.stateWidth
        }
    }

    /// Sequence `slot` starts its next batch from `state`, as `saveRecurrentState` wrote it.
    public func loadRecurrentState(slot: Int, from state: UnsafePointer<Float>) {
        var offset = 0
        for r in recurrent {
            r.kernel.loadState(slot: slot, from: state + offset)
            offset += r.kernel.stateWidth
        }
    }
}
