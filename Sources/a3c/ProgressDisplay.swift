import ActorCritic
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Progress while training: on a terminal, one status line redrawn in place (bar, steps/s, ETA,
/// 100-episode mean); otherwise (CI, pipes, files) a plain line every `plainInterval` seconds.
final class ProgressDisplay {
    let enabled: Bool
    let totalSteps: Int
    let isTerminal: Bool
    let plainInterval = 2.0
    private var last: (steps: Int, seconds: Double)?
    private var lastPrinted = -Double.infinity
    private var rate = 0.0
    private var lineShown = false

    init(enabled: Bool, totalSteps: Int) {
        self.enabled = enabled
        self.totalSteps = totalSteps
        isTerminal = isatty(STDOUT_FILENO) == 1
    }

    /// A line of its own (the live line is cleared first).
    func message(_ text: String) {
        clearLine()
        print(text)
        flushStandardOutput()
    }

    func update(_ progress: TrainingProgress) {
        guard enabled else { return }
        if let last, progress.elapsedSeconds > last.seconds {
            let current = Double(progress.steps - last.steps) / (progress.elapsedSeconds - last.seconds)
            rate = 0.7 * rate + 0.3 * current  // smoothed for a steady ETA
        } else if progress.elapsedSeconds > 0 {
            rate = Double(progress.steps) / progress.elapsedSeconds
        }
        last = (progress.steps, progress.elapsedSeconds)
        if isTerminal {
            let fraction = min(1, Double(progress.steps) / Double(max(totalSteps, 1)))
            let width = 24
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let eta = rate > 0 ? formatDuration(Double(totalSteps - progress.steps) / rate) : "-"
            let line = "[\(bar)] \(formatNumber(100 * fraction, decimals: 0))%  \(formatCount(progress.steps)) steps  "
                + "\(formatCount(Int(rate))) steps/s  ETA \(eta)  episodes \(formatCount(progress.episodes))  "
                + "mean100 \(progress.meanReturn100.map { formatNumber($0, decimals: 1) } ?? "-")"
            print("\r\u{1B}[K" + line, terminator: "")
            lineShown = true
            flushStandardOutput()
        } else if progress.elapsedSeconds - lastPrinted >= plainInterval {
            lastPrinted = progress.elapsedSeconds
            print(
                "steps \(formatCount(progress.steps))  \(formatCount(Int(rate))) steps/s  "
                    + "episodes \(formatCount(progress.episodes))  "
                    + "mean100 \(progress.meanReturn100.map { formatNumber($0, decimals: 1) } ?? "-")  "
                    + "\(formatNumber(progress.elapsedSeconds, decimals: 1)) s")
            flushStandardOutput()
        }
    }

    /// Ends the live line.
    func finish() { clearLine() }

    func clearLine() {
        guard lineShown else { return }
        print("\r\u{1B}[K", terminator: "")
        lineShown = false
    }

    private func formatDuration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "-" }
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s / 3600)h\(String(format: "%02d", s / 60 % 60))m"
    }
}
