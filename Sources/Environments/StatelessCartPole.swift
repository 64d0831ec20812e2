/// CartPole-v1 with its velocities hidden: the observation is the cart's position and the pole's
/// angle only (x, θ), the dynamics, rewards and episode ends are CartPole's. One observation says
/// nothing of where the pole is going, so a policy without memory balances it poorly; the standard
/// check that a recurrent agent remembers (POPGym calls it Stateless CartPole).
public final class StatelessCartPole: Environment {
    /// The id `a3c train --env` takes.
    public let id = "StatelessCartPole-v1"
    /// Push the cart left (0) or right (1), as CartPole.
    public let actionCount = 2
    /// x and θ, each bounded at twice its termination threshold.
    public let observationSpace: BoxSpace = {
        let high: [Float] = [Float(CartPole.xThreshold * 2), Float(CartPole.thetaThreshold * 2)]
        return BoxSpace(shape: [2], low: high.map { -$0 }, high: high)
    }()

    private let cartPole: CartPole
    private var full = [Float](repeating: 0, count: 4)

    /// A stateless cart-pole whose random stream starts from `seed`.
    public init(seed: UInt64 = 0) { cartPole = CartPole(seed: seed) }

    /// CartPole's reset, showing only x and θ.
    public func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        full.withUnsafeMutableBufferPointer { cartPole.reset(seed: seed, into: $0) }
        hideVelocities(into: observation)
    }

    /// CartPole's step, showing only x and θ.
    public func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) -> StepResult {
        let result = full.withUnsafeMutableBufferPointer { cartPole.step(action, into: $0) }
        hideVelocities(into: observation)
        return result
    }

    /// The cart-pole drawn as CartPole draws it.
    public func render() -> RGBFrame? { cartPole.render() }

    private func hideVelocities(into observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = full[0]
        observation[1] = full[2]
    }
}
