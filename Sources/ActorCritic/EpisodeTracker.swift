import Environments

/// One finished training episode.
public struct EpisodeRecord: Sendable, Hashable {
    /// Global environment steps when it ended.
    public var globalStep: Int
    /// Seconds since training started.
    public var wallSeconds: Double
    /// Index of the worker that played it.
    public var worker: Int
    /// Undiscounted sum of rewards.
    public var episodeReturn: Double
    /// Steps the episode took.
    public var length: Int

    public init(globalStep: Int, wallSeconds: Double, worker: Int, episodeReturn: Double, length: Int) {
        self.globalStep = globalStep
        self.wallSeconds = wallSeconds
        self.worker = worker
        self.episodeReturn = episodeReturn
        self.length = length
    }
}

/// Collects finished episodes from all workers and keeps the mean of the last 100 returns.
/// Concurrency: every method takes a mutex; workers call it once per episode, so it never contends.
public final class EpisodeTracker: Sendable {
    /// Episodes in the moving window (Gymnasium's convention for "solved").
    public static let window = 100

    private struct State {
        var recent = [Double](repeating: 0, count: EpisodeTracker.window)
        var next = 0
        var count = 0
        var bestMean = -Double.infinity
        var history: [EpisodeRecord] = []
        var pending: [EpisodeRecord] = []
    }

    private let state = Locked(State())
    private let keepHistory: Bool

    /// `keepHistory` stores every record (tests, summaries); otherwise only the window is kept.
    public init(keepHistory: Bool = true) { self.keepHistory = keepHistory }

    /// Adds an episode; returns the mean of the last 100 returns once there are 100, else nil.
    @discardableResult
    public func record(_ episode: EpisodeRecord) -> Double? {
        state.withLock { state in
            state.recent[state.next] = episode.episodeReturn
            state.next = (state.next + 1) % Self.window
            state.count += 1
            if keepHistory { state.history.append(episode) }
            state.pending.append(episode)
            guard state.count >= Self.window else { return nil }
            let mean = Self.mean(of: state)
            state.bestMean = max(state.bestMean, mean)
            return mean
        }
    }

    /// Episodes finished so far.
    public var count: Int { state.withLock { $0.count } }

    /// Mean return of the last min(count, 100) episodes; nil before the first.
    public var recentMean: Double? {
        state.withLock { $0.count > 0 ? Self.mean(of: $0) : nil }
    }

    /// Mean of the last min(count, 100) returns, summed oldest first: the stop test and the summary
    /// must agree to the last bit, or a run can be solved at a mean the summary prints below target.
    private static func mean(of state: State) -> Double {
        let n = min(state.count, window)
        var sum = 0.0
        for i in 0..<n { sum += state.recent[(state.next - n + i + window) % window] }
        return sum / Double(n)
    }

    /// Best mean over any full window of 100; nil before there are 100 episodes.
    public var bestMean: Double? { state.withLock { $0.count >= Self.window ? $0.bestMean : nil } }

    /// Every episode, in the order they finished (empty unless `keepHistory`).
    public var history: [EpisodeRecord] { state.withLock { $0.history } }

    /// Episodes finished since the last call (for logs), oldest first.
    public func drainPending() -> [EpisodeRecord] {
        state.withLock { state in
            defer { state.pending.removeAll(keepingCapacity: true) }
            return state.pending
        }
    }

    /// The returns in the moving window, oldest first (for checkpoints).
    public var recentReturns: [Double] {
        state.withLock { state in
            let n = min(state.count, Self.window)
            return (0..<n).map { state.recent[(state.next - n + $0 + Self.window) % Self.window] }
        }
    }

    /// Continues from a checkpoint: `count` episodes so far, the last of whose returns are `recentReturns`.
    public func restore(count: Int, recentReturns: [Double], bestMean: Double?) {
        state.withLock { state in
            let kept = recentReturns.suffix(Self.window)
            for (i, value) in kept.enumerated() { state.recent[i] = value }
            state.next = kept.count % Self.window
            state.count = max(count, kept.count)
            state.bestMean = bestMean ?? -Double.infinity
        }
    }
}
