import QuillText

/// A UTF-8 text file read whole for training or evaluation, checked as it is read.
///
/// The file is read in chunks of whole lines, so a grapheme cluster (even CR LF) never
/// straddles two chunks, and each chunk is checked: a NUL byte or invalid UTF-8 stops the read
/// with the byte offset (unless invalid bytes are to be replaced by U+FFFD).
public struct TextCorpus {
    /// The file's path as given.
    public let path: String
    /// The text in chunks of whole lines.
    private let chunks: [[UInt8]]

    /// Reads the file at `path`; throws ``TrainingError/emptyCorpus(_:)`` when it holds no text.
    public static func read(_ path: String, replacingInvalidUTF8: Bool = false) throws -> TextCorpus {
        let reader = try TextChunkReader(path: path, handling: replacingInvalidUTF8 ? .replace : .reject)
        var chunks: [[UInt8]] = []
        while let chunk = try reader.nextChunk() { chunks.append(chunk) }
        let corpus = TextCorpus(path: path, chunks: chunks)
        let isBlank = chunks.allSatisfy { chunk in chunk.allSatisfy { $0 == 0x20 || ($0 >= 0x09 && $0 <= 0x0D) } }
        if isBlank { throw TrainingError.emptyCorpus(path) }
        return corpus
    }

    private init(path: String, chunks: [[UInt8]]) {
        self.path = path
        self.chunks = chunks
    }

    /// The size of the text in bytes.
    public var byteCount: Int { chunks.reduce(0) { $0 + $1.count } }

    /// A character vocabulary of every grapheme cluster in the text (NFC-normalized), most
    /// frequent first, after the four specials.
    public func characterVocabulary() throws -> Vocabulary {
        var builder = try VocabularyBuilder(settings: .defaults(for: .character))
        for chunk in chunks { chunk.withUnsafeBufferPointer { builder.add(bytes: $0) } }
        var vocabulary = try builder.build()
        vocabulary.source = path
        return vocabulary
    }

    /// The token ids of the whole text under `tokenizer`.
    public func tokens(using tokenizer: any Tokenizer) -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(byteCount)
        for chunk in chunks {
            for id in tokenizer.encode(String(decoding: chunk, as: UTF8.self)) { ids.append(Int32(id)) }
        }
        return ids
    }
}
