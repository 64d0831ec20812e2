import ActorCritic
import NeuralNet
import Testing

/// `--trunk separate` and `--initial-std`: what the model is built as and starts from.
@Suite("Policy and value towers, initial σ")
struct PolicyTowerTests {
    /// With separate towers the policy's outputs do not move when a value-tower weight does, and the
    /// value does not move when a policy-tower weight does.
    @Test(arguments: [Gaussian.Form.state, .parameter])
    func towersDoNotShareFeatures(form: Gaussian.Form) throws {
        let d = 2
        let model = try ActorCriticModel(
            architecture: .mlp, observationShape: [3], actionCount: d, hiddenSizes: [8, 8], gaussian: form, trunk: .separate)
        #expect(model.network.outputShape.count == 2 * d + 1 && model.valueIndex == 2 * d)
        var parameters = [Float](repeating: 0, count: model.parameterCount)
        parameters.withUnsafeMutableBufferPointer { model.initialize($0.baseAddress!, seed: 3) }
        let network = Network(spec: model.network, maxBatch: 1)
        let observation: [Float] = [0.3, -0.7, 1.1]
        func outputs(_ p: [Float]) -> [Float] {
            network.input(row: 0).update(from: observation, count: 3)
            network.forward(parameters: p, count: 1)
            return Array(UnsafeBufferPointer(start: network.output(row: 0), count: 2 * d + 1))
        }
        let before = outputs(parameters)
        // First layer: rows 0..<8 are the policy's, 8..<16 the value's.
        var valueMoved = parameters
        valueMoved[8 * 3 + 1] += 0.5
        let afterValueMove = outputs(valueMoved)
        #expect(Array(afterValueMove[0..<(2 * d)]) == Array(before[0..<(2 * d)]))
        #expect(afterValueMove[2 * d] != before[2 * d])
        var policyMoved = parameters
        policyMoved[1] += 0.5
        let afterPolicyMove = outputs(policyMoved)
        #expect(afterPolicyMove[2 * d] == before[2 * d])
        #expect(afterPolicyMove[0] != before[0])
    }

    /// σ starts where `initialStd` says, in both forms (the policy head's weights are tiny, so
    /// every state starts there).
    @Test(arguments: [Gaussian.Form.state, .parameter])
    func initialSigma(form: Gaussian.Form) throws {
        for trunk in Trunk.allCases {
            let model = try ActorCriticModel(
                architecture: .mlp, observationShape: [3], actionCount: 2, hiddenSizes: [8], gaussian: form, trunk: trunk)
            var parameters = [Float](repeating: 0, count: model.parameterCount)
            parameters.withUnsafeMutableBufferPointer { model.initialize($0.baseAddress!, seed: 5, initialStd: 0.4) }
            let network = Network(spec: model.network, maxBatch: 1)
            network.input(row: 0).update(from: [0.2, -0.1, 0.5], count: 3)
            network.forward(parameters: parameters, count: 1)
            for j in 0..<2 {
                let sigma = Gaussian.std(network.output(row: 0)[2 + j], form: form)
                #expect(abs(sigma - 0.4) < 0.02, "\(form), \(trunk): σ \(j) starts at \(sigma)")
            }
        }
    }

    @Test func separateTowersAreForTheMLPOnly() {
        #expect(throws: NetworkShapeError.self) {
            try ActorCriticModel(architecture: .mlpLSTM, observationShape: [4], actionCount: 2, trunk: .separate)
        }
    }
}
