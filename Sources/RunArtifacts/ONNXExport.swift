import Foundation
import NeuralNet

/// A trained actor-critic network as an ONNX model (IR 8, opset 17), for runtimes such as
/// onnxruntime: input `observation` [batch, ...the observation's shape], outputs `policy_logits`
/// [batch, actions] (softmax gives the policy) and `value` [batch, 1]. A recurrent network is one
/// step in time: it also takes `h_in` and `c_in` [batch, cells] (zeros at an episode's start) and
/// gives `h_out` and `c_out`, the state to pass to the next step. A Gaussian policy (continuous
/// actions) gives `action_mean` and `action_std` [batch, dimensions] instead of the logits.
///
/// Observations keep our layout (pictures are [height, width, frames]); the graph transposes to
/// the channels-first order of ONNX's Conv and back before flattening, so its numbers are ours.
/// Written with a small protobuf encoder of our own: the fields used are those of onnx.proto.
public enum ONNXExport {
    /// The serialized model for `spec` with `parameters` laid out as the spec says.
    /// With `observationShift` and `observationScale` (a run that normalised its observations), the
    /// graph normalises `observation` first, as training did: clip((x - shift) * scale, -10, 10).
    /// With `gaussian`, `actionCount` is the number of continuous action dimensions and σ is read
    /// in that form.
    public static func model(
        spec: NetworkSpec, parameters: [Float], actionCount: Int, producerVersion: String,
        observationShift: [Float]? = nil, observationScale: [Float]? = nil, gaussian: Gaussian.Form? = nil
    ) throws -> Data {
        guard parameters.count == spec.parameterCount else {
            throw ArtifactError("the parameters (\(parameters.count)) do not fit the network (\(spec.parameterCount))")
        }
        let policyWidth = gaussian == nil ? actionCount : 2 * actionCount
        guard spec.outputShape.count == policyWidth + 1 else {
            throw ArtifactError("the network's output (\(spec.outputShape.count)) is not \(policyWidth) policy outputs and a value")
        }
        var graph = GraphBuilder()
        var current = "observation"
        if let shift = observationShift, let scale = observationScale {
            let dims = spec.inputShape.dimensions
            graph.initializer("observation_shift", dims: dims, floats: shift)
            graph.initializer("observation_scale", dims: dims, floats: scale)
            graph.initializer("observation_clip_low", dims: [], floats: [-10])
            graph.initializer("observation_clip_high", dims: [], floats: [10])
            current = graph.node("Sub", [current, "observation_shift"], "observation_centred")
            current = graph.node("Mul", [current, "observation_scale"], "observation_scaled")
            current = graph.node("Clip", [current, "observation_clip_low", "observation_clip_high"], "observation_normalised")
        }
        var cells: Int?
        var channelsFirst = false
        /// The learned log σ of a Gaussian policy's log-std layer (the graph's last layer).
        var logStd: String?
        for (index, layer) in spec.layers.enumerated() {
            let input = spec.shapes[index]
            let offset = spec.parameterOffsets[index]
            let name = "layer\(index)"
            switch layer {
            case .conv2d(let filters, let kernel, let stride, let padding):
                if !channelsFirst {
                    current = graph.node("Transpose", [current], "\(name)_nchw", [.ints("perm", [0, 3, 1, 2])])
                    channelsFirst = true
                }
                let channels = input.dimensions[2]
                // Ours: [filters, kernel, kernel, channels]; ONNX: [filters, channels, kernel, kernel].
                var weight = [Float](repeating: 0, count: filters * channels * kernel * kernel)
                for f in 0..<filters {
                    for y in 0..<kernel {
                        for x in 0..<kernel {
                            for c in 0..<channels {
                                weight[((f * channels + c) * kernel + y) * kernel + x] =
                                    parameters[offset + ((f * kernel + y) * kernel + x) * channels + c]
                            }
                        }
                    }
                }
                let biasStart = offset + filters * kernel * kernel * channels
                graph.initializer("\(name)_weight", dims: [filters, channels, kernel, kernel], floats: weight)
                graph.initializer("\(name)_bias", dims: [filters], floats: Array(parameters[biasStart..<(biasStart + filters)]))
                current = graph.node(
                    "Conv", [current, "\(name)_weight", "\(name)_bias"], name,
                    [.ints("kernel_shape", [kernel, kernel]), .ints("strides", [stride, stride]), .ints("pads", [padding, padding, padding, padding])])
            case .linear, .groupedLinear:
                // A grouped layer is stored whole (zeros outside its groups): one Gemm as well.
                let inputs = input.count, outputs = spec.shapes[index + 1].count
                graph.initializer("\(name)_weight", dims: [outputs, inputs], floats: Array(parameters[offset..<(offset + outputs * inputs)]))
                graph.initializer(
                    "\(name)_bias", dims: [outputs], floats: Array(parameters[(offset + outputs * inputs)..<(offset + outputs * inputs + outputs)]))
                current = graph.node("Gemm", [current, "\(name)_weight", "\(name)_bias"], name, [.int("transB", 1)])
            case .relu:
                current = graph.node("Relu", [current], name)
            case .tanh:
                current = graph.node("Tanh", [current], name)
            case .elu:
                current = graph.node("Elu", [current], name)  // alpha 1, ONNX's default
            case .lstm(let hidden):
                guard cells == nil else { throw ArtifactError("ONNX export takes networks with one LSTM; this one has more") }
                cells = hidden
                current = lstmStep(&graph, name: name, input: current, inputs: input.count, hidden: hidden, parameters: parameters, offset: offset)
            case .logStd(let count):
                // The head's rows stay [mean..., value]; σ is added as its own output below.
                guard index == spec.layers.count - 1 else { throw ArtifactError("the log-std layer must be the network's last") }
                graph.initializer("\(name)_log_std", dims: [count], floats: Array(parameters[offset..<(offset + count)]))
                logStd = "\(name)_log_std"
            case .flatten:
                // Our rows are height-width-channel: back to that order before flattening.
                if channelsFirst {
                    current = graph.node("Transpose", [current], "\(name)_nhwc", [.ints("perm", [0, 2, 3, 1])])
                    channelsFirst = false
                }
                current = graph.node("Flatten", [current], name, [.int("axis", 1)])
            }
        }
        let policyOutputs: [String]
        if let gaussian {
            policyOutputs = ["action_mean", "action_std"]
            graph.initializer("std_floor", dims: [], floats: [Gaussian.minimumStd])
            if let logStd {
                // σ = exp(clip(log σ)) + floor, the same for every row: broadcast through the means' shape.
                graph.initializer("log_std_low", dims: [], floats: [Gaussian.minimumLogStd])
                graph.initializer("log_std_high", dims: [], floats: [Gaussian.maximumLogStd])
                graph.initializer("zero", dims: [], floats: [0])
                graph.initializer64("split_sizes", dims: [2], values: [Int64(actionCount), 1])
                graph.node("Split", [current, "split_sizes"], outputs: ["action_mean", "value"], [.int("axis", 1)])
                let clipped = graph.node("Clip", [logStd, "log_std_low", "log_std_high"], "log_std_clipped")
                let row = graph.node("Add", [graph.node("Exp", [clipped], "std_exp"), "std_floor"], "std_row")
                let zeros = graph.node("Mul", ["action_mean", "zero"], "std_zeros")
                graph.node("Add", [zeros, row], "action_std")
            } else {
                precondition(gaussian == .state, "a learned log σ comes from a log-std layer")
                // σ = softplus(s) + floor, from the head's second block.
                graph.initializer64("split_sizes", dims: [3], values: [Int64(actionCount), Int64(actionCount), 1])
                graph.node("Split", [current, "split_sizes"], outputs: ["action_mean", "std_input", "value"], [.int("axis", 1)])
                graph.node("Add", [graph.node("Softplus", ["std_input"], "std_softplus"), "std_floor"], "action_std")
            }
        } else {
            policyOutputs = ["policy_logits"]
            graph.initializer64("split_sizes", dims: [2], values: [Int64(actionCount), 1])
            graph.node("Split", [current, "split_sizes"], outputs: ["policy_logits", "value"], [.int("axis", 1)])
        }

        var model = ProtoWriter()
        model.int(1, 8)  // ir_version
        model.message(8) { $0.string(1, ""); $0.int(2, 17) }  // opset_import: the default domain, opset 17
        model.string(2, "swift-a3c")
        model.string(3, producerVersion)
        model.message(7) { g in
            for node in graph.nodes { g.message(1) { node(&$0) } }
            g.string(2, "actor_critic")
            for tensor in graph.initializers { g.message(5) { tensor(&$0) } }
            g.message(11) { valueInfo(&$0, name: "observation", dims: [nil] + spec.inputShape.dimensions) }
            if let cells {
                g.message(11) { valueInfo(&$0, name: "h_in", dims: [nil, cells]) }
                g.message(11) { valueInfo(&$0, name: "c_in", dims: [nil, cells]) }
            }
            for name in policyOutputs { g.message(12) { valueInfo(&$0, name: name, dims: [nil, actionCount]) } }
            g.message(12) { valueInfo(&$0, name: "value", dims: [nil, 1]) }
            if let cells {
                g.message(12) { valueInfo(&$0, name: "h_out", dims: [nil, cells]) }
                g.message(12) { valueInfo(&$0, name: "c_out", dims: [nil, cells]) }
            }
        }
        return Data(model.bytes)
    }

