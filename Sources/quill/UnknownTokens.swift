import Foundation

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
