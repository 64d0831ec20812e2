import Randomness

/// Weight initialisation.
///
/// Weights are orthogonal (Saxe et al. 2014, as in OpenAI Baselines and Stable-Baselines3): each
/// layer's weight matrix, viewed as [outputs, fan-in], has orthonormal rows (or columns, when there
/// are more rows than fan-in) scaled by a gain. Biases start at zero. The usual gains are sqrt(2)
/// for layers followed by ReLU, 1 otherwise, 0.01 for a policy head (a near-uniform first policy)
/// and 1 for a value head.
public enum Initialization {
    /// Orthogonal `[rows, columns]` matrix times `gain`, drawn from `rng`.
    public static func orthogonal(
        rows: Int, columns: Int, gain: Float, rng: inout Xoshiro256
    ) -> [Float] {
        // Orthonormalise the short side's vectors of a Gaussian matrix (modified Gram-Schmidt, in Double).
        let vectors = min(rows, columns), length = max(rows, columns)
        var basis = [Double](repeating: 0, count: vectors * length)
        for v in 0..<vectors {
            var norm = 0.0
            repeat {
                for i in 0..<length { basis[v * length + i] = rng.nextGaussian() }
                for u in 0..<v {
                    var dot = 0.0
                    for i in 0..<length { dot += basis[u * length + i] * basis[v * length + i] }
                    for i in 0..<length { basis[v * length + i] -= dot * basis[u * length + i] }
                }
                norm = 0
                for i in 0..<length { norm += basis[v * length + i] * basis[v * length + i] }
                norm = norm.squareRoot()
            } while norm < 1e-6
            for i in 0..<length { basis[v * length + i] /= norm }
        }
        var matrix = [Float](repeating: 0, count: rows * columns)
        for r in 0..<rows {
            for c in 0..<columns {
                let value = rows <= columns ? basis[r * columns + c] : basis[c * rows + r]
                matrix[r * columns + c] = Float(value) * gain
            }
        }
        return matrix
    }

    /// Initialises every layer of `spec` in `parameters`: orthogonal weights with `gain(layer, row)`
    /// applied per output row, zero biases.
    public static func initialize(
        _ spec: NetworkSpec, parameters: UnsafeMutablePointer<Float>, rng: inout Xoshiro256,
        gain: (_ layer: Int, _ row: Int) -> Float
    ) {
        for (index, layer) in spec.layers.enumerated() {
            layer.unit.initialize(
                parameters + spec.parameterOffsets[index], input: spec.shapes[index], rng: &rng, gain: { gain(index, $0) })
        }
    }

    /// The conventional gain for layer `index`: sqrt(2) when a ReLU follows it, 1 otherwise.
    public static func defaultGain(_ spec: NetworkSpec, layer index: Int) -> Float {
        var next = index + 1
        while next < spec.layers.count, spec.layers[next] == .flatten { next += 1 }
        if next < spec.layers.count, spec.layers[next] == .relu { return Float(2).squareRoot() }
        return 1
    }
}
