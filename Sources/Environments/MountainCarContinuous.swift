#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Randomness

/// Gymnasium 1.4's `Continuous_MountainCarEnv`: MountainCar with a force in [-1, 1]; reward
/// -0.1 force² per step and +100 at the goal (position ≥ 0.45, velocity ≥ 0), where it terminates.
/// `MountainCarContinuous-v0` adds the 999-step time limit.
///
/// Gymnasium keeps the state in float32 after the first step (the reset state is float64) and does
/// part of the arithmetic in float32; this follows it (the trajectory tests replay its episodes).
public final class MountainCarContinuous: Environment {
    /// Velocity change per step per unit of force.
    public static let power = 0.0015
    /// Position the car must reach to finish.
    public static let goalPosition = 0.45

    /// The Gymnasium id this environment answers to.
    public let id = "MountainCarContinuous-v0"
    /// One force, in [-1, 1].
    public let actionSpace = ActionSpace.box(low: [-1], high: [1])
    /// The force's single dimension.
    public var actionCount: Int { 1 }
    /// Position and velocity, within the track and speed bounds.
    public let observationSpace = BoxSpace(
        shape: [2], low: [Float(MountainCar.minPosition), Float(-MountainCar.maxSpeed)],
        high: [Float(MountainCar.maxPosition), Float(MountainCar.maxSpeed)])

    /// (position, velocity), as Gymnasium keeps it.
    public var state: [Double] {
        get { [position, velocity] }
        set {
            precondition(newValue.count == 2, "MountainCarContinuous's state has 2 values")
            (position, velocity) = (newValue[0], newValue[1])
            singlePrecision = false
        }
    }

    private var position = 0.0, velocity = 0.0
    /// The state has been through a step (Gymnasium stores it as float32 from then on).
    private var singlePrecision = false
    private var rng: Xoshiro256

    /// A car whose random stream starts from `seed`; call `reset` before stepping.
    public init(seed: UInt64 = 0) { rng = Xoshiro256(seed: seed) }

    /// Puts the car at rest at a position uniform in [-0.6, -0.4), reseeding first when `seed` is given.
    public func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        if let seed { rng = Xoshiro256(seed: seed) }
        position = rng.uniform(-0.6, -0.4)
        velocity = 0
        singlePrecision = false
        write(observation)
    }

    /// Not a discrete environment: actions are forces (`step(continuous:into:)`).
    public func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) -> StepResult {
        preconditionFailure("MountainCarContinuous-v0 takes a force, not an action index")
    }

    /// Applies the force `action[0]` (clipped to [-1, 1]) and the hill's pull for one step.
    public func step(continuous action: UnsafePointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) -> StepResult {
        let a = action[0]
        let angle = singlePrecision ? Double(Float(3) * Float(position)) : 3 * position
        let pull = 0.0025 * cos(angle)
        // A force within the bounds is a float32, and float32 times a Python float stays float32.
        let push: Double = a > 1 ? Self.power : a < -1 ? -Self.power : Double(a * Float(Self.power))
        let change = a > 1 || a < -1 ? push - pull : Double(Float(push) - Float(pull))
        velocity = singlePrecision ? Double(Float(velocity) + Float(change)) : velocity + change
        // NumPy compares a float32 with a Python float in float32.
        if exceeds(velocity, MountainCar.maxSpeed) { velocity = MountainCar.maxSpeed }
        if exceeds(-MountainCar.maxSpeed, velocity) { velocity = -MountainCar.maxSpeed }
        position = singlePrecision ? Double(Float(position) + Float(velocity)) : position + velocity
        if exceeds(position, MountainCar.maxPosition) { position = MountainCar.maxPosition }
        if exceeds(MountainCar.minPosition, position) { position = MountainCar.minPosition }
        if position == MountainCar.minPosition && velocity < 0 { velocity = 0 }
        let atGoal = singlePrecision ? Float(position) >= Float(Self.goalPosition) : position >= Self.goalPosition
        let terminated = atGoal && velocity >= 0
        let reward = (terminated ? 100.0 : 0) - pow(Double(a), 2) * 0.1
        position = Double(Float(position))
        velocity = Double(Float(velocity))
        singlePrecision = true
        write(observation)
        return StepResult(reward: reward, terminated: terminated, truncated: false)
    }

    /// `a > b`, in float32 once the state is float32 (as NumPy compares it with a Python float).
    @inline(__always)
    private func exceeds(_ a: Double, _ b: Double) -> Bool {
        singlePrecision ? Float(a) > Float(b) : a > b
    }

    @inline(__always)
    private func write(_ observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(position)
        observation[1] = Float(velocity)
    }
}
