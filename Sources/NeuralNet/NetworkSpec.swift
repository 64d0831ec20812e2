/// A feed-forward network: an input shape and a list of layers. Value type, shared freely between threads;
/// each thread builds its own `Network` (activations, scratch) from it.
public struct NetworkSpec: Sendable, Hashable {
    /// Shape of one input sample.
    public let inputShape: Shape
    /// The layers, input first.
    public let layers: [LayerSpec]
    /// Shape after each layer: `shapes[0]` is the input, `shapes[i + 1]` follows `layers[i]`.
    public let shapes: [Shape]
    /// Where each layer's parameters start in the flat parameter buffer.
    public let parameterOffsets: [Int]
    /// Total number of parameters.
    public let parameterCount: Int

    /// Checks that the layers fit together and lays their parameters out contiguously, in layer order.
    public init(inputShape: Shape, layers: [LayerSpec]) throws(NetworkShapeError) {
        self.inputShape = inputShape
        self.layers = layers
        var shapes = [inputShape]
        var offsets: [Int] = []
        var total = 0
        for layer in layers {
            let input = shapes[shapes.count - 1]
            offsets.append(total)
            total += layer.parameterCount(for: input)
            shapes.append(try layer.outputShape(for: input))
        }
        self.shapes = shapes
        self.parameterOffsets = offsets
        self.parameterCount = total
    }

    /// Shape of the network's output sample.
    public var outputShape: Shape { shapes[shapes.count - 1] }

    /// Multiply-adds of one forward pass for one sample (what GFLOP/s figures are counted from: 2 flops each).
    public var forwardMultiplyAdds: Int {
        var total = 0
        for (index, layer) in layers.enumerated() {
            let input = shapes[index], output = shapes[index + 1]
            switch layer {
            case .linear(let outputs):
                total += outputs * input.count
            case .conv2d(let filters, let kernel, _, _):
                total += output.dimensions[0] * output.dimensions[1] * filters * kernel * kernel * input.dimensions[2]
            case .relu, .tanh, .flatten:
                break
            }
        }
        return total
    }

    /// Multiply-adds of one backward pass for one sample: weight gradients everywhere,
    /// input gradients everywhere but the first layer.
    public var backwardMultiplyAdds: Int {
        var total = 0
        var first = true
        for (index, layer) in layers.enumerated() {
            let input = shapes[index], output = shapes[index + 1]
            var perPass = 0
            switch layer {
            case .linear(let outputs):
                perPass = outputs * input.count
            case .conv2d(let filters, let kernel, _, _):
                perPass = output.dimensions[0] * output.dimensions[1] * filters * kernel * kernel * input.dimensions[2]
            case .relu, .tanh, .flatten:
                continue
            }
            total += first ? perPass : 2 * perPass
            first = false
        }
        return total
    }
}
