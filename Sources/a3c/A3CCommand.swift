import ArgumentParser

/// The `a3c` command: train, list environments, benchmark.
struct A3CCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "a3c",
        abstract: "Asynchronous Advantage Actor-Critic (Mnih et al. 2016) on CPU threads, in Swift.",
        version: PackageVersion.current,
        subcommands: [
            TrainCommand.self, EvalCommand.self, RecordCommand.self, PlotCommand.self, ExportCommand.self, EnvsCommand.self,
            BenchCommand.self,
        ])
}

/// The package's version, recorded in run summaries and configs. 0.2.0: advantage normalisation
/// applies to A3C and A2C too (off by default; 0.1.0 wrote it on for every run).
enum PackageVersion {
    static let current = "0.2.0"
}
