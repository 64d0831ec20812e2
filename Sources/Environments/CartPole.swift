#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Randomness

/// Gymnasium 1.4's `CartPoleEnv` (Barto, Sutton and Anderson 1983), step for step: Euler
/// integration at 50 Hz in double precision, reward 1 for every step including the terminating
/// one, termination when |x| > 2.4 or |θ| > 12°, initial state uniform in (-0.05, 0.05).
/// `CartPole-v1` adds the 500-step time limit (see `EnvironmentRegistry`).
public final class CartPole: Environment {
    /// Gravitational acceleration, in m/s².
    public static let gravity = 9.8
    /// Mass of the cart, in kilograms.
    public static let cartMass = 1.0
    /// Mass of the pole, in kilograms.
    public static let poleMass = 0.1
    /// Mass of cart and pole together, in kilograms.
    public static let totalMass = poleMass + cartMass
    /// Half the pole's length.
    public static let length = 0.5
    /// Pole mass times half its length, a term of the equations of motion.
    public static let poleMassLength = poleMass * length
    /// Force each action pushes the cart with, in newtons (to the left for 0, to the right for 1).
    public static let forceMagnitude = 10.0
    /// Seconds between state updates.
    public static let tau = 0.02
    /// Pole angle past which the episode terminates: 12°, in radians.
    public static let thetaThreshold = 12 * 2 * Double.pi / 360
    /// Cart distance from the centre past which the episode terminates, in metres.
    public static let xThreshold = 2.4

    /// The Gymnasium id this environment answers to.
    public let id = "CartPole-v1"
    /// Two actions: push the cart left (0) or right (1).
    public let actionCount = 2
    /// x, ẋ, θ, θ̇; x and θ bounded at twice their termination thresholds, the velocities unbounded.
    public let observationSpace: BoxSpace = {
        let high: [Float] = [Float(CartPole.xThreshold * 2), .infinity, Float(CartPole.thetaThreshold * 2), .infinity]
        return BoxSpace(shape: [4], low: high.map { -$0 }, high: high)
    }()

    /// (x, ẋ, θ, θ̇), as Gymnasium keeps it (float64).
    public var state: [Double] {
        get { [x, xDot, theta, thetaDot] }
        set {
            precondition(newValue.count == 4, "CartPole's state has 4 values")
            (x, xDot, theta, thetaDot) = (newValue[0], newValue[1], newValue[2], newValue[3])
            stepsBeyondTerminated = nil
        }
    }

    private var x = 0.0, xDot = 0.0, theta = 0.0, thetaDot = 0.0
    private var stepsBeyondTerminated: Int?
    private var rng: Xoshiro256

    /// A cart-pole whose random stream starts from `seed`; call `reset` before stepping.
    public init(seed: UInt64 = 0) { rng = Xoshiro256(seed: seed) }

    /// Puts the cart back near the centre with all four state values uniform in (-0.05, 0.05), as Gymnasium does.
    public func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        if let seed { rng = Xoshiro256(seed: seed) }
        x = rng.uniform(-0.05, 0.05)
        xDot = rng.uniform(-0.05, 0.05)
        theta = rng.uniform(-0.05, 0.05)
        thetaDot = rng.uniform(-0.05, 0.05)
        stepsBeyondTerminated = nil
        write(observation)
    }

    /// Pushes the cart and advances one Euler step of `tau`; reward 1, termination past either threshold.
    public func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) -> StepResult {
        precondition(action == 0 || action == 1, "CartPole action must be 0 or 1, got \(action)")
        let force = action == 1 ? Self.forceMagnitude : -Self.forceMagnitude
        let cosTheta = cos(theta), sinTheta = sin(theta)
        let temp = (force + Self.poleMassLength * (thetaDot * thetaDot) * sinTheta) / Self.totalMass
        let thetaAcc =
            (Self.gravity * sinTheta - cosTheta * temp)
            / (Self.length * (4.0 / 3.0 - Self.poleMass * (cosTheta * cosTheta) / Self.totalMass))
        let xAcc = temp - Self.poleMassLength * thetaAcc * cosTheta / Self.totalMass
        x = x + Self.tau * xDot
        xDot = xDot + Self.tau * xAcc
        theta = theta + Self.tau * thetaDot
        thetaDot = thetaDot + Self.tau * thetaAcc

        let terminated =
            x < -Self.xThreshold || x > Self.xThreshold || theta < -Self.thetaThreshold || theta > Self.thetaThreshold
        var reward = 1.0
        if terminated {
            // Stepping past the end is undefined in Gymnasium; it then pays 0, and so do we.
            if let beyond = stepsBeyondTerminated {
                stepsBeyondTerminated = beyond + 1
                reward = 0
            } else {
                stepsBeyondTerminated = 0
            }
        }
        write(observation)
        return StepResult(reward: reward, terminated: terminated, truncated: false)
    }

    @inline(__always)
    private func write(_ observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(x)
        observation[1] = Float(xDot)
        observation[2] = Float(theta)
        observation[3] = Float(thetaDot)
    }
}
