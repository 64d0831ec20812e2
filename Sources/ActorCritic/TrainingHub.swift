import Environments
import NeuralNet

/// What an actor-learner sees of the run it belongs to: the settings, the parameters to act with,
/// where its gradients go, where its episodes are reported, and whether to stop. In one process
/// the hub is the shared state itself (`HogwildSharing` for A3C, `SynchronousSharing` for A2C);
/// across MPI ranks it is a client of rank 0's parameter server. `Worker` knows only this.
protocol TrainingHub: AnyObject, Sendable {
    /// The run's settings.
    var config: TrainingConfig { get }
    /// The network every worker runs.
    var model: ActorCriticModel { get }
    /// What the worker makes its environments from.
    var environment: EnvironmentSpec { get }
    /// Agent steps counted so far, all workers of the run.
    var stepCount: Int { get }
    /// Training is over (target reached, budget spent, a stop asked for or a failure).
    var shouldStop: Bool { get }
    /// Environments whose rollouts make one update (the loss averages over them): the worker's own
    /// for A3C, every worker's for A2C.
    var environmentsPerUpdate: Int { get }
    /// The running observation statistics `worker` normalises with and adds to, when the run
    /// normalises observations.
    func observationStatistics(worker: Int) -> (any RunningStatistics)?
    /// The running statistics of the discounted returns (width 1) `worker` scales rewards with and
    /// adds to, when the run normalises rewards.
    func returnStatistics(worker: Int) -> (any RunningStatistics)?

    /// Copies the parameters `worker` acts with next into `local`.
    func pull(into local: FloatBuffer, worker: Int)

    /// Hands over the loss gradient of one rollout of `steps` agent steps (the buffer may be
    /// overwritten) with its loss terms, and returns what became of it.
    func push(gradient: FloatBuffer, steps: Int, worker: Int, terms: ActorCriticLoss.Terms) -> PushOutcome

    /// Tells that this worker's rollout was lost (its environment host died) and there is no
    /// gradient from it this time (at a barrier: one update's share); returns what became of the update.
    func dropRollout(worker: Int, gradient: FloatBuffer) -> PushOutcome

    /// Records a game the worker finished, with its real score.
    func finishEpisode(worker: Int, episodeReturn: Double, length: Int)

    /// Notes that `worker` replaced its environment host, for the logs.
    func recordHostRestart(worker: Int, restart: Int, reason: String)

    /// `worker` failed with `message` (already recorded in this process): a hub that serves another
    /// process's run tells that process.
    func workerFailed(_ worker: Int, message: String)

    /// `worker` has stopped (it failed, or it stopped before its first rollout): no one may go on
    /// waiting for it in `push`.
    func cancel(worker: Int)
}

/// What became of a pushed gradient.
struct PushOutcome {
    /// Norm of the gradient that was applied, before clipping.
    var gradientNorm: Float
    /// Training goes on.
    var keepGoing: Bool
    /// This worker applied the update (A2C: one worker applies each update for all).
    var appliedHere: Bool
    /// Mean of `Terms.approximateKL` over the workers whose gradients made the update (with
    /// synchronous sharing, every worker of every rank that had one: the same number for all).
    var approximateKL: Float = 0
}

/// Running mean and variance a worker normalises with and adds to once per rollout.
public protocol RunningStatistics: AnyObject, Sendable {
    /// Writes the shift (the mean) and the scale (1 / sqrt(variance + 1e-8)) of each element.
    func coefficients(shift: UnsafeMutablePointer<Float>, scale: UnsafeMutablePointer<Float>)
    /// Merges a batch of `count` values given by the per-element `sums` and `squares`.
    func merge(count: Int, sums: UnsafePointer<Double>, squares: UnsafePointer<Double>)
}

extension ObservationNormalizer: RunningStatistics {}

/// A hub in the trainer's own process: everything but the gradient's fate is `shared`'s.
protocol InProcessHub: TrainingHub {
    var shared: SharedTraining { get }
}

extension InProcessHub {
    var config: TrainingConfig { shared.config }
    var model: ActorCriticModel { shared.model }
    var environment: EnvironmentSpec { shared.environment }
    var stepCount: Int { shared.steps.load(ordering: .relaxed) }
    var environmentsPerUpdate: Int { config.environmentsPerUpdate }
    var shouldStop: Bool { shared.shouldStop }
    func observationStatistics(worker: Int) -> (any RunningStatistics)? { shared.normalizer }
    func returnStatistics(worker: Int) -> (any RunningStatistics)? { shared.returnNormalizer }

    func pull(into local: FloatBuffer, worker: Int) { local.copy(from: shared.parameters) }

    func finishEpisode(worker: Int, episodeReturn: Double, length: Int) {
        shared.finishEpisode(worker: worker, episodeReturn: episodeReturn, length: length)
    }

    func recordHostRestart(worker: Int, restart: Int, reason: String) {
        shared.recordHostRestart(worker: worker, restart: restart, reason: reason)
    }

    func workerFailed(_ worker: Int, message: String) {}
}