    /// One step of ONNX's LSTM on `input` [batch, inputs] from `h_in`, `c_in`; returns the name of
    /// the new hidden state [batch, hidden] (also the graph output `h_out`; `c_out` beside it).
    private static func lstmStep(
        _ graph: inout GraphBuilder, name: String, input: String, inputs: Int, hidden: Int, parameters: [Float], offset: Int
    ) -> String {
        // Ours (PyTorch's LSTMCell): weight_ih [4H, I], weight_hh [4H, H], bias_ih, bias_hh, gate blocks
        // i, f, g, o. ONNX: W [1, 4H, I], R [1, 4H, H], B [1, 8H] (input biases, then recurrent), blocks i, o, f, c.
        let onnxOrder = [0, 3, 1, 2]
        func reordered(_ start: Int, width: Int) -> [Float] {
            var blocks: [Float] = []
            let size = hidden * width
            for block in onnxOrder {
                let first = start + block * size
                blocks += parameters[first..<(first + size)]
            }
            return blocks
        }
        let weightIH = offset, weightHH = weightIH + 4 * hidden * inputs
        let biasIH = weightHH + 4 * hidden * hidden, biasHH = biasIH + 4 * hidden
        graph.initializer("\(name)_W", dims: [1, 4 * hidden, inputs], floats: reordered(weightIH, width: inputs))
        graph.initializer("\(name)_R", dims: [1, 4 * hidden, hidden], floats: reordered(weightHH, width: hidden))
        graph.initializer("\(name)_B", dims: [1, 8 * hidden], floats: reordered(biasIH, width: 1) + reordered(biasHH, width: 1))
        graph.initializer64("\(name)_axis0", dims: [1], values: [0])
        let sequence = graph.node("Unsqueeze", [input, "\(name)_axis0"], "\(name)_x")
        let h0 = graph.node("Unsqueeze", ["h_in", "\(name)_axis0"], "\(name)_h0")
        let c0 = graph.node("Unsqueeze", ["c_in", "\(name)_axis0"], "\(name)_c0")
        graph.node(
            "LSTM", [sequence, "\(name)_W", "\(name)_R", "\(name)_B", "", h0, c0], outputs: ["\(name)_y", "\(name)_h", "\(name)_c"],
            [.int("hidden_size", hidden)])
        graph.node("Squeeze", ["\(name)_c", "\(name)_axis0"], "c_out")
        return graph.node("Squeeze", ["\(name)_h", "\(name)_axis0"], "h_out")
    }

