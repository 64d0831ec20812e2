import ArgumentParser
import Environments

/// `a3c envs`: what `--env` accepts.
struct EnvsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "envs", abstract: "List the environments `a3c train --env` accepts.")

    func run() throws {
        let width = EnvironmentRegistry.all.map(\.id.count).max() ?? 0
        for spec in EnvironmentRegistry.all {
            let limit = spec.maxEpisodeSteps.map { "limit \($0)" } ?? "no limit"
            let threshold = spec.rewardThreshold.map { "solved at \(formatNumber($0))" } ?? "no threshold"
            print("\(spec.id.padding(toLength: width + 2, withPad: " ", startingAt: 0))\(spec.summary); \(limit), \(threshold)")
        }
    }
}
