/// Why ICU could not segment text; QuillText turns it into a `TokenizerError`.
public enum SegmentationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An ICU call failed with the named error code (for example `U_MISSING_RESOURCE_ERROR` when
    /// ICU's data library is missing).
    case icuFailure(operation: String, code: String)

    /// A one-line explanation with the fix.
    public var description: String {
        switch self {
        case .icuFailure(let operation, let code):
            "ICU failed in \(operation) with \(code). Check that libicu 72 and its data (libicudata) are installed."
        }
    }
}
