/// One layer of a feed-forward network, as configuration. `Network` turns specs into kernels.
public enum LayerSpec: Sendable, Hashable, Codable {
    /// Fully connected: weight [outputs, inputs] (PyTorch's layout), bias [outputs].
    case linear(outputs: Int)
    /// Fully connected in groups of output rows, each seeing one span of the inputs (towers side by
    /// side); stored as `linear` is, with zeros outside the groups.
    case groupedLinear(groups: [LinearGroup])
    /// 2-D convolution on [height, width, channels] samples: weight [filters, kernel, kernel, channels], bias [filters].
    case conv2d(filters: Int, kernel: Int, stride: Int, padding: Int)
    /// max(0, x).
    case relu
    /// tanh(x).
    case tanh
    /// x for x > 0, exp(x) - 1 otherwise.
    case elu
    /// Reshapes to one dimension; costs nothing (rows are already contiguous).
    case flatten
    /// A long short-term memory layer of `hidden` cells (PyTorch's `nn.LSTMCell`); its rows are
    /// steps in time (see `Network.init(spec:maxBatch:sequenceStride:)`).
    case lstm(hidden: Int)
    /// `count` learned values (a Gaussian policy's state-independent log σ, "log_std") put into
    /// every row before its last value.
    case logStd(count: Int)

    /// What this kind of layer knows about itself; the one place the cases are told apart.
    var unit: any LayerUnit {
        switch self {
        case .linear(let outputs): LinearLayer(outputs: outputs)
        case .groupedLinear(let groups): GroupedLinearLayer(groups: groups)
        case .conv2d(let filters, let kernel, let stride, let padding):
            Conv2DLayer(filters: filters, kernel: kernel, stride: stride, padding: padding)
        case .relu: ReLULayer()
        case .tanh: TanhLayer()
        case .elu: ELULayer()
        case .flatten: FlattenLayer()
        case .lstm(let hidden): LSTMLayer(hidden: hidden)
        case .logStd(let count): LogStdLayer(count: count)
        }
    }

    /// The output shape for a given input shape, or a message saying why the input does not fit.
    public func outputShape(for input: Shape) throws(NetworkShapeError) -> Shape {
        try unit.outputShape(for: input)
    }

    /// Parameters this layer owns for a given input shape.
    public func parameterCount(for input: Shape) -> Int { unit.parameterCount(for: input) }

    /// The layer's parameter tensors in their order in the flat buffer: names (as PyTorch names
    /// them: "weight", "bias") and shapes; what checkpoints store.
    public func parameterTensors(for input: Shape) -> [(name: String, shape: [Int])] { unit.parameterTensors(for: input) }
}

/// A network description whose shapes do not fit together.
public struct NetworkShapeError: Error, CustomStringConvertible, Sendable {
    /// Says which layer or shape does not fit, and why, in one line.
    public let description: String
    /// An error with the one-line message `description`.
    public init(_ description: String) { self.description = description }
}
