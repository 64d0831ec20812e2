/// One layer of a feed-forward network, as configuration. `Network` turns specs into kernels.
public enum LayerSpec: Sendable, Hashable, Codable {
    /// Fully connected: weight [outputs, inputs] (PyTorch's layout), bias [outputs].
    case linear(outputs: Int)
    /// 2-D convolution on [height, width, channels] samples: weight [filters, kernel, kernel, channels], bias [filters].
    case conv2d(filters: Int, kernel: Int, stride: Int, padding: Int)
    /// max(0, x).
    case relu
    /// tanh(x).
    case tanh
    /// Reshapes to one dimension; costs nothing (rows are already contiguous).
    case flatten

    /// The output shape for a given input shape, or a message saying why the input does not fit.
    public func outputShape(for input: Shape) throws(NetworkShapeError) -> Shape {
        switch self {
        case .linear(let outputs):
            guard outputs > 0 else { throw NetworkShapeError("linear layer needs at least one output") }
            return Shape(outputs)
        case .conv2d(let filters, let kernel, let stride, let padding):
            guard input.dimensions.count == 3 else {
                throw NetworkShapeError("conv2d needs [height, width, channels] input, got \(input)")
            }
            guard filters > 0, kernel > 0, stride > 0, padding >= 0 else {
                throw NetworkShapeError("conv2d needs positive filters, kernel and stride")
            }
            let height = (input.dimensions[0] + 2 * padding - kernel) / stride + 1
            let width = (input.dimensions[1] + 2 * padding - kernel) / stride + 1
            guard input.dimensions[0] + 2 * padding >= kernel, input.dimensions[1] + 2 * padding >= kernel else {
                throw NetworkShapeError("conv2d kernel \(kernel) is larger than its input \(input)")
            }
            return Shape(height, width, filters)
        case .relu, .tanh:
            return input
        case .flatten:
            return Shape(input.count)
        }
    }

    /// Parameters this layer owns for a given input shape.
    public func parameterCount(for input: Shape) -> Int {
        switch self {
        case .linear(let outputs):
            return outputs * input.count + outputs
        case .conv2d(let filters, let kernel, _, _):
            return filters * kernel * kernel * input.dimensions[2] + filters
        case .relu, .tanh, .flatten:
            return 0
        }
    }
}

/// A network description whose shapes do not fit together.
public struct NetworkShapeError: Error, CustomStringConvertible, Sendable {
    /// Says which layer or shape does not fit, and why, in one line.
    public let description: String
    /// An error with the one-line message `description`.
    public init(_ description: String) { self.description = description }
}
