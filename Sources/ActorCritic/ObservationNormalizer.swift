import Environments

/// Running mean and variance of every observation element, shared by all workers: each worker
/// normalises its observations with the statistics as they were when its rollout began, sums what
/// it saw, and merges those sums once per rollout (Chan et al.'s parallel update). Observations
/// become clip((x - mean) / sqrt(variance + 1e-8), -10, 10), as Stable-Baselines3's VecNormalize.
///
/// Thread-safe: a lock guards the statistics (taken twice per rollout per worker, never per step).
public final class ObservationNormalizer: Sendable {
    /// The statistics: saved in checkpoints and used by `eval`, `record` and evaluations.
    public struct Statistics: Sendable, Hashable {
        /// Observations counted (starts at 1e-4, so the first merge takes over).
        public var count: Double
        /// Mean of each element.
        public var mean: [Double]
        /// Population variance of each element.
        public var variance: [Double]

        /// No observation yet: mean 0, variance 1.
        public init(width: Int) {
            count = 1e-4
            mean = Array(repeating: 0, count: width)
            variance = Array(repeating: 1, count: width)
        }

        /// Statistics as saved.
        public init(count: Double, mean: [Double], variance: [Double]) {
            self.count = count
            self.mean = mean
            self.variance = variance
        }

        /// Writes the shift (the mean) and the scale (1 / sqrt(variance + 1e-8)) of each element.
        public func coefficients(shift: UnsafeMutablePointer<Float>, scale: UnsafeMutablePointer<Float>) {
            for i in mean.indices {
                shift[i] = Float(mean[i])
                scale[i] = Float(1 / (variance[i] + ObservationNormalizer.epsilon).squareRoot())
            }
        }
    }

    /// Added to the variance before the square root.
    public static let epsilon = 1e-8
    /// Normalised observations are clipped to ± this.
    public static let clip: Float = 10

    private let state: Locked<Statistics>

    /// Statistics for observations of `width` elements, from `statistics` when resuming.
    public init(width: Int, statistics: Statistics? = nil) {
        state = Locked(statistics ?? Statistics(width: width))
    }

    /// The statistics now.
    public var statistics: Statistics { state.withLock { $0 } }

    /// Writes the current shift and scale of each element (see `Statistics.coefficients`).
    public func coefficients(shift: UnsafeMutablePointer<Float>, scale: UnsafeMutablePointer<Float>) {
        state.withLock { $0.coefficients(shift: shift, scale: scale) }
    }

    /// Merges a batch of `count` observations given by the per-element `sums` and `squares`.
    public func merge(count: Int, sums: UnsafePointer<Double>, squares: UnsafePointer<Double>) {
        guard count > 0 else { return }
        let n = Double(count)
        state.withLock { s in
            let total = s.count + n
            for i in s.mean.indices {
                let batchMean = sums[i] / n
                let batchVariance = max(squares[i] / n - batchMean * batchMean, 0)
                let delta = batchMean - s.mean[i]
                let m2 = s.variance[i] * s.count + batchVariance * n + delta * delta * s.count * n / total
                s.mean[i] += delta * n / total
                s.variance[i] = m2 / total
            }
            s.count = total
        }
    }

    /// Normalises `rows` rows of `width` elements in place with `shift` and `scale`, adding each raw
    /// value to `sums` and its square to `squares` when they are given.
    @inlinable
    public static func normalize(
        _ rows: UnsafeMutablePointer<Float>, count: Int, width: Int, shift: UnsafePointer<Float>, scale: UnsafePointer<Float>,
        sums: UnsafeMutablePointer<Double>?, squares: UnsafeMutablePointer<Double>?
    ) {
        for r in 0..<count {
            let row = rows + r * width
            for i in 0..<width {
                let x = row[i]
                if let sums, let squares {
                    sums[i] += Double(x)
                    squares[i] += Double(x) * Double(x)
                }
                row[i] = min(max((x - shift[i]) * scale[i], -clip), clip)
            }
        }
    }
}
