import ArgumentParser
import Environments
import Foundation

/// `a3c envs`: what `--env` accepts.
struct EnvsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "envs", abstract: "List the environments `a3c train --env` accepts.")

    @Flag(name: .long, help: "Also list every id registered in the Gymnasium of the bridge's Python.")
    var all = false

    func run() throws {
        let width = EnvironmentRegistry.all.map(\.id.count).max() ?? 0
        print("Native (Swift, no Python):")
        for spec in EnvironmentRegistry.all {
            let limit = spec.maxEpisodeSteps.map { "limit \($0)" } ?? "no limit"
            let threshold = spec.rewardThreshold.map { "solved at \(formatNumber($0))" } ?? "no threshold"
            print("  \(spec.id.padding(toLength: width + 2, withPad: " ", startingAt: 0))\(spec.summary); \(limit), \(threshold)")
        }
        print("""
            Through the Gymnasium bridge (scripts/install.sh or scripts/setup.sh install gymnasium, ale-py, vizdoom and box2d):
              ALE/<Game>-v5           every Atari game of ale-py (Pong, Breakout, Kangaroo, ...), the paper's preprocessing
              Vizdoom<Scenario>-v1    ViZDoom scenarios (VizdoomBasic-v1, VizdoomDefendCenter-v1, ...), grey stacked frames
              any other Gymnasium id  with a discrete action space (LunarLander-v3, ...); gym:<id> forces the bridge
            """)
        guard all else { return }
        if let missing = BridgeLocation.missingPart { throw ValidationError(missing) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BridgeLocation.python)
        process.arguments = [
            "-c",
            "import gymnasium, ale_py; gymnasium.register_envs(ale_py)\n"
                + "try:\n    import vizdoom.gymnasium_wrapper\nexcept ImportError:\n    pass\n"
                + "print('\\n'.join(sorted(gymnasium.registry)))",
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("cannot list Gymnasium's environments with \(BridgeLocation.python): run scripts/install.sh or scripts/setup.sh")
        }
        print("Registered in Gymnasium:")
        for id in String(decoding: data, as: UTF8.self).split(separator: "\n") { print("  \(id)") }
    }
}
