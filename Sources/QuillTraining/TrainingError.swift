import Foundation

/// What can go wrong while preparing or running training, each with the fix.
public enum TrainingError: LocalizedError, Equatable {
    case missingFile(String)
    case cannotWrite(String)
    case emptyCorpus(String)
    case corpusTooSmall(String, tokens: Int, needed: Int)
    case tooFewSentencesToHoldOut(String, sentences: Int)
    case corpusTooShortToEvaluate(String, tokens: Int, needed: Int)
    case shorterThanASequence(String, tokens: Int, needed: Int)
    case nonFiniteLoss(step: Int, lastGood: String?)
    case wrongModelKind(String, found: String, expected: String)
    case invalidOption(String)
    case resumeWithoutCheckpoint(String)

    public var errorDescription: String? {
        switch self {
        case .missingFile(let path):
            "\(path): no such file. Check the path."
        case .cannotWrite(let path):
            "\(path): cannot be written. Check that the directory exists and is writable."
        case .emptyCorpus(let path):
            "\(path) has no text: it is empty or only whitespace. Pass a UTF-8 text file with at least a few lines."
        case .corpusTooSmall(let path, let tokens, let needed):
            "\(path) has \(tokens) tokens, fewer than one batch needs (\(needed)). Use a larger corpus, or lower --batch-size or the sequence length."
        case .tooFewSentencesToHoldOut(let path, let sentences):
            "\(path) has \(sentences) sentence\(sentences == 1 ? "" : "s"), too few to hold some out for validation and train on the rest. Use a corpus of at least 2 sentences, or pass --valid FILE."
        case .corpusTooShortToEvaluate(let path, let tokens, let needed):
            "\(path) has \(tokens) tokens; evaluation needs at least \(needed). Evaluate on a longer text."
        case .shorterThanASequence(let source, let tokens, let needed):
            "\(source) has \(tokens) tokens, fewer than one sequence needs (block_size + 1 = \(needed)). Use more text or a smaller --block-size."
        case .nonFiniteLoss(let step, let lastGood):
            "The training loss became NaN or infinite at step \(step); training stopped. "
                + (lastGood.map { "The last good checkpoint is kept at \($0); --resume would repeat the same steps with the same rates, so start a new run with a lower --learning-rate or with --grad-clip (give it another --output to keep this one)." }
                    ?? "This run had saved no checkpoint, so any model already at --output is unchanged. Lower --learning-rate or set --grad-clip, and start again.")
        case .wrongModelKind(let path, let found, let expected):
            "\(path) holds a \(found) model, not a \(expected) model. Use `quill train \(found)` to continue it, or start a new run with another --output."
        case .invalidOption(let message):
            message
        case .resumeWithoutCheckpoint(let path):
            "--resume found no checkpoint at \(path). Train without --resume first, or check --output."
        }
    }
}
