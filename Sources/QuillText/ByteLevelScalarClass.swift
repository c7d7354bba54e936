/// The character classes GPT-2's pre-split regex tells apart: `\s`, `\p{L}`, `\p{M}`, `\p{N}`, and the rest.
///
/// Classes follow Unicode 16.0, the version of the Oniguruma tables inside Hugging Face
/// `tokenizers` 0.23: scalars first assigned in a later Unicode version count as `other`, as they
/// do there, so Quill and the Python package split every text identically. (Checked over all
/// 1,112,064 scalars against `tokenizers`' own `\s`, `\p{L}`, `\p{M}`, `\p{N}`.)
enum ByteLevelScalarClass: UInt8 {
    /// White_Space (`\s`): 25 scalars, such as U+0020, U+000A, U+00A0, U+3000.
    case whitespace
    /// A letter (`\p{L}`: Lu, Ll, Lt, Lm, Lo).
    case letter
    /// A combining mark (`\p{M}`: Mn, Mc, Me).
    case mark
    /// A number (`\p{N}`: Nd, Nl, No).
    case number
    /// Anything else: punctuation, symbols (emoji), controls other than white space, unassigned.
    case other

    /// The class of the scalar with value `value` (any UInt32; non-scalars are `other`).
    @inline(__always)
    static func of(_ value: UInt32) -> ByteLevelScalarClass {
        value < tableLimit ? ByteLevelScalarClass(rawValue: table[Int(value)])! : computed(value)
    }

    /// Scalars below this value are looked up in `table`; the rest (rare planes) are computed.
    static let tableLimit: UInt32 = 0x30000

    /// The raw class of every value below `tableLimit` (192 KB, built on first use, never freed).
    ///
    /// A pointer rather than an array so the pre-split loop reads it without bounds checks or
    /// reference counting.
    nonisolated(unsafe) static let table: UnsafePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: Int(tableLimit))
        for value in 0..<tableLimit { table[Int(value)] = computed(value).rawValue }
        return UnsafePointer(table)
    }()

    /// The class of `value` from the standard library's Unicode properties, capped at Unicode 16.0.
    static func computed(_ value: UInt32) -> ByteLevelScalarClass {
        guard let scalar = Unicode.Scalar(value) else { return .other }
        let properties = scalar.properties
        if properties.isWhitespace { return .whitespace }
        guard let age = properties.age, age.major <= 16 else { return .other }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .nonspacingMark, .spacingMark, .enclosingMark:
            return .mark
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return .other
        }
    }
}
