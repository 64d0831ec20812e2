#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Randomness

/// Gymnasium 1.4's `PendulumEnv`: swing a pendulum up and keep it upright with a torque in
/// [-2, 2]. Reward -(θ² + 0.1 θ̇² + 0.001 u²) with θ normalised to [-π, π); it never terminates;
/// `Pendulum-v1` adds the 200-step time limit. Starts at θ uniform in [-π, π), θ̇ in [-1, 1].
public final class Pendulum: Environment {
    /// Bound on the angular velocity (rad per second).
    public static let maxSpeed = 8.0
    /// Bound on the torque; larger actions are clipped to it.
    public static let maxTorque = 2.0
    /// Seconds per step.
    public static let dt = 0.05
    /// Gravity (Gymnasium's default `g`), mass and length of the pendulum.
    public static let gravity = 10.0, mass = 1.0, length = 1.0

    /// The Gymnasium id this environment answers to.
    public let id = "Pendulum-v1"
    /// One torque, in [-2, 2].
    public let actionSpace = ActionSpace.box(low: [-2], high: [2])
    /// The torque's single dimension.
    public var actionCount: Int { 1 }
    /// cos θ, sin θ, θ̇.
    public let observationSpace = BoxSpace(shape: [3], low: [-1, -1, -8], high: [1, 1, 8])

    /// (θ, θ̇), as Gymnasium keeps it (float64).
    public var state: [Double] {
        get { [theta, thetaDot] }
        set {
            precondition(newValue.count == 2, "Pendulum's state has 2 values")
            (theta, thetaDot) = (newValue[0], newValue[1])
        }
    }

    private var theta = 0.0, thetaDot = 0.0
    private var rng: Xoshiro256

    /// A pendulum whose random stream starts from `seed`; call `reset` before stepping.
    public init(seed: UInt64 = 0) { rng = Xoshiro256(seed: seed) }

    /// θ uniform in [-π, π), θ̇ uniform in [-1, 1), reseeding first when `seed` is given.
    public func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        if let seed { rng = Xoshiro256(seed: seed) }
        theta = rng.uniform(-Double.pi, Double.pi)
        thetaDot = rng.uniform(-1, 1)
        write(observation)
    }

    /// Not a discrete environment: actions are torques (`step(continuous:into:)`).
    public func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) -> StepResult {
        preconditionFailure("Pendulum-v1 takes a torque, not an action index")
    }

    /// Applies the torque `action[0]` (clipped to [-2, 2]) for one step.
    public func step(continuous action: UnsafePointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) -> StepResult {
        // Gymnasium's torque stays a float32, and NumPy multiplies it by Python floats in float32.
        let u = min(max(action[0], Float(-Self.maxTorque)), Float(Self.maxTorque))
        let effort = Double(Float(0.001) * (u * u))
        let angle = Self.normalizedAngle(theta)
        let cost = angle * angle + 0.1 * thetaDot * thetaDot + effort
        let push = Double(Float(3.0 / (Self.mass * Self.length * Self.length)) * u)
        let acceleration = 3 * Self.gravity / (2 * Self.length) * sin(theta) + push
        thetaDot = min(max(thetaDot + acceleration * Self.dt, -Self.maxSpeed), Self.maxSpeed)
        theta += thetaDot * Self.dt
        write(observation)
        return StepResult(reward: -cost, terminated: false, truncated: false)
    }

    /// θ in [-π, π), as Python's `((x + π) % 2π) - π` gives it (the remainder takes the divisor's sign).
    static func normalizedAngle(_ x: Double) -> Double {
        let period = 2 * Double.pi
        var r = fmod(x + Double.pi, period)
        if r < 0 { r += period }
        return r - Double.pi
    }

    @inline(__always)
    private func write(_ observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(cos(theta))
        observation[1] = Float(sin(theta))
        observation[2] = Float(thetaDot)
    }
}
