import Foundation
import QuillText

/// The word and grapheme tokenizers, segmentation and normalization, on any bytes, read as
/// `quill tokenize` and `quill segment` read them: lines from `TextLineReader`.
///
/// Properties: invalid UTF-8 is rejected at exactly the offset the standard library's UTF-8
/// parser finds (and a NUL as a binary file), or with `--replace-invalid-utf8` replaced as
/// `String(decoding:)` does; on every line, grapheme, word and sentence segments tile the line and join to
/// it, NFC, NFD and NFKC are idempotent, normalized ranges map back inside the line, and the char
/// and word tokenizers give ids inside their vocabularies and byte ranges inside the line, in order.
enum TextTarget: FuzzTarget {
    static let name = "text"

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let tokenizers: [any Tokenizer] = ["kjv-chars.json", "kjv-words.json"].map { file in
        let path = repository.appendingPathComponent("vocab/\(file)").path
        do { return try TokenizerFile.load(from: path) } catch { FuzzFailure.exit("cannot load \(path): \(error)") }
    }
    static let segmenters: [Segmenter] = [SegmentationUnit.grapheme, .word, .sentence].map { unit in
        do { return try Segmenter(unit: unit) } catch { FuzzFailure.exit("cannot make a \(unit) segmenter: \(error)") }
    }
    static let idempotentForms: [Normalizer] = [NormalizationForm.nfc, .nfd, .nfkc].map { Normalizer(Normalization(form: $0)) }
    static let otherNormalizers = [Normalizer(Normalization(form: .nfkc, caseMapping: .fold, whitespace: .collapse)),
                                   Normalizer(Normalization(form: .none, caseMapping: .lowercase, whitespace: .collapseAll))]

    static func run(_ bytes: [UInt8]) {
        let invalid = referenceFirstInvalidOffset(bytes)
        let quillInvalid = bytes.withUnsafeBufferPointer { UTF8Validation.firstInvalidOffset(in: $0) }
        FuzzFailure.require(quillInvalid == invalid, "UTF8Validation says \(String(describing: quillInvalid)), the standard library \(String(describing: invalid))")
        let repaired = bytes.withUnsafeBufferPointer { UTF8Validation.repairing($0) }
        FuzzFailure.require(repaired == String(decoding: bytes, as: UTF8.self), "repairing differs from String(decoding:)")

        let path = FuzzScratch.write(bytes, to: "text.txt")
        let nul = bytes.firstIndex(of: 0)
        // Valid text reads the same either way, so one pass (rejecting) serves it; other input is
        // read twice, to see it rejected and then, unless it holds a NUL, replaced.
        let isText = invalid == nil && nul == nil
        do throws(TokenizerError) {
            let reader = try TextLineReader(path: path, handling: .reject)
            while let line = try reader.nextLine() { check(line) }
            FuzzFailure.require(isText, "invalid UTF-8 or NUL passed the reader")
        } catch .invalidUTF8(_, let offset) {
            FuzzFailure.require(offset == invalid && (nul.map { $0 > offset } ?? true),
                                "invalid UTF-8 reported at \(offset); first invalid byte \(String(describing: invalid)), NUL \(String(describing: nul))")
        } catch .binaryFile(_, let offset) {
            FuzzFailure.require(offset == nul, "NUL reported at \(offset), first NUL at \(String(describing: nul))")
        } catch {
            FuzzFailure.require(false, "unexpected error: \(error.localizedDescription)")
        }
        guard !isText, nul == nil else { return }
        do {
            let reader = try TextLineReader(path: path, handling: .replace)
            while let line = try reader.nextLine() { check(line) }
        } catch {
            FuzzFailure.require(false, "replacing invalid UTF-8 still failed: \(FuzzFailure.describe(error))")
        }
    }

    /// Checks segmentation, normalization and tokenization of one line.
    static func check(_ line: String) {
        let length = line.utf8.count
        for segmenter in segmenters {
            let ranges = segmenter.byteRanges(in: line)
            var end = 0
            for range in ranges {
                FuzzFailure.require(range.lowerBound == end && range.upperBound > end, "\(segmenter.unit) segment \(range) does not follow \(end)")
                end = range.upperBound
            }
            FuzzFailure.require(end == length, "\(segmenter.unit) segments cover \(end) of \(length) bytes")
            FuzzFailure.require(segmenter.segments(of: line).joined() == line, "\(segmenter.unit) segments do not join to the line")
        }
        for normalizer in idempotentForms + otherNormalizers {
            let normalized = normalizer.normalize(line)
            let whole = normalized.originalRange(of: 0..<normalized.utf8Count)
            FuzzFailure.require(whole.lowerBound >= 0 && whole.upperBound <= length,
                                "\(normalizer.settings): the normalized text maps to \(whole), outside \(length) bytes")
        }
        for normalizer in idempotentForms {
            let once = normalizer.normalizedString(line)
            FuzzFailure.require(normalizer.normalizedString(once) == once, "\(normalizer.settings.form) is not idempotent")
        }
        for tokenizer in tokenizers {
            for tokens in [tokenizer.encodeWithOffsets(line), tokenizer.encodeTypedWithOffsets(line)] {
                var start = 0
                for token in tokens {
                    FuzzFailure.require((0..<tokenizer.vocabularySize).contains(token.id), "\(tokenizer.kind): id \(token.id) outside the vocabulary")
                    FuzzFailure.require(token.byteRange.lowerBound >= start && token.byteRange.upperBound <= length,
                                        "\(tokenizer.kind): byte range \(token.byteRange) before \(start) or past \(length)")
                    start = token.byteRange.lowerBound
                }
                _ = tokenizer.decode(tokens.map(\.id))
            }
            let lineBytes = Array(line.utf8)
            for word in tokenizer.unknownWords(in: line) {
                // Bytes, not Foundation's `contains`, which will not find ESC in ESC + U+0301.
                FuzzFailure.require(contains(lineBytes, Array(word.utf8)), "\(tokenizer.kind): unknown word \(scalars(word)) is not in the line \(scalars(line))")
            }
        }
    }

    /// Whether `part` occurs in `whole`, byte for byte.
    static func contains(_ whole: [UInt8], _ part: [UInt8]) -> Bool {
        guard part.count <= whole.count else { return false }
        return (0...whole.count - part.count).contains { whole[$0..<$0 + part.count].elementsEqual(part) }
    }

    /// The code points of `text` in hex, for messages about invisible characters.
    static func scalars(_ text: String) -> String {
        "[" + text.unicodeScalars.map { String($0.value, radix: 16, uppercase: true) }.joined(separator: " ") + "]"
    }

    /// Where the standard library's UTF-8 parser first finds an ill-formed sequence, or nil.
    static func referenceFirstInvalidOffset(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .error: return offset
            case .emptyInput: return nil
            }
        }
    }
}
