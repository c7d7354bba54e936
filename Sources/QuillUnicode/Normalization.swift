/// A Unicode normalization form (UAX #15), applied with utf8proc.
public enum NormalizationForm: String, Codable, CaseIterable, Sendable {
    /// Leaves code points as they are.
    case none
    /// Canonical decomposition followed by canonical composition.
    case nfc
    /// Canonical decomposition.
    case nfd
    /// Compatibility decomposition followed by canonical composition.
    case nfkc
    /// Compatibility decomposition.
    case nfkd
}

/// How letter case is mapped after the normalization form's decomposition.
public enum CaseMapping: String, Codable, CaseIterable, Sendable {
    /// Keeps case.
    case none
    /// Simple lowercase mapping of each code point (UnicodeData.txt), as `str.lower()` does for most text.
    case lowercase
    /// Full case folding (CaseFolding.txt, statuses C and F), meant for caseless matching: `ß` becomes `ss`.
    case fold
}

/// What happens to whitespace after normalization.
public enum WhitespaceCleanup: String, Codable, CaseIterable, Sendable {
    /// Keeps every whitespace character.
    case keep
    /// Turns each run of horizontal whitespace into one space and removes it at the start and end of
    /// each line; line breaks are kept exactly.
    case collapse
    /// Turns each run of whitespace, line breaks included, into one space and removes it at the start
    /// and end of the text.
    case collapseAll = "collapse-all"
}

/// The normalization settings of a tokenizer, stored with its vocabulary.
///
/// Stages run in this order: normalization form (with case mapping between decomposition and
/// composition, so `ℌ` lowercases to `h` under NFKC), then whitespace cleanup.
public struct Normalization: Codable, Hashable, Sendable, CustomStringConvertible {
    /// The Unicode normalization form.
    public var form: NormalizationForm
    /// The case mapping.
    public var caseMapping: CaseMapping
    /// The whitespace cleanup.
    public var whitespace: WhitespaceCleanup

    /// Creates normalization settings; the defaults change nothing but the form.
    public init(form: NormalizationForm = .nfc, caseMapping: CaseMapping = .none, whitespace: WhitespaceCleanup = .keep) {
        self.form = form
        self.caseMapping = caseMapping
        self.whitespace = whitespace
    }

    /// Settings that leave text exactly as it is.
    public static let none = Normalization(form: .none, caseMapping: .none, whitespace: .keep)

    /// Whether these settings can change text at all.
    public var isIdentity: Bool { form == .none && caseMapping == .none && whitespace == .keep }

    /// A short description such as `nfkc, case fold, whitespace collapse`.
    public var description: String { "\(form.rawValue), case \(caseMapping.rawValue), whitespace \(whitespace.rawValue)" }

    private enum CodingKeys: String, CodingKey {
        case form
        case caseMapping = "case"
        case whitespace
    }
}
