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

    /// A layer keeps state from one step to the next (an LSTM).
    public var isRecurrent: Bool { layers.contains { $0.unit is LSTMLayer } }

    /// Multiply-adds of one forward pass for one sample (what GFLOP/s figures are counted from: 2 flops each).
    public var forwardMultiplyAdds: Int {
        layers.indices.reduce(0) { total, i in
            total + layers[i].unit.forwardMultiplyAdds(input: shapes[i], output: shapes[i + 1])
        }
    }

    /// Multiply-adds of one backward pass for one sample: parameter gradients everywhere, input
    /// gradients everywhere after the first layer with parameters.
    public var backwardMultiplyAdds: Int {
        var total = 0
        var seenParameters = false
        for (i, layer) in layers.enumerated() {
            let unit = layer.unit
            total += unit.backwardMultiplyAdds(input: shapes[i], output: shapes[i + 1], inputGradient: seenParameters)
            if unit.parameterCount(for: shapes[i]) > 0 { seenParameters = true }
        }
        return total
    }
}
