#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What can go wrong training a byte-level BPE tokenizer or reading one from a `tokenizer.json`.
///
/// File-system failures are `TokenizerError`s, as for every Quill tokenizer.
///
/// `source` names the file (or "<memory>" for bytes given directly) each message is about.
public enum ByteLevelBPEError: Error, Equatable, LocalizedError {
    /// The bytes are not JSON, or not the shape of a Hugging Face `tokenizer.json`.
    case malformedJSON(source: String, detail: String)
    /// The model is not a BPE model (for example WordPiece or Unigram).
    case notBPE(source: String, modelType: String)
    /// A pipeline stage or model option Quill's byte-level BPE does not implement.
    case unsupportedSetting(source: String, setting: String, value: String)
    /// A vocabulary entry uses scalars outside GPT-2's byte alphabet.
    case notByteLevel(source: String, token: String)
    /// Two vocabulary entries or added tokens claim one id with different strings.
    case conflictingId(source: String, id: Int, first: String, second: String)
    /// A merge rule names a token, or produces one, that is not in the vocabulary.
    case mergeOutsideVocabulary(source: String, rank: Int, token: String)
    /// A merge rule is neither a "left right" string nor a two-string array.
    case malformedMerge(source: String, rank: Int, text: String)
    /// The requested vocabulary cannot hold the 256 byte tokens and the special tokens.
    case vocabularyTooSmall(requested: Int, minimum: Int)
    /// A special token is empty or listed twice.
    case invalidSpecialToken(String)

    /// A message naming the file, what was wrong, and how to fix it.
    public var errorDescription: String? {
        switch self {
        case .malformedJSON(let source, let detail):
            return "\(source) is not a valid Hugging Face tokenizer.json (\(detail)). "
                + "Re-save it with `tokenizer.save(path)` from the Python `tokenizers` package."
        case .notBPE(let source, let modelType):
            return "\(source) holds a \(modelType) model, not BPE. Quill reads byte-level BPE files only; "
                + "use a tokenizer.json whose model type is \"BPE\"."
        case .unsupportedSetting(let source, let setting, let value):
            return "\(source): \(setting) = \(value) is not supported by Quill's byte-level BPE. "
                + "Use a GPT-2-style file: no normalizer, a ByteLevel pre-tokenizer and decoder, "
                + "no subword prefix or suffix, no byte fallback, no dropout."
        case .notByteLevel(let source, let token):
            return "\(source): vocabulary token \(token.debugDescription) is not spelled in GPT-2's byte "
                + "alphabet. Quill reads byte-level BPE files only (ByteLevel pre-tokenizer and decoder)."
        case .conflictingId(let source, let id, let first, let second):
            return "\(source): id \(id) is given to both \(first.debugDescription) and "
                + "\(second.debugDescription). Give each id one token."
        case .mergeOutsideVocabulary(let source, let rank, let token):
            return "\(source): merge rule \(rank) uses or makes \(token.debugDescription), which is not "
                + "in the vocabulary. Add the token to the vocabulary or remove the rule."
        case .malformedMerge(let source, let rank, let text):
            return "\(source): merge rule \(rank) (\(text)) is neither \"left right\" nor [\"left\", \"right\"]. "
                + "Fix or remove that entry of model.merges."
        case .vocabularyTooSmall(let requested, let minimum):
            return "A byte-level BPE vocabulary of \(requested) cannot hold the 256 byte tokens and the "
                + "special tokens; ask for at least \(minimum)."
        case .invalidSpecialToken(let token):
            return "Special token \(token.debugDescription) is empty or listed twice; give each special "
                + "token once, as a non-empty string."
        }
    }
}
