import ArgumentParser
import Foundation

/// 1234567 -> "1,234,567".
func formatCount(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return value < 0 ? "-" + out : out
}

/// A number with at most `decimals` decimals and no trailing zeros: 475.0 -> "475", -0.5 -> "-0.5".
func formatNumber(_ value: Double, decimals: Int = 2) -> String {
    var text = String(format: "%.\(decimals)f", value)
    if text.contains(".") {
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
    }
    return text
}

/// Pushes buffered `print` output out now (progress lines through a pipe).
func flushStandardOutput() {
    fflush(nil)
}
