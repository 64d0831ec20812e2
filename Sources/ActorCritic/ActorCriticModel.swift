import Foundation
import Environments
import NeuralNet
import Randomness

/// The network families `--network` names.
public enum NetworkArchitecture: String, Sendable, CaseIterable, Codable {
    /// `paper` for picture observations ([height, width, frames]), `mlp` for vectors.
    case auto
    /// Fully connected trunk for vector observations.
    case mlp
    /// The A3C paper's network for 84x84 frame stacks (Mnih et al. 2016, after Mnih et al. 2013):
    /// conv 16 8x8 stride 4, conv 32 4x4 stride 2, fully connected 256, all ReLU.
    case paper
    /// The MLP, then an LSTM of `lstm-size` cells before the heads: a policy with memory for vectors.
    case mlpLSTM = "mlp-lstm"
    /// The recurrent network of universe-starter-agent and pytorch-a3c, for 42x42 frames: four
    /// convolutions of 32 3x3 filters with stride 2 (padding 1), ELU, then an LSTM of `lstm-size` (256).
    case universe
    /// The paper's network with an LSTM of `lstm-size` (256) cells after its fully connected layer,
    /// as the paper's A3C LSTM agents.
    case paperLSTM = "paper-lstm"
    /// DQN's network (Mnih et al. 2015), which openai/baselines, Stable-Baselines3 and CleanRL use
    /// for A2C and PPO: conv 32 8x8 stride 4, conv 64 4x4 stride 2, conv 64 3x3 stride 1, fully
    /// connected 512, all ReLU.
    case nature

    /// The network's first layers are convolutions over [height, width, frames] observations.
    public var takesPictures: Bool { self == .paper || self == .paperLSTM || self == .nature || self == .universe }

    /// The network keeps a recurrent state (an LSTM).
    public var isRecurrent: Bool { self == .mlpLSTM || self == .universe || self == .paperLSTM }
}

/// Hidden-layer non-linearity of the MLP.
public enum Activation: String, Sendable, CaseIterable, Codable {
    case tanh
    case relu
    /// x for x > 0, exp(x) - 1 below: no unit stops getting a gradient.
    case elu

    var layer: LayerSpec {
        switch self {
        case .tanh: .tanh
        case .relu: .relu
        case .elu: .elu
        }
    }
}

/// How the MLP's hidden layers serve the two heads.
public enum Trunk: String, Sendable, CaseIterable, Codable {
    /// One trunk feeds both heads (the A3C paper's networks).
    case shared
    /// A policy tower and a value tower, each of the hidden sizes, side by side (Stable-Baselines3's
    /// MlpPolicy for continuous control): the value loss no longer pulls at the policy's features.
    case separate
}

/// What the policy head's outputs describe.
public enum PolicyKind: Sendable, Hashable {
    /// Logits of `actions` discrete actions (a categorical policy).
    case categorical(actions: Int)
    /// A diagonal Gaussian over `dimensions` continuous action dimensions: means, then the values σ
    /// is read from in `form` (see `Gaussian`).
    case gaussian(dimensions: Int, form: Gaussian.Form)

    /// Outputs per row before the value: the logits, or the means and the σ values.
    @inlinable public var width: Int {
        switch self {
        case .categorical(let actions): actions
        case .gaussian(let dimensions, _): 2 * dimensions
        }
    }
}

/// An actor-critic network: a trunk shared by both heads, then one linear layer whose output row is
/// [policy outputs..., state value]. Both heads in one product: one GEMM, not two. A Gaussian
/// policy with a learned log σ has one more layer after it that puts log σ in every row.
public struct ActorCriticModel: Sendable {
    /// The layers; each output row is [policy outputs (`policy.width`)..., value].
    public let network: NetworkSpec
    /// Number of discrete actions, or of continuous action dimensions.
    public let actionCount: Int
    /// What the policy outputs are.
    public let policy: PolicyKind
    /// The family this model was built as, with `auto` resolved to `mlp` or `paper`.
    public let architecture: NetworkArchitecture

    /// Where the value sits in an output row (after the policy's outputs).
    @inlinable public var valueIndex: Int { policy.width }

