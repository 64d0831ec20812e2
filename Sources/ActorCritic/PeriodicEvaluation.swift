import Environments
import NeuralNet
import Foundation

/// One evaluation during training: whole games played with the parameters of `state`.
public struct EvaluationRecord: Sendable {
    /// Global steps when the parameters were taken.
    public var globalStep: Int
    /// Training seconds when the games were over.
    public var wallSeconds: Double
    /// The games' scores and lengths.
    public var result: EvaluationResult
    /// What was evaluated (for `best.safetensors` when evaluations decide what is best).
    public var state: TrainingState
}

/// Plays `--eval-episodes` games every `--eval-every` steps on its own environment, on a thread of
/// its own, with a snapshot of the parameters, while the workers go on (as Stable-Baselines3's
/// EvalCallback does, but without pausing training). One evaluation at a time: a threshold passed
/// while one runs is taken when it ends.
/// Concurrency: `poll` and `drain` may be called from any thread; the state is behind a mutex.
final class PeriodicEvaluation: Sendable {
    private struct State {
        var nextStep: Int
        var running = false
        var finished: [EvaluationRecord] = []
    }

    private let every: Int
    private let episodes: Int
    private let greedy: Bool
    private let seed: UInt64
    private let model: ActorCriticModel
    private let environment: EnvironmentSpec
    private let state: Locked<State>
    private let cancelled = Locked(false)
    /// Made on the evaluation thread at first use, kept for later evaluations (a host process, say).
    private let gameEnvironment = Locked<(any Environment)?>(nil)
    private let failure = Locked<String?>(nil)

    init(config: TrainingConfig, model: ActorCriticModel, environment: EnvironmentSpec, stepsSoFar: Int) {
        every = config.evalEvery ?? Int.max
        episodes = config.evalEpisodes
        greedy = config.evalGreedy
        seed = config.seed &+ 0x5EED
        self.model = model
        self.environment = environment
        state = Locked(State(nextStep: (stepsSoFar / max(every, 1) + 1) * every))
    }

    /// Starts an evaluation of `snapshot()` when `steps` has passed the next threshold and none runs.
    func poll(steps: Int, elapsedSeconds: @escaping @Sendable () -> Double, snapshot: () -> TrainingState) {
        // Checked and claimed under one lock, so two callers cannot start two evaluations.
        let due = state.withLock { s -> Bool in
            guard !s.running && steps >= s.nextStep else { return false }
            s.nextStep = (steps / every + 1) * every
            s.running = true
            return true
        }
        guard due else { return }
        let taken = snapshot()
        let thread = Thread { [self] in
            defer { state.withLock { $0.running = false } }
            Subnormals.flushToZeroOnThisThread()
            do {
                let policy = Policy(model: model, parameters: taken.parameters, observationStatistics: taken.observationStatistics)
                let game = try gameEnvironment.withLock { cached in
                    if let cached { return cached }
                    let made = try environment.make()
                    cached = made
                    return made
                }
                let result = try Evaluator.evaluate(
                    policy: policy, environment: game, episodes: episodes, greedy: greedy, seed: seed &+ UInt64(taken.steps),
                    shouldContinue: { [self] in !cancelled.withLock { $0 } })
                guard result.scores.count == episodes else { return }
                let record = EvaluationRecord(
                    globalStep: taken.steps, wallSeconds: elapsedSeconds(), result: result, state: taken)
                state.withLock { $0.finished.append(record) }
            } catch {
                failure.withLock { $0 = $0 ?? "evaluation: \(error)" }
            }
        }
        thread.name = "a3c-evaluation"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Evaluations finished since the last call, oldest first.
    func drain() -> [EvaluationRecord] {
        state.withLock { s in
            defer { s.finished.removeAll() }
            return s.finished
        }
    }

    /// The first evaluation error, if any (a dead host, say).
    var error: String? { failure.withLock { $0 } }

    /// Stops a running evaluation between steps, waits for it and closes the environment.
    func finish() {
        cancelled.withLock { $0 = true }
        while state.withLock({ $0.running }) { usleep(2000) }
        gameEnvironment.withLock { $0?.close() }
    }
}