    /// A float tensor's name, type and shape; nil dimensions are the batch.
    private static func valueInfo(_ w: inout ProtoWriter, name: String, dims: [Int?]) {
        w.string(1, name)
        w.message(2) { type in
            type.message(1) { tensor in
                tensor.int(1, 1)  // FLOAT
                tensor.message(2) { shape in
                    for dim in dims {
                        shape.message(1) { d in
                            if let dim { d.int(1, Int64(dim)) } else { d.string(2, "batch") }
                        }
                    }
                }
            }
        }
    }
}

/// A node attribute: one integer or a list of them.
private enum Attribute {
    case int(String, Int)
    case ints(String, [Int])
}

/// Nodes and initializers in the order they are made.
private struct GraphBuilder {
    var nodes: [(inout ProtoWriter) -> Void] = []
    var initializers: [(inout ProtoWriter) -> Void] = []

    /// A node with one output named `output`; returns that name.
    @discardableResult
    mutating func node(_ op: String, _ inputs: [String], _ output: String, _ attributes: [Attribute] = []) -> String {
        node(op, inputs, outputs: [output], attributes)
        return output
    }

    mutating func node(_ op: String, _ inputs: [String], outputs: [String], _ attributes: [Attribute] = []) {
        nodes.append { w in
            for input in inputs { w.string(1, input) }
            for output in outputs { w.string(2, output) }
            w.string(3, outputs[0])
            w.string(4, op)
            for attribute in attributes {
                w.message(5) { a in
                    switch attribute {
                    case .int(let name, let value):
                        a.string(1, name)
                        a.int(3, Int64(value))
                        a.int(20, 2)  // INT
                    case .ints(let name, let values):
                        a.string(1, name)
                        for v in values { a.int(8, Int64(v)) }
                        a.int(20, 7)  // INTS
                    }
                }
            }
        }
    }

