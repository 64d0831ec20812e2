import Foundation
import NeuralNet
import Randomness
import Testing

@Suite("Shared optimizers, clipping, schedule, initialisation")
struct OptimizerTests {
    @Test func rmspropFollowsThePapersUpdate() {
        let optimizer = SharedRMSProp(parameterCount: 3, alpha: 0.99, epsilon: 0.1)
        let parameters = FloatBuffer([1, -2, 0.5])
        var square = [0.0, 0.0, 0.0]
        var expected = [1.0, -2.0, 0.5]
        for gradient in [[0.5, -1.0, 2.0], [0.1, 0.3, -0.2]] as [[Double]] {
            optimizer.apply(gradient: gradient.map(Float.init), to: parameters.pointer, learningRate: 0.01)
            for i in 0..<3 {
                square[i] = 0.99 * square[i] + 0.01 * gradient[i] * gradient[i]
                expected[i] -= 0.01 * gradient[i] / (square[i] + 0.1).squareRoot()
            }
        }
        for i in 0..<3 {
            #expect(abs(Double(parameters.pointer[i]) - expected[i]) < 1e-6)
            #expect(abs(Double(optimizer.squareAverage.pointer[i]) - square[i]) < 1e-7)
        }
    }

    /// The three RMSProp forms against a computation in Double: TensorFlow's starts the square
    /// average at 1, PyTorch's adds ε to the root. 37 parameters: the vector kernels and their tails.
    @Test(arguments: [OptimizerKind.rmsprop, .rmspropTF, .rmspropTorch])
    func rmspropFormsFollowTheirReferences(kind: OptimizerKind) throws {
        let count = 37, alpha = 0.9, epsilon = 1e-2, rate = 0.01
        let optimizer = try #require(kind.make(parameterCount: count, rmspropAlpha: Float(alpha), epsilon: Float(epsilon)) as? SharedRMSProp)
        var rng = Xoshiro256(seed: 11)
        let start = (0..<count).map { _ in rng.uniform(-1, 1) }
        let parameters = FloatBuffer(start.map(Float.init))
        var square = [Double](repeating: kind == .rmspropTF ? 1 : 0, count: count)
        var expected = start
        for _ in 0..<3 {
            let gradient = (0..<count).map { _ in Double(Float(rng.uniform(-2, 2))) }
            optimizer.apply(gradient: gradient.map(Float.init), to: parameters.pointer, learningRate: Float(rate))
            for i in 0..<count {
                square[i] = alpha * square[i] + (1 - alpha) * gradient[i] * gradient[i]
                let root = kind == .rmspropTorch ? square[i].squareRoot() + epsilon : (square[i] + epsilon).squareRoot()
                expected[i] -= rate * gradient[i] / root
            }
        }
        for i in 0..<count {
            #expect(abs(Double(parameters.pointer[i]) - expected[i]) < 1e-5 * max(1, abs(expected[i])), "parameter \(i)")
            #expect(abs(Double(optimizer.squareAverage.pointer[i]) - square[i]) < 1e-6 * max(1, square[i]), "square average \(i)")
        }
        // TensorFlow's first step is about rate x gradient, not rate x sign(gradient).
        if kind == .rmspropTF {
            let fresh = SharedRMSProp(parameterCount: 1, alpha: 0.99, epsilon: 1e-5, initialSquareAverage: 1)
            let p = FloatBuffer([0])
            fresh.apply(gradient: [0.01], to: p.pointer, learningRate: 1)
            #expect(abs(p.pointer[0] + 0.01 / (0.99 + 0.01 * 0.0001 + 1e-5).squareRoot()) < 1e-7)
        }
    }

    @Test func adamWithBiasCorrection() {
        let optimizer = SharedAdam(parameterCount: 2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
        let parameters = FloatBuffer([0.5, -0.5])
        var m = [0.0, 0.0], v = [0.0, 0.0], expected = [0.5, -0.5]
        let gradients: [[Double]] = [[1, -2], [0.5, 0.5], [-1, 0.25]]
        for (step, gradient) in gradients.enumerated() {
            optimizer.apply(gradient: gradient.map(Float.init), to: parameters.pointer, learningRate: 0.001)
            let t = Double(step + 1)
            for i in 0..<2 {
                m[i] = 0.9 * m[i] + 0.1 * gradient[i]
                v[i] = 0.999 * v[i] + 0.001 * gradient[i] * gradient[i]
                let mHat = m[i] / (1 - pow(0.9, t)), vHat = v[i] / (1 - pow(0.999, t))
                expected[i] -= 0.001 * mHat / (vHat.squareRoot() + 1e-8)
            }
        }
        #expect(optimizer.stepCount.load(ordering: .relaxed) == 3)
        for i in 0..<2 { #expect(abs(Double(parameters.pointer[i]) - expected[i]) < 1e-6) }
    }

    @Test func globalNormClipping() {
        var gradient: [Float] = [3, 4]
        let norm = GradientClipping.clipGlobalNorm(&gradient, count: 2, maxNorm: 1)
        #expect(norm == 5)
        #expect(abs(gradient[0] - 0.6) < 1e-6 && abs(gradient[1] - 0.8) < 1e-6)
        var small: [Float] = [0.3, 0.4]
        GradientClipping.clipGlobalNorm(&small, count: 2, maxNorm: 1)
        #expect(small == [0.3, 0.4])
    }

    @Test func learningRateFallsLinearlyToZero() {
        let schedule = LinearSchedule(initial: 0.01, totalSteps: 1000)
        #expect(schedule.value(at: 0) == 0.01)
        #expect(abs(schedule.value(at: 250) - 0.0075) < 1e-9)
        #expect(schedule.value(at: 1000) == 0)
        #expect(schedule.value(at: 5000) == 0)
    }

    @Test(arguments: [(4, 9), (9, 4), (6, 6)])
    func orthogonalInitialisation(rows: Int, columns: Int) {
        var rng = Xoshiro256(seed: 5)
        let gain: Float = 1.5
        let w = Initialization.orthogonal(rows: rows, columns: columns, gain: gain, rng: &rng)
        // The short side's vectors are orthogonal with norm `gain`.
        let vectors = min(rows, columns), length = max(rows, columns)
        func element(_ v: Int, _ i: Int) -> Double {
            Double(rows <= columns ? w[v * columns + i] : w[i * columns + v])
        }
        for a in 0..<vectors {
            for b in 0..<vectors {
                var dot = 0.0
                for i in 0..<length { dot += element(a, i) * element(b, i) }
                #expect(abs(dot - (a == b ? Double(gain * gain) : 0)) < 1e-4)
            }
        }
    }

    @Test func rmspropIsSafeUnderConcurrentUse() async {
        // Hogwild: many threads update at once; the result must stay finite and move downhill.
        let count = 10_000
        let optimizer = SharedRMSProp(parameterCount: count)
        let parameters = FloatBuffer(count: count)
        parameters.fill(1)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let gradient = [Float](repeating: 1, count: count)
                    for _ in 0..<100 { optimizer.apply(gradient: gradient, to: parameters.pointer, learningRate: 0.001) }
                }
            }
        }
        #expect(parameters.array.allSatisfy { $0.isFinite && $0 < 1 })
    }
}
