#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Prints training progress to stderr: a redrawn bar on a terminal, one line every few
/// seconds otherwise (so logs stay readable).
public final class ProgressReporter {
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private var lastPrint = -1.0e9
    private let label: String

    /// Creates a reporter whose lines start with `label` (for example the model kind).
    public init(label: String) { self.label = label }

    /// Reports the state after `step` of `totalSteps` (nil when only a time budget bounds the run).
    public func update(step: Int, totalSteps: Int?, elapsed: Double, budget: Double?, trainLoss: Double,
                       validationLoss: Double?, tokensPerSecond: Double, force: Bool = false) {
        guard force || elapsed - lastPrint >= (isTerminal ? 0.2 : 5) else { return }
        lastPrint = elapsed
        var fraction: Double? = nil
        if let totalSteps, totalSteps > 0 { fraction = Double(step) / Double(totalSteps) }
        if let budget, budget > 0 { fraction = max(fraction ?? 0, elapsed / budget) }
        fraction = fraction.map { Swift.min(1, $0) }
        let eta = fraction.map { $0 > 0 ? elapsed * (1 - $0) / $0 : .infinity }
        var line = "\(label) "
        if let fraction, isTerminal {
            let width = 24
            let filled = min(width, Int(Double(width) * fraction))
            line += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
        }
        line += "step \(step)" + (totalSteps.map { "/\($0)" } ?? "")
        line += "  loss \(format(trainLoss, 4))"
        if let validationLoss { line += "  val \(format(validationLoss, 4))" }
        line += "  \(formatRate(tokensPerSecond)) tok/s"
        line += "  \(formatDuration(elapsed))"
        if let eta { line += "  ETA \(formatDuration(eta))" }
        if isTerminal {
            fputs("\r\u{1B}[K" + line, stderr)
        } else {
            fputs(line + "\n", stderr)
        }
    }

    /// Prints `message` on its own line between progress updates; a terminal's bar is redrawn
    /// below it on the next update.
    public func note(_ message: String) {
        fputs((isTerminal ? "\r\u{1B}[K" : "") + message + "\n", stderr)
        lastPrint = -1.0e9
    }

    /// Ends the progress line and prints `message` on its own line.
    public func finish(_ message: String) {
        if isTerminal { fputs("\n", stderr) }
        fputs(message + "\n", stderr)
    }
}

/// `value` with `digits` decimals; beyond what an integer holds exactly (a diverged loss), in
/// Swift's exponent form, such as `7.2e+30`.
public func format(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return value.isNaN ? "nan" : "inf" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    guard abs(value) * scale < 0x1p53 else { return "\(value)" }
    let rounded = (abs(value) * scale).rounded() / scale
    var text = String(Int(rounded))
    var fractionPart = Int(((rounded - Double(Int(rounded))) * scale).rounded())
    if digits > 0 {
        var decimals = ""
        for _ in 0..<digits { decimals = String(fractionPart % 10) + decimals; fractionPart /= 10 }
        text += "." + decimals
    }
    return (value < 0 ? "-" : "") + text
}

/// A rate as `950`, `12.3k` or `1.20M`.
public func formatRate(_ value: Double) -> String {
    if value >= 1e6 { return format(value / 1e6, 2) + "M" }
    if value >= 1e4 { return format(value / 1e3, 1) + "k" }
    return String(Int(value.rounded()))
}
