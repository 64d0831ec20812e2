import ActorCritic
import NeuralNet
import Randomness
import Testing

/// The whole actor-critic loss, through the network, against finite differences: the rollout is run
/// forward one row at a time (as a worker acts), then one backward pass over all rows.
@Suite("Actor-critic loss gradient")
struct LossGradientTests {
    static let cases: [(String, NetworkArchitecture, [Int], Int)] = [
        ("mlp", .mlp, [4], 2),
        ("mlp, 3 actions", .mlp, [6], 3),
        // The paper's layers on 36x36 frames: every kernel, stride and layer of the real network,
        // with few enough ReLUs that a finite-difference step rarely crosses a kink.
        ("paper network, 36x36x4", .paper, [36, 36, 4], 4),
        // DQN's three convolutions reach 1x1 on 36x36 frames.
        ("nature network, 36x36x4", .nature, [36, 36, 4], 4),
        // The recurrent networks: the rollout is one sequence through the LSTM (5 steps in time).
        ("universe network, 20x20x1", .universe, [20, 20, 1], 3),
        ("paper network + LSTM, 36x36x4", .paperLSTM, [36, 36, 4], 4),
    ]

    @Test(arguments: cases.indices)
    func matchesFiniteDifferences(caseIndex: Int) throws {
        let (name, architecture, shape, actionCount) = Self.cases[caseIndex]
        let model = try ActorCriticModel(
            architecture: architecture, observationShape: shape, actionCount: actionCount, hiddenSizes: [16, 16])
        let spec = model.network
        let steps = 5
        var rng = Xoshiro256(seed: 21)
        var parameters = [Float](repeating: 0, count: model.parameterCount)
        parameters.withUnsafeMutableBufferPointer { model.initialize($0.baseAddress!, seed: 3) }
        // Larger head weights than at initialisation, so the policy is far from uniform.
        let head = spec.parameterOffsets[spec.layers.count - 1]
        for i in head..<parameters.count { parameters[i] += Float(rng.uniform(-0.5, 0.5)) }
        let observations = (0..<(steps * spec.inputShape.count)).map { _ in Float(rng.uniform(0, 1)) }
        let actions = (0..<steps).map { _ in rng.nextInt(below: actionCount) }
        let returns = (0..<steps).map { _ in Float(rng.uniform(-2, 2)) }
        let advantages = (0..<steps).map { _ in Float(rng.uniform(-2, 2)) }
        let loss = ActorCriticLoss(entropyBeta: 0.05, valueCoefficient: 0.5)

        let network = Network(spec: spec, maxBatch: steps, sequenceStride: architecture.isRecurrent ? 1 : nil)
        network.input(row: 0).update(from: observations, count: observations.count)
        let rollout = Rollout(steps: steps, environmentCount: 1, actionCount: actionCount)
        for t in 0..<steps {
            network.forward(parameters: parameters, first: t, count: 1)
            rollout.evaluate(row: t, output: network.output(row: t))
            rollout.actions[t] = Int32(actions[t])
            rollout.returns.pointer[t] = returns[t]
            rollout.advantages.pointer[t] = advantages[t]
        }
        _ = loss.gradient(
            rollout: rollout, outputs: network.output(row: 0), outputGradients: network.outputGradient(row: 0), scale: 1)
        var gradient = [Float](repeating: .nan, count: parameters.count)
        network.backward(parameters: parameters, gradient: &gradient, count: steps)

        func lossValue(_ p: [Float]) -> Double {
            network.forward(parameters: p, count: steps)
            return loss.value(
                outputs: network.output(row: 0), actions: actions, returns: returns, advantages: advantages,
                actionCount: actionCount)
        }
        // Every parameter of small models; a spread of each layer's parameters for the conv net.
        var indices: [Int] = []
        for (layer, offset) in spec.parameterOffsets.enumerated() {
            let end = layer + 1 < spec.parameterOffsets.count ? spec.parameterOffsets[layer + 1] : parameters.count
            guard end > offset else { continue }
            let stride = max(1, (end - offset) / 40)
            indices += Array(Swift.stride(from: offset, to: end, by: stride)) + [end - 1]
        }
        var kinks = 0
        let base = lossValue(parameters)
        for i in indices {
            // ReLU networks bend at kinks: a step in a conv weight moves many units, and now and then
            // one crosses zero inside the step. The derivative the backward pass gives is then the
            // slope on one side, so it must lie between the one-sided quotients; away from kinks the
            // two agree with the central quotient. Short steps for the conv net keep kinks rare.
            let h: Float = switch architecture {
            case .paper, .paperLSTM, .nature: 2e-4
            case .universe: 1e-3
            default: 1e-2
            }
            var plus = parameters, minus = parameters
            plus[i] += h
            minus[i] -= h
            let right = (lossValue(plus) - base) / Double(h)
            let left = (base - lossValue(minus)) / Double(h)
            let central = (left + right) / 2
            let analytic = Double(gradient[i])
            let slack = 3e-2 * max(1, abs(central))
            let error = abs(central - analytic) / max(1, abs(central))
            let bracketed = analytic >= min(left, right) - slack && analytic <= max(left, right) + slack
            if error >= 3e-2 && bracketed { kinks += 1 }
            #expect(
                error < 3e-2 || bracketed,
                "\(name) parameter \(i) of layer \(spec.parameterOffsets.lastIndex { $0 <= i }!): backward \(analytic), quotients \(left) and \(right)")
        }
        // Kinks are the exception: nearly every parameter must pass on the central quotient alone.
        #expect(kinks * 20 <= indices.count, "\(kinks) of \(indices.count) parameters passed only by bracketing")
    }
    /// The Gaussian policy's loss through an MLP, both forms of σ, 1 and 3 dimensions: actions
    /// sampled wide, many beyond a [-1, 1] box (the loss sees them unclipped, as sampled).
    @Test(arguments: [(Gaussian.Form.state, 1), (.state, 3), (.parameter, 1), (.parameter, 3)])
    func gaussianLossMatchesFiniteDifferences(form: Gaussian.Form, dimensions: Int) throws {
        let model = try ActorCriticModel(
            architecture: .mlp, observationShape: [5], actionCount: dimensions, hiddenSizes: [12, 12], gaussian: form)
        #expect(model.valueIndex == 2 * dimensions && model.network.outputShape.count == 2 * dimensions + 1)
        let spec = model.network
        let steps = 6
        var rng = Xoshiro256(seed: 31)
        var parameters = [Float](repeating: 0, count: model.parameterCount)
        parameters.withUnsafeMutableBufferPointer { model.initialize($0.baseAddress!, seed: 5) }
        // A livelier head and log σ away from 0, so every term matters.
        for i in spec.parameterOffsets[spec.layers.count - (form == .parameter ? 2 : 1)]..<parameters.count {
            parameters[i] += Float(rng.uniform(-0.4, 0.4))
        }
        let observations = (0..<(steps * 5)).map { _ in Float(rng.uniform(-1, 1)) }
        let actions = (0..<(steps * dimensions)).map { _ in Float(rng.uniform(-2.5, 2.5)) }
        let returns = (0..<steps).map { _ in Float(rng.uniform(-2, 2)) }
        let advantages = (0..<steps).map { _ in Float(rng.uniform(-2, 2)) }
        let loss = ActorCriticLoss(entropyBeta: 0.05, valueCoefficient: 0.5)

        let network = Network(spec: spec, maxBatch: steps)
        network.input(row: 0).update(from: observations, count: observations.count)
        network.forward(parameters: parameters, count: steps)
        let rollout = Rollout(steps: steps, environmentCount: 1, policy: model.policy)
        for t in 0..<steps {
            rollout.evaluate(row: t, output: network.output(row: t))
            rollout.returns.pointer[t] = returns[t]
            rollout.advantages.pointer[t] = advantages[t]
        }
        rollout.continuousActions.pointer.update(from: actions, count: actions.count)
        _ = loss.gradient(
            rollout: rollout, outputs: network.output(row: 0), outputGradients: network.outputGradient(row: 0), scale: 1)
        var gradient = [Float](repeating: .nan, count: parameters.count)
        network.backward(parameters: parameters, gradient: &gradient, count: steps)

        func lossValue(_ p: [Float]) -> Double {
            network.forward(parameters: p, count: steps)
            return loss.value(
                outputs: network.output(row: 0), continuousActions: actions, returns: returns, advantages: advantages,
                dimensions: dimensions, form: form)
        }
        expectCentralDifferences(
            parameters: parameters, gradient: gradient, step: 1e-2, label: "\(form) x \(dimensions)", loss: lossValue)
    }
}
