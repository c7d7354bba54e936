import QuillREPL

/// The REPL's command parser, on any line a terminal can hand it.
///
/// Property: every line parses to a command or throws a `REPLError` whose message is non-empty,
/// and what parses keeps the parser's promises: blank lines are `.empty`, text is the trimmed line
/// and never a command, and counts, steps and settings lie in the ranges the usage lines state.
enum REPLCommandTarget: FuzzTarget {
    static let name = "repl-command"

    static func run(_ bytes: [UInt8]) {
        let line = String(decoding: bytes, as: UTF8.self)
        let trimmed = line.trimmingCharacters(where: \.isWhitespace)
        let command: REPLCommand
        do {
            command = try REPLCommand(parsing: line)
        } catch let error as REPLError {
            FuzzFailure.require(!error.description.isEmpty, "an empty error message")
            FuzzFailure.require(trimmed.hasPrefix(":"), "text that is not a command was refused: \(error)")
            return
        } catch {
            FuzzFailure.require(false, "threw \(type(of: error)), not a REPLError: \(error)")
            return
        }
        switch command {
        case .empty:
            FuzzFailure.require(trimmed.isEmpty, "a non-blank line parsed as empty")
        case .text(let text):
            FuzzFailure.require(text == trimmed && !text.isEmpty && !text.hasPrefix(":"), "text \"\(text)\" is not the trimmed line")
        case .sample(let count):
            FuzzFailure.require((1...1000).contains(count), ":sample count \(count)")
        case .reconstruct(let sentence):
            FuzzFailure.require(!sentence.isEmpty, "an empty sentence to reconstruct")
        case .interpolate(let from, let to, let steps):
            FuzzFailure.require(!from.isEmpty && !to.isEmpty && (2...100).contains(steps), ":interp \(from) | \(to) \(steps)")
        case .set(let setting):
            check(setting)
        case .load(let path):
            FuzzFailure.require(!path.isEmpty, "an empty path to load")
        case .use(let number):
            FuzzFailure.require(number >= 1, ":use \(number)")
        case .seed, .models, .info, .help, .quit:
            break
        }
        if case .text = command {} else if command != .empty {
            FuzzFailure.require(trimmed.hasPrefix(":"), "a line without ':' parsed as the command \(command)")
        }
    }

    private static func check(_ setting: REPLSetting) {
        switch setting {
        case .temperature(let t): FuzzFailure.require(t > 0 && t.isFinite, "temperature \(t)")
        case .topK(let k): FuzzFailure.require(k >= 0, "top-k \(k)")
        case .topP(let p): FuzzFailure.require(p > 0 && p <= 1, "top-p \(p)")
        case .maxTokens(let n): FuzzFailure.require(n > 0, "max-tokens \(n)")
        case .decode(let mode): FuzzFailure.require(["greedy", "sample", "beam"].contains(mode), "decode \(mode)")
        }
    }
}

private extension String {
    /// The string without leading and trailing characters matching `predicate`.
    func trimmingCharacters(where predicate: (Character) -> Bool) -> String {
        guard let first = firstIndex(where: { !predicate($0) }), let last = lastIndex(where: { !predicate($0) }) else { return "" }
        return String(self[first...last])
    }
}