    mutating func initializer(_ name: String, dims: [Int], floats: [Float]) {
        var raw: [UInt8] = []
        raw.reserveCapacity(floats.count * 4)
        for value in floats { withUnsafeBytes(of: value.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
        initializers.append { w in
            for d in dims { w.int(1, Int64(d)) }
            w.int(2, 1)  // FLOAT
            w.string(8, name)
            w.bytes(9, raw)
        }
    }

    mutating func initializer64(_ name: String, dims: [Int], values: [Int64]) {
        var raw: [UInt8] = []
        for value in values { withUnsafeBytes(of: value.littleEndian) { raw.append(contentsOf: $0) } }
        initializers.append { w in
            for d in dims { w.int(1, Int64(d)) }
            w.int(2, 7)  // INT64
            w.string(8, name)
            w.bytes(9, raw)
        }
    }
}

/// Protocol-buffer wire format, the parts ONNX needs: varints and length-delimited fields.
struct ProtoWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// An integer field (wire type 0); negative values take ten bytes, as protobuf says.
    mutating func int(_ field: Int, _ value: Int64) {
        varint(UInt64(field << 3))
        varint(UInt64(bitPattern: value))
    }

    mutating func bytes(_ field: Int, _ data: [UInt8]) {
        varint(UInt64(field << 3 | 2))
        varint(UInt64(data.count))
        bytes.append(contentsOf: data)
    }

    mutating func string(_ field: Int, _ text: String) { bytes(field, Array(text.utf8)) }

    mutating func message(_ field: Int, _ build: (inout ProtoWriter) -> Void) {
        var inner = ProtoWriter()
        build(&inner)
        bytes(field, inner.bytes)
    }
}
