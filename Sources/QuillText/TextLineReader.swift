/// Reads a text file (or standard input) one line at a time, without line terminators.
///
/// A line ends at a line feed; a carriage return before it is dropped too, so CRLF files read as
/// their lines. The last line needs no line feed; a file ending in one has no empty last line.
public final class TextLineReader {
    private let chunks: TextChunkReader
    private var chunk: [UInt8] = []
    private var position = 0

    /// Opens `path` ("-" for standard input).
    public init(path: String, handling: InvalidUTF8Handling = .reject) throws(TokenizerError) {
        chunks = try TextChunkReader(path: path, handling: handling)
    }

    /// The name of the file in messages.
    public var displayName: String { chunks.displayName }

    /// Whether the input is a pipe or terminal, whose lines arrive over time (not a regular file).
    public var isStreaming: Bool { chunks.fileSize == nil }

    /// The next line, or `nil` at the end of the file.
    public func nextLine() throws(TokenizerError) -> String? {
        if position == chunk.count {
            guard let next = try chunks.nextChunk() else { return nil }
            chunk = next
            position = 0
        }
        return chunk.withUnsafeBufferPointer { bytes in
            var end = position
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            let terminated = end < bytes.count
            let next = terminated ? end + 1 : end
            if terminated && end > position && bytes[end - 1] == 0x0D { end -= 1 }
            let line = String(decoding: UnsafeBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self)
            position = next
            return line
        }
    }
}
