import QuillText

/// Vocabulary JSON (char, word, whitespace) and Hugging Face `tokenizer.json` (byte-level BPE), read
/// through `TokenizerFile.decode`, the one dispatch point behind `--vocab` and a model's tokenizer.
///
/// Property: any bytes either give a tokenizer or throw an error naming the file. A tokenizer that
/// loads saves and loads again to the same file (its saved form is a fixed point), and encodes a
/// probe text to ids inside its vocabulary with byte ranges inside the text.
enum TokenizerFileTarget: FuzzTarget {
    static let name = "tokenizer-file"

    static let source = "fuzz/tokenizer.json"
    static let probe = "In the beginning, God said: \"Let there be light\" – 春眠不覺曉 ✨ e\u{301}\r\n\t<unk> x"

    static func run(_ bytes: [UInt8]) {
        let tokenizer: any Tokenizer
        do {
            tokenizer = try TokenizerFile.decode(bytes, source: source)
        } catch {
            FuzzFailure.requireClearError(error, naming: source)
            return
        }
        let saved: [UInt8]
        do {
            saved = try tokenizer.encoded()
            let again = try TokenizerFile.decode(saved, source: source)
            FuzzFailure.require(again.kind == tokenizer.kind && again.vocabularySize == tokenizer.vocabularySize,
                                "reloading changed the tokenizer: \(tokenizer.kind) of \(tokenizer.vocabularySize) ids → \(again.kind) of \(again.vocabularySize)")
            FuzzFailure.require(try again.encoded() == saved, "saving a reloaded tokenizer gives other bytes")
            FuzzFailure.require(again.encode(probe) == tokenizer.encode(probe), "the reloaded tokenizer encodes the probe differently")
        } catch {
            FuzzFailure.require(false, "a tokenizer that loaded does not save and load again: \(FuzzFailure.describe(error))")
            return
        }
        let length = probe.utf8.count
        for token in tokenizer.encodeWithOffsets(probe) {
            FuzzFailure.require((0..<tokenizer.vocabularySize).contains(token.id), "id \(token.id) outside the vocabulary of \(tokenizer.vocabularySize)")
            FuzzFailure.require(token.byteRange.lowerBound >= 0 && token.byteRange.upperBound <= length,
                                "byte range \(token.byteRange) outside the \(length)-byte probe")
        }
        _ = tokenizer.decode(tokenizer.encode(probe), keepingSpecials: true)
    }
}
