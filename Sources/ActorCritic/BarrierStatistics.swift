import Environments

/// Running statistics (observations or returns) of a synchronous run: every worker normalises
/// with the same copy and adds what it saw to a slot of its own; at each update the barrier sums
/// the slots in worker order, merges the total into `owner` (the statistics checkpoints keep;
/// across ranks, after every rank's totals met) and takes a fresh copy. So the statistics, like the
/// parameters, do not depend on which worker reached the barrier first.
///
/// Thread-safe: a lock guards the copy and the slots; `take` and `refresh` run at the barrier.
final class BarrierStatistics: Sendable {
    private struct State {
        var copy: ObservationNormalizer.Statistics
        var counts: [Int]
        var sums: [[Double]]
        var squares: [[Double]]
    }

    /// Elements per observation (1 for returns).
    let width: Int
    /// The run's statistics, which the barrier merges into.
    let owner: ObservationNormalizer
    private let state: Locked<State>

    init(owner: ObservationNormalizer, workers: Int) {
        let statistics = owner.statistics
        self.owner = owner
        width = statistics.mean.count
        let zeros = [[Double]](repeating: Array(repeating: 0, count: width), count: workers)
        state = Locked(State(copy: statistics, counts: Array(repeating: 0, count: workers), sums: zeros, squares: zeros))
    }

    /// What local worker `slot` normalises with and adds to.
    func slot(_ slot: Int) -> any RunningStatistics { Slot(statistics: self, index: slot) }

    /// The slots' additions since the last call, summed in worker order; the slots start afresh.
    func take() -> (count: Int, sums: [Double], squares: [Double]) {
        state.withLock { s in
            var count = 0
            var sums = [Double](repeating: 0, count: width), squares = sums
            for w in s.counts.indices {
                count += s.counts[w]
                for i in 0..<width {
                    sums[i] += s.sums[w][i]
                    squares[i] += s.squares[w][i]
                    (s.sums[w][i], s.squares[w][i]) = (0, 0)
                }
                s.counts[w] = 0
            }
            return (count, sums, squares)
        }
    }

    /// Merges the slots into `owner` (in one process; across ranks `RankReduction` merges the
    /// sum of every rank's) and takes the result as the copy to normalise with.
    func settle() {
        let (count, sums, squares) = take()
        sums.withUnsafeBufferPointer { s in
            squares.withUnsafeBufferPointer { q in owner.merge(count: count, sums: s.baseAddress!, squares: q.baseAddress!) }
        }
        refresh()
    }

    /// Takes `owner`'s statistics as the copy every worker normalises with.
    func refresh() {
        let statistics = owner.statistics
        state.withLock { $0.copy = statistics }
    }

    private final class Slot: RunningStatistics {
        let statistics: BarrierStatistics
        let index: Int

        init(statistics: BarrierStatistics, index: Int) {
            self.statistics = statistics
            self.index = index
        }

        func coefficients(shift: UnsafeMutablePointer<Float>, scale: UnsafeMutablePointer<Float>) {
            statistics.state.withLock { $0.copy.coefficients(shift: shift, scale: scale) }
        }

        func merge(count: Int, sums: UnsafePointer<Double>, squares: UnsafePointer<Double>) {
            guard count > 0 else { return }
            let width = statistics.width, index = index
            statistics.state.withLock { s in
                s.counts[index] += count
                for i in 0..<width {
                    s.sums[index][i] += sums[i]
                    s.squares[index][i] += squares[i]
                }
            }
        }
    }
}
