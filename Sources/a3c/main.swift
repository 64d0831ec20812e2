#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ActorCritic
import ArgumentParser
import Foundation
import RunArtifacts

// A closed pipe (a dead environment host, `a3c ... | head`) is an error to report, not a reason to die.
signal(SIGPIPE, SIG_IGN)

// Parse and run by hand so that every failure is one line on stderr with a non-zero exit,
// while --help and --version still print in full.
do {
    var command = try A3CCommand.parseAsRoot()
    try command.run()
} catch {
    let code = A3CCommand.exitCode(for: error)
    if code == .success {
        print(A3CCommand.fullMessage(for: error))
        exit(0)
    }
    // Foundation's own texts name error domains and codes: say the cause instead.
    let domain = (error as NSError).domain
    let text = domain == NSCocoaErrorDomain || domain == NSPOSIXErrorDomain
        ? ArtifactError.reason(error) : A3CCommand.message(for: error)
    let message = text
        .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty }.joined(separator: " ")
    // In an MPI job rank 0 says it: the other ranks hit the same bad input, or told rank 0 theirs.
    let rank = MPI.launchedRank ?? 0
    // An ExitCode carries no message: whoever chose the status has said why.
    if rank == 0 && !message.isEmpty { FileHandle.standardError.write(Data("a3c: error: \(message)\n".utf8)) }
    exit(code.rawValue == 0 ? 1 : code.rawValue)
}
