#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Everything a user can get wrong when building, saving, loading or using a tokenizer.
///
/// Each message names the file (and byte offset where there is one), the problem and the fix.
public enum TokenizerError: Error, Equatable, LocalizedError {
    /// No file at `path`.
    case fileNotFound(path: String)
    /// The file exists but could not be read (`reason` is the system's explanation).
    case unreadableFile(path: String, reason: String)
    /// The file could not be written (`reason` is the system's explanation).
    case unwritableFile(path: String, reason: String)
    /// The bytes at `byteOffset` are not UTF-8.
    case invalidUTF8(path: String, byteOffset: Int)
    /// A NUL byte at `byteOffset`: the file is binary, not text.
    case binaryFile(path: String, byteOffset: Int)
    /// A single line longer than `limit` bytes, starting at `byteOffset`.
    case lineTooLong(path: String, byteOffset: Int, limit: Int)
    /// The corpus gave no tokens at all.
    case emptyCorpus(paths: [String])
    /// A tokenizer or vocabulary file that does not parse or breaks an invariant.
    case malformedFile(path: String, reason: String)
    /// A tokenizer kind that cannot be read or built where it was asked for.
    case unsupportedTokenizer(path: String, found: String)
    /// A vocabulary whose settings differ from the ones expected.
    case incompatibleVocabulary(path: String, setting: String, expected: String, found: String)
    /// A vocabulary size that leaves no room beside the four special tokens.
    case invalidSize(Int)
    /// A minimum count below one.
    case invalidMinimumCount(Int)
    /// ICU could not segment text.
    case segmentation(SegmentationError)

    /// A one-line explanation naming the file, the problem and the fix.
    public var errorDescription: String? {
        switch self {
        case .fileNotFound(let path):
            "\(path): no such file. Check the path (relative paths start from the current directory)."
        case .unreadableFile(let path, let reason):
            "\(path): cannot be read (\(reason)). Check that it is a regular file and its permissions."
        case .unwritableFile(let path, let reason):
            "\(path): cannot be written (\(reason)). Check that its directory exists and is writable."
        case .invalidUTF8(let path, let offset):
            "\(path): invalid UTF-8 at byte offset \(offset). Convert the file to UTF-8 (for example "
                + "`iconv -f latin1 -t utf-8`, or `iconv -c -f utf-8 -t utf-8` to drop the bad bytes); "
                + "`vocab build`, `tokenize`, `segment` and `train char-rnn` can instead read them as U+FFFD "
                + "with --replace-invalid-utf8."
        case .binaryFile(let path, let offset):
            "\(path): NUL byte at byte offset \(offset), so this looks like a binary file, not text. Pass a UTF-8 text file."
        case .lineTooLong(let path, let offset, let limit):
            "\(path): the line starting at byte offset \(offset) is longer than \(limit) bytes. Split the file into lines."
        case .emptyCorpus(let paths):
            "\(paths.joined(separator: ", ")): no tokens to count (empty or whitespace-only). Pass a corpus with text in it."
        case .malformedFile(let path, let reason):
            "\(path): not a valid Quill tokenizer file (\(reason)). Rebuild it with `quill vocab build`."
        case .unsupportedTokenizer(let path, let found):
            "\(path): unsupported tokenizer \"\(found)\". Use a char, word or whitespace vocabulary or a BPE "
                + "tokenizer.json, as `quill vocab build` writes them."
        case .incompatibleVocabulary(let path, let setting, let expected, let found):
            "\(path): \(setting) is \(found) but \(expected) was expected. Use the vocabulary the model was trained with, "
                + "or retrain the model with this one."
        case .invalidSize(let size):
            "vocabulary size \(size) leaves no room for tokens beside the 4 specials (<pad>, <unk>, <bos>, <eos>). Pass --size 5 or more."
        case .invalidMinimumCount(let count):
            "minimum count \(count) is below 1. Pass --min-count 1 or more."
        case .segmentation(let error):
            error.description
        }
    }
}
