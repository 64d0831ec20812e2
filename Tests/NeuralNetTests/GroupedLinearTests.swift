import NeuralNet
import Randomness
import Testing

/// Grouped linear layers are towers side by side: a network of them must compute, and
/// back-propagate, exactly what the separate towers of plain linear layers (finite-difference
/// checked on their own) compute.
@Suite("Grouped linear layers")
struct GroupedLinearTests {
    static let inputs = 5, hidden = [4, 3], policyOutputs = 2

    /// Two towers of `hidden` on the same inputs, ending in [policy..., value].
    static var towers: [LayerSpec] {
        [
            .groupedLinear(groups: [
                LinearGroup(outputs: 4, inputStart: 0, inputCount: inputs), LinearGroup(outputs: 4, inputStart: 0, inputCount: inputs),
            ]), .tanh,
            .groupedLinear(groups: [
                LinearGroup(outputs: 3, inputStart: 0, inputCount: 4), LinearGroup(outputs: 3, inputStart: 4, inputCount: 4),
            ]), .tanh,
            .groupedLinear(groups: [
                LinearGroup(outputs: policyOutputs, inputStart: 0, inputCount: 3), LinearGroup(outputs: 1, inputStart: 3, inputCount: 3),
            ]),
        ]
    }

    /// Tower `tower` (0: policy, 1: value) as plain layers, and its parameters cut out of the grouped ones.
    static func tower(_ tower: Int, of grouped: NetworkSpec, parameters: [Float]) throws -> (NetworkSpec, [Float]) {
        let outputs = tower == 0 ? policyOutputs : 1
        let spec = try NetworkSpec(
            inputShape: Shape(inputs), layers: [.linear(outputs: 4), .tanh, .linear(outputs: 3), .tanh, .linear(outputs: outputs)])
        var own: [Float] = []
        // (grouped layer, rows of this tower, their first input) per linear layer.
        let cuts = [(0, 4, tower * 4, 0, inputs), (2, 3, tower * 3, tower * 4, 4), (4, outputs, tower * policyOutputs, tower * 3, 3)]
        for (layer, rows, firstRow, firstInput, width) in cuts {
            let offset = grouped.parameterOffsets[layer], totalInputs = grouped.shapes[layer].count
            let totalRows = grouped.shapes[layer + 1].count
            for r in 0..<rows {
                for c in 0..<width { own.append(parameters[offset + (firstRow + r) * totalInputs + firstInput + c]) }
            }
            for r in 0..<rows { own.append(parameters[offset + totalRows * totalInputs + firstRow + r]) }
        }
        #expect(own.count == spec.parameterCount)
        return (spec, own)
    }

    @Test func towersSideBySideAreTheSeparateTowers() throws {
        let grouped = try NetworkSpec(inputShape: Shape(Self.inputs), layers: Self.towers)
        #expect(grouped.outputShape == Shape(Self.policyOutputs + 1))
        var rng = Xoshiro256(seed: 17)
        var parameters = [Float](repeating: 0, count: grouped.parameterCount)
        parameters.withUnsafeMutableBufferPointer { Initialization.initialize(grouped, parameters: $0.baseAddress!, rng: &rng) { _, _ in 1 } }
        // Outside its groups a weight starts at zero: the middle layer's policy rows see no value inputs.
        let middle = grouped.parameterOffsets[2]
        for r in 0..<3 { for c in 4..<8 { #expect(parameters[middle + r * 8 + c] == 0) } }
        for r in 3..<6 { for c in 0..<4 { #expect(parameters[middle + r * 8 + c] == 0) } }
        #expect(parameters[middle + 0 * 8 + 0] != 0 && parameters[middle + 5 * 8 + 7] != 0)
        // Biases matter too.
        for layer in [0, 2, 4] {
            let rows = grouped.shapes[layer + 1].count, start = grouped.parameterOffsets[layer] + rows * grouped.shapes[layer].count
            for i in start..<(start + rows) { parameters[i] = Float(rng.uniform(-0.3, 0.3)) }
        }

        let batch = 3
        let observations = (0..<(batch * Self.inputs)).map { _ in Float(rng.uniform(-1, 1)) }
        let outputGradients = (0..<(batch * (Self.policyOutputs + 1))).map { _ in Float(rng.uniform(-1, 1)) }
        let network = Network(spec: grouped, maxBatch: batch)
        network.input(row: 0).update(from: observations, count: observations.count)
        network.forward(parameters: parameters, count: batch)
        let outputs = Array(UnsafeBufferPointer(start: network.output(row: 0), count: batch * (Self.policyOutputs + 1)))
        network.outputGradient(row: 0).update(from: outputGradients, count: outputGradients.count)
        var gradient = [Float](repeating: .nan, count: parameters.count)
        network.backward(parameters: parameters, gradient: &gradient, count: batch, computeInputGradient: true)
        let inputGradient = Array(UnsafeBufferPointer(start: network.inputGradient(row: 0), count: observations.count))

        var summedInputGradient = [Float](repeating: 0, count: observations.count)
        var towerGradients: [[Float]] = []
        for tower in 0..<2 {
            let (spec, own) = try Self.tower(tower, of: grouped, parameters: parameters)
            let width = tower == 0 ? Self.policyOutputs : 1, first = tower == 0 ? 0 : Self.policyOutputs
            let alone = Network(spec: spec, maxBatch: batch)
            alone.input(row: 0).update(from: observations, count: observations.count)
            alone.forward(parameters: own, count: batch)
            for row in 0..<batch {
                for j in 0..<width {
                    let theirs = alone.output(row: row)[j], ours = outputs[row * (Self.policyOutputs + 1) + first + j]
                    #expect(abs(ours - theirs) <= 1e-6, "tower \(tower) row \(row) output \(j): \(ours) vs \(theirs)")
                    alone.outputGradient(row: row)[j] = outputGradients[row * (Self.policyOutputs + 1) + first + j]
                }
            }
            var ownGradient = [Float](repeating: .nan, count: own.count)
            alone.backward(parameters: own, gradient: &ownGradient, count: batch, computeInputGradient: true)
            for i in summedInputGradient.indices { summedInputGradient[i] += alone.inputGradient(row: 0)[i] }
            towerGradients.append(ownGradient)
        }
        // The grouped gradient, cut into towers, is theirs; outside the groups it is exactly zero.
        for tower in 0..<2 {
            let (_, cut) = try Self.tower(tower, of: grouped, parameters: gradient)
            for i in cut.indices {
                #expect(abs(cut[i] - towerGradients[tower][i]) <= 1e-5, "tower \(tower) parameter \(i): \(cut[i]) vs \(towerGradients[tower][i])")
            }
        }
        for r in 0..<3 { for c in 4..<8 { #expect(gradient[middle + r * 8 + c] == 0) } }
        for r in 3..<6 { for c in 0..<4 { #expect(gradient[middle + r * 8 + c] == 0) } }
        let head = grouped.parameterOffsets[4]
        for c in 3..<6 { #expect(gradient[head + 0 * 6 + c] == 0 && gradient[head + 1 * 6 + c] == 0) }
        for c in 0..<3 { #expect(gradient[head + 2 * 6 + c] == 0) }
        for i in inputGradient.indices { #expect(abs(inputGradient[i] - summedInputGradient[i]) <= 1e-5) }
    }

    @Test func groupsOutsideTheInputsAreRefused() {
        #expect(throws: NetworkShapeError.self) {
            try NetworkSpec(
                inputShape: Shape(4), layers: [.groupedLinear(groups: [LinearGroup(outputs: 2, inputStart: 2, inputCount: 3)])])
        }
    }
}
