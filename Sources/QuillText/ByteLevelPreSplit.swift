/// How byte-level BPE cuts text into pre-tokens before merging: GPT-2's regex, or Quill's variant of it.
///
/// GPT-2's rule is the regex
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// tried leftmost-first, alternatives in order: ASCII contractions (case-sensitive); a letter run,
/// a number run or a run of anything else, each optionally led by one U+0020 space; then a
/// white-space run that leaves its last scalar to lead the next word, or a lone white-space scalar.
/// It cuts "e\u{301}t\u{E9}" ("été", its first "é" decomposed) into "e", "\u{301}", "t\u{E9}":
/// the combining mark falls out of its word.
///
/// Quill's rule, `gpt2KeepingMarks(maxRunLength: K)`, is the regex
///
///     's|'t|'re|'ve|'m|'ll|'d| ?[\p{L}\p{M}]{1,K}| ?\p{N}{1,K}| ?[^\s\p{L}\p{N}]{1,K}|\s{1,K}(?!\S)|\s{1,K}
///
/// Two changes: marks (`\p{M}`) join letter runs, so a mark stays with the letter it modifies
/// (and a mark after a digit or a space starts a letter run; after punctuation or an emoji it
/// stays in that run, as in GPT-2); and every run stops after K scalars and the next pre-token
/// carries on, so unsegmented text (Chinese, Japanese, a 50 MB line without spaces) gives
/// pre-tokens of bounded size. Both rules keep every byte, so encoding stays lossless.
/// Character classes follow Unicode 16.0, as in Hugging Face `tokenizers` (see `ByteLevelScalarClass`).
public enum ByteLevelPreSplit: Sendable, Hashable {
    /// GPT-2's rule, exactly as Hugging Face's `ByteLevel(use_regex: true)` pre-tokenizer applies it.
    case gpt2
    /// GPT-2's rule with combining marks kept in letter runs and every run capped at `maxRunLength` scalars.
    case gpt2KeepingMarks(maxRunLength: Int)

    /// Quill's default for new tokenizers: marks kept, runs capped at 32 scalars.
    public static let quillDefault = ByteLevelPreSplit.gpt2KeepingMarks(maxRunLength: 32)

    /// GPT-2's regex, as Hugging Face writes it.
    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    /// The regex this rule implements, in the Oniguruma syntax Hugging Face's `Split` pre-tokenizer reads.
    public var pattern: String {
        switch self {
        case .gpt2:
            return Self.gpt2Pattern
        case .gpt2KeepingMarks(let k):
            return #"'s|'t|'re|'ve|'m|'ll|'d| ?[\p{L}\p{M}]{1,"# + "\(k)" + #"}| ?\p{N}{1,"# + "\(k)"
                + #"}| ?[^\s\p{L}\p{N}]{1,"# + "\(k)" + #"}|\s{1,"# + "\(k)" + #"}(?!\S)|\s{1,"# + "\(k)" + "}"
        }
    }

    /// The rule whose regex is exactly `pattern`, or nil if it is neither GPT-2's nor Quill's.
    public init?(pattern: String) {
        if pattern == Self.gpt2Pattern {
            self = .gpt2
            return
        }
        let prefix = #"'s|'t|'re|'ve|'m|'ll|'d| ?[\p{L}\p{M}]{1,"#
        guard pattern.hasPrefix(prefix) else { return nil }
        let digits = pattern.dropFirst(prefix.count).prefix { $0.isASCII && $0.isNumber }
        guard let k = Int(digits), k >= 1, k <= 1 << 20 else { return nil }
        let candidate = ByteLevelPreSplit.gpt2KeepingMarks(maxRunLength: k)
        guard candidate.pattern == pattern else { return nil }
        self = candidate
    }

    /// Whether combining marks continue (and may start) letter runs.
    var keepsMarks: Bool {
        if case .gpt2KeepingMarks = self { return true }
        return false
    }

    /// The most scalars one run may hold (unbounded for GPT-2).
    var maxRunLength: Int {
        switch self {
        case .gpt2: return Int.max
        case .gpt2KeepingMarks(let k): return k
        }
    }
}
