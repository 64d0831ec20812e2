import Foundation
import NeuralNet

/// A trained actor-critic network as an ONNX model (IR 8, opset 17), for runtimes such as
/// onnxruntime: input `observation` [batch, ...the observation's shape], outputs `policy_logits`
/// [batch, actions] (softmax gives the policy) and `value` [batch, 1].
///
/// Observations keep our layout (pictures are [height, width, frames]); the graph transposes to
/// the channels-first order of ONNX's Conv and back before flattening, so its numbers are ours.
/// Written with a small protobuf encoder of our own: the fields used are those of onnx.proto.
public enum ONNXExport {
    /// The serialized model for `spec` with `parameters` laid out as the spec says.
    public static func model(spec: NetworkSpec, parameters: [Float], actionCount: Int, producerVersion: String) throws -> Data {
        guard parameters.count == spec.parameterCount else {
            throw ArtifactError("the parameters (\(parameters.count)) do not fit the network (\(spec.parameterCount))")
        }
        guard spec.outputShape.count == actionCount + 1 else {
            throw ArtifactError("the network's output (\(spec.outputShape.count)) is not \(actionCount) logits and a value")
        }
        var graph = GraphBuilder()
        var current = "observation"
        var channelsFirst = false
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
            case .linear(let outputs):
                let inputs = input.count
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
            case .lstm:
                throw ArtifactError("ONNX export of recurrent (LSTM) networks is not supported yet")
            case .flatten:
                // Our rows are height-width-channel: back to that order before flattening.
                if channelsFirst {
                    current = graph.node("Transpose", [current], "\(name)_nhwc", [.ints("perm", [0, 2, 3, 1])])
                    channelsFirst = false
                }
                current = graph.node("Flatten", [current], name, [.int("axis", 1)])
            }
        }
        graph.initializer64("split_sizes", dims: [2], values: [Int64(actionCount), 1])
        graph.node("Split", [current, "split_sizes"], outputs: ["policy_logits", "value"], [.int("axis", 1)])

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
            g.message(12) { valueInfo(&$0, name: "policy_logits", dims: [nil, actionCount]) }
            g.message(12) { valueInfo(&$0, name: "value", dims: [nil, 1]) }
        }
        return Data(model.bytes)
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
