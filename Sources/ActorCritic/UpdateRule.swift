import NeuralNet

/// How a worker learns from a full rollout: it turns the rollout into gradients and hands each to
/// the hub, which alone knows how they meet the shared parameters (Hogwild, a barrier, another
/// rank). The actor-critic rule takes one gradient from the activations the rollout was acted
/// with; a rule that learns several times from one rollout runs its own passes over
/// `rollout.observations`.
///
/// One per worker, used on its thread only.
protocol UpdateRule: AnyObject {
    /// Learns from `rollout`, which `network` acted on with `parameters` (its rows still hold that
    /// forward pass, returns computed), and returns whether training goes on.
    func learn(from rollout: Rollout, network: Network, parameters: FloatBuffer, hub: any TrainingHub, worker: Int) -> Bool

    /// The rollout in flight was lost (its environment host died): takes its part in what the
    /// other workers wait on, learning nothing, and returns whether training goes on.
    func dropRollout(hub: any TrainingHub, worker: Int) -> Bool
}

/// How a rollout becomes parameter updates.
public enum UpdateRuleKind: String, Sendable {
    /// The A3C paper's loss over the rollout, one gradient per rollout.
    case actorCritic = "actor-critic"
    /// PPO's clipped surrogate: epochs of minibatch updates over each rollout.
    case ppo

    /// The rule worker `worker` of `hub`'s run learns with, on rollouts of `environmentCount`
    /// environments.
    func make(hub: any TrainingHub, worker: Int, environmentCount: Int) -> any UpdateRule {
        switch self {
        case .actorCritic:
            ActorCriticUpdate(
                config: hub.config, parameterCount: hub.model.parameterCount, environmentsPerUpdate: hub.environmentsPerUpdate)
        case .ppo: PPOUpdate(hub: hub, worker: worker, environmentCount: environmentCount)
        }
    }
}

/// How the workers' updates meet the shared parameters.
public enum SharingMode: String, Sendable {
    /// Each worker applies its own updates at once, without locks (A3C).
    case hogwild
    /// Every worker's gradients meet at a barrier and make one update (A2C; across ranks, their sum).
    case synchronous
}

extension Algorithm {
    /// The update rule of this algorithm.
    public var updateRule: UpdateRuleKind { self == .ppo ? .ppo : .actorCritic }

    /// How this algorithm's workers share their updates.
    public var sharing: SharingMode {
        switch self {
        case .a3c: .hogwild
        case .a2c, .ppo: .synchronous
        }
    }
}

/// A3C's and A2C's update: the loss of `ActorCriticLoss`, summed over the rollout's steps and
/// averaged over the environments of one update, back-propagated through the activations the
/// rollout was acted with, and pushed as one gradient. With `normalizeAdvantages`, the
/// advantages of the worker's rollout are first normalised (`Returns.normalize`), as PPO's are.
final class ActorCriticUpdate: UpdateRule {
    let loss: ActorCriticLoss
    /// 1 / the environments of one update: the worker's own for A3C, every worker's for A2C.
    let lossScale: Float
    let normalizeAdvantages: Bool
    let gradient: FloatBuffer

    init(config: TrainingConfig, parameterCount: Int, environmentsPerUpdate: Int) {
        loss = ActorCriticLoss(entropyBeta: config.entropyBeta, valueCoefficient: config.valueCoefficient)
        lossScale = 1 / Float(environmentsPerUpdate)
        normalizeAdvantages = config.normalizeAdvantages
        gradient = FloatBuffer(count: parameterCount)
    }

    func learn(from rollout: Rollout, network: Network, parameters: FloatBuffer, hub: any TrainingHub, worker: Int) -> Bool {
        if normalizeAdvantages { Returns.normalize(rollout.advantages.pointer, count: rollout.rows) }
        var terms = loss.gradient(
            rollout: rollout, outputs: network.output(row: 0), outputGradients: network.outputGradient(row: 0),
            scale: lossScale)
        terms.deadUnitFraction = network.deadUnitFraction(count: rollout.rows)
        network.backward(parameters: parameters.pointer, gradient: gradient.pointer, count: rollout.rows)
        return hub.push(gradient: gradient, steps: rollout.rows, worker: worker, terms: terms).keepGoing
    }

    func dropRollout(hub: any TrainingHub, worker: Int) -> Bool { hub.dropRollout(worker: worker, gradient: gradient).keepGoing }
}