    /// Builds the named architecture for the given observation shape and action count; with
    /// `gaussian`, `actionCount` continuous dimensions with σ in that form.
    public init(
        architecture: NetworkArchitecture, observationShape: [Int], actionCount: Int,
        hiddenSizes: [Int] = [64, 64], activation: Activation = .tanh, pictureActivation: Activation? = nil, lstmSize: Int = 64,
        lstmFirst: Bool = false, gaussian: Gaussian.Form? = nil, trunk: Trunk = .shared
    ) throws(NetworkShapeError) {
        if gaussian != nil {
            guard actionCount >= 1 else { throw NetworkShapeError("a continuous policy needs at least 1 action dimension") }
        } else {
            guard actionCount >= 2 else { throw NetworkShapeError("an actor-critic needs at least 2 actions") }
        }
        var layers: [LayerSpec] = []
        let resolved = architecture == .auto ? (observationShape.count == 3 ? .paper : .mlp) : architecture
        if resolved.takesPictures && observationShape.count != 3 {
            throw NetworkShapeError(
                "the \(resolved.rawValue) network needs image observations [height, width, frames], got \(observationShape)")
        }
        // Each picture network's own non-linearity unless told otherwise.
        let picture = (pictureActivation ?? (resolved == .universe ? .elu : .relu)).layer
        switch resolved {
        case .mlp, .mlpLSTM, .auto:
            guard !hiddenSizes.isEmpty, hiddenSizes.allSatisfy({ $0 > 0 }) else {
                throw NetworkShapeError("the MLP needs at least one hidden layer of positive size")
            }
            if observationShape.count > 1 { layers.append(.flatten) }
            let recurrent = resolved == .mlpLSTM
            if recurrent {
                guard lstmSize > 0 else { throw NetworkShapeError("the LSTM needs at least one cell (--lstm-size)") }
            }
            // With --lstm-first the LSTM reads the observations, and the hidden layers (or towers) read it.
            if recurrent && lstmFirst { layers.append(.lstm(hidden: lstmSize)) }
            if trunk == .separate {
                guard resolved == .mlp || (recurrent && lstmFirst) else {
                    throw NetworkShapeError(
                        "separate policy and value towers are built for the mlp network, or mlp-lstm with --lstm-first, not \(resolved.rawValue)")
                }
                layers += Self.towers(
                    inputs: recurrent ? lstmSize : observationShape.reduce(1, *), hiddenSizes: hiddenSizes, activation: activation,
                    policyOutputs: gaussian == .state ? 2 * actionCount : actionCount)
                if gaussian == .parameter { layers.append(.logStd(count: actionCount)) }
            } else {
                for size in hiddenSizes { layers += [.linear(outputs: size), activation.layer] }
            }
            if recurrent && !lstmFirst { layers.append(.lstm(hidden: lstmSize)) }
        case .paper, .paperLSTM:
            layers = [
                .conv2d(filters: 16, kernel: 8, stride: 4, padding: 0), picture,
                .conv2d(filters: 32, kernel: 4, stride: 2, padding: 0), picture,
                .flatten, .linear(outputs: 256), picture,
            ]
            if resolved == .paperLSTM {
                guard lstmSize > 0 else { throw NetworkShapeError("the LSTM needs at least one cell (--lstm-size)") }
                layers.append(.lstm(hidden: lstmSize))
            }
        case .nature:
            layers = [
                .conv2d(filters: 32, kernel: 8, stride: 4, padding: 0), picture,
                .conv2d(filters: 64, kernel: 4, stride: 2, padding: 0), picture,
                .conv2d(filters: 64, kernel: 3, stride: 1, padding: 0), picture,
                .flatten, .linear(outputs: 512), picture,
            ]
        case .universe:
            guard lstmSize > 0 else { throw NetworkShapeError("the LSTM needs at least one cell (--lstm-size)") }
            for _ in 0..<4 { layers += [.conv2d(filters: 32, kernel: 3, stride: 2, padding: 1), picture] }
            layers += [.flatten, .lstm(hidden: lstmSize)]
        }
        switch gaussian {
        case _ where trunk == .separate: break  // the towers end in their own heads
        case nil: layers.append(.linear(outputs: actionCount + 1))
        case .state: layers.append(.linear(outputs: 2 * actionCount + 1))
        case .parameter: layers += [.linear(outputs: actionCount + 1), .logStd(count: actionCount)]
        }
        guard observationShape.allSatisfy({ $0 > 0 }), !observationShape.isEmpty else {
            throw NetworkShapeError("invalid observation shape \(observationShape)")
        }
        network = try NetworkSpec(inputShape: Shape(observationShape), layers: layers)
        self.actionCount = actionCount
        policy = gaussian.map { .gaussian(dimensions: actionCount, form: $0) } ?? .categorical(actions: actionCount)
        self.architecture = resolved
    }

