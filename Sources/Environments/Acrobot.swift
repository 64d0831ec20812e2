#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Randomness

/// Gymnasium 1.4's `AcrobotEnv` (Sutton 1996; the "book" dynamics): two links, torque -1, 0 or +1 on
/// the joint between them, one fourth-order Runge-Kutta step of 0.2 s per action, angles wrapped to
/// [-π, π] and velocities bounded after it. Reward -1 per step, 0 on reaching the goal height
/// (-cos θ1 - cos(θ1 + θ2) > 1). Starts with all four state values uniform in (-0.1, 0.1), rounded
/// to float32 as Gymnasium does. `Acrobot-v1` adds the 500-step time limit.
public final class Acrobot: Environment {
    /// Seconds of simulated time per action (one Runge-Kutta step).
    public static let dt = 0.2
    /// Length of the first link, in metres.
    public static let linkLength1 = 1.0
    /// Mass of the first link, in kilograms.
    public static let linkMass1 = 1.0
    /// Mass of the second link, in kilograms.
    public static let linkMass2 = 1.0
    /// Distance from the shoulder to the first link's centre of mass, in metres.
    public static let linkCenterOfMass1 = 0.5
    /// Distance from the elbow to the second link's centre of mass, in metres.
    public static let linkCenterOfMass2 = 0.5
    /// Moment of inertia of each link (both links use it).
    public static let linkMomentOfInertia = 1.0
    /// Bound on the first joint's angular velocity, in rad/s.
    public static let maxVelocity1 = 4 * Double.pi
    /// Bound on the second joint's angular velocity, in rad/s.
    public static let maxVelocity2 = 9 * Double.pi
    /// The torque at the joint between the links for actions 0, 1 and 2.
    public static let availableTorque: [Double] = [-1, 0, 1]

    /// The Gymnasium id this environment answers to.
    public let id = "Acrobot-v1"
    /// Three actions: torque -1, 0 or +1 on the joint between the links.
    public let actionCount = 3
    /// cos θ1, sin θ1, cos θ2, sin θ2 and the two angular velocities, within their bounds.
    public let observationSpace = BoxSpace(
        shape: [6], low: [-1, -1, -1, -1, Float(-Acrobot.maxVelocity1), Float(-Acrobot.maxVelocity2)],
        high: [1, 1, 1, 1, Float(Acrobot.maxVelocity1), Float(Acrobot.maxVelocity2)])

    /// (θ1, θ2, θ̇1, θ̇2), as Gymnasium keeps it.
    public var state: [Double] {
        get { [s.0, s.1, s.2, s.3] }
        set {
            precondition(newValue.count == 4, "Acrobot's state has 4 values")
            s = (newValue[0], newValue[1], newValue[2], newValue[3])
        }
    }

    private typealias State = (Double, Double, Double, Double)
    private var s: State = (0, 0, 0, 0)
    private var rng: Xoshiro256

    /// An acrobot whose random stream starts from `seed`; call `reset` before stepping.
    public init(seed: UInt64 = 0) { rng = Xoshiro256(seed: seed) }

    /// Draws all four state values uniform in (-0.1, 0.1), reseeding first when `seed` is given, as Gymnasium does.
    public func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        if let seed { rng = Xoshiro256(seed: seed) }
        func draw() -> Double { Double(Float(rng.uniform(-0.1, 0.1))) }
        s = (draw(), draw(), draw(), draw())
        write(observation)
    }

    /// Applies the action's torque for one RK4 step of `dt`; reward -1, or 0 and termination at the goal height.
    public func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) -> StepResult {
        precondition((0..<3).contains(action), "Acrobot action must be 0, 1 or 2, got \(action)")
        let torque = Self.availableTorque[action]
        // One RK4 step over [0, dt], as Gymnasium's rk4 with t = [0, dt].
        let h = Self.dt, half = h / 2
        let k1 = derivatives(s, torque)
        let k2 = derivatives(add(s, k1, half), torque)
        let k3 = derivatives(add(s, k2, half), torque)
        let k4 = derivatives(add(s, k3, h), torque)
        var next: State = (
            s.0 + h / 6.0 * (k1.0 + 2 * k2.0 + 2 * k3.0 + k4.0),
            s.1 + h / 6.0 * (k1.1 + 2 * k2.1 + 2 * k3.1 + k4.1),
            s.2 + h / 6.0 * (k1.2 + 2 * k2.2 + 2 * k3.2 + k4.2),
            s.3 + h / 6.0 * (k1.3 + 2 * k2.3 + 2 * k3.3 + k4.3)
        )
        next.0 = wrap(next.0, -Double.pi, Double.pi)
        next.1 = wrap(next.1, -Double.pi, Double.pi)
        next.2 = min(max(next.2, -Self.maxVelocity1), Self.maxVelocity1)
        next.3 = min(max(next.3, -Self.maxVelocity2), Self.maxVelocity2)
        s = next
        let terminated = -cos(s.0) - cos(s.1 + s.0) > 1.0
        write(observation)
        return StepResult(reward: terminated ? 0 : -1, terminated: terminated, truncated: false)
    }

    @inline(__always)
    private func add(_ a: State, _ d: State, _ scale: Double) -> State {
        (a.0 + scale * d.0, a.1 + scale * d.1, a.2 + scale * d.2, a.3 + scale * d.3)
    }

    /// The equations of motion ("book" variant, as Gymnasium's default).
    private func derivatives(_ s: State, _ a: Double) -> State {
        let m1 = Self.linkMass1, m2 = Self.linkMass2, l1 = Self.linkLength1
        let lc1 = Self.linkCenterOfMass1, lc2 = Self.linkCenterOfMass2
        let i1 = Self.linkMomentOfInertia, i2 = Self.linkMomentOfInertia
        let g = 9.8
        let (theta1, theta2, dtheta1, dtheta2) = s
        let d1 = m1 * lc1 * lc1 + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * cos(theta2)) + i1 + i2
        let d2 = m2 * (lc2 * lc2 + l1 * lc2 * cos(theta2)) + i2
        let phi2 = m2 * lc2 * g * cos(theta1 + theta2 - Double.pi / 2.0)
        let phi1 =
            -m2 * l1 * lc2 * dtheta2 * dtheta2 * sin(theta2)
            - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin(theta2)
            + (m1 * lc1 + m2 * l1) * g * cos(theta1 - Double.pi / 2)
            + phi2
        let ddtheta2 =
            (a + d2 / d1 * phi1 - m2 * l1 * lc2 * dtheta1 * dtheta1 * sin(theta2) - phi2)
            / (m2 * lc2 * lc2 + i2 - d2 * d2 / d1)
        let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
        return (dtheta1, dtheta2, ddtheta1, ddtheta2)
    }

    private func wrap(_ value: Double, _ low: Double, _ high: Double) -> Double {
        let range = high - low
        var x = value
        while x > high { x -= range }
        while x < low { x += range }
        return x
    }

    @inline(__always)
    private func write(_ observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(cos(s.0))
        observation[1] = Float(sin(s.0))
        observation[2] = Float(cos(s.1))
        observation[3] = Float(sin(s.1))
        observation[4] = Float(s.2)
        observation[5] = Float(s.3)
    }
}
