#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Randomness

/// Gymnasium 1.4's `MountainCarEnv` (Moore 1990): a car in a valley pushes left (0), not at all (1)
/// or right (2); reward -1 per step; terminates at position ≥ 0.5 with velocity ≥ 0; starts at rest
/// at a position uniform in [-0.6, -0.4). `MountainCar-v0` adds the 200-step time limit.
public final class MountainCar: Environment {
    /// Left end of the track; the car stops dead there.
    public static let minPosition = -1.2
    /// Right end of the track.
    public static let maxPosition = 0.6
    /// Bound on the car's speed in either direction, in position units per step.
    public static let maxSpeed = 0.07
    /// Position the car must reach to finish (the top of the right hill).
    public static let goalPosition = 0.5
    /// Least velocity at the goal position that ends the episode.
    public static let goalVelocity = 0.0
    /// Velocity change per step from pushing left or right.
    public static let force = 0.001
    /// Strength of the hill's pull: each step adds -gravity · cos(3 · position) to the velocity.
    public static let gravity = 0.0025

    /// The Gymnasium id this environment answers to.
    public let id = "MountainCar-v0"
    /// Three actions: push left (0), do nothing (1), push right (2).
    public let actionCount = 3
    /// Position and velocity, within the track and speed bounds.
    public let observationSpace = BoxSpace(
        shape: [2], low: [Float(MountainCar.minPosition), Float(-MountainCar.maxSpeed)],
        high: [Float(MountainCar.maxPosition), Float(MountainCar.maxSpeed)])

    /// (position, velocity), as Gymnasium keeps it (float64).
    public var state: [Double] {
        get { [position, velocity] }
        set {
            precondition(newValue.count == 2, "MountainCar's state has 2 values")
            (position, velocity) = (newValue[0], newValue[1])
        }
    }

    private var position = 0.0, velocity = 0.0
    private var rng: Xoshiro256

    /// A mountain car whose random stream starts from `seed`; call `reset` before stepping.
    public init(seed: UInt64 = 0) { rng = Xoshiro256(seed: seed) }

    /// Puts the car at rest at a position uniform in [-0.6, -0.4), reseeding first when `seed` is given.
    public func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        if let seed { rng = Xoshiro256(seed: seed) }
        position = rng.uniform(-0.6, -0.4)
        velocity = 0
        write(observation)
    }

    /// Applies the push and the hill's pull for one step; reward -1, termination at the goal.
    public func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) -> StepResult {
        precondition((0..<3).contains(action), "MountainCar action must be 0, 1 or 2, got \(action)")
        velocity += Double(action - 1) * Self.force + cos(3 * position) * (-Self.gravity)
        velocity = min(max(velocity, -Self.maxSpeed), Self.maxSpeed)
        position += velocity
        position = min(max(position, Self.minPosition), Self.maxPosition)
        if position == Self.minPosition && velocity < 0 { velocity = 0 }
        let terminated = position >= Self.goalPosition && velocity >= Self.goalVelocity
        write(observation)
        return StepResult(reward: -1, terminated: terminated, truncated: false)
    }

    @inline(__always)
    private func write(_ observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(position)
        observation[1] = Float(velocity)
    }
}