    /// A policy tower and a value tower of `hiddenSizes` each, as grouped linear layers (the first
    /// rows of each layer the policy's, the rest the value's), ending in the head [policy..., value].
    static func towers(inputs: Int, hiddenSizes: [Int], activation: Activation, policyOutputs: Int) -> [LayerSpec] {
        var layers: [LayerSpec] = []
        var previous: Int?
        for size in hiddenSizes {
            let groups =
                if let previous {
                    [LinearGroup(outputs: size, inputStart: 0, inputCount: previous),
                     LinearGroup(outputs: size, inputStart: previous, inputCount: previous)]
                } else {
                    [LinearGroup(outputs: size, inputStart: 0, inputCount: inputs),
                     LinearGroup(outputs: size, inputStart: 0, inputCount: inputs)]
                }
            layers += [.groupedLinear(groups: groups), activation.layer]
            previous = size
        }
        let last = previous!
        layers.append(
            .groupedLinear(groups: [
                LinearGroup(outputs: policyOutputs, inputStart: 0, inputCount: last),
                LinearGroup(outputs: 1, inputStart: last, inputCount: last),
            ]))
        return layers
    }

    /// The network `config` describes for `environment`'s observations and actions (a Gaussian
    /// policy for a box action space): what training builds, and what a checkpoint is read into.
    public init(config: TrainingConfig, environment: any Environment) throws(NetworkShapeError) {
        try self.init(
            architecture: config.network, observationShape: environment.observationSpace.shape,
            actionCount: environment.actionCount, hiddenSizes: config.hiddenSizes, activation: config.activation,
            pictureActivation: config.pictureActivation, lstmSize: config.lstmSize,
            lstmFirst: config.lstmFirst, gaussian: environment.actionSpace.isContinuous ? config.std : nil, trunk: config.trunk)
    }

    /// Number of parameters.
    public var parameterCount: Int { network.parameterCount }

    /// Orthogonal weights, zero biases; gain sqrt(2) for hidden layers, 0.01 for the policy rows of
    /// the head (a near-uniform first policy) and 1 for its value row.
    /// A Gaussian policy's σ starts at `initialStd` when given (else 1 for a learned log σ, and
    /// softplus(0) ≈ 0.69 for σ from the state).
    public func initialize(_ parameters: UnsafeMutablePointer<Float>, seed: UInt64, initialStd: Float? = nil) {
        var rng = Xoshiro256(seed: seed, stream: 0xC0FFEE)
        // The head is the last linear layer (a log-std layer may follow it).
        let headIndex = network.layers.lastIndex {
            switch $0 {
            case .linear, .groupedLinear: true
            default: false
            }
        }!
        let valueRow = network.shapes[headIndex + 1].count - 1
        Initialization.initialize(network, parameters: parameters, rng: &rng) { layer, row in
            if layer == headIndex { return row < valueRow ? 0.01 : 1 }
            return Float(2).squareRoot()
        }
        guard let initialStd, case .gaussian(let dimensions, let form) = policy else { return }
        switch form {
        case .parameter:
            // The log-std layer is the last; its only tensor is log σ.
            let offset = network.parameterOffsets[network.layers.count - 1]
            (parameters + offset).update(repeating: logf(initialStd), count: dimensions)
        case .state:
            // σ = softplus(bias) at the start: the σ rows' weights are near zero (gain 0.01).
            let inputs = network.shapes[headIndex].count, rows = network.shapes[headIndex + 1].count
            let bias = parameters + network.parameterOffsets[headIndex] + rows * inputs
            (bias + dimensions).update(repeating: logf(expm1f(initialStd)), count: dimensions)
        }
    }
}
