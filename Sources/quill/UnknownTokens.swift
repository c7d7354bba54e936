import Foundation
import QuillTraining

/// Warns on stderr when more than a tenth of `path`'s tokens are `<unk>` (`share`, from
/// `Tokenizer.unknownShare(of:)`): the text is mostly outside the vocabulary, a sign of a model
/// or vocabulary made for another language or tokenization. `consequence` says what suffers.
func warnAboutUnknownTokens(_ share: Double?, in path: String, consequence: String) {
    guard let share, share > 0.1 else { return }
    let percent = Int((share * 100).rounded())
    FileHandle.standardError.write(Data("""
        quill: warning: \(percent)% of the tokens of \(path) are <unk>, outside the vocabulary, so \(consequence). \
        Was the vocabulary made for text like it?

        """.utf8))
}

/// Warns on stderr about the words of `texts` (sentences or prompts from the command line)
/// outside `model`'s vocabulary.
func warnAboutUnknownWords(in texts: [String], of model: LoadedModel) {
    for warning in texts.compactMap(model.unknownWordsWarning(for:)) {
        FileHandle.standardError.write(Data("quill: warning: \(warning)\n".utf8))
    }
}
