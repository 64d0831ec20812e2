import ArgumentParser

/// `a3c bench`: measured speeds (filled in below).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Benchmarks.")
    func run() throws {}
}
