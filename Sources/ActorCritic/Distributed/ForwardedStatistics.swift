import Environments

/// Running statistics on a rank that does not own them: workers normalise with the copy rank 0
/// last sent, and what they add is kept until it travels to rank 0 with the next message.
///
/// Thread-safe: a lock guards the copy and the sums waiting to be sent.
final class ForwardedStatistics: RunningStatistics {
    private struct State {
        var copy: ObservationNormalizer.Statistics
        var count = 0
        var sums: [Double]
        var squares: [Double]
    }

    let width: Int
    private let state: Locked<State>

    init(width: Int, statistics: ObservationNormalizer.Statistics?) {
        self.width = width
        state = Locked(
            State(
                copy: statistics ?? ObservationNormalizer.Statistics(width: width),
                sums: Array(repeating: 0, count: width), squares: Array(repeating: 0, count: width)))
    }

    func coefficients(shift: UnsafeMutablePointer<Float>, scale: UnsafeMutablePointer<Float>) {
        state.withLock { $0.copy.coefficients(shift: shift, scale: scale) }
    }

    func merge(count: Int, sums: UnsafePointer<Double>, squares: UnsafePointer<Double>) {
        guard count > 0 else { return }
        state.withLock { s in
            s.count += count
            for i in 0..<width {
                s.sums[i] += sums[i]
                s.squares[i] += squares[i]
            }
        }
    }

    /// The sums added since the last call (count, sums, squares), which start afresh.
    func take() -> (count: Int, sums: [Double], squares: [Double]) {
        state.withLock { s in
            defer {
                s.count = 0
                for i in 0..<width { (s.sums[i], s.squares[i]) = (0, 0) }
            }
            return (s.count, s.sums, s.squares)
        }
    }

    /// Writes the sums added since the last call (count, sums, squares) and starts them afresh.
    func drain(into writer: inout WireWriter) {
        let (count, sums, squares) = take()
        writer.append(Int64(count))
        writer.append(sums)
        writer.append(squares)
    }

    /// Takes rank 0's statistics as the copy to normalise with.
    func replace(with statistics: ObservationNormalizer.Statistics) {
        state.withLock { $0.copy = statistics }
    }
}

extension ObservationNormalizer {
    /// Merges sums another rank sent (`ForwardedStatistics.drain`).
    func merge(from reader: inout WireReader) throws {
        let count = Int(try reader.read(Int64.self))
        let sums = try reader.readDoubles(), squares = try reader.readDoubles()
        guard count > 0 else { return }
        guard sums.count == statistics.mean.count, squares.count == sums.count else {
            throw DistributedError("another rank sent statistics of \(sums.count) elements, not \(statistics.mean.count)")
        }
        sums.withUnsafeBufferPointer { s in
            squares.withUnsafeBufferPointer { q in merge(count: count, sums: s.baseAddress!, squares: q.baseAddress!) }
        }
    }
}
