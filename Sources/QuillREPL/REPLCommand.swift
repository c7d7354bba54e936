/// One line typed at the REPL, parsed.
///
/// Lines starting with `:` are commands; anything else is text for the current model (a prompt
/// for a language model, a sentence to reconstruct for a VAE).
public enum REPLCommand: Equatable, Sendable {
    case text(String)
    case sample(count: Int)
    case reconstruct(String)
    case interpolate(from: String, to: String, steps: Int)
    case set(REPLSetting)
    case seed(UInt64)
    case load(String)
    case models
    case use(Int)
    case info
    case help
    case quit
    case empty

    /// The command names, for tab completion and `:help`.
    public static let names = [":sample", ":recon", ":interp", ":set", ":seed", ":load", ":models", ":use",
                               ":info", ":help", ":quit"]

    /// Parses one input line, or throws an error that says how to type the command correctly.
    public init(parsing line: String) throws {
        let trimmed = line.trimmingSpaces()
        guard !trimmed.isEmpty else { self = .empty; return }
        guard trimmed.hasPrefix(":") else { self = .text(trimmed); return }
        let (name, rest) = trimmed.splitFirstWord()
        switch name {
        case ":sample", ":s":
            if rest.isEmpty { self = .sample(count: 1); return }
            guard let n = Int(rest), n > 0, n <= 1000 else { throw REPLError.usage(":sample [n]", "n is a count from 1 to 1000") }
            self = .sample(count: n)
        case ":recon", ":reconstruct", ":r":
            let sentence = rest.unquoted()
            guard !sentence.isEmpty else { throw REPLError.usage(":recon TEXT", "give a sentence to reconstruct") }
            self = .reconstruct(sentence)
        case ":interp", ":interpolate", ":i":
            let sides = rest.splitAtSentenceBar()
            guard sides.count == 2 else { throw REPLError.usage(":interp A | B [steps]", "separate the two sentences with |") }
            let first = sides[0].unquoted()
            var second = sides[1].trimmingSpaces()
            var steps = 8
            if let lastSpace = second.lastIndex(of: " "), let n = Int(second[second.index(after: lastSpace)...]) {
                steps = n
                second = String(second[..<lastSpace])
            }
            second = second.unquoted()
            guard !first.isEmpty, !second.isEmpty else { throw REPLError.usage(":interp A | B [steps]", "both sentences must be non-empty") }
            guard steps >= 2, steps <= 100 else { throw REPLError.usage(":interp A | B [steps]", "steps is from 2 to 100") }
            self = .interpolate(from: first, to: second, steps: steps)
        case ":set":
            self = .set(try REPLSetting(parsing: rest))
        case ":seed":
            guard let n = UInt64(rest) else { throw REPLError.usage(":seed N", "N is a non-negative integer") }
            self = .seed(n)
        case ":load":
            guard !rest.isEmpty else { throw REPLError.usage(":load MODEL", "give the path of a .safetensors model") }
            self = .load(rest)
        case ":models": self = .models
        case ":use":
            guard let n = Int(rest), n >= 1 else { throw REPLError.usage(":use N", "N is a model number from :models") }
            self = .use(n)
        case ":info": self = .info
        case ":help", ":h", ":?": self = .help
        case ":quit", ":q", ":exit": self = .quit
        default:
            throw REPLError.unknownCommand(name)
        }
    }
}

/// A generation setting changed with `:set NAME VALUE`.
public enum REPLSetting: Equatable, Sendable {
    case temperature(Float)
    case topK(Int)
    case topP(Float)
    case maxTokens(Int)
    case decode(String)

    /// The setting names, for completion and help.
    public static let names = ["temperature", "top-k", "top-p", "max-tokens", "decode"]

    /// Parses `NAME VALUE`.
    public init(parsing text: String) throws {
        let (name, value) = text.splitFirstWord()
        let usage = ":set temperature|top-k|top-p|max-tokens|decode VALUE"
        switch name {
        case "temperature", "temp":
            guard let t = Float(value), t > 0, t.isFinite else { throw REPLError.usage(usage, "temperature must be greater than 0") }
            self = .temperature(t)
        case "top-k", "topk":
            guard let k = Int(value), k >= 0 else { throw REPLError.usage(usage, "top-k is 0 (off) or a positive count") }
            self = .topK(k)
        case "top-p", "topp":
            guard let p = Float(value), p > 0, p <= 1 else { throw REPLError.usage(usage, "top-p is in (0, 1]") }
            self = .topP(p)
        case "max-tokens":
            guard let n = Int(value), n > 0 else { throw REPLError.usage(usage, "max-tokens must be positive") }
            self = .maxTokens(n)
        case "decode":
            guard ["greedy", "sample", "beam"].contains(value) else { throw REPLError.usage(usage, "decode is greedy, sample or beam") }
            self = .decode(value)
        default:
            throw REPLError.usage(usage, name.isEmpty ? "name a setting" : "unknown setting \"\(name)\"")
        }
    }
}

/// A mistake at the REPL prompt; the REPL prints it and keeps running.
public enum REPLError: Error, Equatable, CustomStringConvertible {
    case unknownCommand(String)
    case usage(String, String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .unknownCommand(let name): "unknown command \(name); type :help for the list"
        case .usage(let form, let detail): "\(detail) (usage: \(form))"
        case .unsupported(let message): message
        }
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let first = s.first, first.isWhitespace { s.removeFirst() }
        while let last = s.last, last.isWhitespace { s.removeLast() }
        return String(s)
    }

    /// Trimmed, and without a pair of matching quotes around the whole (`"a b"`, `'a b'`, with no
    /// such quote inside), as a sentence is typed in a shell: `:interp "a b" | "c d"` means
    /// `:interp a b | c d`.
    func unquoted() -> String {
        let text = trimmingSpaces()
        guard text.count >= 2, let quote = text.first, quote == "\"" || quote == "'", text.last == quote else { return text }
        let inside = text.dropFirst().dropLast()
        return inside.contains(quote) ? text : String(inside).trimmingSpaces()
    }

    /// The two sides of `A | B`, split at the first `|`, or at the first after a quoted A (so
    /// `"a | b" | c` is `a | b` and `c`); one side when there is no `|`.
    func splitAtSentenceBar() -> [String] {
        var searchStart = startIndex
        if let quote = first, quote == "\"" || quote == "'",
           let close = self[index(after: startIndex)...].firstIndex(of: quote) {
            searchStart = close
        }
        guard let bar = self[searchStart...].firstIndex(of: "|") else { return [String(self)] }
        return [String(self[..<bar]), String(self[index(after: bar)...])]
    }

    func splitFirstWord() -> (String, String) {
        let text = trimmingSpaces()
        guard let space = text.firstIndex(where: \.isWhitespace) else { return (text, "") }
        return (String(text[..<space]), String(text[space...]).trimmingSpaces())
    }
}
