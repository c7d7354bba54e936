/// A wall-clock budget such as `20m`, `90s`, `1h30m` or `45` (seconds).
public struct TrainingDuration: Equatable, Sendable, CustomStringConvertible {
    /// The budget in seconds.
    public var seconds: Double

    /// Creates a budget of `seconds`.
    public init(seconds: Double) { self.seconds = seconds }

    /// Parses `20m`, `90s`, `1h30m`, `2h`, `1.5h` or a bare number of seconds; nil if malformed,
    /// zero or infinite.
    public init?(parsing text: String) {
        guard let total = Self.seconds(in: text), total > 0, total.isFinite else { return nil }
        seconds = total
    }

    /// The seconds `text` spells in the forms ``init(parsing:)`` reads, zero included; nil if malformed.
    public static func seconds(in text: String) -> Double? {
        let units: [Character: Double] = ["h": 3600, "m": 60, "s": 1]
        var total = 0.0
        var number = ""
        var sawUnit = false
        for character in text.lowercased() where character != " " {
            if character.isNumber || character == "." {
                number.append(character)
            } else if let scale = units[character], let value = Double(number) {
                total += value * scale
                number = ""
                sawUnit = true
            } else {
                return nil
            }
        }
        if !number.isEmpty {
            guard let value = Double(number) else { return nil }
            total += value
        } else if !sawUnit {
            return nil
        }
        return total
    }

    /// The budget as `1h05m`, `20m`, `45s`.
    public var description: String { formatDuration(seconds) }
}

/// Formats seconds compactly for progress lines: `45s`, `3m20s`, `1h05m`.
public func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    guard seconds < 0x1p53 else { return format(seconds / 3600, 0) + "h" }
    let s = Int(seconds.rounded())
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m\(pad2(s % 60))s" }
    return "\(s / 3600)h\(pad2((s % 3600) / 60))m"
}

private func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
