import ArgumentParser
import Environments
import Foundation

/// `a3c envs`: what `--env` accepts, and the observations and actions of bridged environments.
struct EnvsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "envs", abstract: "List the environments `a3c train --env` accepts, with their actions.")

    @Argument(help: "Gymnasium ids to describe (observations, actions, limit, threshold) by making them in the bridge.")
    var ids: [String] = []

    @Flag(name: .long, help: "Also describe every id registered in the Gymnasium of the bridge's Python (Atari games in one line).")
    var all = false

    func run() throws {
        let width = EnvironmentRegistry.all.map(\.id.count).max() ?? 0
        if ids.isEmpty {
            print("Native (Swift, no Python):")
            for spec in EnvironmentRegistry.all {
                let limit = spec.maxEpisodeSteps.map { "limit \($0)" } ?? "no limit"
                let threshold = spec.rewardThreshold.map { "solved at \(formatNumber($0))" } ?? "no threshold"
                print("  \(spec.id.padding(toLength: width + 2, withPad: " ", startingAt: 0))\(spec.summary); \(limit), \(threshold)")
            }
            print("""
                Through the Gymnasium bridge (scripts/install.sh or scripts/setup.sh install gymnasium, ale-py, vizdoom, box2d and mujoco):
                  ALE/<Game>-v5           every Atari game of ale-py (Pong, Breakout, Kangaroo, ...): discrete actions, the paper's preprocessing
                  Vizdoom<Scenario>-v1    ViZDoom scenarios (VizdoomBasic-v1, VizdoomDefendCenter-v1, ...): discrete actions, grey stacked frames
                  Box2D and MuJoCo        continuous actions, a Gaussian policy: LunarLanderContinuous-v3 (2 in [-1, 1]), BipedalWalker-v3 (4),
                                          HalfCheetah-v5 (6), Hopper-v5 (3), Walker2d-v5 (6), Ant-v5 (8), Humanoid-v5 (17), ...
                  any other Gymnasium id  with discrete or one-dimensional Box actions (LunarLander-v3, ...); gym:<id> forces the bridge
                `a3c envs ID ...` makes those ids in the bridge and describes them; `a3c envs --all`, every registered id.
                """)
        }
        guard all || !ids.isEmpty else { return }
        if let missing = BridgeLocation.missingPart { throw ValidationError(missing) }
        try describeBridged(ids: ids.map(EnvironmentFamily.gymnasiumName))
    }

    /// Makes each id (or, with none, every registered id but the Atari games) in the bridge's
    /// Python and prints its observations, actions, limit and threshold, one line each.
    private func describeBridged(ids: [String]) throws {
        let script = """
            import json, os, sys, warnings
            warnings.filterwarnings("ignore")
            sys.path.insert(0, os.path.dirname(sys.argv[2]))
            from a3c_env_host import import_environment_packages  # the host's registrations and MuJoCo's warning hook
            gymnasium = import_environment_packages()
            ids = json.loads(sys.argv[1])
            if not ids:
                atari = sorted(i for i in gymnasium.registry if i.startswith("ALE/"))
                print(f"  ALE/...: {len(atari)} Atari ids, discrete actions (18 or fewer), 210x160 RGB screens")
                ids = sorted(i for i in gymnasium.registry if not i.startswith("ALE/") and "/" not in i)
            width = max(len(i) for i in ids)
            failed = 0
            def bounds(low, high):
                same = len(set(low.tolist())) == 1 and len(set(high.tolist())) == 1
                return f"[{low[0]:g}, {high[0]:g}]" if same else "per-dimension bounds"
            for i in ids:
                try:
                    env = gymnasium.make(i)
                except Exception as error:
                    failed += 1
                    print(f"  {i:<{width}}  cannot be made here: {str(error).splitlines()[0] if str(error) else type(error).__name__}")
                    continue
                a, o = env.action_space, env.observation_space
                if isinstance(a, gymnasium.spaces.Discrete):
                    actions = f"{a.n} discrete actions"
                elif isinstance(a, gymnasium.spaces.Box) and len(a.shape) == 1:
                    actions = f"{a.shape[0]} continuous actions in {bounds(a.low, a.high)}"
                else:
                    actions = f"actions {a} (not supported)"
                shape = getattr(o, "shape", None)
                observations = f"observations {'x'.join(map(str, shape))}" if shape else f"observations {o}"
                spec = env.spec
                limit = f"limit {spec.max_episode_steps}" if spec and spec.max_episode_steps else "no limit"
                threshold = f"solved at {spec.reward_threshold:g}" if spec and spec.reward_threshold is not None else "no threshold"
                print(f"  {i:<{width}}  {actions}, {observations}; {limit}, {threshold}", flush=True)
                env.close()
            sys.exit(2 if failed == len(ids) else 0)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BridgeLocation.python)
        let request = String(decoding: try JSONSerialization.data(withJSONObject: ids), as: UTF8.self)
        process.arguments = ["-c", script, request, BridgeLocation.hostScript]
        process.standardError = FileHandle.nullDevice
        print(ids.isEmpty ? "Registered in Gymnasium:" : "Through the Gymnasium bridge:")
        fflush(nil)  // our lines before the child's
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError(
                ids.isEmpty
                    ? "cannot list Gymnasium's environments with \(BridgeLocation.python): run scripts/install.sh or scripts/setup.sh"
                    : "none of \(ids.joined(separator: ", ")) can be made in the Gymnasium of \(BridgeLocation.python)")
        }
    }
}
